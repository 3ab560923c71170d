"""Report sections and their registry.

A section is any object with a ``name`` (used by ``--sections``), a ``title``, an ``order``
(position in the report) and ``render(ctx) -> str`` returning an HTML fragment built with the
helpers of :mod:`migflows.reports.formatting` (which escape all text). It may also define
``methods(ctx) -> str``: an HTML fragment that the methods appendix collects from every
section in the report (what the model assumes, caveats).

How a model family adds its section (e.g. the gravity issue)::

    # migflows/reports/sections/gravity.py
    from migflows.reports.sections import ReportContext, register_section

    @register_section
    class GravitySection:
        name = "gravity"
        title = "Gravity models"
        order = 60            # after the descriptive sections (10-50), before methods (1000)

        def render(self, ctx: ReportContext) -> str:
            study = ctx.results.gravity     # fitted by migflows.studies, on first use
            ...                             # read study.models, ctx.panel, ctx.fast
            return frame_html(...) + figure_html(...)

        def methods(self, ctx: ReportContext) -> str:
            return para("PPML (Santos Silva & Tenreyro 2006) assumes ...")

and adds ``"gravity"`` to :data:`BUILTIN_MODULES` below. Sections never fit models: the
model runs are studies of :mod:`migflows.studies.report_models`, defined once there and
handed to the sections through :attr:`ReportContext.results` (each study runs on first
access, so sections that are not selected cost nothing). A section that cannot run on the
given data raises :class:`SectionSkipped` with the reason (shown in the report), as does a
study (:class:`~migflows.studies.report_models.StudyNotApplicable`); a
:class:`~migflows.errors.MigflowsError` is shown as an error box and the report goes on.
Sections share other expensive results through :meth:`ReportContext.cached`.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast, runtime_checkable

import numpy as np

from migflows.errors import InvalidOptionError, format_values
from migflows.studies.report_models import ReportModels, StudyNotApplicable, stream_rng

if TYPE_CHECKING:
    from migflows.data.boundaries import Boundaries
    from migflows.data.panel import FlowPanel

__all__ = [
    "BUILTIN_MODULES",
    "ReportContext",
    "Section",
    "SectionSkipped",
    "available_sections",
    "get_section",
    "register_section",
    "resolve_sections",
]

#: Modules of ``migflows.reports.sections`` whose import registers the built-in sections.
BUILTIN_MODULES: tuple[str, ...] = (
    "overview",
    "descriptive",
    "gravity",
    "bayes",
    "panel",
    "abc_2000_2014",
    "forecast",
    "appendix",
)

T = TypeVar("T")


class SectionSkipped(StudyNotApplicable):
    """Raised by ``Section.render`` when the section does not apply to the data (with why)."""


@dataclass(init=False)
class ReportContext:
    """Everything a section may read while rendering.

    Attributes
    ----------
    panel : FlowPanel
        The data of the report.
    random_seed : int
        Base seed; use :meth:`rng` for random draws (``seed`` is its deprecated spelling,
        accepted with a FutureWarning).
    fast : bool
        Skip or shorten slow work (sampling, bootstraps).
    dataset : str or None
        ``"kazakhstan"`` when the panel is the embedded dataset (sections may then add
        dataset-specific material), else None.
    sections : list of str
        Names of the sections in this report, in order.
    studies : ReportModels, optional
        The model runs to show (default: :class:`ReportModels` of ``panel``, ``random_seed`` and
        ``fast``); read them through :attr:`results`.
    boundaries : Boundaries, optional
        Region outlines for the maps; default: the shipped Kazakhstan version that covers the
        panel's regions (none for other panels, whose maps are then left out).
    shown : list of str
        Sections rendered so far (skipped ones excluded); the methods appendix, rendered
        last, collects notes and references from these.
    """

    panel: FlowPanel
    random_seed: int = 0
    fast: bool = False
    dataset: str | None = None
    sections: list[str] = field(default_factory=list)
    studies: ReportModels | None = field(default=None, repr=False)
    boundaries: Boundaries | None = field(default=None, repr=False)
    shown: list[str] = field(default_factory=list, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __init__(
        self,
        panel: FlowPanel,
        random_seed: int = 0,
        fast: bool = False,
        dataset: str | None = None,
        sections: list[str] | None = None,
        studies: ReportModels | None = None,
        boundaries: Boundaries | None = None,
        *,
        seed: int | None = None,
    ) -> None:
        if seed is not None:  # sections import no estimator, so the check is spelled out
            if random_seed != 0:
                raise InvalidOptionError(
                    "ReportContext() got the seed twice (random_seed and seed); pass only "
                    "random_seed=."
                )
            warnings.warn(
                "ReportContext(seed=...) is deprecated and will be removed in the next "
                "release; use random_seed=.",
                FutureWarning,
                stacklevel=2,
            )
            random_seed = seed
        self.panel, self.random_seed, self.fast = panel, int(random_seed), fast
        self.dataset, self.sections = dataset, list(sections or [])
        self.studies, self.boundaries, self._cache = studies, boundaries, {}
        self.shown = []

    @property
    def seed(self) -> int:
        """Deprecated name of :attr:`random_seed` (kept for one release)."""
        warnings.warn(
            "ReportContext.seed is deprecated; read random_seed.", FutureWarning, stacklevel=2
        )
        return self.random_seed

    @property
    def results(self) -> ReportModels:
        """The report's model runs (:mod:`migflows.studies.report_models`), run on first use."""
        if self.studies is None:
            self.studies = ReportModels(self.panel, random_seed=self.random_seed, fast=self.fast)
        return self.studies

    def map_boundaries(self) -> Boundaries | None:
        """The outlines the maps draw: :attr:`boundaries` or the shipped ones that fit."""
        if self.boundaries is not None:
            return self.boundaries
        from migflows.data.boundaries import boundaries_for

        return boundaries_for(self.panel.region_keys)

    def rng(self, stream: str) -> np.random.Generator:
        """An independent generator for ``stream`` (e.g. the section name).

        Seeded from ``(random_seed, crc32(stream))``, so a section draws the same numbers whichever
        other sections are in the report.
        """
        return stream_rng(self.random_seed, stream)

    def cached(self, key: str, compute: Callable[[], T]) -> T:
        """Return ``compute()`` once per report, shared between sections under ``key``."""
        if key not in self._cache:
            self._cache[key] = compute()
        return cast(T, self._cache[key])


@runtime_checkable
class Section(Protocol):
    """What a report section provides (see the module docstring)."""

    name: str
    title: str
    order: float

    def render(self, ctx: ReportContext) -> str:
        """Return the section body as an HTML fragment (all text escaped)."""
        ...


_REGISTRY: dict[str, Section] = {}
_LOADED = False


def register_section(section: Any, *, replace: bool = False) -> Any:
    """Register a section (an instance, or a class with no required arguments).

    Usable as a class decorator; returns its argument unchanged.

    Raises
    ------
    InvalidOptionError
        The object lacks ``name``/``title``/``order``/``render``, or the name is taken
        (pass ``replace=True`` to override a built-in section).
    """
    instance = section() if isinstance(section, type) else section
    if not isinstance(instance, Section):
        raise InvalidOptionError(
            f"{section!r} is not a report section: it needs name, title, order and "
            f"render(ctx) -> str."
        )
    if instance.name in _REGISTRY and not replace:
        raise InvalidOptionError(
            f"A report section named {instance.name!r} is already registered; choose another "
            f"name or pass replace=True."
        )
    _REGISTRY[instance.name] = instance
    return section


def _load_builtins() -> None:
    global _LOADED
    if not _LOADED:
        _LOADED = True
        for module in BUILTIN_MODULES:
            importlib.import_module(f"{__name__}.{module}")


def available_sections() -> list[str]:
    """Names of the registered sections in report order.

    Examples
    --------
    >>> available_sections()[:2]
    ['overview', 'quality']
    """
    _load_builtins()
    return [s.name for s in sorted(_REGISTRY.values(), key=lambda s: (s.order, s.name))]


def get_section(name: str) -> Section:
    """The registered section called ``name``."""
    _load_builtins()
    if name not in _REGISTRY:
        raise InvalidOptionError(
            f"Unknown report section {name!r}; available: "
            f"{format_values(available_sections(), limit=30)}."
        )
    return _REGISTRY[name]


def resolve_sections(sections: Iterable[str | Section] | None) -> list[Section]:
    """Turn names and/or section objects into sections in report order (default: all).

    The methods appendix, when selected, always comes last. Duplicates are removed.
    """
    _load_builtins()
    if sections is None:
        return [get_section(n) for n in available_sections()]
    chosen: dict[str, Section] = {}
    for item in sections:
        section = get_section(item.strip()) if isinstance(item, str) else item
        if not isinstance(section, Section):
            raise InvalidOptionError(f"{item!r} is not a section name or a Section.")
        chosen[section.name] = section
    if not chosen:
        raise InvalidOptionError(
            f"No report sections selected; available: "
            f"{format_values(available_sections(), limit=30)}."
        )
    return sorted(chosen.values(), key=lambda s: (s.order, s.name))
