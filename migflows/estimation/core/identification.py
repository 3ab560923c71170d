"""One identification check for every family: absorbed and collinear regressors.

A slope is identified when its regressor keeps some variation after the fixed effects and the
regressors before it (in formula order) are partialled out. :func:`identify` finds the ones
that do not and says why:

absorbed
    Nothing is left once the fixed effects alone are partialled out; the message names the
    smallest set of fixed effects that absorbs it (:func:`absorbing_effects`), e.g. a
    region-year attribute under ``orig^year + dest^year``.
collinear
    It is a linear combination of earlier regressors (given the fixed effects); the message
    names those partners.

The tolerance, :data:`IDENTIFICATION_TOL`, is one number for all: a regressor is not identified
when less than ``1e-9`` of its (weighted) sum of squares about its mean survives the
partialling out. Why this value: an exactly absorbed or collinear column, demeaned to the
``1e-10``–``1e-13`` tolerances the estimators use, keeps a share of order ``1e-16``–``1e-20``
(rounding), far below it; a regressor with a share of ``1e-9`` has a within standard deviation
of 3e-5 of its total one, so its coefficient's standard error would be inflated about 30,000-fold
— not an estimate anyone should report. It is also the PPML core's long-standing ``collin_tol``,
with which ppmlhdfe's and pyfixest's separation datasets are reproduced (fixest uses 1e-10 on
the Cholesky pivot of the same cross-product, the same order).

Every family raises :class:`~migflows.errors.IdentificationError` with the message of
:meth:`Identification.message` — ``"Not identified: regressor(s) … are absorbed by the fixed
effects … (x by orig^year + dest^year)"`` or ``"… are collinear with the other regressors …
('x2' is collinear with 'x1')"`` — followed by the family's advice on how to identify it.

Examples
--------
>>> import numpy as np
>>> codes = np.repeat(np.arange(4), 5)[:, None]
>>> rng = np.random.default_rng(0)
>>> x1 = rng.normal(size=20)
>>> X = np.column_stack([x1, codes[:, 0] * 1.5, 2 * x1])
>>> ident = identify(X, codes, names=["x1", "size", "x2"], fe_names=["firm"])
>>> ident.absorbed, ident.collinear
({'size': ('firm',)}, {'x2': ('x1',)})
>>> import textwrap
>>> print(textwrap.fill(ident.message(), 96))
Not identified: regressor(s) 'size' are absorbed by the fixed effects 'firm' (size by firm);
regressor(s) 'x2' are collinear with the other regressors given the fixed effects 'firm' ('x2'
is collinear with 'x1')
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import linalg

from migflows.errors import IdentificationError, format_values
from migflows.estimation.core.demean import demean

__all__ = [
    "IDENTIFICATION_TOL",
    "Identification",
    "absorbed_columns",
    "absorbing_effects",
    "collinear_columns",
    "find_absorbed",
    "identify",
    "reference_ss",
]

IDENTIFICATION_TOL = 1e-9
"""Share of a regressor's sum of squares that must survive partialling out (see module)."""

_PARTNER_TOL = 1e-6
"""A partner of a collinear regressor enters its combination with a scaled weight above this."""

Listing = Callable[[Sequence[str]], str]


def reference_ss(X: NDArray, w: NDArray | None = None) -> NDArray:
    """Weighted sum of squares about the weighted mean per column; uncentred if constant.

    The yardstick of :data:`IDENTIFICATION_TOL`.

    Examples
    --------
    >>> reference_ss(np.array([[1.0, 2.0], [3.0, 2.0]])).tolist()
    [2.0, 8.0]
    """
    w = np.ones(X.shape[0]) if w is None else w
    wm = (w @ X) / w.sum()
    ss0 = w @ (X - wm) ** 2
    raw = np.maximum(w @ X**2, 1e-300)
    return np.where(ss0 > 0, ss0, raw)


def collinear_columns(
    Xt: NDArray,
    X: NDArray,
    w: NDArray | None = None,
    tol: float = IDENTIFICATION_TOL,
    *,
    scale: NDArray | None = None,
) -> tuple[list[int], list[int]]:
    """Indices of kept columns and of columns to drop (absorbed or collinear).

    A column is dropped when, after partialling out the fixed effects (``Xt`` is ``X`` already
    partialled out) and the columns kept before it (weighted Gram-Schmidt through a pivot-free
    Cholesky), less than ``tol`` of its weighted sum of squares about its weighted mean (in
    ``X``) is left. ``scale`` gives those sums of squares directly when ``X`` has other rows
    than ``Xt`` (first differences, entity means).

    Examples
    --------
    >>> X = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    >>> collinear_columns(X, X)
    ([0], [1])
    """
    k = Xt.shape[1]
    kept: list[int] = []
    drop: list[int] = []
    if k == 0:
        return kept, drop
    w = np.ones(Xt.shape[0]) if w is None else w
    gram = (Xt * w[:, None]).T @ Xt
    scale = reference_ss(X, w) if scale is None else scale
    for j in range(k):
        if kept:
            g_kk = gram[np.ix_(kept, kept)]
            g_kj = gram[kept, j]
            resid_ss = gram[j, j] - g_kj @ linalg.solve(g_kk, g_kj, assume_a="pos")
        else:
            resid_ss = gram[j, j]
        if resid_ss <= tol * scale[j]:
            drop.append(j)
        else:
            kept.append(j)
    return kept, drop


def absorbed_columns(
    X: NDArray,
    codes: NDArray[np.integer],
    w: NDArray | None = None,
    tol: float = IDENTIFICATION_TOL,
) -> list[int]:
    """Columns of ``X`` that the fixed effects ``codes`` absorb on their own.

    Examples
    --------
    >>> codes = np.array([[0], [0], [1], [1]])
    >>> absorbed_columns(np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 7.0], [4.0, 7.0]]), codes)
    [1]
    """
    if X.shape[1] == 0 or codes.shape[1] == 0:
        return []
    w = np.ones(X.shape[0]) if w is None else w
    scale = np.maximum(np.abs(X).max(axis=0), 1e-300)
    Xs = X / scale  # scaled so one demeaning tolerance fits every column
    resid = demean(Xs, codes, w, tol=1e-12).x
    share = (w @ resid**2) / reference_ss(Xs, w)
    return [int(j) for j in np.flatnonzero(share <= tol)]


def absorbing_effects(
    x: NDArray,
    codes: NDArray[np.integer],
    fe_names: Sequence[str],
    w: NDArray | None = None,
    tol: float = IDENTIFICATION_TOL,
) -> tuple[str, ...]:
    """The smallest set of fixed effects (fewest, then first in order) that absorbs ``x``.

    Examples
    --------
    >>> codes = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> absorbing_effects(np.array([1.0, 1.0, 2.0, 2.0]), codes, ["orig", "year"])
    ('orig',)
    """
    w = np.ones(x.shape[0]) if w is None else w
    xs = x / max(float(np.abs(x).max()), 1e-300)
    ref = float(reference_ss(xs[:, None], w)[0])
    for size in range(1, len(fe_names) + 1):
        for combo in itertools.combinations(range(len(fe_names)), size):
            r = demean(xs, codes[:, list(combo)], w, tol=1e-12).x[:, 0]
            if float(w @ r**2) <= tol * ref:
                return tuple(fe_names[i] for i in combo)
    return tuple(fe_names)


def _partners(Xt: NDArray, w: NDArray, j: int, kept: Sequence[int]) -> list[int]:
    """Earlier kept columns entering the linear combination that reproduces column ``j``."""
    if not kept:
        return []
    sw = np.sqrt(w)[:, None]
    A = Xt[:, list(kept)] * sw
    b = Xt[:, j] * sw[:, 0]
    norms = np.sqrt((A**2).sum(axis=0))
    norms[norms == 0] = 1.0
    coef = linalg.lstsq(A / norms, b)[0]
    bnorm = max(float(np.sqrt(b @ b)), 1e-300)
    return [kept[int(i)] for i in np.flatnonzero(np.abs(coef) > _PARTNER_TOL * bnorm)]


@dataclass(frozen=True)
class Identification:
    """What :func:`identify` found.

    Attributes
    ----------
    names : tuple of str
        All regressors, in input order.
    fe_names : tuple of str
        The fixed effects partialled out.
    kept : tuple of int
        Positions of the identified regressors.
    absorbed : mapping
        Regressor -> the smallest set of fixed effects absorbing it.
    collinear : mapping
        Regressor -> the earlier regressors it is a linear combination of (given the fixed
        effects).
    """

    names: tuple[str, ...]
    fe_names: tuple[str, ...]
    kept: tuple[int, ...]
    absorbed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    collinear: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def identified(self) -> bool:
        """Whether every regressor is identified."""
        return not self.absorbed and not self.collinear

    @property
    def dropped(self) -> tuple[str, ...]:
        """The regressors that are not identified, in input order."""
        bad = {*self.absorbed, *self.collinear}
        return tuple(n for n in self.names if n in bad)

    def message(self, *, listing: Listing = format_values, combined: bool = False) -> str:
        """The shared first sentence of every identification message (no advice).

        ``listing`` formats a list of names (default :func:`~migflows.errors.format_values`,
        ``'a', 'b'``). With ``combined=True`` (the estimators' in-fit checks, which report the
        dropped columns at once) absorbed and collinear regressors share one clause.
        """
        details = [f"{n} by {' + '.join(s)}" for n, s in self.absorbed.items()]
        collin = [
            f"{format_values([n])} is collinear with {format_values(p, limit=6)}"
            for n, p in self.collinear.items()
        ]
        fes = listing(list(self.fe_names))
        if combined:
            tail = f" or absorbed by the fixed effects {fes}" if self.fe_names else ""
            return (
                f"Not identified: regressor(s) {listing(list(self.dropped))} are collinear with "
                f"the other regressors{tail} ({'; '.join(details + collin)})"
            )
        parts = []
        if self.absorbed:
            parts.append(
                f"regressor(s) {listing(list(self.absorbed))} are absorbed by the fixed effects "
                f"{fes} ({'; '.join(details)})"
            )
        if self.collinear:
            given = f" given the fixed effects {fes}" if self.fe_names else ""
            parts.append(
                f"regressor(s) {listing(list(self.collinear))} are collinear with the other "
                f"regressors{given} ({'; '.join(collin)})"
            )
        return "Not identified: " + "; ".join(parts)

    def error(
        self, advice: str, *, listing: Listing = format_values, combined: bool = False
    ) -> IdentificationError:
        """:class:`~migflows.errors.IdentificationError` with :meth:`message` and ``advice``."""
        head = self.message(listing=listing, combined=combined)
        return IdentificationError(f"{head}. {advice}".rstrip())


def identify(
    X: NDArray,
    codes: NDArray[np.integer] | None = None,
    *,
    names: Sequence[str],
    fe_names: Sequence[str] = (),
    weights: NDArray | None = None,
    Xt: NDArray | None = None,
    tol: float = IDENTIFICATION_TOL,
    explain: bool = True,
    scale: NDArray | None = None,
) -> Identification:
    """Find regressors absorbed by the fixed effects or collinear with earlier regressors.

    Parameters
    ----------
    X : ndarray (n, k)
        Regressors (the reference for each column's variation).
    codes : ndarray (n, G) of int, optional
        Fixed-effect codes; none means no fixed effects.
    names : sequence of str
        Regressor names.
    fe_names : sequence of str
        Fixed-effect names (for the messages).
    weights : ndarray (n,), optional
        Observation weights of the estimator (ones by default).
    Xt : ndarray (n, k), optional
        ``X`` with the fixed effects already partialled out (at the estimator's weights), or
        transformed as the estimator sees it (first differences, entity means); computed by
        demeaning when omitted.
    tol : float, default IDENTIFICATION_TOL
    explain : bool, default True
        Find the smallest absorbing set of fixed effects and the collinear partners (costs a
        few demeanings of the offending columns only).
    scale : ndarray (k,), optional
        Reference sums of squares (:func:`reference_ss`) when ``X`` is not row-aligned with
        ``Xt``; then ``X`` is only used for its shape and for absorbing sets.

    Returns
    -------
    Identification
    """
    n, k = X.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    c = np.zeros((n, 0), dtype=np.int64) if codes is None else np.asarray(codes).reshape(n, -1)
    fes = tuple(str(f) for f in fe_names) or tuple(f"fe{g}" for g in range(c.shape[1]))
    if Xt is None:
        Xt = demean(X, c, w, tol=1e-12).x if c.shape[1] and k else X
    w = np.ones(Xt.shape[0]) if weights is None or len(w) != Xt.shape[0] else w
    scale = reference_ss(X, w) if scale is None else scale
    kept, drop = collinear_columns(Xt, X, w, tol, scale=scale)
    absorbed: dict[str, tuple[str, ...]] = {}
    collinear: dict[str, tuple[str, ...]] = {}
    if drop:
        own = (Xt * w[:, None] * Xt).sum(axis=0)
        for j in drop:
            name = str(names[j])
            if c.shape[1] and own[j] <= tol * scale[j]:
                absorbed[name] = absorbing_effects(X[:, j], c, fes, w, tol) if explain else fes
            else:
                earlier = [i for i in kept if i < j]
                partners = _partners(Xt, w, j, earlier) if explain else earlier
                collinear[name] = tuple(str(names[i]) for i in partners)
    return Identification(tuple(map(str, names)), fes, tuple(kept), absorbed, collinear)


def find_absorbed(
    X: NDArray,
    codes: NDArray[np.integer],
    *,
    names: Sequence[str],
    fe_names: Sequence[str],
    weights: NDArray | None = None,
    tol: float = IDENTIFICATION_TOL,
) -> Identification:
    """Only the regressors the fixed effects absorb (the pre-fit guard of the estimators).

    Collinearity among the regressors is left to the estimator (which drops such columns with
    a warning, as fixest does); absorption by the fixed effects is a specification error.

    Examples
    --------
    >>> codes = np.array([[0], [0], [1], [1]])
    >>> X = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 7.0], [4.0, 7.0]])
    >>> find_absorbed(X, codes, names=["x", "size"], fe_names=["firm"]).absorbed
    {'size': ('firm',)}
    """
    fes = tuple(str(f) for f in fe_names)
    bad = absorbed_columns(X, codes, weights, tol)
    absorbed = {str(names[j]): absorbing_effects(X[:, j], codes, fes, weights, tol) for j in bad}
    kept = tuple(j for j in range(X.shape[1]) if j not in bad)
    return Identification(tuple(map(str, names)), fes, kept, absorbed, {})
