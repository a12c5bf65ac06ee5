"""The UK Biobank primary-care importer: the public dummy files, and a fixture with each quirk."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pain_finder.errors import InputError
from pain_finder.extract.validate import validate_extract
from pain_finder.importers import convert
from pain_finder.importers.ukb import NO_PARTICIPANTS
from tests.conftest import FIXTURES

HERE = FIXTURES / "import" / "ukb"


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def summary(report) -> dict:
    return {t: (r.rows_read, r.rows_written, r.unmapped, r.notes) for t, r in report.tables.items()}


def test_dummy_files_need_participants(reference_datasets: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        convert("ukb", reference_datasets / "ukbwranglr-dummy-ukb-primary-care", tmp_path / "out")
    assert str(err.value) == NO_PARTICIPANTS
    assert list(tmp_path.iterdir()) == []


def test_dummy_files_with_participants(reference_datasets: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for f in (reference_datasets / "ukbwranglr-dummy-ukb-primary-care").iterdir():
        (src / f.name).symlink_to(f)  # read in place
    (src / "participants.tsv").write_text(
        "eid\tyear_of_birth\tmonth_of_birth\tsex\n1\t1950\t3\t0\n2\t1960\t\t1\n3\t1970\t12\t1\n4\t1980\t1\t0\n"
    )
    out = tmp_path / "out"
    report = convert("ukb", src, out)
    assert summary(report) == {
        "patients": (4, 4, {}, {"month_of_birth_missing_july_1st_used": 1}),
        "registrations": (0, 0, {}, {}),
        "clinical_events": (12, 6, {"bad_code": 1, "placeholder_date": 4, "unknown_participant": 1}, {}),
        "medication_issues": (
            6,
            1,
            {"placeholder_date": 4, "unknown_participant": 1},
            {"bad_read_2_ignored": 1},
        ),
    }, report
    assert report.tables["clinical_events"].first_unmapped == {
        "bad_code": "dummy_gp_clinical.txt, row 6, column 'read_2'",
        "placeholder_date": "dummy_gp_clinical.txt, row 2, column 'event_dt'",
        "unknown_participant": "dummy_gp_clinical.txt, row 7, column 'eid'",
    }
    assert report.warnings == [
        "no gp_registrations file: registrations is empty, so nobody counts as registered at a practice"
    ]
    assert validate_extract(out).fatal == []
    assert rows(out / "medication_issues.csv") == [
        {
            "patient_id": "4",
            "issue_date": "1999-02-01",
            "code": "02020100",
            "code_system": "bnf",
            "term": "drug2",
            "quantity": "30",
            "bnf_code": "02020100",
        }
    ]


def test_quirks(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = convert("ukb", HERE / "quirks", out)
    assert summary(report) == {
        "patients": (
            4,
            2,
            {"bad_year_of_birth": 1, "duplicate_patient": 1},
            {"month_of_birth_missing_july_1st_used": 1},
        ),
        "registrations": (3, 2, {"placeholder_date": 1}, {"placeholder_deduct_date_cleared": 1}),
        "clinical_events": (
            8,
            4,
            {"bad_date": 1, "missing_code": 1, "missing_patient_id": 1, "placeholder_date": 1},
            {"both_read_2_and_read_3_read_2_kept": 1, "read_2_term_suffix_dropped": 1},
        ),
        "medication_issues": (
            6,
            3,
            {"bad_code": 1, "missing_code": 1, "placeholder_date": 1},
            {"dotted_bnf_normalised": 1, "quantity_not_a_number_cleared": 1},
        ),
    }, report
    assert (
        report.tables["medication_issues"].first_unmapped["bad_code"]
        == "gp_scripts.txt, row 5, column 'bnf_code'"
    )
    assert validate_extract(out).fatal == []
    assert rows(out / "patients.csv") == [
        {"patient_id": "1000001", "date_of_birth": "1975-04-01", "sex": "female", "practice_id": ""},
        {"patient_id": "1000002", "date_of_birth": "1968-07-01", "sex": "male", "practice_id": ""},
    ]
    assert rows(out / "registrations.csv") == [
        {
            "patient_id": "1000001",
            "practice_id": "ukb-provider-3",
            "start_date": "2001-04-01",
            "end_date": "",
        },
        {
            "patient_id": "1000002",
            "practice_id": "ukb-provider-1",
            "start_date": "2005-06-15",
            "end_date": "2019-12-31",
        },
    ]
    events = [
        (e["event_date"], e["code"], e["code_system"], e["numeric_value"])
        for e in rows(out / "clinical_events.csv")
    ]
    assert events == [
        ("2019-03-12", "N245.", "readv2", ""),
        ("2019-03-13", "XE1Dp", "ctv3", "72.5"),
        ("2019-03-14", "N245.", "readv2", ""),
        ("2020-05-01", "X00Sd", "ctv3", ""),
    ]
    meds = [
        (m["code"], m["code_system"], m["bnf_code"], m["quantity"])
        for m in rows(out / "medication_issues.csv")
    ]
    assert meds == [
        ("04070200", "bnf", "04070200", "56"),
        ("di2b.", "readv2", "04070200", "100"),
        ("39720311000001101", "dmd", "", ""),
    ]


def test_missing_column_is_named(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "participants.tsv").write_text((HERE / "quirks" / "participants.tsv").read_text())
    (src / "gp_clinical.txt").write_text(
        "eid\tdata_provider\tevent_date\tread_2\tread_3\n1\t1\t01/01/2000\tN245.\t\n"
    )
    with pytest.raises(InputError) as err:
        convert("ukb", src, tmp_path / "out")
    assert str(err.value) == (
        "gp_clinical.txt, row 1, column 'event_dt': required column 'event_dt' is missing from the header row"
    )


def test_comma_separated_file_is_named(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "participants.tsv").write_text((HERE / "quirks" / "participants.tsv").read_text())
    (src / "gp_clinical.txt").write_text("eid,data_provider,event_dt,read_2,read_3\n1,1,01/01/2000,N245.,\n")
    with pytest.raises(InputError) as err:
        convert("ukb", src, tmp_path / "out")
    assert str(err.value) == "gp_clinical.txt, row 1: the header is separated by commas, not tabs"
