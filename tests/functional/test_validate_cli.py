"""`pain-finder validate` end to end: the line (on a terminal, the table row) of each problem, the verdict,
the exit code."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pain_finder.cli import run
from pain_finder.errors import EXIT_INPUT, EXIT_OK, EXIT_USAGE
from pain_finder.extract.problems import Problem
from tests.conftest import FIXTURES
from tests.unit.test_validate import EXPECTED

VALID = FIXTURES / "valid_minimal"
BAD = FIXTURES / "bad_inputs"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(autouse=True)
def not_a_terminal(monkeypatch):
    """Output captured as a cron job or CI sees it: not a terminal (rich's overrides cleared), 80 columns."""
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "80")


def _plain_line(sev, check, file, row, column, n, message) -> str:
    problem = Problem(severity=sev, check=check, file=file, row=row, column=column, count=n, message=message)
    return f"{sev} {check}: {problem.describe()}"


def _table_rows(out: str) -> list[list[str]]:
    """The data rows of the rich table: one list of cell texts per problem."""
    rows = []
    for line in ANSI.sub("", out).splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if len(cells) == 7 and cells[0] in ("fatal", "warning"):
            rows.append(cells)
    return rows


@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_each_failure_mode_prints_its_problem_and_exits_accordingly(capsys, mode):
    code = run(["validate", str(BAD / mode)])
    out, err = capsys.readouterr()
    expected = EXPECTED[mode]
    n_fatal = sum(e[0] == "fatal" for e in expected)
    assert code == (EXIT_INPUT if n_fatal else EXIT_OK), out + err
    lines = out.splitlines()
    assert lines[:-1] == [_plain_line(*e) for e in expected], out
    if n_fatal:
        assert lines[-1].startswith(f"INVALID: {n_fatal} fatal problem")
        plural = "s" if n_fatal > 1 else ""
        assert err == (
            f"Error: {BAD / mode}: {n_fatal} fatal problem{plural} (listed above); the extract cannot be "
            "searched until they are fixed.\n"
        )
    else:
        assert lines[-1].startswith("valid, with ") and err == ""


def test_a_long_message_is_printed_in_full_on_one_line(capsys):
    """Not a terminal (a log, `| cat`): a 290-character problem is one line, never wrapped or cut at 80."""
    mode = "mangled_code_digits_lost"
    assert run(["validate", str(BAD / mode)]) == EXIT_INPUT
    out = capsys.readouterr().out
    (line,) = [_plain_line(*e) for e in EXPECTED[mode]]
    assert len(line) > 250 and line.endswith("or import the column as Text"), line
    assert out.splitlines()[0] == line, out
    assert "│" not in out and "┃" not in out, out
    verdict = out.splitlines()[-1]
    assert verdict.startswith("INVALID: 1 fatal problem") and verdict.endswith("(extract.json)."), out


@pytest.mark.parametrize("mode", ["bad_date_not_iso", "date_after_extract", "unknown_patient"])
def test_on_a_terminal_the_problems_are_a_table(capsys, monkeypatch, mode):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich then treats stdout as a terminal
    monkeypatch.setenv("COLUMNS", "400")  # wide enough that no message wraps
    run(["validate", str(BAD / mode)])
    out = ANSI.sub("", capsys.readouterr().out)
    assert f"Validation of {BAD / mode}" in out
    assert _table_rows(out) == [
        [
            sev,
            check,
            file,
            "" if row is None else f"{row:,}",
            column or "",
            "" if n is None else f"{n:,}",
            message,
        ]
        for sev, check, file, row, column, n, message in EXPECTED[mode]
    ], out
    assert out.splitlines()[-1].startswith(("INVALID: ", "valid, with "))


def test_valid_extract_prints_only_the_verdict(capsys):
    assert run(["validate", str(VALID)]) == EXIT_OK
    out, err = capsys.readouterr()
    assert out == (
        "valid: no problems found. patients.csv 4 rows, registrations.csv 4 rows, "
        "clinical_events.csv 6 rows, medication_issues.csv 5 rows, fit_notes.csv 2 rows. "
        "As-of date 2024-03-31 (extract.json).\n"
    )
    assert err == ""


def test_as_of_option_moves_the_extract_date(capsys):
    assert run(["validate", str(BAD / "date_after_extract"), "--as-of", "2024-12-31"]) == EXIT_OK
    out = " ".join(capsys.readouterr().out.split())
    # the later dates are within the as-of date now; the gap after the extract date is a warning only
    assert out.startswith(
        "warning as_of_after_extract: extract.json, column 'extract_date': --as-of 2024-12-31"
    )
    assert "date_after_extract" not in out and "As-of date 2024-12-31 (--as-of)." in out


def test_bad_as_of_date_is_a_usage_error(capsys):
    assert run(["validate", str(VALID), "--as-of", "2024-13-01"]) == EXIT_USAGE
    assert "--as-of" in capsys.readouterr().err


def test_missing_folder_is_an_input_error(capsys, tmp_path):
    assert run(["validate", str(tmp_path / "nowhere")]) == EXIT_INPUT
    assert (
        capsys.readouterr().err
        == f"Error: extract folder {tmp_path / 'nowhere'} does not exist or is not a folder\n"
    )


def test_output_never_shows_a_patient_identifier(capsys, tmp_path):
    folder = tmp_path / "extract"
    shutil.copytree(BAD / "mangled_patient_id", folder)
    path = folder / "patients.csv"
    path.write_text(path.read_text().replace("1004,", "1.23457E+17,"))  # a second mangled identifier
    assert run(["validate", str(folder)]) == EXIT_INPUT
    out, err = capsys.readouterr()
    assert "1.23457E+17" not in out + err and not re.search(r"1001\.0|(?<![\d.])100[1-4](?!\d)", out + err)


def test_installed_command_exits_3_on_a_fatal_problem():
    """The console script, as a batch job runs it: exit code 3 and the problem on stdout."""
    exe = Path(sys.executable).with_name("pain-finder")
    if not exe.exists():
        pytest.skip(f"the pain-finder console script is not installed beside {sys.executable}")
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["COLUMNS"] = "80"
    done = subprocess.run(
        [str(exe), "validate", str(BAD / "wrong_delimiter_semicolon")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == EXIT_INPUT, done.stdout + done.stderr
    assert done.stdout.startswith(
        "fatal wrong_delimiter: clinical_events.csv, row 1: "
        "the header is separated by semicolons (';'), not commas"
    ), done.stdout
    assert "Traceback" not in done.stderr
