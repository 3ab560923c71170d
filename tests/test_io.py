"""read_od_matrix: matrices as statistical offices publish them (CSV, Excel, long tables)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import migflows
from migflows.errors import DroppedRowsWarning, NonNumericError, RegionCodeError


def office_matrix() -> pd.DataFrame:
    # As BNS publishes it: Russian labels, a total row and column, "-" for zero, spaces as
    # thousands separators and a blank diagonal.
    return pd.DataFrame(
        {
            "Регион": [
                "Акмолинская область",
                "г. Астана",
                "Туркестанская область",
                "Республика Казахстан",
            ],
            "Акмолинская область": ["", "1 200", "-", "1 200"],
            "г. Астана": ["5 400", "", "2 100", "7 500"],
            "Туркестанская область": ["30", "410", "", "440"],
            "Итого": ["5 430", "1 610", "2 100", "9 140"],
        }
    )


def test_excel_matrix_with_russian_names(tmp_path: Path) -> None:
    path = tmp_path / "od_2023.xlsx"
    office_matrix().to_excel(path, index=False, sheet_name="2023")
    with pytest.warns(DroppedRowsWarning, match="'Итого', 'Республика Казахстан'"):
        panel = migflows.read_od_matrix(path, sheet=None, region_names="kazakhstan")
    f = panel.flows.set_index(["origin", "destination"])["flow"]
    assert panel.years == [2023]
    assert f[("akmola", "astana_city")] == 5400
    assert f[("astana_city", "akmola")] == 1200
    assert f[("turkistan", "akmola")] == 0  # "-" means no one moved
    assert f.sum() == 5400 + 30 + 1200 + 410 + 2100 + 0
    assert len(panel.intra) == 0  # blank diagonal ignored


def test_csv_matrix_and_long_table(tmp_path: Path) -> None:
    path = tmp_path / "od.csv"
    office_matrix().to_csv(path, index=False)
    with pytest.warns(DroppedRowsWarning):
        panel = migflows.read_od_matrix(path, year=2023, region_names="kazakhstan")
    long = panel.flows
    back = migflows.read_od_matrix(long, layout="long")
    pd.testing.assert_frame_equal(back.flows, long)
    # a mapping of years reads several matrices at once
    with pytest.warns(DroppedRowsWarning):
        two = migflows.read_od_matrix(
            {2022: office_matrix(), 2023: office_matrix()}, region_names="kazakhstan"
        )
    assert two.years == [2022, 2023] and two.nobs == 2 * panel.nobs


def test_matrix_errors() -> None:
    bad = office_matrix()
    bad.loc[0, "г. Астана"] = "5 400*"
    with pytest.raises(
        NonNumericError,
        match=r"1 cell\(s\) that are not numbers: \('Акмолинская область', 'г. Астана', '5 400\*'\)",
    ):
        migflows.read_od_matrix(bad, year=2023, region_names="kazakhstan")
    with pytest.raises(RegionCodeError, match="total row/column"):
        migflows.read_od_matrix(
            office_matrix(), year=2023, region_names="kazakhstan", totals="error"
        )
    unknown = office_matrix().rename(columns={"г. Астана": "Atlantis"})
    with pytest.raises(RegionCodeError, match="'Atlantis'"), pytest.warns(DroppedRowsWarning):
        migflows.read_od_matrix(unknown, year=2023, region_names="kazakhstan")
    with pytest.raises(migflows.errors.InvalidOptionError, match="needs year="):
        migflows.read_od_matrix(office_matrix())
