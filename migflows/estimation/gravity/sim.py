"""Spatial interaction models (Wilson's family) fitted by Poisson regression: :func:`sim`.

Four forms, each a Poisson GLM with log link for the flow ``T_ij`` from ``i`` to ``j``
(Flowerdew & Aitkin 1982; Wilson 1971), parameterised as PySAL's ``spint`` does (a constant
plus reference-coded dummies, the first level in sorted order being the reference) so that its
published estimates are reproduced:

============== ==================================================================
form           linear predictor
============== ==================================================================
unconstrained  ``k + mu log O_i + alpha log D_j + beta c_ij``
production     ``k + origin dummies + alpha log D_j + beta c_ij``  (outflows fixed)
attraction     ``k + destination dummies + mu log O_i + beta c_ij``  (inflows fixed)
doubly         ``k + origin dummies + destination dummies + beta c_ij``
============== ==================================================================

with ``c_ij = log(cost)`` for ``cost="pow"`` (power decay, ``beta`` an elasticity) and
``c_ij = cost`` for ``cost="exp"`` (exponential decay, ``beta`` per unit of cost). ``O_i`` and
``D_j`` are origin and destination masses (``o_var``, ``d_var``: population, jobs …). Poisson's
first-order conditions make the dummies act as balancing factors: the production-constrained
model reproduces every origin's outflow, the attraction-constrained one every destination's
inflow, the doubly constrained one both.

Fit measures (as spint reports them)
    ``srmse`` — standardised root mean square error ``sqrt(sum (T - That)^2 / n) / (sum T / n)``;
    ``ssi`` — Sørensen similarity index ``mean(2 min(T, That) / (T + That))``;
    ``d2`` — ``1 - deviance / null deviance`` (spint's pseudo-R², "D²") and ``adj_d2``
    ``= 1 - (n - 1)/(n - k) (1 - D²)``; ``pseudo_rsquared`` — McFadden's ``1 - llf / llnull``
    and ``adj_pseudo_rsquared = 1 - (llf - k) / llnull``; ``aic = -2 llf + 2k``; ``deviance``,
    ``llf``, ``llnull``.

Standard errors default to the model-based Poisson ``(X' diag(mu) X)^-1`` without small-sample
factor, spint's choice; ``res.vcov("hetero")`` or ``res.vcov({"CRV1": "orig"})`` switch to
robust ones without refitting (Poisson flows are usually overdispersed, so the model-based errors
are too small; see :func:`migflows.gravity` for fixed-effect gravity models with robust
inference).

Data conventions
    One cross-section: with several years pass ``year=``. Intra-zonal flows
    (origin == destination) are dropped with a :class:`~migflows.errors.DroppedRowsWarning`
    (``intra="error"`` raises instead); zero flows are kept. Missing values raise.

Why statsmodels: its Poisson GLM is the reference implementation (spint itself wraps a GLM);
only the design and the fit measures are ours.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({
...     "origin": list("aaabbbcccddd"), "destination": list("bcdacdabdabc"),
...     "flow": [30, 12, 5, 28, 20, 9, 10, 25, 14, 4, 8, 22],
...     "distance": [10.0, 25, 40, 10, 15, 30, 25, 15, 20, 40, 30, 20]})
>>> res = sim(df, "doubly", "pow")
>>> round(float(res.params["log(distance)"]), 3)
-1.363
>>> round(res.srmse, 3), round(res.ssi, 3)
(0.1, 0.948)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import ConvergenceWarning as SMConvergenceWarning
from threadpoolctl import threadpool_limits

from migflows.data.panel import FlowPanel
from migflows.errors import (
    ConvergenceError,
    InvalidOptionError,
    ModelSpecificationError,
    format_values,
)
from migflows.estimation.core.bootstrap import BootstrapTest
from migflows.estimation.core.covariance import SmallSampleCorrection, parse_covariance
from migflows.estimation.core.results import RegressionResults, SandwichPieces
from migflows.estimation.core.seeds import RandomSeed
from migflows.estimation.gravity.few_clusters import sim_bootstrap
from migflows.estimation.gravity.sim_design import (
    SIMSpec,
    check_sim_values,
    sim_columns,
    sim_design,
    sim_frame,
    sim_measures,
)

__all__ = ["FORMS", "SIMResults", "sim"]

Form = Literal["unconstrained", "production", "attraction", "doubly"]
Cost = Literal["pow", "exp"]
FORMS: tuple[str, ...] = ("unconstrained", "production", "attraction", "doubly")
COSTS: tuple[str, ...] = ("pow", "exp")
_NEEDS = {
    "unconstrained": ("o_var", "d_var"),
    "production": ("d_var",),
    "attraction": ("o_var",),
    "doubly": (),
}
_LABELS = {
    "unconstrained": "Unconstrained spatial interaction model",
    "production": "Production-constrained spatial interaction model",
    "attraction": "Attraction-constrained spatial interaction model",
    "doubly": "Doubly constrained spatial interaction model",
}


@dataclass(frozen=True)
class SIMFit:
    """What :class:`SIMResults` keeps besides the covariance."""

    spec: SIMSpec
    keys: pd.DataFrame
    y: np.ndarray
    mu: np.ndarray
    stats: Mapping[str, Any]
    dropped: pd.DataFrame = field(repr=False)
    X: np.ndarray | None = field(default=None, repr=False)  # the design (for the bootstrap)


class SIMResults(RegressionResults):
    """Results of :func:`sim`: the shared vocabulary plus the spatial-interaction fit measures.

    Attributes beyond :class:`~migflows.estimation.core.results.RegressionResults`: ``form``,
    ``cost``, ``stats`` and the measures ``srmse``, ``ssi``, ``d2``, ``adj_d2``,
    ``pseudo_rsquared``, ``adj_pseudo_rsquared``, ``aic``, ``deviance``, ``null_deviance``,
    ``llf``, ``llnull``; ``fitted``, ``resid``, ``dropped`` and :meth:`predict`.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "origin": list("aaabbbcccddd"), "destination": list("bcdacdabdabc"),
    ...     "flow": [30, 12, 5, 28, 20, 9, 10, 25, 14, 4, 8, 22],
    ...     "distance": [10.0, 25, 40, 10, 15, 30, 25, 15, 20, 40, 30, 20]})
    >>> df["pop_d"] = df["destination"].map({"a": 5.0, "b": 3.0, "c": 4.0, "d": 2.0})
    >>> res = sim(df, "production", "exp", d_var="pop_d")
    >>> res.form, list(res.params.index)
    ('production', ['Intercept', 'orig::b', 'orig::c', 'orig::d', 'log(pop_d)', 'distance'])
    """

    covariance_family = "sim"

    def __init__(self, *args: Any, sim_fit: SIMFit, **kwargs: Any) -> None:
        self._sim = sim_fit
        super().__init__(*args, **kwargs)

    @property
    def form(self) -> str:
        """``"unconstrained"``, ``"production"``, ``"attraction"`` or ``"doubly"``."""
        return self._sim.spec.form

    @property
    def cost(self) -> str:
        """``"pow"`` (log cost) or ``"exp"`` (cost in levels)."""
        return self._sim.spec.cost

    @property
    def stats(self) -> dict[str, Any]:
        """All fit measures in one dictionary."""
        return dict(self._sim.stats)

    @property
    def srmse(self) -> float:
        """Standardised root mean square error."""
        return float(self._sim.stats["srmse"])

    @property
    def ssi(self) -> float:
        """Sørensen similarity index."""
        return float(self._sim.stats["ssi"])

    @property
    def d2(self) -> float:
        """``1 - deviance / null deviance`` (spint's ``D2``)."""
        return float(self._sim.stats["d2"])

    @property
    def adj_d2(self) -> float:
        """``D²`` adjusted for the number of parameters."""
        return float(self._sim.stats["adj_d2"])

    @property
    def pseudo_rsquared(self) -> float:
        """McFadden's ``1 - llf / llnull``."""
        return float(self._sim.stats["pseudo_rsquared"])

    @property
    def adj_pseudo_rsquared(self) -> float:
        """``1 - (llf - k) / llnull``."""
        return float(self._sim.stats["adj_pseudo_rsquared"])

    @property
    def aic(self) -> float:
        """Akaike information criterion ``-2 llf + 2k``."""
        return float(self._sim.stats["aic"])

    @property
    def deviance(self) -> float:
        """Poisson deviance."""
        return float(self._sim.stats["deviance"])

    @property
    def null_deviance(self) -> float:
        """Deviance of the constant-only model."""
        return float(self._sim.stats["null_deviance"])

    @property
    def llf(self) -> float:
        """Poisson log likelihood."""
        return float(self._sim.stats["llf"])

    @property
    def llnull(self) -> float:
        """Log likelihood of the constant-only model."""
        return float(self._sim.stats["llnull"])

    @property
    def dropped(self) -> pd.DataFrame:
        """Rows left out (intra-zonal flows) with ``reason``."""
        return self._sim.dropped.copy()

    @cached_property
    def fitted(self) -> pd.DataFrame:
        """Fitted flows, one row per pair used (n rows, the layout of every ``fitted``).

        Columns: ``origin``, ``destination``, ``observed`` and ``fitted`` (expected flow).
        """
        out = self._sim.keys.copy()
        out["observed"] = self._sim.y
        out["fitted"] = self._sim.mu
        return out

    @cached_property
    def effects(self) -> dict[str, pd.Series]:
        """Origin and destination balancing factors: ``{"origin": Series, "destination": …}``.

        The coefficients of the reference-coded dummies (``orig::b`` …) indexed by level,
        the reference level (first in sorted order) at 0; only the constrained sides of the
        form (production: origin; attraction: destination; doubly: both; unconstrained:
        none).
        """
        spec = self._sim.spec
        params = self.params
        out: dict[str, pd.Series] = {}
        for side, prefix, levels, on in (
            ("origin", "orig", spec.origins, spec.form in ("production", "doubly")),
            ("destination", "dest", spec.destinations, spec.form in ("attraction", "doubly")),
        ):
            if on:
                values = [0.0] + [float(params[f"{prefix}::{lv}"]) for lv in levels[1:]]
                out[side] = pd.Series(values, index=pd.Index(levels, name=side), name=side)
        return out

    def predict(
        self,
        data: FlowPanel | pd.DataFrame | None = None,
        *,
        kind: Literal["response", "link"] = "response",
        **columns: str,
    ) -> pd.Series:
        """Predicted flows (or the linear predictor) in sample or for new data.

        Parameters
        ----------
        data : FlowPanel or DataFrame, optional
            New pairs with the same columns as the fitted data (cost, masses, origin and
            destination). Origins/destinations without an estimated dummy get NaN.
        kind : {"response", "link"}
        **columns
            ``origin=``, ``destination=`` column names when they differ from the defaults.

        Returns
        -------
        Series

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({
        ...     "origin": list("aaabbbcccddd"), "destination": list("bcdacdabdabc"),
        ...     "flow": [30, 12, 5, 28, 20, 9, 10, 25, 14, 4, 8, 22],
        ...     "distance": [10.0, 25, 40, 10, 15, 30, 25, 15, 20, 40, 30, 20]})
        >>> res = sim(df, "doubly", "pow")
        >>> bool(abs(res.predict(df.assign(distance=df.distance * 2)).sum()
        ...          - res.predict().sum() * 2 ** res.params["log(distance)"]) < 1e-9)
        True
        """
        if kind not in ("response", "link"):
            raise InvalidOptionError(f"kind={kind!r} is not allowed; use 'response' or 'link'.")
        if data is None:
            eta = np.log(self._sim.mu)
        else:
            spec = self._sim.spec
            frame, _, _ = sim_frame(
                data,
                columns.get("origin", "origin"),
                columns.get("destination", "destination"),
                None,
                "drop",
                quiet=True,
            )
            names = {"o_var": spec.o_var, "d_var": spec.d_var}
            cols = sim_columns(frame, data, None, spec.cost_var, names)
            X = sim_design(frame, spec, cols, strict=False)
            eta = X[self.params.index].to_numpy() @ self.params.to_numpy()
        return pd.Series(
            eta if kind == "link" else np.exp(eta), name="fitted" if kind == "response" else "eta"
        )

    def wild_bootstrap(
        self,
        restriction: str,
        *,
        cluster: str | None = None,
        weights: str = "rademacher",
        reps: int = 9999,
        level: float = 0.95,
        random_seed: RandomSeed = None,
        progress: bool = True,
    ) -> BootstrapTest:
        """Restricted score (Kline–Santos) bootstrap test and interval for one restriction.

        The Poisson GLM is refitted under the null; arguments as in
        ``GravityResults.wild_bootstrap`` (``cluster``: ``"orig"``, ``"dest"``,
        ``"orig+dest"``, ``"pair"``; default the clusters of the current covariance).

        Examples
        --------
        >>> import pandas as pd
        >>> df = pd.DataFrame({
        ...     "origin": list("aaabbbcccddd"), "destination": list("bcdacdabdabc"),
        ...     "flow": [30, 12, 5, 28, 20, 9, 10, 25, 14, 4, 8, 22],
        ...     "distance": [10.0, 25, 40, 10, 15, 30, 25, 15, 20, 40, 30, 20]})
        >>> res = sim(df, "doubly", "pow").vcov({"CRV1": "orig"})
        >>> boot = res.wild_bootstrap("log(distance) = 0", reps=999, progress=False)
        >>> boot.method, boot.reps
        ('score (restricted)', 16)
        """
        return sim_bootstrap(
            self._sim.y,
            np.asarray(self._sim.X),
            self.params,
            self._pieces,
            self.covariance.clusters,
            self.vcov_type,
            self.vcov,
            restriction,
            cluster=cluster,
            weights=weights,
            reps=reps,
            level=level,
            random_seed=random_seed,
            progress=progress,
        )

    def _fit_stats(self) -> dict[str, Any]:
        s = self._sim.stats
        return {
            "Form": f"{self.form} ({self.cost} cost)",
            "SRMSE": round(s["srmse"], 6),
            "Sørensen similarity (SSI)": round(s["ssi"], 6),
            "Pseudo R² (D², deviance)": round(s["d2"], 6),
            "Pseudo R² (McFadden)": round(s["pseudo_rsquared"], 6),
            "AIC": round(s["aic"], 4),
            "Deviance": round(s["deviance"], 4),
            "Log likelihood": round(s["llf"], 4),
        }


# ---------------------------------------------------------------------------- public entry
def sim(
    data: FlowPanel | pd.DataFrame,
    form: Form = "unconstrained",
    cost: Cost = "pow",
    *,
    flow: str = "flow",
    origin: str = "origin",
    destination: str = "destination",
    cost_var: str = "distance",
    o_var: str | None = None,
    d_var: str | None = None,
    year: int | None = None,
    intra: Literal["drop", "error"] = "drop",
    vcov: str | Mapping[str, Any] = "iid",
    ssc: SmallSampleCorrection | None = None,
    tol: float = 1e-12,
    maxiter: int = 100,
) -> SIMResults:
    """Fit a spatial interaction model (unconstrained, production, attraction or doubly).

    Parameters
    ----------
    data : FlowPanel or DataFrame
        One row per origin-destination pair. A FlowPanel supplies ``distance`` (when it has
        distances), pair variables and region attributes: ``o_var="population"`` takes the
        origin's population (the covariate ``population_o``).
    form : {"unconstrained", "production", "attraction", "doubly"}
        See the module docstring.
    cost : {"pow", "exp"}
        Power (``log(cost)``) or exponential (``cost``) distance decay.
    flow, origin, destination : str
        Column names in a DataFrame (a FlowPanel's are fixed).
    cost_var : str, default "distance"
        The cost (distance, travel time). Strictly positive for ``cost="pow"``.
    o_var, d_var : str, optional
        Origin and destination masses, entered in logs; needed by the forms that are not
        constrained at that end (unconstrained: both; production: ``d_var``; attraction:
        ``o_var``); the doubly constrained form takes neither.
    year : int, optional
        The cross-section to fit when the data hold several years.
    intra : {"drop", "error"}
        Intra-zonal rows (origin == destination): drop with a warning, or raise.
    vcov : str or dict, default "iid"
        Model-based (spint's) by default; ``"hetero"``, ``{"CRV1": "orig"}`` (or
        ``"origin"``, ``"dest"``/``"destination"``, ``"pair"``) and their aliases
        (``"robust"``, ``{"cluster": ...}`` …), validated before fitting; also later via
        ``res.vcov(...)``.
    ssc : SmallSampleCorrection, optional
        Default: none (spint reports no small-sample factor).
    tol, maxiter : float, int
        IRLS stops when no coefficient changes by more than ``tol``.

    Returns
    -------
    SIMResults

    Raises
    ------
    InvalidOptionError, ModelSpecificationError, MissingColumnError, MissingValueError,
    NegativeFlowError, InvalidDistanceError, DataValidationError, SelfFlowError,
    PanelStructureError, ConvergenceError

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({
    ...     "origin": list("aaabbbcccddd"), "destination": list("bcdacdabdabc"),
    ...     "flow": [30, 12, 5, 28, 20, 9, 10, 25, 14, 4, 8, 22],
    ...     "distance": [10.0, 25, 40, 10, 15, 30, 25, 15, 20, 40, 30, 20]})
    >>> pop = {"a": 5.0, "b": 3.0, "c": 4.0, "d": 2.0}
    >>> df["pop_o"], df["pop_d"] = df["origin"].map(pop), df["destination"].map(pop)
    >>> res = sim(df, "unconstrained", "pow", o_var="pop_o", d_var="pop_d")
    >>> list(res.params.index)
    ['Intercept', 'log(pop_o)', 'log(pop_d)', 'log(distance)']
    """
    cov_spec = parse_covariance(vcov, family="sim")  # before any work: bad names fail fast
    if form not in FORMS:
        raise InvalidOptionError(
            f"form={form!r} is not allowed; use one of {format_values(FORMS)}."
        )
    if cost not in COSTS:
        raise InvalidOptionError(f"cost={cost!r} is not allowed; use 'pow' or 'exp'.")
    if intra not in ("drop", "error"):
        raise InvalidOptionError(f"intra={intra!r} is not allowed; use 'drop' or 'error'.")
    given = {"o_var": o_var, "d_var": d_var}
    missing = [name for name in _NEEDS[form] if given[name] is None]
    if missing:
        raise ModelSpecificationError(
            f"form={form!r} needs {' and '.join(f'{m}=' for m in missing)} (the mass of the "
            f"unconstrained end, e.g. its population), entered as log({missing[0]})."
        )
    extra = [name for name, v in given.items() if v is not None and name not in _NEEDS[form]]
    if extra:
        ends = {"o_var": "origin", "d_var": "destination"}
        raise ModelSpecificationError(
            f"form={form!r} takes no {' or '.join(f'{e}=' for e in extra)}: its "
            f"{' and '.join(ends[e] for e in extra)} dummies absorb any mass at that end. "
            f"Drop the argument or use another form."
        )
    frame, keys_cols, dropped = sim_frame(data, origin, destination, year, intra)
    columns = sim_columns(frame, data, flow, cost_var, given)
    if "o_var" in columns and columns.get("o_var") == columns.get("d_var"):
        raise ModelSpecificationError(
            f"o_var and d_var both name the column {columns['o_var']!r}; the origin and "
            "destination masses must be different columns (on a FlowPanel a region attribute "
            "such as o_var='population', d_var='population' is taken at each end)."
        )
    y = check_sim_values(frame, columns, cost)
    spec = SIMSpec(
        form=form,
        cost=cost,
        cost_var=cost_var,
        o_var=o_var,
        d_var=d_var,
        origins=tuple(sorted(pd.unique(frame["__o"]))),
        destinations=tuple(sorted(pd.unique(frame["__d"]))),
    )
    X = sim_design(frame, spec, columns, strict=True)
    # Small dense problems run faster on single-threaded BLAS (see gravity_glm).
    with threadpool_limits(limits=1 if X.size <= 4_000_000 else None):
        model = sm.GLM(y, X.to_numpy(dtype=float), family=sm.families.Poisson())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SMConvergenceWarning)
            res = model.fit(maxiter=maxiter, tol=tol, tol_criterion="params", wls_method="qr")
    if not res.converged:
        raise ConvergenceError(
            f"the Poisson fit of the {form} model did not converge in maxiter={maxiter} "
            f"iterations (tol={tol:.0e}); raise maxiter= or check for origins/destinations "
            "whose flows are all zero."
        )
    params = np.asarray(res.params, dtype=float)
    Xa = X.to_numpy(dtype=float)
    mu = np.exp(Xa @ params)
    n, k = Xa.shape
    stats = sim_measures(
        y,
        mu,
        float(res.deviance),
        float(res.null_deviance),
        float(res.llf),
        float(res.llnull),
        n,
        k,
    )
    stats["iterations"] = int(res.fit_history["iteration"])
    clusters = pd.DataFrame(
        {
            "orig": pd.factorize(frame["__o"])[0],
            "dest": pd.factorize(frame["__d"])[0],
            "pair": pd.factorize(frame["__o"].astype(str) + "→" + frame["__d"].astype(str))[0],
        }
    )
    pieces = SandwichPieces(
        hessian=(Xa * mu[:, None]).T @ Xa,
        scores=Xa * (y - mu)[:, None],
        nobs=n,
        clusters=clusters,
    )
    keys = frame[keys_cols].reset_index(drop=True)
    fit = SIMFit(spec, keys, y, mu, stats, dropped, Xa)
    return SIMResults.from_pieces(  # type: ignore[return-value]
        list(X.columns),
        params,
        pieces,
        cov_spec,
        ssc=ssc or SmallSampleCorrection.none(),
        use_t=False,
        model=_LABELS[form],
        depvar=flow,
        sim_fit=fit,
    )
