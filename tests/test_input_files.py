"""Issue 10, data items: non-Latin keys, OD matrices that are not square, files as offices
write them, and the from_frame / complete / select / assign / weights inputs that used to be
accepted silently."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import migflows
from migflows.data.regions import KZ_CURRENT_KEYS, match_kazakhstan
from migflows.errors import (
    DroppedRowsWarning,
    InputFileError,
    InvalidDistanceError,
    InvalidOptionError,
    NonNumericError,
    PanelStructureError,
    RegionCodeError,
    YearRangeError,
)

# The 20 region names as the Kazakh-language BNS tables write them.
KAZAKH_NAMES = [
    "Абай облысы", "Ақмола облысы", "Ақтөбе облысы", "Алматы облысы", "Атырау облысы",
    "Батыс Қазақстан облысы", "Жамбыл облысы", "Жетісу облысы", "Қарағанды облысы",
    "Қостанай облысы", "Қызылорда облысы", "Маңғыстау облысы", "Павлодар облысы",
    "Солтүстік Қазақстан облысы", "Түркістан облысы", "Ұлытау облысы",
    "Шығыс Қазақстан облысы", "Астана қаласы", "Алматы қаласы", "Шымкент қаласы",
]  # fmt: skip


def frame(origin: list, destination: list | None = None, flow: list | None = None) -> pd.DataFrame:
    n = len(origin)
    return pd.DataFrame(
        {
            "origin": origin,
            "destination": destination or ["zz"] * n,
            "year": [2020] * n,
            "flow": flow or list(range(1, n + 1)),
        }
    )


def square(labels: list[str], columns: list[str] | None = None) -> pd.DataFrame:
    cols = columns or labels
    data = {"": labels}
    for j, c in enumerate(cols):
        data[c] = ["" if i == j else str(10 * i + j + 1) for i in range(len(labels))]
    return pd.DataFrame(data)


def test_cyrillic_keys_stay_usable_as_given() -> None:
    df = frame(["Астана", "Алматы"], ["Алматы", "Астана"])
    panel = migflows.FlowPanel.from_frame(df)
    assert panel.region_keys == ["Алматы", "Астана"]
    # still refused: one region spelt twice (case and spaces) in any script
    with pytest.raises(RegionCodeError, match="more than one way"):
        migflows.FlowPanel.from_frame(frame(["Астана", "астана "], ["Алматы", "Алматы"]))


def test_every_kazakh_language_label_is_matched() -> None:
    keys = match_kazakhstan(KAZAKH_NAMES)
    assert sorted(keys.values()) == sorted(KZ_CURRENT_KEYS)
    assert keys["Алматы облысы"] == "almaty_region"
    assert keys["Алматы қаласы"] == "almaty_city"
    m = square(KAZAKH_NAMES[:3] + KAZAKH_NAMES[-3:])
    panel = migflows.read_od_matrix(m, year=2023, region_names="kazakhstan")
    assert set(panel.region_keys) == {"abai", "akmola", "aktobe", "astana_city", "almaty_city",
                                      "shymkent_city"}  # fmt: skip
    assert panel.nobs == 30


def test_matrix_whose_row_and_column_labels_differ_is_refused() -> None:
    m = square(["a", "b", "c", "d"], ["a", "b", "c", "x"])  # one header typo
    with pytest.raises(RegionCodeError, match=r"row label\(s\) 'd' have no column and column "
                                              r"label\(s\) 'x' have no row"):  # fmt: skip
        migflows.read_od_matrix(m, year=2023)
    non_square = square(["a", "b", "c"], ["a", "b"])
    with pytest.raises(RegionCodeError, match=r"3 row\(s\) and 2 column\(s\)"):
        migflows.read_od_matrix(non_square, year=2023)


def test_repeated_header_is_refused_not_renamed(tmp_path: Path) -> None:
    f = tmp_path / "dup.csv"
    f.write_text(",a,b,b\na,,1,2\nb,1,,3\nc,1,2,\n", encoding="utf-8")
    with pytest.raises(RegionCodeError, match=r"repeats column label\(s\) 'b'"):
        migflows.read_od_matrix(f, year=2023)


def test_fractional_year_and_decimal_comma_are_refused() -> None:
    with pytest.raises(YearRangeError, match=r"year=2023\.5 is not a whole year"):
        migflows.read_od_matrix(square(["a", "b"]), year=2023.5)  # type: ignore[arg-type]
    m = square(["a", "b"])
    m.loc[1, "a"] = "1,5"
    with pytest.raises(NonNumericError, match=r"\('b', 'a', '1,5'\).*decimal comma"):
        migflows.read_od_matrix(m, year=2023)
    m.loc[1, "a"] = "1,500"  # a thousands separator stays a thousands separator
    assert migflows.read_od_matrix(m, year=2023).flows["flow"].max() == 1500


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("utf-8-sig", ";Астана;Алматы\nАстана;;1 200\nАлматы;5;\n"),
        ("cp1251", ";Астана;Алматы\nАстана;;1 200\nАлматы;5;\n"),
        ("utf-8", "\tАстана\tАлматы\nАстана\t\t1 200\nАлматы\t5\t\n"),
    ],
)
def test_office_csv_dialects_are_sniffed(tmp_path: Path, encoding: str, text: str) -> None:
    f = tmp_path / "od.csv"
    f.write_bytes(text.encode(encoding))
    flows = migflows.read_od_matrix(f, year=2023).flows.set_index(["origin", "destination"])
    assert flows.loc[("Астана", "Алматы"), "flow"] == 1200.0
    assert flows.loc[("Алматы", "Астана"), "flow"] == 5.0


def test_broken_files_name_the_file_and_the_fix(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputFileError, match=r"empty\.csv is empty"):
        migflows.read_od_matrix(empty, year=2023)
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 not a workbook")
    with pytest.raises(InputFileError, match=r"corrupt\.xlsx cannot be read as an Excel"):
        migflows.read_od_matrix(corrupt, year=2023)
    good = tmp_path / "good.xlsx"
    square(["a", "b"]).to_excel(good, index=False, sheet_name="2023")
    with pytest.raises(InputFileError, match=r"no sheet named 'od'; its sheets are '2023'"):
        migflows.read_od_matrix(good, year=2023, sheet="od")
    assert migflows.read_od_matrix(good, year=2023).nobs == 2
    with pytest.raises(InputFileError, match="is a directory"):
        migflows.read_od_matrix(tmp_path, year=2023)
    with pytest.raises(InputFileError, match="is no file"):
        migflows.read_od_matrix(tmp_path / "absent.csv", year=2023)


def test_from_frame_refuses_inf_empty_and_ambiguous_keys() -> None:
    with pytest.raises(NonNumericError, match=r"1 infinite flow\(s\) at \('a', 'zz', 2020\)"):
        migflows.FlowPanel.from_frame(frame(["a", "b"], flow=[np.inf, 1.0]))
    with pytest.raises(RegionCodeError, match=r"1 empty region code\(s\)"):
        migflows.FlowPanel.from_frame(frame(["", "b"]))
    with pytest.raises(RegionCodeError, match="both as a number and as text: '1'"):
        migflows.FlowPanel.from_frame(frame([1, "1"], ["x", "y"]))
    # 1 and 1.0 are one code, not two
    one = migflows.FlowPanel.from_frame(frame([1, 1.0], ["x", "y"]))
    assert one.region_keys == ["1", "x", "y"]


def test_identical_coordinates_are_refused() -> None:
    coords = pd.DataFrame({"region": ["a", "b", "zz"], "lat": [50, 50, 40], "lon": [70, 70, 60]})
    with pytest.raises(InvalidDistanceError, match=r"2 region\(s\) share identical"):
        migflows.FlowPanel.from_frame(frame(["a", "b"]), coords=coords)


@pytest.mark.parametrize("fill", [-5, np.nan, np.inf, "0", True])
def test_complete_refuses_invalid_fill(fill: object) -> None:
    panel = migflows.FlowPanel.from_frame(frame(["a", "b"]))
    with pytest.raises(InvalidOptionError, match="fill="):
        panel.complete(fill=fill)  # type: ignore[arg-type]


def test_select_refuses_an_empty_selection() -> None:
    panel = migflows.FlowPanel.from_frame(frame(["a", "b"]))
    with pytest.raises(PanelStructureError, match="keeps no flow"):
        panel.select(regions=["a", "b"])
    with pytest.raises(InvalidOptionError, match="whole years"):
        panel.select(years=[2020.5])
    assert panel.select(years=2020).nobs == 2


def test_assign_refuses_tables_text_and_key_names() -> None:
    kz = migflows.load_kazakhstan(years=[2021])
    with pytest.raises(InvalidOptionError, match="table with 2 column"):
        kz.assign(x=lambda p: p[["origin", "destination"]])
    with pytest.raises(NonNumericError, match="not numbers"):
        kz.assign(x=np.array(["a"] * kz.nobs))
    with pytest.raises(InvalidOptionError, match="overwrite the key column 'flow'"):
        kz.assign(flow=np.zeros(kz.nobs))
    with pytest.raises(InvalidOptionError, match=r"not indexed like panel\.flows"):
        kz.assign(x=pd.Series(np.ones(kz.nobs), index=np.arange(kz.nobs) + 1))


def test_weights_series_is_aligned_by_index() -> None:
    kz = migflows.load_kazakhstan(years=[2021])
    df = kz.covariates(["log_dist"]).join(kz.flows[["flow"]])
    rng = np.random.default_rng(3)
    w = pd.Series(rng.uniform(0.5, 2.0, len(df)), index=df.index)
    shuffled = w.sample(frac=1.0, random_state=1)
    a = migflows.gravity("flow ~ log_dist", df, weights=w)
    b = migflows.gravity("flow ~ log_dist", df, weights=shuffled)
    assert np.allclose(a.params, b.params, rtol=1e-10)
    with pytest.raises(InvalidOptionError, match="lacks 1 row label"):
        migflows.gravity("flow ~ log_dist", df, weights=w.rename(index={0: -1}))
    with pytest.raises(InvalidOptionError, match="negative"):
        migflows.gravity("flow ~ log_dist", df, weights=-w)


def test_read_warns_about_totals_still() -> None:
    m = square(["a", "b"])
    m.loc[2] = ["Итого", "3", "4"]
    with pytest.warns(DroppedRowsWarning, match="Итого"):
        assert migflows.read_od_matrix(m, year=2023).nobs == 2


def test_counterfactual_refuses_impossible_changes() -> None:
    kz = migflows.load_kazakhstan(years=[2020, 2021])
    res = migflows.gravity("flow ~ log_wage_ratio + log_dist | orig + dest + year", kz)
    for bad in (0, -1, np.nan, np.inf, "x"):
        with pytest.raises(InvalidOptionError, match=r"changes\['wage'\]\['turkistan'\]="):
            res.counterfactual({"wage": {"turkistan": bad}})
    with pytest.raises(migflows.errors.MissingRegionError, match="'atlantis' is not in"):
        res.counterfactual({"wage": {"atlantis": 1.1}})
    with pytest.raises(InvalidOptionError, match="names year 2030"):
        res.counterfactual({"wage": {"turkistan": {2030: 1.1}}})
    with pytest.raises(migflows.errors.ModelSpecificationError, match="No regressor"):
        res.counterfactual({"unemployment": {"turkistan": 1.1}})
    with pytest.raises(InvalidOptionError, match="non-empty mapping"):
        res.counterfactual({})
