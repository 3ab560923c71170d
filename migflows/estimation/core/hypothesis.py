"""Linear hypotheses on estimated parameters: Wald tests and linear combinations.

One implementation for every regression-like results class (gravity, SIM, panel): a
restriction written as text (``"log_dist = -1, contig = 0"``, ``"a + b = 0"``,
``"2*a - b = 1"``) or as a matrix pair ``(R, q)`` is turned into ``R beta = q``
(:func:`restriction_matrix`), then tested under the covariance the result currently uses
(:func:`wald_test`) or estimated as linear combinations with standard errors and intervals
(:func:`linear_combinations`). The spelling follows linearmodels (``wald_test(restriction,
value, formula=...)`` returning a statistic with ``stat``, ``pval``, ``df``) and statsmodels
(``t_test``); results expose them as thin methods.

Hand-written because the parsers of statsmodels/patsy and linearmodels only accept parameter
names that are valid Python identifiers, while ours include terms such as ``log(wage_o)`` or
``i(year)[2020]``; names are matched longest first as they are written in ``params``.

Examples
--------
>>> import numpy as np
>>> R, q = restriction_matrix("b = -1, a + 2*b = 0", ["a", "b"])
>>> R.tolist(), q.tolist()
([[0.0, 1.0], [1.0, 2.0]], [-1.0, 0.0])
>>> test = wald_test(np.array([0.0, -1.0]), np.eye(2), "b = -1", names=["a", "b"])
>>> float(test.stat), int(test.df)
(0.0, 1)
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from migflows.errors import FormulaSyntaxError, InvalidOptionError, UnknownVariableError

__all__ = [
    "HypothesisMixin",
    "WaldTestResult",
    "linear_combinations",
    "restriction_matrix",
    "split_restrictions",
    "wald_test",
]

_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

Restriction = str | Sequence[str] | NDArray[np.float64] | pd.DataFrame


def split_restrictions(text: str) -> list[str]:
    """Split ``"a = 1, b = 0"`` at the commas outside brackets and parentheses.

    Examples
    --------
    >>> split_restrictions("i(year, ref=2020)[2021] = 0, b = 1")
    ['i(year, ref=2020)[2021] = 0', 'b = 1']
    """
    parts, depth, start = [], 0, 0
    for pos, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char in ",;\n" and depth == 0:
            parts.append(text[start:pos])
            start = pos + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _side(text: str, names: Sequence[str], whole: str) -> tuple[NDArray[np.float64], float]:
    """Coefficients on ``names`` and the constant of one side of a restriction."""
    ordered = sorted(range(len(names)), key=lambda j: -len(names[j]))
    coef = np.zeros(len(names))
    const = 0.0
    pos, n = 0, len(text)
    expect_term = True
    while pos < n:
        if text[pos].isspace():
            pos += 1
            continue
        sign = 1.0
        if not expect_term and text[pos] not in "+-":
            raise FormulaSyntaxError(
                f"restriction {whole!r}: expected '+' or '-' before {text[pos:]!r}; write "
                "terms such as '2*a - b = 0'"
            )
        while pos < n and (text[pos] in "+-" or text[pos].isspace()):
            if text[pos] == "-":
                sign = -sign
            pos += 1
        factor, name_j = 1.0, None
        number = _NUMBER.match(text, pos)
        if number:
            factor = float(number.group())
            pos = number.end()
            while pos < n and text[pos].isspace():
                pos += 1
            if pos < n and text[pos] == "*":
                pos += 1
                while pos < n and text[pos].isspace():
                    pos += 1
            else:
                const += sign * factor
                expect_term = False
                continue
        for j in ordered:
            if text.startswith(names[j], pos):
                name_j = j
                pos += len(names[j])
                break
        if name_j is None:
            raise UnknownVariableError(
                f"restriction {whole!r}: {text[pos:].strip()!r} is not a parameter; the "
                f"parameters are {list(names)}"
            )
        while pos < n and text[pos].isspace():
            pos += 1
        if pos < n and text[pos] == "*":  # name * number
            pos += 1
            while pos < n and text[pos].isspace():
                pos += 1
            after = _NUMBER.match(text, pos)
            if after is None:
                raise FormulaSyntaxError(
                    f"restriction {whole!r}: a parameter can only be multiplied by a number"
                )
            factor *= float(after.group())
            pos = after.end()
        coef[name_j] += sign * factor
        expect_term = False
    if expect_term and not text.strip():
        raise FormulaSyntaxError(f"restriction {whole!r}: one side of '=' is empty")
    return coef, const


def restriction_matrix(
    restriction: Restriction,
    names: Sequence[str],
    value: ArrayLike | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Turn a restriction into the matrix pair ``R beta = q``.

    Parameters
    ----------
    restriction : str, sequence of str, ndarray or DataFrame
        Text such as ``"log_dist = -1, contig = 0"`` (restrictions separated by commas or
        given as a list; a side without ``=`` means ``= 0``), or a matrix ``R`` with one
        column per parameter (a DataFrame is aligned on the parameter names).
    names : sequence of str
        Parameter names, in the order of the estimates.
    value : array-like, optional
        ``q`` for a matrix ``R`` (default zeros); not allowed with text.

    Returns
    -------
    R : ndarray (m, k)
    q : ndarray (m,)

    Raises
    ------
    FormulaSyntaxError
        The text cannot be read, or a restriction says nothing about the parameters.
    UnknownVariableError
        A name is not a parameter (the parameters are listed).
    InvalidOptionError
        A matrix of the wrong shape, or ``value`` with text.

    Examples
    --------
    >>> restriction_matrix(["a - b"], ["a", "b"])[0].tolist()
    [[1.0, -1.0]]
    """
    names = [str(n) for n in names]
    k = len(names)
    if isinstance(restriction, str) or (
        isinstance(restriction, Sequence) and all(isinstance(r, str) for r in restriction)
    ):
        if value is not None:
            raise InvalidOptionError(
                "value= goes with a matrix restriction; with text write the value after '=' "
                "(e.g. 'log_dist = -1')"
            )
        texts = (
            split_restrictions(restriction)
            if isinstance(restriction, str)
            else [p for r in restriction for p in split_restrictions(r)]
        )
        if not texts:
            raise FormulaSyntaxError("the restriction is empty; write e.g. 'log_dist = -1'")
        rows, rhs = [], []
        for text in texts:
            sides = text.split("=")
            if len(sides) > 2:
                raise FormulaSyntaxError(f"restriction {text!r} has more than one '='")
            left, lc = _side(sides[0], names, text)
            right, rc = _side(sides[1], names, text) if len(sides) == 2 else (np.zeros(k), 0.0)
            row = left - right
            if not np.any(row):
                raise FormulaSyntaxError(
                    f"restriction {text!r} involves no parameter (the terms cancel)"
                )
            rows.append(row)
            rhs.append(rc - lc)
        return np.vstack(rows), np.asarray(rhs, dtype=float)
    if isinstance(restriction, pd.DataFrame):
        missing = [c for c in restriction.columns if str(c) not in names]
        if missing:
            raise UnknownVariableError(
                f"restriction columns {missing} are not parameters; the parameters are {names}"
            )
        restriction = restriction.reindex(columns=names, fill_value=0.0).to_numpy(float)
    try:
        R = np.atleast_2d(np.asarray(restriction, dtype=float))
        q = np.zeros(R.shape[0]) if value is None else np.asarray(value, dtype=float).reshape(-1)
    except (TypeError, ValueError) as err:
        raise InvalidOptionError(
            f"the restriction must be text such as 'log_dist = -1' or a numeric matrix with one "
            f"column per parameter (and value= numbers); got {restriction!r} ({err})"
        ) from None
    if R.ndim != 2 or not np.isfinite(R).all() or not np.isfinite(q).all():
        raise InvalidOptionError(
            "the restriction matrix and value= must be finite numbers in a 2-D matrix (one row "
            "per restriction); they hold missing or infinite entries or have another shape"
        )
    if R.shape[1] != k:
        raise InvalidOptionError(
            f"the restriction matrix has {R.shape[1]} columns for {k} parameters; they must match"
        )
    if q.shape[0] != R.shape[0]:
        raise InvalidOptionError(
            f"value has {q.shape[0]} entries for {R.shape[0]} restrictions; they must match"
        )
    return R, q


@dataclass(frozen=True)
class WaldTestResult:
    """A Wald test of ``R beta = q`` (the spelling of linearmodels' ``WaldTestStatistic``).

    Attributes
    ----------
    stat : float
        ``(R b - q)' (R V R')^-1 (R b - q)``, chi-squared with ``df`` degrees of freedom,
        or that divided by ``df`` (F with ``df`` and ``df_denom``) when ``distribution="F"``.
    pval : float
    df : int
        Number of restrictions.
    df_denom : int or None
        Denominator degrees of freedom of the F form.
    distribution : str
        ``"chi2"`` or ``"F"``.
    null : str
        The restrictions as text.
    covariance : str
        Label of the covariance used (``'CRV1 (orig)'``).
    R, q : ndarray
        The restrictions as matrices.
    """

    __test__ = False  # not a pytest test class

    stat: float
    pval: float
    df: int
    df_denom: int | None
    distribution: str
    null: str
    covariance: str
    R: NDArray[np.float64]
    q: NDArray[np.float64]

    @property
    def statistic(self) -> float:
        """Alias of :attr:`stat` (statsmodels/scipy spelling)."""
        return self.stat

    @property
    def pvalue(self) -> float:
        """Alias of :attr:`pval` (statsmodels/scipy spelling)."""
        return self.pval

    @property
    def critical_values(self) -> dict[str, float]:
        """Critical values at 10, 5 and 1 %."""
        dist = stats.f(self.df, self.df_denom) if self.distribution == "F" else stats.chi2(self.df)
        return {f"{int(a * 100)}%": float(dist.ppf(1 - a)) for a in (0.1, 0.05, 0.01)}

    def to_series(self) -> pd.Series:
        """The statistic, degrees of freedom and p-value as one labelled row."""
        return pd.Series(
            {"stat": self.stat, "df": self.df, "df_denom": self.df_denom, "pval": self.pval},
            name=self.null,
        )

    def __str__(self) -> str:
        dist = f"F({self.df}, {self.df_denom})" if self.distribution == "F" else f"chi2({self.df})"
        return (
            f"Wald test of {self.null}: {self.stat:.4f} ~ {dist}, p-value {self.pval:.4g} "
            f"(covariance {self.covariance})"
        )

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(str(self))}</p>"


def _null_text(R: NDArray[np.float64], q: NDArray[np.float64], names: Sequence[str]) -> str:
    rows = []
    for row, val in zip(R, q, strict=True):
        terms = []
        for coef, name in zip(row, names, strict=True):
            if coef == 0:
                continue
            sign = "-" if coef < 0 else "+"
            mag = "" if abs(coef) == 1 else f"{abs(coef):g}*"
            terms.append(f"{sign} {mag}{name}")
        text = " ".join(terms)
        text = text[2:] if text.startswith("+ ") else "-" + text[2:]
        rows.append(f"{text} = {val:g}")
    return ", ".join(rows)


def wald_test(
    params: ArrayLike | pd.Series,
    cov: ArrayLike | pd.DataFrame,
    restriction: Restriction,
    value: ArrayLike | None = None,
    *,
    names: Sequence[str] | None = None,
    distribution: str = "chi2",
    df_denom: int | None = None,
    covariance: str = "",
) -> WaldTestResult:
    """Wald test of ``R beta = q`` from estimates and their covariance.

    Parameters
    ----------
    params : array-like or Series (k,)
        Estimates (a Series gives the names).
    cov : array-like (k, k)
        Their covariance.
    restriction, value
        See :func:`restriction_matrix`.
    names : sequence of str, optional
        Parameter names when ``params`` is not a Series.
    distribution : {"chi2", "F"}, default "chi2"
        ``"F"`` divides the statistic by the number of restrictions and uses F with
        ``df_denom`` degrees of freedom (linear models with t inference).
    df_denom : int, optional
        Required with ``"F"``.
    covariance : str
        Label of the covariance, kept in the result.

    Returns
    -------
    WaldTestResult

    Raises
    ------
    InvalidOptionError
        Unknown distribution, or ``R V R'`` singular (redundant restrictions).

    Examples
    --------
    >>> import numpy as np
    >>> res = wald_test(pd.Series([1.0, 2.0], ["a", "b"]), np.eye(2), "a = 0, b = 0")
    >>> round(res.stat, 6), res.df
    (5.0, 2)
    """
    if isinstance(params, pd.Series):
        names = [str(n) for n in params.index] if names is None else names
    b = np.asarray(params, dtype=float).reshape(-1)
    V = np.asarray(cov, dtype=float)
    names = [f"x{j}" for j in range(len(b))] if names is None else list(names)
    if distribution not in ("chi2", "F"):
        raise InvalidOptionError(f"distribution={distribution!r}; use 'chi2' or 'F'")
    if distribution == "F" and df_denom is None:
        raise InvalidOptionError("distribution='F' needs df_denom (the residual df)")
    R, q = restriction_matrix(restriction, names, value)
    diff = R @ b - q
    middle = R @ V @ R.T
    if np.linalg.matrix_rank(middle) < R.shape[0]:
        raise InvalidOptionError(
            f"the {R.shape[0]} restrictions are linearly dependent (or involve parameters "
            "with zero variance); drop the redundant ones"
        )
    stat = float(diff @ np.linalg.solve(middle, diff))
    m = R.shape[0]
    if distribution == "F":
        stat /= m
        pval = float(stats.f.sf(stat, m, df_denom))
    else:
        df_denom = None
        pval = float(stats.chi2.sf(stat, m))
    return WaldTestResult(
        stat, pval, m, df_denom, distribution, _null_text(R, q, names), str(covariance), R, q
    )


def linear_combinations(
    params: pd.Series,
    cov: ArrayLike | pd.DataFrame,
    restriction: Restriction,
    value: ArrayLike | None = None,
    *,
    level: float = 0.95,
    df: int | None = None,
) -> pd.DataFrame:
    """Estimates, standard errors, tests and intervals of linear combinations ``R beta - q``.

    Parameters
    ----------
    params : Series (k,)
    cov : array-like (k, k)
    restriction, value
        See :func:`restriction_matrix`; each restriction is one combination
        (``"a + b = 0"`` estimates ``a + b``; ``"a = 1"`` estimates ``a - 1``).
    level : float, default 0.95
        Coverage of the intervals.
    df : int, optional
        Student t degrees of freedom; normal when omitted.

    Returns
    -------
    DataFrame
        One row per restriction (indexed by its text) with ``estimate``, ``std_error``,
        ``tstat``, ``pvalue``, ``lower``, ``upper``.

    Examples
    --------
    >>> import numpy as np
    >>> out = linear_combinations(pd.Series([1.0, 2.0], ["a", "b"]), np.eye(2), "a + b = 0")
    >>> round(float(out["estimate"].iloc[0]), 6), round(float(out["std_error"].iloc[0]), 6)
    (3.0, 1.414214)
    """
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise InvalidOptionError(f"level={level!r} must be strictly between 0 and 1")
    names = [str(n) for n in params.index]
    R, q = restriction_matrix(restriction, names, value)
    b = params.to_numpy(dtype=float)
    V = np.asarray(cov, dtype=float)
    est = R @ b - q
    se = np.sqrt(np.einsum("ij,jk,ik->i", R, V, R))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = est / se
    crit_q = 0.5 + level / 2
    if df is None:
        p = 2 * stats.norm.sf(np.abs(t))
        crit = stats.norm.ppf(crit_q)
    else:
        p = 2 * stats.t.sf(np.abs(t), df)
        crit = stats.t.ppf(crit_q, df)
    labels = [_null_text(R[[i]], q[[i]], names) for i in range(len(q))]
    return pd.DataFrame(
        {
            "estimate": est,
            "std_error": se,
            "tstat": t,
            "pvalue": p,
            "lower": est - crit * se,
            "upper": est + crit * se,
        },
        index=pd.Index(labels, name="restriction"),
    )


class HypothesisMixin:
    """``wald_test`` and ``t_test`` for results with ``params``, ``cov`` and ``df_t``.

    Mixed into :class:`~migflows.estimation.core.results.RegressionResults` (so gravity, SIM
    and panel results have them); a class sets :attr:`use_t` to test with F/Student t.
    """

    params: Any
    cov: Any
    df_t: Any
    vcov_type: Any

    @property
    def use_t(self) -> bool:
        """F and Student t with ``df_t`` degrees of freedom (else chi-squared and normal)."""
        return False

    def wald_test(
        self,
        restriction: Restriction | None = None,
        value: Any = None,
        *,
        formula: str | Sequence[str] | None = None,
        distribution: str | None = None,
    ) -> WaldTestResult:
        """Wald test of linear restrictions under the current covariance.

        Parameters
        ----------
        restriction : str, list of str, ndarray or DataFrame, optional
            ``R`` (one column per parameter) or the restrictions as text.
        value : array-like, optional
            ``q`` of ``R beta = q`` for a matrix (default zeros).
        formula : str or list of str, optional
            The restrictions as text, linearmodels' spelling:
            ``"log_dist = -1, contig = 0"``; a side without ``=`` means ``= 0``.
        distribution : {"chi2", "F"}, optional
            Default ``"F"`` with ``df_t`` denominator degrees of freedom when the result uses
            t inference (linear models), else ``"chi2"``.

        Returns
        -------
        WaldTestResult
            ``stat``, ``pval``, ``df`` and the label of the covariance used.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> X = np.eye(2)
        >>> from migflows.estimation.core.results import RegressionResults, SandwichPieces
        >>> pieces = SandwichPieces(hessian=X, scores=np.zeros((9, 2)), nobs=9)
        >>> res = RegressionResults.from_pieces(["a", "b"], np.array([1.0, 0.0]), pieces, "iid")
        >>> res.wald_test(formula="a = 1, b = 0").stat
        0.0
        """
        if (restriction is None) == (formula is None):
            raise InvalidOptionError(
                "give either restriction= (a matrix or text) or formula= (text such as "
                "'log_dist = -1'), not both or neither"
            )
        spec = formula if formula is not None else restriction
        assert spec is not None  # for mypy: one of them is set
        dist = distribution or ("F" if self.use_t else "chi2")
        return wald_test(
            self.params,
            self.cov.to_numpy(),
            spec,
            value,
            distribution=dist,
            df_denom=self.df_t if dist == "F" else None,
            covariance=str(self.vcov_type),
        )

    def t_test(
        self, restriction: Restriction, value: Any = None, *, level: float = 0.95
    ) -> pd.DataFrame:
        """Linear combinations of the parameters with standard errors, tests and intervals.

        Parameters
        ----------
        restriction : str, list of str, ndarray or DataFrame
            ``"log_dist + contig = 0"`` estimates ``log_dist + contig``; ``"a = 1"``
            estimates ``a - 1``; several separated by commas give one row each.
        value : array-like, optional
            ``q`` for a matrix restriction.
        level : float, default 0.95
            Coverage of the intervals.

        Returns
        -------
        DataFrame
            ``estimate``, ``std_error``, ``tstat``, ``pvalue``, ``lower``, ``upper`` by
            restriction, under the current covariance (Student t with ``df_t`` degrees of
            freedom when the result uses t inference, else normal).

        Examples
        --------
        >>> import numpy as np
        >>> from migflows.estimation.core.results import RegressionResults, SandwichPieces
        >>> pieces = SandwichPieces(hessian=np.eye(2), scores=np.zeros((9, 2)), nobs=9)
        >>> res = RegressionResults.from_pieces(["a", "b"], np.array([1.0, 2.0]), pieces, "iid")
        >>> float(res.t_test("a + b = 0")["estimate"].iloc[0])
        3.0
        """
        return linear_combinations(
            self.params,
            self.cov.to_numpy(),
            restriction,
            value,
            level=level,
            df=self.df_t if self.use_t else None,
        )
