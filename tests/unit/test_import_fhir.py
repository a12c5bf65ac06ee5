"""The FHIR R4 bulk (NDJSON) importer: the public Synthea export, and a UK-coded fixture with each quirk."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from pain_finder.errors import InputError
from pain_finder.extract.validate import validate_extract
from pain_finder.importers import convert
from tests.conftest import FIXTURES

HERE = FIXTURES / "import" / "fhir"


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def summary(report) -> dict:
    return {t: (r.rows_read, r.rows_written, r.unmapped, r.notes) for t, r in report.tables.items()}


def test_synthea_us_export(reference_datasets: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = convert("fhir", reference_datasets / "smart-bulk-fhir-synthea-10-patients", out)
    # US data: conditions are SNOMED CT (written), medications RxNorm only (none written, counted).
    assert summary(report) == {
        "patients": (13, 13, {}, {}),
        "registrations": (0, 0, {}, {}),
        "clinical_events": (555, 555, {}, {}),
        "medication_issues": (1745, 0, {"no_usable_coding:rxnorm": 1745}, {}),
    }, report
    assert report.unused_codings == {"rxnorm": 1745}
    assert report.extract_date == dt.date(2024, 8, 6)  # the bulk-export log's transactionTime
    assert report.ignored_files == ["log.ndjson"]
    assert validate_extract(out).fatal == []
    deaths = [p["date_of_death"] for p in rows(out / "patients.csv") if p["date_of_death"]]
    assert len(deaths) == 3, deaths


def test_uk_codings(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = convert("fhir", HERE / "uk", out, practice_id="A81001")
    assert summary(report) == {
        "patients": (3, 2, {"missing_date_of_birth": 1}, {"partial_birth_date_completed": 1}),
        "registrations": (0, 0, {}, {}),
        "clinical_events": (
            7,
            3,
            {"bad_date": 1, "entered_in_error": 1, "no_usable_coding:icd10": 1, "no_usable_coding:loinc": 1},
            {"other_codings_not_used": 1},
        ),
        "medication_issues": (
            6,
            3,
            {"medication_reference_not_resolved": 1, "no_usable_coding:rxnorm": 1, "not_an_issue": 1},
            {"other_codings_not_used": 1},
        ),
    }, report
    assert report.unused_codings == {"icd10": 2, "loinc": 1, "rxnorm": 2}
    assert report.tables["medication_issues"].first_unmapped["not_an_issue"] == (
        "MedicationRequest.ndjson, row 3, column 'intent'"
    )
    assert report.extract_date == dt.date(2022, 9, 30)  # manifest.json transactionTime
    assert validate_extract(out).fatal == []
    assert rows(out / "patients.csv") == [
        {
            "patient_id": "p001",
            "date_of_birth": "1978-04-12",
            "sex": "female",
            "date_of_death": "",
            "practice_id": "A81001",
            "nhs_number": "9990000018",
        },
        {
            "patient_id": "p002",
            "date_of_birth": "1969-11-01",
            "sex": "unknown",
            "date_of_death": "",
            "practice_id": "A81001",
            "nhs_number": "",
        },
    ]
    events = [
        (e["patient_id"], e["event_date"], e["code"], e["code_system"], e["numeric_value"])
        for e in rows(out / "clinical_events.csv")
    ]
    assert events == [
        ("p001", "2021-03-04", "1137741000000106", "snomedct", ""),
        ("p001", "2021-05-06", "N245.", "readv2", ""),  # urn:uuid reference; 7-character Read code cut to 5
        ("p001", "2022-02-03", "XaJ1I", "ctv3", "7"),
    ]
    meds = [
        (m["code"], m["code_system"], m["quantity"], m["prescription_type"])
        for m in rows(out / "medication_issues.csv")
    ]
    assert meds == [
        ("39720311000001101", "dmd", "56", "repeat"),
        ("36128911000001104", "dmd", "", "acute"),  # dm+d id in the SNOMED CT system; RxNorm coding skipped
        ("dj7..", "readv2", "", ""),
    ]


def test_bad_json_line_is_named(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "Patient.ndjson").write_text(
        '{"resourceType":"Patient","id":"a","birthDate":"1970-01-01"}\n{"resourceType": \n'
    )
    with pytest.raises(InputError) as err:
        convert("fhir", src, tmp_path / "out")
    assert str(err.value) == (
        "Patient.ndjson, row 2: the line is not a JSON object: the file must hold one JSON resource per "
        "line (NDJSON)"
    )
    assert list(tmp_path.iterdir()) == [src]


def test_no_patient_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        convert("fhir", tmp_path, tmp_path / "out")
    assert str(err.value) == f"no Patient .ndjson file in {tmp_path}: every extract needs the patients"
