"""`pain-finder synth`: files written, what it prints, exit codes and messages for bad options."""

from __future__ import annotations

import json

import pytest

from pain_finder.cli import run
from tests.unit.test_synth_lists import write_lists


@pytest.fixture
def lists(tmp_path):
    return write_lists(tmp_path / "lists")


def test_synth_writes_a_valid_extract_and_says_so(tmp_path, lists, capsys):
    out = tmp_path / "extract"
    code = run(
        [
            "synth",
            str(out),
            "--patients",
            "150",
            "--coding",
            "readv2",
            "--seed",
            "4",
            "--extract-date",
            "2025-03-31",
            "--code-lists",
            str(lists),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out.startswith(f"wrote {out}: practice Y"), captured.out
    assert "150 patients" in captured.out and "clinical_events" in captured.out
    assert captured.err == ""
    assert sorted(p.name for p in out.iterdir()) == [
        "clinical_events.csv",
        "extract.json",
        "fit_notes.csv",
        "medication_issues.csv",
        "patients.csv",
        "registrations.csv",
    ]
    meta = json.loads((out / "extract.json").read_text())
    assert (meta["extract_date"], meta["synth"]["options"]["seed"]) == ("2025-03-31", 4)
    assert run(["validate", str(out)]) == 0, capsys.readouterr().out


def test_several_practices_in_parquet(tmp_path, lists, capsys):
    code = run(
        [
            "synth",
            str(tmp_path),
            "--patients",
            "60",
            "--practices",
            "2",
            "--format",
            "parquet",
            "--code-lists",
            str(lists),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("wrote ") == 2
    assert out.count(": practice Y") == 2 and out.count(", 30 patients,") == 2, out  # 60 split over 2
    for k in (1, 2):
        folder = tmp_path / f"practice_00{k}"
        assert (folder / "clinical_events.parquet").is_file()
        assert run(["validate", str(folder)]) == 0


def test_missing_code_lists_are_warned_about_on_stderr(tmp_path, capsys):
    empty = tmp_path / "no_lists"
    empty.mkdir()
    code = run(["synth", str(tmp_path / "out"), "--patients", "40", "--code-lists", str(empty)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"warning: code list pain_condition/snomedct not found in {empty}" in captured.err
    assert "warning: code list opioid/dmd not found" in captured.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--patients", "0"],
            "Error: invalid options: --patients: Input should be greater than or equal to 1",
        ),
        (
            ["--patients", "10", "--practices", "0"],
            "Error: invalid options: --practices: Input should be greater than or equal to 1",
        ),
        (
            ["--patients", "10", "--coding", "read"],
            "Error: invalid options: --coding: Input should be 'readv2', 'ctv3' or 'snomedct'",
        ),
        (
            ["--patients", "10", "--format", "xlsx"],
            "Error: invalid options: --format: Input should be 'csv' or 'parquet'",
        ),
        (
            ["--patients", "2", "--practices", "3"],
            "Error: invalid options: --patients must be at least --practices "
            "(every practice needs a patient)",
        ),
        (
            ["--patients", "10", "--noise-scale", "0"],
            "Error: invalid options: --noise-scale: Input should be greater than 0",
        ),
    ],
)
def test_bad_options_are_config_errors_with_a_clear_message(tmp_path, capsys, args, message):
    code = run(["synth", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err
    assert code == 4, err
    assert " ".join(err.split()) == message
    assert not (tmp_path / "out").exists()


def test_missing_code_lists_folder_is_a_config_error(tmp_path, capsys):
    code = run(["synth", str(tmp_path / "out"), "--patients", "10", "--code-lists", str(tmp_path / "nope")])
    assert code == 4
    assert "--code-lists:" in capsys.readouterr().err


def test_usage_errors(tmp_path, capsys):
    assert run(["synth", str(tmp_path / "out")]) == 2  # --patients is required
    assert run(["synth", str(tmp_path / "out"), "--patients", "10", "--extract-date", "2024-13-01"]) == 2
    assert run(["synth", str(tmp_path / "out"), "--patients", "ten"]) == 2
    capsys.readouterr()


def test_output_that_is_a_file_is_an_output_error(tmp_path, lists, capsys):
    target = tmp_path / "file.txt"
    target.write_text("x")
    code = run(["synth", str(target), "--patients", "10", "--code-lists", str(lists)])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 5, err
    assert err == f"Error: {target} exists and is not a folder: choose another output folder"
