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
