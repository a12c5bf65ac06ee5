"""`pain-finder import` end to end: exit codes, the printed report, exact error text, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

from pain_finder.cli import run
from tests.conftest import FIXTURES, REPO_ROOT

OPENSAFELY = FIXTURES / "import" / "opensafely"


def test_import_prints_report_and_writes_extract(tmp_path: Path, capsys) -> None:
    out = tmp_path / "extract"
    code = run(
        [
            "import",
            "opensafely",
            str(OPENSAFELY / "quirks"),
            "--out",
            str(out),
            "--practice-id",
            "A81001",
            "--extract-date",
            "2026-09-30",
        ]
    )
    output = capsys.readouterr()
    assert code == 0, output
    for expected in (
        "patients",
        "clinical_events",
        "duplicate_patient",
        "missing_code",
        "note: clinical_events: both_codes_snomedct_kept: 1 rows",
        "Wrote 9 of 18 rows to",
    ):
        assert expected in output.out, output.out
    assert json.loads((out / "extract.json").read_text()) == {
        "extract_date": "2026-09-30",
        "practice_id": "A81001",
        "source_format": "opensafely",
    }
    assert run(["validate", str(out)]) == 0


def test_bad_input_exits_3_naming_file_row_column(tmp_path: Path, capsys) -> None:
    out = tmp_path / "extract"
    code = run(["import", "opensafely", str(OPENSAFELY / "missing_column"), "--out", str(out)])
    output = capsys.readouterr()
    assert code == 3, output
    assert output.err.strip() == (
        "Error: clinical_events.csv, row 1, column 'date': required column 'date' is missing from the "
        "header row"
    ), output.err
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_exits_4(tmp_path: Path, capsys) -> None:
    code = run(["import", "emisx", str(tmp_path), "--out", str(tmp_path / "o")])
    output = capsys.readouterr()
    assert code == 4, output
    assert "unknown import format 'emisx': expected one of opensafely, ukb, fhir, report" in output.err


def test_report_format_with_template(tmp_path: Path, capsys) -> None:
    code = run(
        [
            "import",
            "report",
            str(FIXTURES / "import" / "report" / "emis"),
            "--mapping",
            str(REPO_ROOT / "docs" / "examples" / "emis_web_mapping.toml"),
            "--out",
            str(tmp_path / "x"),
        ]
    )
    output = capsys.readouterr()
    assert code == 0, output
    assert "code_mangled_by_spreadsheet" in output.out, output.out


def test_help_explains_every_option(capsys) -> None:
    assert run(["import", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--out", "--mapping", "--practice-id", "--extract-date", "--parquet"):
        assert option in out, out


def test_reruns_are_byte_identical(tmp_path: Path) -> None:
    """Converting the same source twice gives the same table files (the search relies on stable inputs)."""
    from pain_finder.importers import convert

    for fmt, source, mapping in (
        ("opensafely", OPENSAFELY / "quirks", None),
        (
            "cprd_gold",
            FIXTURES / "import" / "cprd_gold" / "quirks",
            FIXTURES / "import" / "cprd_gold" / "lookups",
        ),
        ("fhir", FIXTURES / "import" / "fhir" / "uk", None),
    ):
        a, b = tmp_path / f"{fmt}_a", tmp_path / f"{fmt}_b"
        convert(fmt, source, a, mapping=mapping)
        convert(fmt, source, b, mapping=mapping)
        for table in ("patients", "registrations", "clinical_events", "medication_issues", "extract"):
            name = f"{table}.json" if table == "extract" else f"{table}.csv"
            assert (a / name).read_bytes() == (b / name).read_bytes(), f"{fmt} {name}"
