"""The CPRD GOLD importer, on a fixture in GOLD's shape (there are no public GOLD sample files): 3-digit yob,
mob 0, clinical + referral + test files, lookups with a repeated medcode, a product with only a BNF code."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from pain_finder.extract.validate import validate_extract
from pain_finder.importers import convert
from tests.conftest import FIXTURES

HERE = FIXTURES / "import" / "cprd_gold"


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_gold_quirks(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = convert("cprd_gold", HERE / "quirks", out, mapping=HERE / "lookups")
    got = {t: (r.rows_read, r.rows_written, r.unmapped, r.notes) for t, r in report.tables.items()}
    assert got == {
        "patients": (3, 2, {"not_acceptable": 1}, {"yob_plus_1800": 1}),
        "registrations": (3, 2, {"not_acceptable": 1}, {}),
        "clinical_events": (
            6,
            3,
            {"medcode_not_in_dictionary": 1, "missing_date": 1, "patient_not_acceptable": 1},
            {},
        ),
        "medication_issues": (3, 2, {"no_dmd_or_bnf_for_prodcode": 1}, {"coded_in_bnf_no_dmd": 1}),
    }, report
    assert report.tables["clinical_events"].first_unmapped == {
        "medcode_not_in_dictionary": "Practice502_Extract_Clinical_001.txt, row 3, column 'medcode'",
        "missing_date": "Practice502_Extract_Clinical_001.txt, row 4, column 'eventdate'",
        "patient_not_acceptable": "Practice502_Extract_Clinical_001.txt, row 5, column 'patid'",
    }
    assert validate_extract(out).fatal == []
    assert json.loads((out / "extract.json").read_text()) == {
        "extract_date": "2026-09-30",
        "practice_id": "502",
        "source_format": "cprd_gold",
    }
    assert rows(out / "patients.csv") == [
        {
            "patient_id": "1001502",
            "date_of_birth": "1976-07-01",
            "sex": "female",
            "date_of_death": "",
            "practice_id": "502",
        },
        {
            "patient_id": "2001502",
            "date_of_birth": "1958-03-01",
            "sex": "male",
            "date_of_death": "2023-12-31",
            "practice_id": "502",
        },
    ]
    events = [
        (e["event_date"], e["code"], e["code_system"], e["term"]) for e in rows(out / "clinical_events.csv")
    ]
    assert events == [
        ("2021-03-12", "N245.", "readv2", "Backache"),  # the first of two medical.txt rows for medcode 7
        ("2021-04-20", "8H44.", "readv2", "Referral to pain clinic"),
        ("2021-04-21", "388u.", "readv2", "Pain score"),
    ]
    meds = [(m["code"], m["code_system"], m["bnf_code"]) for m in rows(out / "medication_issues.csv")]
    assert meds == [("39720311000001101", "dmd", "04080100"), ("04070200", "bnf", "04070200")]


def test_lookup_missing_is_named(tmp_path: Path) -> None:
    import pytest

    from pain_finder.errors import InputError

    with pytest.raises(InputError) as err:
        convert("cprd_gold", HERE / "quirks", tmp_path / "out")
    assert str(err.value) == (
        f"the CPRD dictionary medical.txt is not in {HERE / 'quirks'}: "
        "give the folder holding it with --mapping"
    )
    assert list(tmp_path.iterdir()) == []
