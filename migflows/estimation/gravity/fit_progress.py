"""Progress of an in-memory PPML fit (``progress=True``): IRLS iterations, separation steps.

A bar advanced once per IRLS iteration, showing the deviance and its relative change, with a
line for each step of the sample (singletons and separation checks, the no-separation
certificate, the rectifier when it runs) and a last line with the iterations. Quiet unless
enabled; the notebook bar in Jupyter when ipywidgets is installed
(:func:`migflows.data.progress.progress_bar`).

Examples
--------
>>> report = FitProgress(False)  # disabled: every call is a no-op
>>> report.iteration(1, 10.0, 0.5)
>>> report.close(1, 10.0, 3)
"""

from __future__ import annotations

from migflows.data.progress import progress_bar
from migflows.estimation.core.separation import Certificate, Sample

__all__ = ["FitProgress"]


class FitProgress:
    """Progress of one fit; every method does nothing when ``enabled`` is False."""

    def __init__(self, enabled: bool) -> None:
        self.bar = progress_bar(desc="PPML IRLS", unit="it", leave=True) if enabled else None

    def write(self, text: str) -> None:
        """One line above the bar."""
        if self.bar is not None:
            self.bar.write(f"[migflows ppml] {text}")

    def sample(self, sample: Sample, checks: tuple[str, ...]) -> None:
        """The estimation sample after singletons and the separation ``checks``."""
        if self.bar is not None:
            detail = ", ".join(f"{v} {k}" for k, v in sample.reasons.items()) or "none dropped"
            label = " + ".join(["singletons", *checks])
            self.write(f"sample ({label}): {int(sample.keep.sum())} rows kept, {detail}")

    def iteration(self, it: int, deviance: float, change: float) -> None:
        """After IRLS iteration ``it`` (the hook of :func:`migflows.estimation.core.irls.irls`)."""
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(f"deviance {deviance:.10g}, change {change:.2e}")

    def certify(self, cert: Certificate) -> bool:
        """Report the no-separation certificate; returns whether it is proven."""
        verdict = (
            "no zero can be separated, rectifier not needed"
            if cert.proven
            else "inconclusive, running the iterative rectifier"
        )
        self.write(f"separation certificate (margin {cert.margin:.1e}): {verdict}")
        return cert.proven

    def close(self, iterations: int, deviance: float, sweeps: int) -> None:
        """The last line, and the bar closed."""
        if self.bar is not None:
            self.write(
                f"converged in {iterations} iterations, deviance {deviance:.10g}, "
                f"{sweeps} demeaning iterations"
            )
            self.bar.close()
