"""Sampling the Bayesian gravity model: sampler choice, cores, and the convergence gates.

The gates are the ones a referee checks (Vehtari et al. 2021, "Rank-normalization, folding
and localization"): largest R-hat at most 1.01, smallest bulk and tail ESS at least 400 over
every reported parameter, no divergent transitions. :func:`gates` evaluates them on the
diagnostics of a fit and :func:`warn_gates` turns a failure into a
:class:`~migflows.errors.ConvergenceWarning` naming the parameter, the figure and the fix.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from migflows.errors import (
    ConvergenceWarning,
    InvalidOptionError,
    ModelSpecificationError,
    format_values,
)
from migflows.estimation.core.logs import pymc_logging

if TYPE_CHECKING:
    import pymc as pm
    from xarray import DataTree

__all__ = [
    "GATES",
    "SAMPLERS",
    "Sampler",
    "available_samplers",
    "default_cores",
    "gates",
    "resolve_sampler",
    "run_nuts",
    "warn_gates",
    "with_pointwise_groups",
]

Sampler = Literal["auto", "nutpie", "pymc", "numpyro", "blackjax"]
SAMPLERS = ("auto", "nutpie", "pymc", "numpyro", "blackjax")
_MODULES = {"nutpie": "nutpie", "pymc": "pymc", "numpyro": "numpyro", "blackjax": "blackjax"}
#: The convergence gates: largest R-hat, smallest bulk and tail ESS, divergences.
GATES: dict[str, float] = {"r_hat": 1.01, "ess_bulk": 400.0, "ess_tail": 400.0, "divergences": 0}


def available_samplers() -> tuple[str, ...]:
    """The NUTS implementations installed here (``pymc`` always).

    Examples
    --------
    >>> "pymc" in available_samplers()
    True
    """
    return tuple(s for s, mod in _MODULES.items() if importlib.util.find_spec(mod) is not None)


def resolve_sampler(sampler: str) -> str:
    """``"auto"`` -> nutpie when installed, else PyMC's NUTS; other names are checked."""
    if sampler not in SAMPLERS:
        raise InvalidOptionError(
            f"sampler={sampler!r} is not known; use one of {format_values(SAMPLERS)}."
        )
    have = available_samplers()
    if sampler == "auto":
        return "nutpie" if "nutpie" in have else "pymc"
    if sampler not in have:
        raise InvalidOptionError(
            f"sampler={sampler!r} is not installed (installed: {format_values(have)}); "
            f"pip install {sampler}, or use sampler='auto'."
        )
    return sampler


def default_cores(chains: int) -> int:
    """One core per chain up to the machine's cores (PyMC's own default is half of them)."""
    return max(1, min(chains, os.cpu_count() or 1))


def run_nuts(
    model: pm.Model,
    *,
    sampler: str,
    draws: int,
    tune: int,
    chains: int,
    cores: int | None,
    target_accept: float,
    random_seed: int | None,
    progress: bool,
    var_names: list[str],
    **sample_kwargs: Any,
) -> DataTree:
    """``pymc.sample`` with the chosen NUTS implementation; returns the DataTree."""
    import pymc as pm

    with model:
        return pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=default_cores(chains) if cores is None else cores,
            target_accept=target_accept,
            random_seed=random_seed,
            progressbar=progress,
            var_names=var_names,
            compute_convergence_checks=False,
            nuts_sampler=sampler,
            **sample_kwargs,
        )


def gates(diagnostics: pd.DataFrame, divergences: int) -> pd.DataFrame:
    """The convergence gates of a fit: figure, worst parameter, threshold, passed.

    Parameters
    ----------
    diagnostics : DataFrame
        ArviZ diagnostics (``r_hat``, ``ess_bulk``, ``ess_tail``), one row per parameter.
    divergences : int
        Divergent transitions after tuning.

    Examples
    --------
    >>> d = pd.DataFrame({"r_hat": [1.002, 1.02], "ess_bulk": [900.0, 300.0],
    ...                   "ess_tail": [800.0, 700.0]}, index=["beta[x]", "alpha"])
    >>> g = gates(d, 0)
    >>> g.loc["r_hat", "parameter"], g["passed"].tolist()
    ('alpha', [False, False, True, True])
    """
    rows = {}
    for col, worst in (("r_hat", "idxmax"), ("ess_bulk", "idxmin"), ("ess_tail", "idxmin")):
        values = diagnostics[col].astype(float) if col in diagnostics else pd.Series(dtype=float)
        values = values.dropna()
        if values.empty:
            rows[col] = (np.nan, "", GATES[col], False)
            continue
        name = getattr(values, worst)()
        value = float(values[name])
        ok = value <= GATES[col] if col == "r_hat" else value >= GATES[col]
        rows[col] = (value, str(name), GATES[col], bool(ok))
    rows["divergences"] = (float(divergences), "", 0.0, divergences == 0)
    table = pd.DataFrame.from_dict(
        rows, orient="index", columns=["value", "parameter", "threshold", "passed"]
    )
    return table.astype({"passed": bool}).rename_axis("gate")


_FIX = {
    "r_hat": (
        "the chains disagree: check the model for a ridge (a regressor that the effects "
        "absorb; center_within=True handles the usual one) and run more chains or tune"
    ),
    "ess_bulk": "draws are strongly autocorrelated: raise draws (ESS grows with them)",
    "ess_tail": "the tails are poorly explored: raise draws, or tune for a better step size",
    "divergences": (
        "NUTS hit regions of high curvature: raise target_accept towards 0.99, or use "
        "parameterization='noncentered' for effects whose sigma is near zero"
    ),
}


def warn_gates(table: pd.DataFrame, *, stacklevel: int = 3) -> None:
    """A :class:`ConvergenceWarning` per failed gate, naming parameter, figure and fix."""
    for gate, row in table.iterrows():
        if row["passed"]:
            continue
        if gate == "divergences":
            what = f"{int(row['value'])} divergent transition(s) after tuning"
        elif gate == "r_hat":
            what = f"largest R-hat {row['value']:.3f} at {row['parameter']} (gate <= 1.01)"
        else:
            label = "bulk" if gate == "ess_bulk" else "tail"
            what = (
                f"smallest {label} ESS {row['value']:.0f} at {row['parameter']} "
                f"(gate >= {row['threshold']:.0f})"
            )
        warnings.warn(
            f"bayes_gravity: {what}; {_FIX[str(gate)]}. See res.gates and res.diagnostics().",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )


def with_pointwise_groups(model: Any, idata: Any, ppc_seed: int | None) -> Any:
    """``idata`` plus the ``log_likelihood`` and ``posterior_predictive`` groups it lacks.

    A new DataTree (the sampled one is left as it is); the body of
    ``BayesGravityResults.idata_full``. Refuses a posterior without the draws of every free
    parameter of ``model`` (e.g. one built by hand) with :class:`ModelSpecificationError`.
    """
    import pymc as pm
    import xarray as xr

    post = idata.children.get("posterior")
    missing = [rv.name for rv in model.model.free_RVs if post is None or rv.name not in post]
    if missing:
        raise ModelSpecificationError(
            f"idata_full needs the draws of every free parameter of the model; the posterior "
            f"lacks {format_values(missing)}. Build the results from a sampled fit "
            "(res = model.fit(...)), or add those draws."
        )
    tree = idata.copy()
    with model.model, warnings.catch_warnings(), pymc_logging(False):
        warnings.simplefilter("ignore", FutureWarning)
        # the Potentials only move priors of parameters the draws condition on
        warnings.filterwarnings("ignore", "The effect of Potentials", UserWarning)
        if "log_likelihood" not in tree.children:
            ll = pm.compute_log_likelihood(
                tree, var_names=[model.obs_name], extend_inferencedata=False,
                progressbar=False,
            )  # fmt: skip
            tree["log_likelihood"] = ll if isinstance(ll, xr.Dataset) else ll["log_likelihood"]
        if "posterior_predictive" not in tree.children:
            pp = pm.sample_posterior_predictive(
                tree, var_names=[model.obs_name], random_seed=ppc_seed,
                progressbar=False,
            )  # fmt: skip
            tree["posterior_predictive"] = (
                pp if isinstance(pp, xr.Dataset) else pp["posterior_predictive"]
            )
    return tree
