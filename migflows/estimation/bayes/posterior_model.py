"""What the Bayesian results read from the built model: :class:`PosteriorModel`.

Declared apart so that the results module does not import the model module (which imports
the results to return them from ``fit``).
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["PosteriorModel"]


class PosteriorModel(Protocol):
    """What the results read from the built model (``BayesGravityModel`` satisfies it).

    Declared here so that the results module does not import the model module (which
    imports this one to return results from ``fit``).
    """

    @property
    def coef_names(self) -> Any:
        """Read by the results."""

    @property
    def data(self) -> Any:
        """Read by the results (counterfactuals change its region attributes)."""

    @property
    def design(self) -> Any:
        """Read by the results."""

    @property
    def dims(self) -> Any:
        """Read by the results."""

    @property
    def effects(self) -> tuple[str, ...]:
        """Read by the results."""

    @property
    def family(self) -> Any:
        """Read by the results."""

    @property
    def formula(self) -> Any:
        """Read by the results."""

    @property
    def intercept_in_params(self) -> Any:
        """Read by the results."""

    @property
    def levels(self) -> Any:
        """Read by the results."""

    @property
    def model(self) -> Any:
        """Read by the results."""

    @property
    def nobs(self) -> int:
        """Read by the results."""

    @property
    def obs_name(self) -> Any:
        """Read by the results."""

    @property
    def pooled(self) -> tuple[str, ...]:
        """Read by the results."""

    @property
    def x_mean(self) -> Any:
        """Read by the results."""

    @property
    def x_scale(self) -> Any:
        """Read by the results."""

    @property
    def y(self) -> Any:
        """Read by the results."""

    def new_inputs(self, data: Any, rows: Any = None) -> Any:
        """Read by the results."""

    def predictive(self, *args: Any, **kwargs: Any) -> Any:
        """Read by the results."""
