"""Region registry for Kazakhstan: stable keys, names, and spellings found in sources.

Keys are lowercase ASCII strings that never change (``astana_city``, ``turkistan``); names
in other languages are attributes (see :func:`kazakhstan_regions`). :func:`match_kazakhstan`
maps the spellings used by statistical tables (English transliterations, Russian, Kazakh) to
keys, so a user's own BNS download can be read with ``region_names="kazakhstan"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from importlib import resources

import pandas as pd

from migflows.errors import RegionCodeError, format_values

KZ_CURRENT_KEYS: tuple[str, ...] = (
    "abai", "akmola", "aktobe", "almaty_city", "almaty_region", "astana_city", "atyrau",
    "east_kazakhstan", "karaganda", "kostanay", "kyzylorda", "mangystau", "north_kazakhstan",
    "pavlodar", "shymkent_city", "turkistan", "ulytau", "west_kazakhstan", "zhambyl", "zhetisu",
)  # fmt: skip
"""The 20 regions since the 2022 boundary change (17 oblasts + Astana, Almaty, Shymkent)."""

KZ_HISTORIC_KEYS: tuple[str, ...] = ("south_kazakhstan",)
"""Regions that no longer exist: South Kazakhstan (until 2018; = Turkistan + Shymkent)."""

KZ_REGION_KEYS: tuple[str, ...] = KZ_CURRENT_KEYS + KZ_HISTORIC_KEYS

# Spellings seen in BNS tables and their transcriptions, normalised by _norm() below.
# Each stem is matched after removing words such as "region", "oblast", "city", "г.".
_KZ_SPELLINGS: dict[str, tuple[str, ...]] = {
    "abai": ("abai", "abay", "абай", "абайская"),
    "akmola": ("akmola", "aqmola", "akmolinskaya", "акмолинская", "ақмола"),
    "aktobe": ("aktobe", "aqtobe", "aktubinskaya", "актюбинская", "ақтөбе", "актобе"),
    "almaty_city": ("almatycity", "almaty_city", "galmaty", "алматыcity", "галматы"),
    "almaty_region": ("almaty", "almatinskaya", "алматинская", "almatyregion", "алматы"),
    "astana_city": (
        "astana",
        "astanacity",
        "nursultan",
        "galastana",
        "гастана",
        "астана",
        "нурсултан",
        "нұрсұлтан",
    ),
    "atyrau": ("atyrau", "atyrauskaya", "атырауская", "атырау"),
    "east_kazakhstan": (
        "eastkazakhstan",
        "eastkaz",
        "восточноказахстанская",
        "vko",
        "шығысқазақстан",
        "восточныйказахстан",
    ),
    "karaganda": (
        "karaganda",
        "qaraganda",
        "karagandy",
        "karagandinskaya",
        "карагандинская",
        "қарағанды",
        "караганды",
    ),
    "kostanay": ("kostanay", "qostanay", "kostanaiskaya", "костанайская", "қостанай", "костанай"),
    "kyzylorda": (
        "kyzylorda",
        "qyzylorda",
        "kyzylordinskaya",
        "кызылординская",
        "қызылорда",
        "кызылорда",
    ),
    "mangystau": (
        "mangystau",
        "mangistau",
        "mangistauskaya",
        "мангистауская",
        "маңғыстау",
        "мангистау",
        "мангыстау",
    ),
    "north_kazakhstan": (
        "northkazakhstan",
        "northkaz",
        "североказахстанская",
        "sko",
        "солтүстікқазақстан",
    ),
    "pavlodar": ("pavlodar", "pavlodarskaya", "павлодарская", "павлодар"),
    "shymkent_city": (
        "shymkent",
        "shimkent",
        "shymkentcity",
        "shimkentcity",
        "гшымкент",
        "шымкент",
    ),
    "turkistan": (
        "turkistan",
        "turkestan",
        "turkestanskaya",
        "туркестанская",
        "түркістан",
        "туркестан",
    ),
    "ulytau": ("ulytau", "ulutay", "улытау", "ұлытау", "улытауская"),
    "west_kazakhstan": (
        "westkazakhstan",
        "westkaz",
        "западноказахстанская",
        "zko",
        "батысқазақстан",
    ),
    "zhambyl": ("zhambyl", "jambyl", "zhambylskaya", "жамбылская", "жамбыл"),
    "zhetisu": ("zhetisu", "zhetysu", "jetisu", "жетісу", "жетысу", "жетысуская"),
    "south_kazakhstan": (
        "southkazakhstan",
        "southkaz",
        "южноказахстанская",
        "yuko",
        "оңтүстікқазақстан",
    ),
}
_DROP_WORDS = re.compile(
    r"\b(region|oblast|oblysy|province|r|обл|область|облысы|city|qalasy|of|republican|"
    r"significance|қаласы|города|город|республиканского|значения)\b\.?",
)
_CITY_HINT = re.compile(r"(\bcity\b|\bг\.|^г\s|qalasy|қаласы|_city\b|\bгорода?\b)")


def _norm(name: str) -> str:
    s = name.casefold().strip()
    s = _DROP_WORDS.sub(" ", s)
    return re.sub(r"[\W_]+", "", s)  # letters of every script are kept


@cache
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for key, spellings in _KZ_SPELLINGS.items():
        for s in (*spellings, key):
            table[_norm(s)] = key
    return table


def match_kazakhstan(names: Iterable[str]) -> dict[str, str]:
    """Map region names as written in statistical tables to Kazakhstan region keys.

    ``"Almaty"`` alone is the region (oblast); the city is ``"Almaty city"``, ``"г. Алматы"``
    or ``"Almaty_city"``. Unmatched names raise :class:`~migflows.errors.RegionCodeError`.

    Parameters
    ----------
    names : iterable of str
        Labels such as ``"Akmola region"``, ``"г. Астана"``, ``"East_Kaz"``.

    Returns
    -------
    dict
        Label → key.

    Examples
    --------
    >>> match_kazakhstan(["Astana_city", "г. Алматы", "Almaty"])
    {'Astana_city': 'astana_city', 'г. Алматы': 'almaty_city', 'Almaty': 'almaty_region'}
    """
    table = _lookup()
    out: dict[str, str] = {}
    unknown: list[str] = []
    for raw in names:
        name = str(raw)
        key = table.get(_norm(name))
        if key == "almaty_region" and _CITY_HINT.search(name.casefold()):
            key = "almaty_city"
        if key is None:
            unknown.append(name)
        else:
            out[name] = key
    if unknown:
        raise RegionCodeError(
            f"{len(unknown)} region name(s) are not Kazakhstan regions known to migflows: "
            f"{format_values(unknown)}. Pass an explicit mapping (region_names={{label: key}}) "
            f"with keys from {format_values(KZ_REGION_KEYS, limit=25)}."
        )
    return out


@cache
def _registry() -> pd.DataFrame:
    path = resources.files("migflows.data.datasets").joinpath("kazakhstan/regions.csv")
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)


def kazakhstan_regions() -> pd.DataFrame:
    """The Kazakhstan region registry: keys, English and Russian names, admin centres, validity.

    Returns
    -------
    DataFrame
        Indexed by ``region`` with ``name_en``, ``name_ru``, ``kind``, ``admin_centre``,
        ``lat``, ``lon``, ``valid_from``, ``valid_to``, ``note``.

    Examples
    --------
    >>> reg = kazakhstan_regions()
    >>> reg.loc["astana_city", "admin_centre"]
    'Astana'
    """
    return _registry().set_index("region").copy()
