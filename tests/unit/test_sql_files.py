"""The SQL loader: headers, declared parameters, and comments and strings told apart."""

from __future__ import annotations

import pytest

from pain_finder import sql_files
from pain_finder.sql_files import SqlFileError, parse_file


def _write(tmp_path, name, body):
    path = tmp_path / f"{name}.sql"
    path.write_text(body, encoding="utf-8")
    return path


def test_apostrophe_in_a_comment_does_not_hide_a_parameter(tmp_path):
    path = _write(
        tmp_path,
        "q",
        "-- name: q\n-- returns: x\n-- params: $as_of\n"
        "SELECT 1 -- the patient's date\nWHERE d <= $as_of -- and the practice's\n",
    )
    assert parse_file(path).params == {"as_of"}


def test_dashes_inside_a_string_are_not_a_comment(tmp_path):
    path = _write(tmp_path, "q", "-- name: q\n-- returns: x\n-- params: $a\nSELECT '--' AS s, $a AS a\n")
    assert parse_file(path).params == {"a"}


def test_parameter_inside_a_string_is_not_a_parameter(tmp_path):
    path = _write(tmp_path, "q", "-- name: q\n-- returns: x\n-- params: none\nSELECT '$not_a_param' AS s\n")
    assert parse_file(path).params == frozenset()


def test_undeclared_parameter_is_refused(tmp_path):
    path = _write(tmp_path, "q", "-- name: q\n-- returns: x\n-- params: none\nSELECT $sneaky\n")
    with pytest.raises(SqlFileError, match="declared params"):
        parse_file(path)


def test_indented_header_lines_continue_the_field_above(tmp_path):
    path = _write(
        tmp_path,
        "q",
        "-- name: q\n-- returns: one row per patient:\n--   patient_id, age\n"
        "-- params: $as_of,\n--   $grace\n-- A free comment ends the field.\n"
        "--   not part of params: $x\nSELECT $as_of + $grace\n",
    )
    step = parse_file(path)
    assert step.returns == "one row per patient: patient_id, age"
    assert step.params == {"as_of", "grace"}


def test_name_must_match_file(tmp_path):
    path = _write(tmp_path, "q", "-- name: other\n-- returns: x\nSELECT 1\n")
    with pytest.raises(SqlFileError, match="does not match the file name"):
        parse_file(path)


def test_every_packaged_query_parses_and_calls_check_their_parameters():
    steps = sql_files.all_steps()
    assert {"validate", "staging", "intermediate", "cohort", "import"} <= {s.layer for s in steps.values()}
    step = next(s for s in steps.values() if s.params)
    with pytest.raises(SqlFileError, match="missing parameter"):
        step.check_params({})
    with pytest.raises(SqlFileError, match="undeclared parameter"):
        step.check_params({**{p: None for p in step.params}, "extra": 1})


@pytest.mark.parametrize(
    ("code", "trailing_zero_is_damage", "has_check_digit", "mangled"),
    [
        ("1.23457E+17", True, True, True),  # scientific notation
        ("322236009.0", True, True, True),  # pandas' trailing .0
        ("1371.00", False, False, False),  # a real 7-character Read v2 code
        ("39720311000001101", True, True, False),  # a valid 17-digit dm+d id
        ("39720311000001100", True, True, True),  # the same, last digits lost to Excel's 15-digit limit
        ("39720311000001100", True, False, False),  # no check digit to test
        (None, True, True, False),
    ],
)
def test_spreadsheet_mangled_macro(code, trailing_zero_is_damage, has_check_digit, mangled):
    import duckdb

    con = duckdb.connect()
    sql_files.run_script(con, "validate_macros")
    got = con.execute(
        "SELECT spreadsheet_mangled(?::VARCHAR, ?, ?)", [code, trailing_zero_is_damage, has_check_digit]
    ).fetchall()[0][0]
    assert got is mangled
