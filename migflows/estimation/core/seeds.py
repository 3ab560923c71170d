"""One convention for randomness: a ``random_seed`` that is an int, a Generator or None.

Every function of migflows that draws random numbers takes ``random_seed`` (as PyMC and
scikit-learn's newer APIs do): an integer gives reproducible draws, a
:class:`numpy.random.Generator` is drawn from (so a caller can thread one generator through
several calls), ``None`` takes fresh entropy from the operating system. Nothing reads or
sets numpy's global random state.

The older spellings ``seed=``, ``rng=`` and ``random_state=`` are accepted for one release
with a :class:`FutureWarning` (:func:`pop_legacy_seed`).

Examples
--------
>>> import numpy as np
>>> seed_int(7) == seed_int(7), seed_int(np.random.default_rng(1)) == seed_int(
...     np.random.default_rng(1))
(True, True)
>>> as_generator(3).integers(100) == np.random.default_rng(3).integers(100)
np.True_
"""

from __future__ import annotations

import warnings
from collections.abc import MutableMapping
from typing import Any

import numpy as np

from migflows.errors import InvalidOptionError

__all__ = [
    "LEGACY_SEED_NAMES",
    "RandomSeed",
    "as_generator",
    "check_random_seed",
    "pop_legacy_seed",
    "renamed_seed",
    "seed_int",
]

RandomSeed = int | np.random.Generator | None
"""What ``random_seed=`` accepts."""

LEGACY_SEED_NAMES: tuple[str, ...] = ("seed", "rng", "random_state")
"""Older keyword names of ``random_seed`` (deprecated aliases)."""


def check_random_seed(random_seed: Any, name: str = "random_seed") -> RandomSeed:
    """Return ``random_seed`` unchanged if it is an int, a Generator or None; raise otherwise.

    Raises
    ------
    InvalidOptionError
        For anything else (floats, strings, booleans, the legacy ``RandomState``), naming the
        argument and the value.

    Examples
    --------
    >>> check_random_seed(5)
    5
    >>> check_random_seed("5")
    Traceback (most recent call last):
    ...
    migflows.errors.InvalidOptionError: random_seed='5' must be an integer, a numpy Generator \
or None (e.g. random_seed=0 or random_seed=np.random.default_rng(0)).
    """
    ok = random_seed is None or isinstance(random_seed, np.random.Generator)
    ok = ok or (
        isinstance(random_seed, int | np.integer)
        and not isinstance(random_seed, bool | np.bool_)
        and int(random_seed) >= 0
    )
    if not ok:
        raise InvalidOptionError(
            f"{name}={random_seed!r} must be an integer, a numpy Generator or None "
            f"(e.g. {name}=0 or {name}=np.random.default_rng(0))."
        )
    return random_seed


def as_generator(random_seed: RandomSeed) -> np.random.Generator:
    """A Generator for ``random_seed`` (a Generator is returned as it is, not copied)."""
    check_random_seed(random_seed)
    if isinstance(random_seed, np.random.Generator):
        return random_seed
    return np.random.default_rng(random_seed)


def seed_int(random_seed: RandomSeed) -> int:
    """An integer seed for ``random_seed``: the int itself, a draw from a Generator, or entropy.

    Used where a pipeline derives several independent streams from one integer (forecast
    methods, backtest origins, PyMC chains).
    """
    check_random_seed(random_seed)
    if random_seed is None:
        return int(np.random.SeedSequence().entropy % (2**63))  # type: ignore[operator]
    if isinstance(random_seed, np.random.Generator):
        return int(random_seed.integers(2**63 - 1))
    return int(random_seed)


def pop_legacy_seed(
    random_seed: RandomSeed,
    options: MutableMapping[str, Any],
    *,
    function: str,
    stacklevel: int = 3,
) -> RandomSeed:
    """Take a deprecated ``seed=``/``rng=``/``random_state=`` out of ``options``.

    Parameters
    ----------
    random_seed : int, Generator or None
        The value passed as ``random_seed``.
    options : dict
        The function's own ``**kwargs`` (the legacy names are removed from it).
    function : str
        Name of the public function, for the messages.
    stacklevel : int
        Of the :class:`FutureWarning` (3: the caller of the public function).

    Returns
    -------
    int, Generator or None
        The seed to use.

    Raises
    ------
    InvalidOptionError
        ``random_seed`` and a legacy name both given, or two legacy names.

    Examples
    --------
    >>> import warnings
    >>> kwargs = {"seed": 3, "other": 1}
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     pop_legacy_seed(None, kwargs, function="forecast")
    3
    >>> kwargs, w[0].category.__name__
    ({'other': 1}, 'FutureWarning')
    """
    given = [name for name in LEGACY_SEED_NAMES if name in options]
    if not given:
        return check_random_seed(random_seed)
    if len(given) > 1 or random_seed is not None:
        names = ["random_seed", *given] if random_seed is not None else given
        raise InvalidOptionError(
            f"{function}() got the seed twice ({', '.join(names)}); pass only random_seed=."
        )
    name = given[0]
    value = options.pop(name)
    warnings.warn(
        f"{function}({name}=...) is deprecated and will be removed in the next release; "
        f"use random_seed= (an int, a numpy Generator or None).",
        FutureWarning,
        stacklevel=stacklevel,
    )
    return check_random_seed(value, name)


def renamed_seed(
    random_seed: RandomSeed, seed: int | None, *, function: str, default: RandomSeed = 0
) -> RandomSeed:
    """``random_seed``, or the deprecated ``seed=`` of ``function`` with a FutureWarning.

    For functions whose old keyword was an explicit ``seed`` argument (the report layer);
    ``random_seed`` counts as given when it differs from ``default``.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     renamed_seed(0, 7, function="build_report"), w[0].category.__name__
    (7, 'FutureWarning')
    """
    if seed is None:
        return check_random_seed(random_seed)
    if random_seed is not default:
        raise InvalidOptionError(
            f"{function}() got the seed twice (random_seed and seed); pass only random_seed=."
        )
    warnings.warn(
        f"{function}(seed=...) is deprecated and will be removed in the next release; use "
        f"random_seed= (an int or a numpy Generator).",
        FutureWarning,
        stacklevel=3,
    )
    return check_random_seed(seed, "seed")
