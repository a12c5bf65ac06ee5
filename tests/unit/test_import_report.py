"""The practice report CSV importer: the EMIS Web and SystmOne templates in docs/examples/ on fixtures in
each system's shape (title lines above the header, BOM, CRLF, spreadsheet-mangled codes, Windows text)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pain_finder.errors import ConfigError, InputError
from pain_finder.extract.validate import validate_extract
from pain_finder.importers import convert
from tests.conftest import FIXTURES, REPO_ROOT

HERE = FIXTURES / "import" / "report"
EMIS = REPO_ROOT / "docs" / "examples" / "emis_web_mapping.toml"
SYSTMONE = REPO_ROOT / "docs" / "examples" / "systmone_mapping.toml"


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def summary(report) -> dict:
    return {t: (r.rows_read, r.rows_written, r.unmapped, r.notes) for t, r in report.tables.items()}


def test_emis_web_template(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = convert("report", HERE / "emis", out, mapping=EMIS)
    assert summary(report) == {
        "patients": (3, 2, {"bad_date": 1}, {}),
        "registrations": (3, 3, {}, {}),
        "clinical_events": (
            7,
            3,
            {"code_mangled_by_spreadsheet": 1, "missing_code": 2, "missing_date": 1},
            {"first_usable_code_column_kept": 2},
        ),
        "medication_issues": (3, 2, {"bad_date": 1}, {"quantity_not_a_number_cleared": 1}),
    }, report
    assert report.tables["clinical_events"].first_unmapped == {
        "code_mangled_by_spreadsheet": "events.csv, row 6, column 'SNOMED CT Concept ID / Read Code'",
        "missing_code": "events.csv, row 9, column 'SNOMED CT Concept ID / Read Code'",
        "missing_date": "events.csv, row 8, column 'Date'",
    }
    # 31-Apr-2021 is not a date; the title lines above the header count in the row numbers
    assert report.tables["medication_issues"].first_unmapped == {
        "bad_date": "medication_issues.csv, row 6, column 'Issue Date'"
    }
    assert report.tables["patients"].first_unmapped == {
        "bad_date": "patients.csv, row 6, column 'Date of Birth'"
    }
    assert validate_extract(out).fatal == []
    assert rows(out / "patients.csv") == [
        {
            "patient_id": "00412",
            "date_of_birth": "1976-02-14",
            "sex": "female",
            "date_of_death": "",
            "practice_id": "A81001",
            "nhs_number": "9990000018",
        },
        {
            "patient_id": "00413",
            "date_of_birth": "1981-08-02",
            "sex": "male",
            "date_of_death": "",
            "practice_id": "A81001",
            "nhs_number": "9990000026",
        },
    ]
    events = [
        (e["patient_id"], e["code"], e["code_system"], e["term"]) for e in rows(out / "clinical_events.csv")
    ]
    assert events == [
        ("00412", "1137741000000106", "snomedct", "Chronic primary pain, back"),
        ("00412", "N245.", "readv2", "Backache"),  # the mangled SNOMED code is skipped for the Read code
        ("00413", "279039007", "snomedct", "Low back pain"),
    ]
    meds = [
        (m["code"], m["quantity"], m["dosage_text"], m["prescription_type"])
        for m in rows(out / "medication_issues.csv")
    ]
    assert meds == [
        ("39720311000001101", "56", "One twice a day, with food", "repeat"),
        ("36128911000001104", "", "As required", "acute"),
    ]


def test_systmone_template_latin1(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = convert("report", HERE / "systmone", out, mapping=SYSTMONE)
    assert summary(report) == {
        "patients": (2, 2, {}, {}),
        "registrations": (2, 2, {}, {}),
        "clinical_events": (3, 2, {"bad_code": 1}, {"first_usable_code_column_kept": 1}),
        "medication_issues": (1, 1, {}, {}),
    }, report
    assert validate_extract(out).fatal == []
    events = [
        (e["event_date"], e["code"], e["code_system"], e["term"]) for e in rows(out / "clinical_events.csv")
    ]
    assert events == [
        ("2022-02-03", "XE1Dp", "ctv3", "Méralgia paresthetica £"),
        ("2022-02-04", "279039007", "snomedct", "Low back pain"),
    ]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # the UTF-8 copies are gone


def test_mapping_is_required() -> None:
    with pytest.raises(ConfigError) as err:
        convert("report", HERE / "emis", HERE / "never")
    assert (
        str(err.value)
        == "the report format needs --mapping FILE (see docs/examples/ for EMIS Web and SystmOne)"
    )


def test_bad_mapping_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "m.toml"
    bad.write_text(EMIS.read_text().replace('system = "snomedct"', 'system = "icd10"'))
    with pytest.raises(ConfigError) as err:
        convert("report", HERE / "emis", tmp_path / "out", mapping=bad)
    assert str(err.value).startswith("m.toml, field 'clinical_events.codes.0.system': Input should be"), (
        err.value
    )


def test_missing_mapped_column_names_file_row_column(tmp_path: Path) -> None:
    bad = tmp_path / "m.toml"
    bad.write_text(EMIS.read_text().replace('date_of_birth = "Date of Birth"', 'date_of_birth = "DOB"'))
    with pytest.raises(InputError) as err:
        convert("report", HERE / "emis", tmp_path / "out", mapping=bad)
    assert (
        str(err.value)
        == "patients.csv, row 3, column 'DOB': required column 'DOB' is missing from the header row"
    )
