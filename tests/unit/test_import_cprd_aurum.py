"""The CPRD Aurum importer: the public simulated files (rcprd) with small dictionaries written as fixtures,
and a fixture in real CPRD shape (empty fields, not NA; 13-digit patids; one practice)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from pain_finder.errors import InputError
from pain_finder.extract.validate import validate_extract
from pain_finder.importers import convert
from tests.conftest import FIXTURES

HERE = FIXTURES / "import" / "cprd_aurum"
DICTIONARIES = HERE / "dictionaries"  # made-up, tiny: a few medcodeids/prodcodeids of the simulated files


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def summary(report) -> dict:
    return {t: (r.rows_read, r.rows_written, r.unmapped, r.notes) for t, r in report.tables.items()}


def test_simulated_aurum(reference_datasets: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = convert(
        "cprd_aurum", reference_datasets / "rcprd-simulated-cprd-aurum", out, mapping=DICTIONARIES
    )
    assert summary(report) == {
        "patients": (
            12,
            6,
            {"not_acceptable": 6},
            {"date_of_death_before_birth_cleared": 4, "month_of_birth_missing_july_1st_used": 2},
        ),
        "registrations": (12, 6, {"not_acceptable": 6}, {}),
        "clinical_events": (
            300,
            5,
            {"medcodeid_not_in_dictionary": 144, "no_snomed_for_medcodeid": 1, "patient_not_acceptable": 150},
            {},
        ),
        "medication_issues": (
            300,
            5,
            {"no_dmd_for_prodcodeid": 1, "patient_not_acceptable": 150, "prodcodeid_not_in_dictionary": 144},
            {},
        ),
    }, report
    assert report.warnings == [
        "the practice files list 6 practices: no extract date taken from them (use --extract-date)"
    ]
    assert validate_extract(out).fatal == []
    meds = rows(out / "medication_issues.csv")
    assert meds[0] == {
        "patient_id": "1",
        "issue_date": "1925-11-15",
        "code": "39720311000001101",
        "code_system": "dmd",
        "term": "Pregabalin 75mg capsules",
        "quantity": "18",
        "bnf_code": "04080100",
    }, meds[0]


def test_quirks(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = convert("cprd_aurum", HERE / "quirks", out, mapping=DICTIONARIES)
    assert summary(report) == {
        "patients": (3, 2, {"not_acceptable": 1}, {"month_of_birth_missing_july_1st_used": 1}),
        "registrations": (3, 2, {"not_acceptable": 1}, {}),
        "clinical_events": (
            7,
            2,
            {
                "bad_date": 1,
                "medcodeid_not_in_dictionary": 1,
                "missing_date": 1,
                "patient_not_acceptable": 1,
                "unknown_patient": 1,
            },
            {},
        ),
        "medication_issues": (3, 2, {"no_dmd_for_prodcodeid": 1}, {}),
    }, report
    assert report.tables["clinical_events"].first_unmapped["bad_date"] == (
        "Practice1_Extract_Observation_001.txt, row 4, column 'obsdate'"
    )
    assert validate_extract(out).fatal == []
    assert json.loads((out / "extract.json").read_text()) == {
        "extract_date": "2026-09-30",
        "practice_id": "1001",
        "source_format": "cprd_aurum",
    }
    assert report.extract_date == dt.date(2026, 9, 30)  # the practice's last collection date
    assert rows(out / "patients.csv") == [
        {
            "patient_id": "1000000001001",
            "date_of_birth": "1979-04-01",
            "sex": "female",
            "date_of_death": "",
            "practice_id": "1001",
        },
        {
            "patient_id": "1000000002001",
            "date_of_birth": "1965-07-01",
            "sex": "male",
            "date_of_death": "2024-12-12",
            "practice_id": "1001",
        },
    ]
    events = [
        (e["code"], e["term"], e["numeric_value"], e["event_id"]) for e in rows(out / "clinical_events.csv")
    ]
    assert events == [
        ("1137741000000106", "Chronic primary pain", "", "9000000001"),
        ("82423001", "Chronic pain", "6.5", "9000000002"),
    ]


def test_dictionary_missing(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        convert("cprd_aurum", HERE / "quirks", tmp_path / "out")
    assert str(err.value) == (
        f"the CPRD dictionary CPRDAurumMedical.txt is not in {HERE / 'quirks'}: give the folder holding it "
        "with --mapping"
    )
