"""The OpenSAFELY / ehrQL importer: the public ehrQL example data, and a fixture with each quirk."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pain_finder.errors import InputError
from pain_finder.extract.validate import validate_extract
from pain_finder.importers import convert
from tests.conftest import FIXTURES

HERE = FIXTURES / "import" / "opensafely"


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_ehrql_example_data(reference_datasets: Path, tmp_path: Path) -> None:
    out = tmp_path / "extract"
    report = convert("opensafely", reference_datasets / "opensafely-ehrql-example-data", out)
    counts = {t: (r.rows_read, r.rows_written, r.unmapped) for t, r in report.tables.items()}
    assert counts == {
        "patients": (100, 100, {}),
        "registrations": (511, 511, {}),
        "clinical_events": (293, 293, {}),
        "medication_issues": (14, 14, {}),
    }, report
    assert report.ignored_files == ["ons_deaths.csv"]
    assert validate_extract(out).fatal == []
    meds = rows(out / "medication_issues.csv")
    assert meds[0] == {
        "patient_id": "9",
        "issue_date": "2023-11-08",
        "code": "29984111000001107",
        "code_system": "dmd",
    }, meds[0]
    assert json.loads((out / "extract.json").read_text()) == {"source_format": "opensafely"}
    saved = json.loads((out / "import_report.json").read_text())
    assert saved["tables"]["clinical_events"]["rows_written"] == 293, saved


def test_quirks(tmp_path: Path) -> None:
    out = tmp_path / "extract"
    report = convert("opensafely", HERE / "quirks", out, practice_id="A81001")
    got = {
        t: (r.rows_read, r.rows_written, r.unmapped, r.first_unmapped, r.notes)
        for t, r in report.tables.items()
    }
    assert got == {
        "patients": (
            6,
            3,
            {"bad_date": 1, "duplicate_patient": 1, "missing_date_of_birth": 1},
            {
                "bad_date": "patients.csv, row 7, column 'date_of_birth'",
                "duplicate_patient": "patients.csv, row 6, column 'patient_id'",
                "missing_date_of_birth": "patients.csv, row 5, column 'date_of_birth'",
            },
            {"date_of_death_before_birth_cleared": 1, "sex_intersex_as_unknown": 1},
        ),
        "registrations": (
            3,
            1,
            {"bad_date": 1, "missing_date": 1},
            {
                "bad_date": "practice_registrations.csv, row 3, column 'end_date'",
                "missing_date": "practice_registrations.csv, row 4, column 'start_date'",
            },
            {},
        ),
        "clinical_events": (
            6,
            4,
            {"bad_date": 1, "missing_code": 1},
            {
                "bad_date": "clinical_events.csv, row 6, column 'date'",
                "missing_code": "clinical_events.csv, row 5, column 'snomedct_code'",
            },
            {"both_codes_snomedct_kept": 1, "numeric_value_not_a_number_cleared": 1},
        ),
        "medication_issues": (
            3,
            1,
            {"missing_code": 1, "missing_date": 1},
            {
                "missing_code": "medications.csv, row 3, column 'dmd_code'",
                "missing_date": "medications.csv, row 4, column 'date'",
            },
            {},
        ),
    }, report
    for t in report.tables.values():
        assert t.rows_read == t.rows_written + sum(t.unmapped.values()), t
    assert validate_extract(out).fatal == []
    patients = rows(out / "patients.csv")
    assert [(p["patient_id"], p["sex"], p["date_of_death"], p["practice_id"]) for p in patients] == [
        ("0001", "female", "", "A81001"),
        ("0002", "male", "", "A81001"),
        ("0003", "unknown", "", "A81001"),
    ], patients
    events = rows(out / "clinical_events.csv")
    # The row with both codes is written once, in SNOMED CT; leading zeros and 16-digit ids survive.
    assert [(e["patient_id"], e["code"], e["code_system"], e["numeric_value"]) for e in events] == [
        ("0001", "279039007", "snomedct", ""),
        ("0001", "XE1Dp", "ctv3", ""),
        ("0001", "1137741000000106", "snomedct", "7.5"),
        ("0003", "82423001", "snomedct", ""),
    ], events
    assert rows(out / "medication_issues.csv")[0]["code"] == "39720311000001101"
    assert json.loads((out / "extract.json").read_text()) == {
        "practice_id": "A81001",
        "source_format": "opensafely",
    }


def test_missing_column_names_file_row_column(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        convert("opensafely", HERE / "missing_column", tmp_path / "extract")
    assert (
        str(err.value)
        == "clinical_events.csv, row 1, column 'date': required column 'date' is missing from the header row"
    )
    assert not (tmp_path / "extract").exists()
    assert list(tmp_path.iterdir()) == []  # nothing half-written is left beside it


def test_unparseable_line_is_named(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("patients.csv", "practice_registrations.csv", "medications.csv"):
        (src / name).write_text((HERE / "quirks" / name).read_text())
    (src / "clinical_events.csv").write_text(
        "patient_id,date,snomedct_code\n0001,2022-01-01,279039007\n0001,2022-01-02\n"
    )
    with pytest.raises(InputError) as err:
        convert("opensafely", src, tmp_path / "extract")
    assert (
        str(err.value)
        == "clinical_events.csv, row 3: the line has 2 fields separated by commas where the header has 3"
    )


def test_rerun_replaces_an_earlier_import_but_not_other_folders(tmp_path: Path) -> None:
    out = tmp_path / "extract"
    convert("opensafely", HERE / "quirks", out)
    convert("opensafely", HERE / "quirks", out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extract"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("x")
    from pain_finder.errors import OutputError

    with pytest.raises(OutputError):
        convert("opensafely", HERE / "quirks", other)
    assert (other / "notes.txt").read_text() == "x"


def test_codes_and_identifiers_stay_text(tmp_path: Path) -> None:
    """18-digit dm+d ids and leading zeros survive, in CSV and in Parquet (written as text, not numbers)."""
    import duckdb

    src = tmp_path / "src"
    src.mkdir()
    (src / "patients.csv").write_text(
        "patient_id,sex,date_of_birth,date_of_death\n000123,female,1980-01-01,\n"
    )
    (src / "practice_registrations.csv").write_text(
        "patient_id,start_date,end_date,practice_pseudo_id\n000123,2000-01-01,,007\n"
    )
    (src / "clinical_events.csv").write_text(
        "patient_id,date,snomedct_code,numeric_value\n000123,2022-01-01,999791000000106,007.50\n"
    )
    (src / "medications.csv").write_text("patient_id,date,dmd_code\n000123,2022-01-01,123456789012345678\n")
    for fmt in ("csv", "parquet"):
        out = tmp_path / f"out_{fmt}"
        convert("opensafely", src, out, file_format=fmt)
        con = duckdb.connect()
        path = str(out / f"medication_issues.{fmt}")
        rel = con.read_parquet(path) if fmt == "parquet" else con.read_csv(path, all_varchar=True)
        assert rel.fetchall() == [("000123", "2022-01-01", "123456789012345678", "dmd")], fmt
        if fmt == "parquet":
            assert {str(t) for t in rel.types} == {"VARCHAR"}, rel.types
        events = con.read_parquet(str(out / "clinical_events.parquet")) if fmt == "parquet" else None
        if events is not None:
            assert events.fetchall() == [("000123", "2022-01-01", "999791000000106", "snomedct", "007.50")]
        assert validate_extract(out).fatal == []
        assert json.loads((out / "extract.json").read_text())["practice_id"] == "007"


def test_source_that_cannot_make_a_valid_extract(tmp_path: Path) -> None:
    """No patient has a date of birth: nothing can be searched, so the import fails and leaves nothing."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "patients.csv").write_text("patient_id,sex,date_of_birth\n1,female,\n2,male,\n")
    (src / "practice_registrations.csv").write_text("patient_id,start_date,end_date,practice_pseudo_id\n")
    (src / "clinical_events.csv").write_text("patient_id,date,snomedct_code\n")
    with pytest.raises(InputError) as err:
        convert("opensafely", src, tmp_path / "out")
    assert str(err.value) == (
        "the converted extract is not valid: the file has a header but no rows: an extract needs patients "
        "(in the converted patients.csv); see docs/import.md for what this format needs"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]
