"""Extract validation: each failure mode gives its exact problem (file, row, column, message) and no other.

Each folder under tests/fixtures/bad_inputs is the valid minimal extract with one thing wrong (built by
tests/fixtures/bad_inputs/build.py). Parquet inputs, BOM + CRLF files and a duplicated table are built here,
in tmp_path, so no binary file is committed.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
import random
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from pain_finder import sql_files
from pain_finder.errors import EXIT_INPUT, ExtractInvalidError, InputError
from pain_finder.extract import reader
from pain_finder.extract.problems import CHECKS, Severity
from pain_finder.extract.schema import TABLES
from pain_finder.extract.validate import check_extract_or_raise, validate_extract
from tests.conftest import FIXTURES, REPO_ROOT

VALID = FIXTURES / "valid_minimal"
BAD = FIXTURES / "bad_inputs"
PATIENT_IDS = ("1001", "1002", "1003", "1004", "1099")

MANGLED = (
    "looks like a number reformatted by a spreadsheet (scientific notation, a trailing '.0' or digits lost "
    "after the 15th), so the original is lost: re-export the file without opening it in a spreadsheet, or "
    "import the column as Text"
)

# failure mode -> every problem validation must report: (severity, check, file, row, column, rows, message)
EXPECTED: dict[str, list[tuple]] = {
    "missing_file": [
        ("fatal", "missing_file", "medication_issues.csv", None, None, None,
         "required table 'medication_issues' is missing: expected medication_issues.csv or "
         "medication_issues.parquet"),
    ],
    "empty_file_zero_bytes": [
        ("fatal", "empty_file", "clinical_events.csv", None, None, None,
         'the file is empty (0 bytes): it needs at least a header row'),
    ],
    "empty_file_patients_no_rows": [
        ("fatal", "empty_file", "patients.csv", None, None, None,
         'the file has a header but no rows: an extract needs patients'),
    ],
    "empty_file_optional_no_rows": [
        ("warning", "empty_file", "fit_notes.csv", None, None, None,
         'the file has a header but no data rows'),
    ],
    "bad_encoding_utf16": [
        ("fatal", "bad_encoding", "patients.csv", None, None, None,
         "the file is UTF-16 text: save it as 'CSV UTF-8 (comma delimited)'"),
    ],
    "bad_encoding_windows1252": [
        ("fatal", "bad_encoding", "clinical_events.csv", 3, "term", 1,
         "the line has text that is not UTF-8: save the file as 'CSV UTF-8 (comma delimited)'"),
    ],
    "bad_metadata": [
        ("fatal", "bad_metadata", "extract.json", None, "extract_date", None,
         'must be a date in YYYY-MM-DD form'),
    ],
    "wrong_delimiter_semicolon": [
        ("fatal", "wrong_delimiter", "clinical_events.csv", 1, None, None,
         "the header is separated by semicolons (';'), not commas: save the file as comma-separated CSV"),
    ],
    "wrong_delimiter_tab": [
        ("fatal", "wrong_delimiter", "patients.csv", 1, None, None,
         'the header is separated by tabs, not commas: save the file as comma-separated CSV'),
    ],
    "wrong_delimiter_pipe": [
        ("fatal", "wrong_delimiter", "registrations.csv", 1, None, None,
         "the header is separated by vertical bars ('|'), not commas: save the file as comma-separated CSV"),
    ],
    "duplicate_column": [
        ("fatal", "duplicate_column", "patients.csv", 1, "date_of_birth", None,
         'the column name appears more than once in the header'),
    ],
    "missing_column": [
        ("fatal", "missing_column", "clinical_events.csv", 1, "code_system", None,
         "required column 'code_system' is missing from the header row"),
    ],
    "missing_column_renamed": [
        ("fatal", "missing_column", "patients.csv", 1, "patient_id", None,
         "required column 'patient_id' is missing: the header has 'Patient ID'; rename it to 'patient_id'"),
    ],
    "missing_header": [
        ("fatal", "missing_column", "patients.csv", 1, "patient_id", None,
         "required column 'patient_id' is missing: the first row looks like data (is the header missing?)"),
        ("fatal", "missing_column", "patients.csv", 1, "date_of_birth", None,
         "required column 'date_of_birth' is missing: "
         "the first row looks like data (is the header missing?)"),
    ],
    "unbalanced_quote": [
        ("fatal", "unparseable_csv", "medication_issues.csv", 3, "dosage_text", 1,
         'a double quote is not closed, or appears inside a value that does not start with one: the line '
         'cannot be split into fields'),
    ],
    "too_many_fields": [
        ("fatal", "unparseable_csv", "clinical_events.csv", 4, None, 1,
         'the line has more fields than the header (8 instead of 7): a value containing a comma must be in'
         ' double quotes'),
    ],
    "too_few_fields": [
        ("fatal", "unparseable_csv", "registrations.csv", 3, "end_date", 1,
         'the line has fewer fields than the header (3 instead of 4)'),
    ],
    "bad_date_not_iso": [
        ("fatal", "bad_date", "clinical_events.csv", 5, "event_date", 1,
         "'31/02/2023' is not a real date in YYYY-MM-DD form"),
    ],
    "bad_date_month_13": [
        ("fatal", "bad_date", "medication_issues.csv", 4, "issue_date", 1,
         "'2023-13-01' is not a real date in YYYY-MM-DD form"),
    ],
    "bad_date_february_30": [
        ("fatal", "bad_date", "fit_notes.csv", 3, "start_date", 1,
         "'2024-02-30' is not a real date in YYYY-MM-DD form"),
    ],
    "missing_value": [
        ("fatal", "missing_value", "clinical_events.csv", 7, "code", 1,
         'a value is required but the field is empty'),
    ],
    "duplicate_id": [
        ("fatal", "duplicate_id", "patients.csv", 6, "patient_id", 1,
         'the same patient_id is already used on row 3'),
    ],
    "death_before_birth": [
        ("fatal", "death_before_birth", "patients.csv", 4, "date_of_death", 1,
         'the date of death is before the date of birth'),
    ],
    "unknown_code_system": [
        ("fatal", "unknown_code_system", "clinical_events.csv", 2, "code_system", 1,
         "'read' is not a code system of clinical_events: expected one of readv2, ctv3, snomedct"),
    ],
    "bad_value_sex": [
        ("fatal", "bad_value", "patients.csv", 2, "sex", 1,
         "'F' is not allowed: expected one of female, male, unknown"),
    ],
    "bad_value_prescription_type": [
        ("fatal", "bad_value", "medication_issues.csv", 2, "prescription_type", 1,
         "'Repeat' is not allowed: expected one of acute, repeat"),
    ],
    "bad_value_fitness": [
        ("fatal", "bad_value", "fit_notes.csv", 2, "fitness", 1,
         "'unfit' is not allowed: expected one of not_fit, may_be_fit"),
    ],
    "mangled_code_scientific": [
        ("fatal", "mangled_identifier", "medication_issues.csv", 2, "code", 1, f"'3.97203E+16' {MANGLED}"),
    ],
    "mangled_code_trailing_zero": [
        ("fatal", "mangled_identifier", "clinical_events.csv", 5, "code", 1, f"'279039007.0' {MANGLED}"),
    ],
    "mangled_code_digits_lost": [
        ("fatal", "mangled_identifier", "medication_issues.csv", 3, "code", 1,
         f"'39720311000001100' {MANGLED}"),
    ],
    "mangled_patient_id": [
        ("fatal", "mangled_identifier", "registrations.csv", 2, "patient_id", 1, f"the value {MANGLED}"),
        ("warning", "unknown_patient", "registrations.csv", 2, "patient_id", 1,
         'the patient_id is not in patients.csv'),
    ],
    "unknown_patient": [
        ("warning", "unknown_patient", "clinical_events.csv", 8, "patient_id", 1,
         'the patient_id is not in patients.csv'),
    ],
    "date_after_extract": [
        ("warning", "date_after_extract", "clinical_events.csv", 7, "event_date", 1,
         'the date is after the extract date (2024-03-31)'),
    ],
    "date_before_birth": [
        ("warning", "date_before_birth", "medication_issues.csv", 6, "issue_date", 1,
         "the date is before the patient's date of birth"),
    ],
    "end_before_start": [
        ("warning", "end_before_start", "registrations.csv", 4, "end_date", 1,
         'end_date is before start_date'),
    ],
    "read_code_format": [
        ("warning", "read_code_format", "clinical_events.csv", 2, "code", 1,
         "'N142' is not a Read v2 code: expected 5 characters (N142.), or 7 ending in 2 digits"),
    ],
    "ctv3_code_format": [
        ("warning", "ctv3_code_format", "clinical_events.csv", 4, "code", 1,
         "'XE1F' is not a CTV3 code: expected 5 letters, digits or dots"),
    ],
    "snomed_code_format": [
        ("warning", "snomed_code_format", "clinical_events.csv", 7, "code", 1,
         "'27903' is not a SNOMED CT identifier: expected 6 to 18 digits, the first not 0"),
    ],
    "bnf_code_format": [
        ("warning", "bnf_code_format", "medication_issues.csv", 4, "code", 1,
         "'04.07.01' is not a BNF code: expected 2 digits then up to 13 digits or capital letters"),
    ],
    "bad_number": [
        ("warning", "bad_number", "medication_issues.csv", 5, "quantity", 1, 'the value is not a number'),
    ],
}  # fmt: skip


@functools.cache
def _report(mode: str):
    """The report for a committed failure mode (validated once per test session: they never change)."""
    return validate_extract(BAD / mode)


def _problems(report) -> list[tuple]:
    return [(p.severity.value, p.check, p.file, p.row, p.column, p.count, p.message) for p in report.problems]


def _load_build():
    spec = importlib.util.spec_from_file_location("bad_inputs_build", BAD / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _copy_valid(tmp_path: Path) -> Path:
    target = tmp_path / "extract"
    shutil.copytree(VALID, target)
    return target


# -- the valid extract and each failure mode -----------------------------------------------------------------


def test_valid_minimal_extract_has_no_problems():
    report = validate_extract(VALID)
    assert report.problems == [], [p.describe() for p in report.problems]
    assert report.ok and report.fatal == []
    assert report.row_counts == {
        "patients": 4,
        "registrations": 4,
        "clinical_events": 6,
        "medication_issues": 5,
        "fit_notes": 2,
    }
    assert (report.as_of, report.as_of_source) == (dt.date(2024, 3, 31), "extract.json")


@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_failure_mode_reports_its_exact_problem(mode):
    report = _report(mode)
    assert _problems(report) == EXPECTED[mode]
    fatal = any(e[0] == "fatal" for e in EXPECTED[mode])
    assert bool(report.fatal) is fatal


def test_every_fixture_folder_has_an_expectation_and_is_what_build_py_makes(tmp_path):
    build = _load_build()
    folders = {p.name for p in BAD.iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert folders == set(build.MODES) == set(EXPECTED)
    for mode in build.MODES:
        build.build(mode, tmp_path / mode)
        built = {p.name: p.read_bytes() for p in (tmp_path / mode).iterdir()}
        committed = {p.name: p.read_bytes() for p in (BAD / mode).iterdir()}
        assert built == committed, f"{mode}: rerun tests/fixtures/bad_inputs/build.py and review the diff"


def test_each_fixture_differs_from_the_valid_extract_in_one_file():
    valid = {p.name: p.read_bytes() for p in VALID.iterdir()}
    for mode in EXPECTED:
        files = {p.name: p.read_bytes() for p in (BAD / mode).iterdir()}
        changed = {n for n in valid.keys() | files.keys() if valid.get(n) != files.get(n)}
        assert len(changed) == 1, f"{mode} changes {sorted(changed)}"


def test_messages_never_contain_a_patient_identifier():
    for mode in EXPECTED:
        for problem in _report(mode).problems:
            for pid in PATIENT_IDS:
                assert not re.search(rf"(?<![\d.]){pid}(?![\d])", problem.message), (mode, problem.message)


# -- formats: BOM + CRLF, Parquet ----------------------------------------------------------------------------


def test_bom_and_crlf_are_accepted_silently(tmp_path):
    folder = _copy_valid(tmp_path)
    for csv_file in folder.glob("*.csv"):
        text = csv_file.read_text(encoding="utf-8")
        csv_file.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    raw = (folder / "patients.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfpatient_id,") and b"\r\n" in raw
    report = validate_extract(folder)
    assert report.problems == []
    assert report.row_counts == validate_extract(VALID).row_counts


def test_bom_and_crlf_keep_row_numbers(tmp_path):
    folder = _copy_valid(tmp_path)
    _load_build().set_field("clinical_events.csv", 5, "event_date", "31/02/2023")(folder)
    path = folder / "clinical_events.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_text(encoding="utf-8").replace("\n", "\r\n").encode())
    assert _problems(validate_extract(folder)) == EXPECTED["bad_date_not_iso"]


def _to_parquet(folder: Path, tables: tuple[str, ...] = tuple(TABLES), select: str = "*") -> None:
    con = duckdb.connect()
    for name in tables:
        csv_path = folder / f"{name}.csv"
        rel = con.read_csv(str(csv_path), header=True, all_varchar=True)
        rel.project(select if name == "patients" else "*").write_parquet(str(folder / f"{name}.parquet"))
        csv_path.unlink()
    con.close()


def test_parquet_extract_is_validated_the_same_way(tmp_path):
    folder = _copy_valid(tmp_path)
    _to_parquet(folder)
    report = validate_extract(folder)
    assert report.problems == []
    assert report.files["patients"] == "patients.parquet"
    assert report.row_counts["clinical_events"] == 6


@pytest.mark.parametrize(
    "mode", ["bad_date_not_iso", "unknown_code_system", "mangled_code_scientific", "duplicate_id"]
)
def test_parquet_gives_the_same_problems_as_csv(tmp_path, mode):
    folder = tmp_path / mode
    shutil.copytree(BAD / mode, folder)
    _to_parquet(folder)
    expected = [(*e[:2], e[2].replace(".csv", ".parquet"), *e[3:]) for e in EXPECTED[mode]]
    assert _problems(validate_extract(folder)) == expected


def test_parquet_with_typed_dates_is_accepted(tmp_path):
    folder = _copy_valid(tmp_path)
    select = (
        "patient_id, CAST(date_of_birth AS DATE) AS date_of_birth, sex, "
        "CAST(date_of_death AS TIMESTAMP) AS date_of_death"
    )
    _to_parquet(folder, ("patients",), select)
    assert validate_extract(folder).problems == []


def test_parquet_with_codes_stored_as_floats_is_refused(tmp_path):
    folder = _copy_valid(tmp_path)
    con = duckdb.connect()
    rel = con.read_csv(str(folder / "medication_issues.csv"), header=True, all_varchar=True)
    rel.project(
        "* REPLACE (CASE WHEN code_system = 'dmd' THEN CAST(code AS DOUBLE) END AS code)"
    ).write_parquet(str(folder / "medication_issues.parquet"))
    (folder / "medication_issues.csv").unlink()
    problems = validate_extract(folder).problems
    assert [
        (p.check, p.file, p.row, p.column, p.count) for p in problems if p.check == "mangled_identifier"
    ] == [("mangled_identifier", "medication_issues.parquet", 2, "code", 3)]


def test_unreadable_parquet_is_fatal(tmp_path):
    folder = _copy_valid(tmp_path)
    (folder / "fit_notes.csv").unlink()
    (folder / "fit_notes.parquet").write_bytes(b"this is not parquet")
    [problem] = validate_extract(folder).problems
    assert (problem.severity, problem.check, problem.file) == (
        Severity.fatal,
        "unreadable_file",
        "fit_notes.parquet",
    )
    assert problem.message.startswith("cannot be read as Parquet: ")


def test_a_table_in_both_formats_is_fatal(tmp_path):
    folder = _copy_valid(tmp_path)
    shutil.copy(folder / "registrations.csv", tmp_path / "registrations.csv")
    _to_parquet(folder, ("registrations",))
    shutil.copy(tmp_path / "registrations.csv", folder / "registrations.csv")
    problems = _problems(validate_extract(folder))
    assert problems == [
        ("fatal", "duplicate_file", "registrations.*", None, None, None,
         "both registrations.csv and registrations.parquet are present: keep only one"),
    ]  # fmt: skip


def test_an_unreadable_patients_file_does_not_make_every_row_an_unknown_patient(tmp_path):
    folder = _copy_valid(tmp_path)
    _load_build().replace_line("patients.csv", 3, '1002,1968-11-02,"male,,A81001,')(folder)
    assert _problems(validate_extract(folder)) == [
        ("fatal", "unparseable_csv", "patients.csv", 3, "sex", 1,
         "a double quote is not closed, or appears inside a value that does not start with one: the line "
         "cannot be split into fields"),
    ]  # fmt: skip


def test_a_parquet_file_without_a_required_column_is_fatal(tmp_path):
    folder = _copy_valid(tmp_path)
    _to_parquet(folder, ("patients",), "patient_id, sex")
    assert _problems(validate_extract(folder)) == [
        ("fatal", "missing_column", "patients.parquet", None, "date_of_birth", None,
         "required column 'date_of_birth' is missing from the file"),
    ]  # fmt: skip


# -- counting, row numbers and the as-of date ----------------------------------------------------------------


def test_problems_are_counted_and_the_first_row_is_named(tmp_path):
    folder = _copy_valid(tmp_path)
    lines = [
        "1099,2022-03-04,N142.,readv2,,,",
        "1004,2024-05-01,N142.,readv2,,,",
        "1098,2022-03-04,N142.,readv2,,,",
        "1004,2024-05-02,N142.,readv2,,,",
        "1097,1910-01-01,N142.,readv2,,,",
    ]
    with open(folder / "clinical_events.csv", "a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    problems = _problems(validate_extract(folder))
    assert problems == [
        ("warning", "unknown_patient", "clinical_events.csv", 8, "patient_id", 3,
         "the patient_id is not in patients.csv"),
        ("warning", "date_after_extract", "clinical_events.csv", 9, "event_date", 2,
         "the date is after the extract date (2024-03-31)"),
    ]  # fmt: skip


def test_row_numbers_are_right_in_a_file_read_in_parallel(tmp_path):
    folder = _copy_valid(tmp_path)
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT '1001' AS patient_id,"
        " CASE WHEN i = 234566 THEN '2023-02-29' ELSE '2020-01-01' END AS event_date,"
        " 'N142.' AS code, 'readv2' AS code_system, 'Pain in lumbar spine, with a long term text' AS term,"
        " NULL AS numeric_value, CAST(i AS VARCHAR) AS event_id FROM range(300000) t(i)) TO '"
        + str(folder / "clinical_events.csv").replace("'", "''")
        + "' (HEADER, DELIMITER ',')"
    )
    con.close()
    [problem] = validate_extract(folder).problems
    assert (problem.check, problem.row, problem.column, problem.message) == (
        "bad_date",
        234568,  # i = 234566 is the 234,567th data row, and the header is row 1
        "event_date",
        "'2023-02-29' is not a real date in YYYY-MM-DD form",
    )


def test_as_of_option_overrides_extract_json(tmp_path):
    report = validate_extract(BAD / "date_after_extract", as_of=dt.date(2024, 12, 31))
    assert report.as_of_source == "--as-of"
    # the later dates are no longer after the as-of date; only the gap after the extract date is reported
    assert [p.describe() for p in report.problems] == [
        "extract.json, column 'extract_date': --as-of 2024-12-31 is after the extract date 2024-03-31: "
        "records from after the extract date cannot be in it, so the search windows are partly empty"
    ]
    assert report.problems[0].severity == Severity.warning
    report = validate_extract(VALID, as_of=dt.date(2023, 1, 1))
    assert {(p.check, p.file, p.count) for p in report.problems} == {
        ("date_after_extract", "clinical_events.csv", 2),
        ("date_after_extract", "medication_issues.csv", 2),
        ("date_after_extract", "fit_notes.csv", 2),
        ("date_after_extract", "patients.csv", 1),
    }


@pytest.mark.parametrize(
    ("as_of", "given_by", "fatal"),
    [
        (dt.date(1024, 10, 1), "--as-of", True),  # a mistyped year: before every date of birth
        (dt.date(1980, 1, 1), "--as-of", False),  # before two of the four births: the search can run
    ],
)
def test_an_as_of_date_before_every_birth_is_fatal(as_of, given_by, fatal):
    report = validate_extract(VALID, as_of=as_of)
    found = [p for p in report.problems if p.check == "as_of_before_births"]
    if not fatal:
        assert found == []
        return
    assert [p.describe() for p in found] == [
        f"patients.csv, column 'date_of_birth': {given_by} {as_of} is before every patient's date of birth, "
        "so nobody can be searched: check the date"
    ]
    with pytest.raises(ExtractInvalidError, match="as_of_before_births|before every patient's date of birth"):
        check_extract_or_raise(VALID, as_of)


def test_an_extract_date_before_every_birth_is_named_as_the_extract_date(tmp_path):
    folder = _copy_valid(tmp_path)
    (folder / "extract.json").write_text('{"extract_date": "1900-01-01"}', encoding="utf-8")
    found = [p.describe() for p in validate_extract(folder).problems if p.check == "as_of_before_births"]
    assert found == [
        "patients.csv, column 'date_of_birth': the as-of date (extract.json) 1900-01-01 is before every "
        "patient's date of birth, so nobody can be searched: check the date"
    ]


@pytest.mark.parametrize("text", ["[]", '"2024-03-31"', "null"])
def test_extract_json_that_is_not_an_object_is_named_plainly(tmp_path, text):
    folder = _copy_valid(tmp_path)
    (folder / "extract.json").write_text(text, encoding="utf-8")
    assert [p.describe() for p in validate_extract(folder).problems] == [
        'extract.json: must be a JSON object, e.g. {"extract_date": "2024-03-31", "practice_id": "A81001"}'
    ]


def test_without_extract_json_the_as_of_date_is_today(tmp_path):
    folder = _copy_valid(tmp_path)
    (folder / "extract.json").unlink()
    report = validate_extract(folder)
    assert (report.as_of, report.as_of_source, report.problems) == (dt.date.today(), "today", [])


def test_extra_columns_and_column_order_do_not_matter(tmp_path):
    folder = _copy_valid(tmp_path)
    path = folder / "registrations.csv"
    rows = [line.split(",") for line in path.read_text().splitlines()]
    path.write_text("\n".join(",".join([r[2], r[0], "local_note", r[1], r[3]]) for r in rows) + "\n")
    assert validate_extract(folder).problems == []


def test_a_missing_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist or is not a folder"):
        validate_extract(tmp_path / "nowhere")


# -- mangled codes: the SQL check digit agrees with a reference implementation -------------------------------

_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]  # fmt: skip
_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]  # fmt: skip


def _verhoeff_ok(code: str) -> bool:
    check = 0
    for i, digit in enumerate(reversed(code)):
        check = _D[check][_P[i % 8][int(digit)]]
    return check == 0


def test_verhoeff_reference_accepts_known_identifiers():
    for sctid in ("279039007", "82423001", "22298006", "39720311000001101", "3776211000001106"):
        assert _verhoeff_ok(sctid), sctid
    assert not _verhoeff_ok("39720311000001100")


@pytest.mark.parametrize("system,table", [("snomedct", "clinical_events"), ("dmd", "medication_issues")])
def test_long_codes_ending_in_zero_are_flagged_exactly_when_the_check_digit_is_wrong(tmp_path, system, table):
    rng = random.Random(20240331)
    codes = [str(rng.randrange(10**14, 10**17)) + "0" for _ in range(300)]  # 16 to 18 digits, ending in 0
    folder = _copy_valid(tmp_path)
    path = folder / f"{table}.csv"
    header = path.read_text().splitlines()[0].split(",")
    rows = []
    for code in codes:
        row = dict.fromkeys(header, "")
        row.update(
            patient_id="1001", code=code, code_system=system, event_date="2020-01-01", issue_date="2020-01-01"
        )
        rows.append(",".join(row[c] for c in header))
    path.write_text(",".join(header) + "\n" + "\n".join(rows) + "\n")
    flagged = {p.count for p in validate_extract(folder).problems if p.check == "mangled_identifier"}
    expected = sum(not _verhoeff_ok(c) for c in codes)
    assert 0 < expected < len(codes)
    assert flagged == {expected}


# -- the search's entry point --------------------------------------------------------------------------------


def test_check_extract_or_raise_passes_warnings_through():
    report = check_extract_or_raise(BAD / "unknown_patient")
    assert [p.check for p in report.warnings] == ["unknown_patient"]


def test_check_extract_or_raise_summarises_fatal_problems():
    with pytest.raises(ExtractInvalidError) as info:
        check_extract_or_raise(BAD / "bad_date_not_iso")
    assert info.value.exit_code == EXIT_INPUT
    assert str(info.value) == (
        f"the extract in {BAD / 'bad_date_not_iso'} has 1 fatal problem and cannot be searched: "
        "clinical_events.csv, row 5, column 'event_date': '31/02/2023' is not a real date in YYYY-MM-DD "
        "form. "
        f"Run `pain-finder validate {BAD / 'bad_date_not_iso'}` for the full report."
    )


def test_a_given_connection_keeps_the_raw_views_and_its_settings():
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = true")
    validate_extract(VALID, con=con)
    assert con.execute("SELECT count(*), max(_row) FROM raw_clinical_events").fetchall() == [(6, 7)]
    assert con.execute("SELECT current_setting('enable_progress_bar')").fetchall() == [(True,)]
    assert con.execute("SELECT current_setting('disabled_optimizers')").fetchall() == [("",)]
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not {t for t in tables if t.startswith("validate_")}


# -- the report ----------------------------------------------------------------------------------------------


def test_report_renders_as_a_table_and_a_verdict():
    from rich.console import Console

    report = validate_extract(BAD / "mangled_patient_id")
    console = Console(width=250, record=True)
    console.print(report.to_rich_table())
    text = console.export_text()
    assert "fatal" in text and "mangled_identifier" in text and "registrations.csv" in text
    assert report.verdict() == (
        "INVALID: 1 fatal problem and 1 warning (fix the fatal problems, then validate again). "
        "patients.csv 4 rows, registrations.csv 4 rows, clinical_events.csv 6 rows, "
        "medication_issues.csv 5 rows, fit_notes.csv 2 rows. "
        "As-of date 2024-03-31 (extract.json)."
    )


# -- the checks cover the schema -----------------------------------------------------------------------------


def _flags(table: str) -> set[tuple[str, str]]:
    body = sql_files.load(f"validate_{table}").body
    return {tuple(m.split(":")) for m in re.findall(r'AS "(\w+:\w+)"', body)}


def test_every_sql_check_is_a_known_check_and_the_schema_is_covered():
    for name, spec in TABLES.items():
        flags = _flags(name)
        assert {check for check, _ in flags} <= set(CHECKS), name
        for col in spec.required_columns:
            assert ("missing_value", col) in flags, (name, col)
        for col in spec.date_columns:
            assert ("bad_date", col) in flags, (name, col)
        for col in spec.id_columns:
            assert ("mangled_identifier", col) in flags, (name, col)
        for col in spec.numeric_columns:
            assert ("bad_number", col) in flags, (name, col)
        for col in spec.allowed_values:
            assert ("unknown_code_system" if col == "code_system" else "bad_value", col) in flags, (name, col)


def test_reader_contract_still_holds():
    files = reader.locate(VALID)
    assert set(files.tables) == set(TABLES)
    con = duckdb.connect()
    validate_extract(VALID, con=con)  # leaves the raw_<table> views for the search
    rows = con.execute("SELECT patient_id, date_of_birth, _row FROM raw_patients ORDER BY _row").fetchall()
    assert rows[0] == ("1001", "1975-03-14", 2)
    types = {r[0]: r[1] for r in con.execute("DESCRIBE raw_medication_issues").fetchall()}
    assert types["quantity"] == "VARCHAR" and types["_row"] == "BIGINT"
    assert len(reader.file_sha256(files.tables["patients"])) == 64
    assert reader.read_meta(VALID).extract_date == dt.date(2024, 3, 31)


def test_docs_list_every_check():
    docs = (REPO_ROOT / "docs" / "validate.md").read_text(encoding="utf-8")
    for code in CHECKS:
        assert f"`{code}`" in docs, code
