"""The works the report cites, and which sections cite them.

The methods appendix lists the references of the sections in the report (a section that is
left out takes its references with it). Report text cites as ``Author (year)``,
``(Author & Author year)``, ``Author et al. (year)`` or by an eponym (``Driscoll–Kraay``,
``Courgeau's k``); ``tests/test_reports.py`` extracts every such citation from the page and
checks that the list has it.

Examples
--------
>>> [r.key for r in references_for(["gravity"])]
['Santos Silva & Tenreyro 2006', 'Correia, Guimarães & Zylkin 2020']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["REFERENCES", "Reference", "references_for"]


@dataclass(frozen=True)
class Reference:
    """One work: how the text cites it (``key``), the entry, the sections citing it."""

    key: str
    text: str
    sections: tuple[str, ...]


REFERENCES: tuple[Reference, ...] = (
    Reference(
        "Bell et al. 2002",
        "Bell, M., Blake, M., Boyle, P., Duke-Williams, O., Rees, P., Stillwell, J. & Hugo, G. "
        "(2002). Cross-national comparison of internal migration: issues and measures. Journal "
        "of the Royal Statistical Society A 165(3), 435-464.",
        ("indices",),
    ),
    Reference(
        "Bokayev & Akhmetova 2024",
        "Bokayev, B. & Akhmetova, Z. (2024). Economic factors of internal migration in Kazakhstan.",
        ("indices",),
    ),
    Reference(
        "Courgeau 1973",
        "Courgeau, D. (1973). Migrations et découpages du territoire. Population 28(3), 511-537.",
        ("indices",),
    ),
    Reference(
        "Abel migest",
        "Abel, G. J. migest: methods for the indirect estimation of bilateral migration "
        "(R package), index_intensity, index_impact, index_connectivity, index_distance.",
        ("indices",),
    ),
    Reference(
        "Santos Silva & Tenreyro 2006",
        "Santos Silva, J. M. C. & Tenreyro, S. (2006). The log of gravity. Review of Economics "
        "and Statistics 88(4), 641-658.",
        ("gravity",),
    ),
    Reference(
        "Correia, Guimarães & Zylkin 2020",
        "Correia, S., Guimarães, P. & Zylkin, T. (2020). Fast Poisson estimation with "
        "high-dimensional fixed effects. Stata Journal 20(1), 95-115.",
        ("gravity",),
    ),
    Reference(
        "Vehtari, Gelman & Gabry 2017",
        "Vehtari, A., Gelman, A. & Gabry, J. (2017). Practical Bayesian model evaluation using "
        "leave-one-out cross-validation and WAIC. Statistics and Computing 27(5), 1413-1432.",
        ("bayes",),
    ),
    Reference(
        "Im, Pesaran & Shin 2003",
        "Im, K. S., Pesaran, M. H. & Shin, Y. (2003). Testing for unit roots in heterogeneous "
        "panels. Journal of Econometrics 115(1), 53-74.",
        ("panel", "abc_2000_2014"),
    ),
    Reference(
        "Hadri 2000",
        "Hadri, K. (2000). Testing for stationarity in heterogeneous panel data. Econometrics "
        "Journal 3(2), 148-161.",
        ("panel", "abc_2000_2014"),
    ),
    Reference(
        "Dickey & Fuller 1979",
        "Dickey, D. A. & Fuller, W. A. (1979). Distribution of the estimators for "
        "autoregressive time series with a unit root. Journal of the American Statistical "
        "Association 74(366), 427-431.",
        ("panel",),
    ),
    Reference(
        "Croissant & Millo 2008",
        "Croissant, Y. & Millo, G. (2008). Panel data econometrics in R: the plm package. "
        "Journal of Statistical Software 27(2), 1-43.",
        ("panel",),
    ),
    Reference(
        "Hausman 1978",
        "Hausman, J. A. (1978). Specification tests in econometrics. Econometrica 46(6), "
        "1251-1271.",
        ("panel",),
    ),
    Reference(
        "An, Becker & Cheng 2017",
        "An, G., Becker, C. M. & Cheng, E. (2017). Economic crisis, income gaps, uncertainty, "
        "and inter-regional migration responses: Kazakhstan 2000-2014. Journal of Development "
        "Studies 53(9).",
        ("panel", "abc_2000_2014"),
    ),
    Reference(
        "Driscoll & Kraay 1998",
        "Driscoll, J. C. & Kraay, A. C. (1998). Consistent covariance matrix estimation with "
        "spatially dependent panel data. Review of Economics and Statistics 80(4), 549-560.",
        ("abc_2000_2014",),
    ),
    Reference(
        "Hyndman & Koehler 2006",
        "Hyndman, R. J. & Koehler, A. B. (2006). Another look at measures of forecast "
        "accuracy. International Journal of Forecasting 22(4), 679-688.",
        ("forecast",),
    ),
    Reference(
        "Gneiting & Raftery 2007",
        "Gneiting, T. & Raftery, A. E. (2007). Strictly proper scoring rules, prediction, and "
        "estimation. Journal of the American Statistical Association 102(477), 359-378.",
        ("forecast",),
    ),
)


def references_for(sections: Iterable[str]) -> list[Reference]:
    """The references cited by any of ``sections``, in list order."""
    chosen = set(sections)
    return [r for r in REFERENCES if chosen.intersection(r.sections)]
