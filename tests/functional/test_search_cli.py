"""`pain-finder search` and `pain-finder config show` end to end: exit codes, exact messages, files written,
byte-identical reruns, and nothing half-written when a run fails."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from pain_finder import outputs
from pain_finder.cli import run
from pain_finder.config import SearchConfig, load_config
from pain_finder.errors import EXIT_CONFIG, EXIT_INPUT, EXIT_OK, EXIT_OUTPUT
from pain_finder.outputs import OUTPUT_FILES
from tests.search_fixtures import (
    CHRONIC,
    CODEINE,
    PAIN,
    event,
    fit,
    med,
    patient,
    write_codelists,
    write_extract,
)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")


@pytest.fixture
def practice(tmp_path: Path) -> dict:
    lists = write_codelists(tmp_path / "code_lists")
    extract = write_extract(
        tmp_path / "extract",
        patients=[patient("a"), patient("b", sex="male"), patient("c"), patient("old", dob="1950-01-01")],
        events=[
            event("a", "2023-01-10", CHRONIC),
            event("b", "2023-02-01", PAIN),
            event("c", "2023-03-01", CHRONIC),
            event("old", "2023-03-01", CHRONIC),
        ],
        meds=[
            med("a", "2024-05-01", CODEINE),
            # b: 3 issues over 9 months, long-term use (two issues months apart would not be)
            med("b", "2023-09-01", CODEINE),
            med("b", "2024-01-15", CODEINE),
            med("b", "2024-06-01", CODEINE),
            med("old", "2024-06-01", CODEINE),
        ],
        fit_notes=[fit("c", "2024-06-01", "2024-06-01", "2024-06-28")],
    )
    config = tmp_path / "search.toml"
    config.write_text(f'code_lists_dir = "{lists}"\n', encoding="utf-8")
    return {"extract": extract, "config": config, "root": tmp_path}


def search(practice: dict, out: Path, *extra: str) -> int:
    return run(
        ["search", str(practice["extract"]), "--out", str(out), "--config", str(practice["config"]), *extra]
    )


def test_search_writes_every_output_and_prints_the_summary(practice, capsys) -> None:
    out = practice["root"] / "out"
    code = search(practice, out)
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES.values())
    assert "Candidates (listed: 3)" in captured.out
    assert f"Hand-check list: {out / 'invitations.xlsx'}" in captured.out
    with open(out / "invitations.csv", newline="", encoding="utf-8") as fh:
        listed = list(csv.DictReader(fh))
    assert [(r["rank"], r["patient_id"]) for r in listed] == [("1", "c"), ("2", "b"), ("3", "a")], listed
    excluded = (out / "excluded.csv").read_text(encoding="utf-8")
    assert excluded == "patient_id,reasons,age,sex\nold,age,74,female\n", excluded
    import openpyxl

    sheet = openpyxl.load_workbook(out / "invitations.xlsx", read_only=True)["Invitations"]
    cells = list(sheet.iter_rows(values_only=True))
    assert cells[0][:3] == ("rank", "patient_id", "nhs_number"), cells[0]
    assert [row[1] for row in cells[1:] if row[1]] == ["c", "b", "a"], cells


def test_top_caps_the_list_but_not_the_counts(practice, capsys) -> None:
    out = practice["root"] / "out"
    assert search(practice, out, "--top", "1") == EXIT_OK
    lines = (out / "invitations.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and lines[1].startswith("1,c,"), lines
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["n_candidates"], manifest["n_listed"]) == (3, 1)
    assert "Candidates (listed: 1)" in capsys.readouterr().out


def test_as_of_option_overrides_the_extract_date(practice) -> None:
    out = practice["root"] / "out"
    assert search(practice, out, "--as-of", "2024-05-15") == EXIT_OK
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["as_of"], manifest["as_of_source"]) == ("2024-05-15", "--as-of")
    # patient b's second issue (2024-06-01) is now in the future: ignored, so the list is c? no: c's fit
    # note is
    # also after 2024-05-15; a (2024-05-01 issue) and b (2023-09-01 issue, pain span) remain
    ids = [line.split(",")[1] for line in (out / "invitations.csv").read_text().splitlines()[1:]]
    assert sorted(ids) == ["a", "b"]


def test_rerun_is_byte_identical(practice) -> None:
    first, second = practice["root"] / "one", practice["root"] / "two"
    assert search(practice, first) == EXIT_OK
    assert search(practice, second) == EXIT_OK
    for name in OUTPUT_FILES.values():
        if name != "manifest.json":
            assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert search(practice, first) == EXIT_OK  # and rerunning into the same folder
    for name in OUTPUT_FILES.values():
        if name != "manifest.json":
            assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_a_failure_while_writing_leaves_the_previous_outputs_untouched(practice, monkeypatch, capsys) -> None:
    out = practice["root"] / "out"
    assert search(practice, out) == EXIT_OK
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def boom(name: str) -> None:
        if name == "invitations_xlsx":
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs, "_after_each_file", boom)
    assert search(practice, out, "--top", "1") == EXIT_OUTPUT
    assert "Error: cannot write the outputs in" in capsys.readouterr().err
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before  # no temporary file left, no file replaced


def test_a_folder_in_the_way_of_one_output_replaces_none_of_them(practice, capsys) -> None:
    out = practice["root"] / "blocked"
    assert search(practice, out) == EXIT_OK
    (out / "invitations.xlsx").unlink()
    (out / "invitations.xlsx").mkdir()  # e.g. a folder someone made by mistake
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert search(practice, out, "--top", "1") == EXIT_OUTPUT
    assert "invitations.xlsx: a folder of that name is in the way" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_a_failure_on_a_fresh_folder_leaves_nothing(practice, monkeypatch) -> None:
    out = practice["root"] / "fresh"

    def boom(name: str) -> None:
        if name == "summary":
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(outputs, "_after_each_file", boom)
    assert search(practice, out) == EXIT_OUTPUT
    assert list(out.iterdir()) == []


def test_an_output_path_that_is_a_file_is_an_output_error(practice, capsys) -> None:
    out = practice["root"] / "a_file"
    out.write_text("x")
    assert search(practice, out) == EXIT_OUTPUT
    assert "Error: cannot create the output folder" in capsys.readouterr().err


def test_a_fatal_invalid_extract_is_refused_with_exit_code_3(practice, capsys) -> None:
    bad = practice["root"] / "bad"
    shutil.copytree(practice["extract"], bad)
    (bad / "patients.csv").write_text("patient_id,date_of_birth\na,1980-13-01\n", encoding="utf-8")
    code = run(
        ["search", str(bad), "--out", str(practice["root"] / "out"), "--config", str(practice["config"])]
    )
    err = capsys.readouterr().err
    assert code == EXIT_INPUT, err
    assert (
        f"Error: the extract in {bad} has 1 fatal problem and cannot be searched: patients.csv, row 2, "
        in err
    )
    assert f"Run `pain-finder validate {bad}` for the full report." in " ".join(err.split())
    assert not (practice["root"] / "out").exists()


def test_a_missing_extract_folder_is_an_input_error(practice, capsys) -> None:
    code = run(["search", str(practice["root"] / "nowhere"), "--out", str(practice["root"] / "out")])
    assert code == EXIT_INPUT
    assert "does not exist or is not a folder" in capsys.readouterr().err


def test_an_invalid_config_is_refused_with_exit_code_4(practice, capsys) -> None:
    bad = practice["root"] / "bad.toml"
    bad.write_text(
        "[population]\nmin_age = 70\nmax_age = 20\n[ranking]\nfit_note_points = -1\n", encoding="utf-8"
    )
    assert search({**practice, "config": bad}, practice["root"] / "out") == EXIT_CONFIG
    err = " ".join(capsys.readouterr().err.split())
    assert "Error: bad.toml: invalid search definition:" in err
    assert "- population: Value error, min_age must not be greater than max_age" in err
    assert "- ranking.fit_note_points: Input should be greater than or equal to 0" in err


@pytest.mark.parametrize(
    ("medication", "message"),
    [
        (
            "long_term_min_issues = 4\nlong_term_span_min_issues = 5\n",
            "- medication: Value error, long_term_span_min_issues must not be greater than "
            "long_term_min_issues (the span rule adds to the issue-count rule)",
        ),
        (
            "long_term_span_min_issues = 1\n",
            "- medication.long_term_span_min_issues: Input should be greater than or equal to 2",
        ),
    ],
    ids=["more_than_min_issues", "one_issue"],
)
def test_the_long_term_span_rule_needs_repeated_issues(practice, capsys, medication, message) -> None:
    bad = practice["root"] / "bad.toml"
    bad.write_text(practice["config"].read_text(encoding="utf-8") + "[medication]\n" + medication, "utf-8")
    assert search({**practice, "config": bad}, practice["root"] / "out") == EXIT_CONFIG
    err = " ".join(capsys.readouterr().err.split())
    assert message in err, err


def test_top_must_be_positive(practice) -> None:
    assert search(practice, practice["root"] / "out", "--top", "0") == 2


def test_config_show_prints_the_defaults_as_loadable_toml(tmp_path, capsys) -> None:
    assert run(["config", "show"]) == EXIT_OK
    text = capsys.readouterr().out
    path = tmp_path / "defaults.toml"
    path.write_text(text, encoding="utf-8")
    assert load_config(path) == SearchConfig()


def test_the_documented_example_config_is_the_defaults() -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "search.toml"
    assert load_config(example) == SearchConfig()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda folder: (folder / "patients.csv").unlink(),
            "patients.csv: required table 'patients' is missing: expected patients.csv or patients.parquet",
        ),
        (
            lambda folder: (folder / "fit_notes.parquet").write_bytes(b"PAR1"),
            "fit_notes.*: both fit_notes.csv and fit_notes.parquet are present: keep only one",
        ),
    ],
    ids=["missing_file", "duplicate_file"],
)
def test_search_reports_missing_and_duplicate_files_as_validation_does(practice, capsys, change, message):
    change(practice["extract"])
    assert search(practice, practice["root"] / "out") == EXIT_INPUT
    err = " ".join(capsys.readouterr().err.split())
    assert message in err, err
    assert "Run `pain-finder validate" in err
    assert not (practice["root"] / "out").exists()


def test_an_as_of_date_before_every_birth_is_refused(practice, capsys) -> None:
    assert search(practice, practice["root"] / "out", "--as-of", "1024-10-01") == EXIT_INPUT
    err = " ".join(capsys.readouterr().err.split())
    assert "--as-of 1024-10-01 is before every patient's date of birth, so nobody can be searched" in err
    assert not (practice["root"] / "out").exists()


def test_the_suggested_validate_command_repeats_the_as_of_date(practice, capsys) -> None:
    assert search(practice, practice["root"] / "out", "--as-of", "1024-10-01") == EXIT_INPUT
    err = " ".join(capsys.readouterr().err.split())
    assert f"Run `pain-finder validate {practice['extract']} --as-of 1024-10-01` for the full report." in err
