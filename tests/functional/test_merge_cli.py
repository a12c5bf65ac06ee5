"""`pain-finder merge` end to end: exit codes, exact messages, the files written, nothing partial left
behind."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from pain_finder.cli import run
from pain_finder.counts import simulated_counts
from pain_finder.disclosure import DisclosurePolicy
from pain_finder.errors import EXIT_CONFIG, EXIT_INPUT, EXIT_MERGE_REFUSED, EXIT_OK
from pain_finder.report import OUTPUT_FILES
from pain_finder.summary import build_summary, write_summary

AS_OF = dt.date(2026, 9, 30)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")


def _write(folder, practice_id, *, seed, fingerprint="f00dfeedf00dfeed", lookback=24):
    exact = simulated_counts(practice_id, seed=seed, registered=2000 + 500 * seed)
    summary = build_summary(
        exact,
        as_of=AS_OF,
        fingerprint=fingerprint,
        definition={"chronic_pain": {"lookback_months": lookback}},
        description="default definition",
        policy=DisclosurePolicy(),
        software_version="0.1.0",
        code_lists={"opioid/dmd": "a" * 64},
    )
    path = folder / practice_id / "summary.json"
    write_summary(summary, path)
    return path


@pytest.fixture
def summaries(tmp_path):
    return [_write(tmp_path, f"P{i:03d}", seed=i) for i in range(3)]


def test_merge_writes_every_output_and_prints_the_totals(tmp_path, summaries, capsys):
    out = tmp_path / "network"
    code = run(["merge", *map(str, summaries), "--out", str(out)])
    stdout, stderr = capsys.readouterr()
    assert code == EXIT_OK, stdout + stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    assert "Network of 3 practices" in stdout
    candidates = next(line for line in stdout.splitlines() if "Candidates for hand-checking" in line)
    total = list(csv.DictReader(io.StringIO((out / "network.csv").read_text(encoding="utf-8"))))[-1]
    cells = [c.strip() for c in candidates.split("│")[1:-1]]
    assert cells == [
        "Candidates for hand-checking",
        f"{int(total['candidates']):,}",
        f"{int(total['candidates_low']):,}",
        f"{int(total['candidates_high']):,}",
    ], stdout
    assert stdout.rstrip().endswith(f"to {out}")


def test_rerun_gives_identical_files(tmp_path, summaries, capsys):
    for name in ("a", "b"):
        assert run(["merge", *map(str, summaries), "--out", str(tmp_path / name)]) == EXIT_OK
    for name in OUTPUT_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_different_definitions_exit_6_and_write_nothing(tmp_path, summaries, capsys):
    other = _write(tmp_path, "Q001", seed=7, fingerprint="0123456789abcdef", lookback=36)
    out = tmp_path / "network"
    code = run(["merge", *map(str, summaries), str(other), "--out", str(out)])
    _, stderr = capsys.readouterr()
    assert code == EXIT_MERGE_REFUSED, stderr
    assert " ".join(stderr.split()) == (
        "Error: cannot merge: the summaries come from different search definitions (fingerprint "
        "0123456789abcdef: Q001; fingerprint f00dfeedf00dfeed: P000, P001, P002). What differs: setting "
        "chronic_pain.lookback_months: "
        "24 (P000, P001, P002) vs 36 (Q001). Rerun the searches with the same definition and code lists, or "
        "pass --allow-mixed to add them anyway (the outputs are then marked as mixed)."
    )
    assert not out.exists()
    code = run(["merge", *map(str, summaries), str(other), "--out", str(out), "--allow-mixed"])
    stdout, stderr = capsys.readouterr()
    assert code == EXIT_OK, stdout + stderr
    assert "WARNING: summaries from different search definitions were added (--allow-mixed)." in stdout
    data = json.loads((out / "network_summary.json").read_text(encoding="utf-8"))
    assert data["mixed"] is True and data["fingerprint"] == "mixed"


def test_same_practice_twice_exit_6_unless_kept(tmp_path, summaries, capsys):
    again = tmp_path / "copy.json"
    again.write_bytes(summaries[0].read_bytes())
    out = tmp_path / "network"
    code = run(["merge", *map(str, summaries), str(again), "--out", str(out)])
    _, stderr = capsys.readouterr()
    assert code == EXIT_MERGE_REFUSED, stderr
    assert " ".join(stderr.split()) == (
        f"Error: cannot merge: practice P000 appears 2 times ({summaries[0]}, {again}). Pass --keep "
        "P000=FILE to say which summary to use."
    )
    code = run(["merge", *map(str, summaries), str(again), "--out", str(out), "--keep", f"P000={again}"])
    stdout, stderr = capsys.readouterr()
    assert code == EXIT_OK, stdout + stderr
    data = json.loads((out / "network_summary.json").read_text(encoding="utf-8"))
    assert [p["source"] for p in data["practices"]] == [str(again), str(summaries[1]), str(summaries[2])]


def test_invalid_summary_exit_3_naming_file_and_field(tmp_path, summaries, capsys):
    data = json.loads(summaries[1].read_text(encoding="utf-8"))
    data["counts"]["candidates_by_sex"]["male"]["suppressed"] = "maybe"
    summaries[1].write_text(json.dumps(data), encoding="utf-8")
    code = run(["merge", *map(str, summaries), "--out", str(tmp_path / "network")])
    _, stderr = capsys.readouterr()
    assert code == EXIT_INPUT, stderr
    assert " ".join(stderr.split()) == (
        f"Error: {summaries[1]}: field counts.candidates_by_sex.male.suppressed: Input should be a valid "
        "boolean, unable to interpret input"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--keep", "P000"],
            "Error: --keep 'P000': expected PRACTICE=FILE, e.g. --keep A81001=a/summary.json",
        ),
        (["--policy", "lenient"], "Error: --policy 'lenient': expected 'standard' or 'none'"),
        (
            ["--policy", "none", "--threshold", "5"],
            "Error: --policy none publishes exact totals: do not combine it with --threshold/--rounding-base",
        ),
        (["--rounding-base", "0"], "Error: --rounding-base must be 1 or more"),
        (
            ["--threshold", "1"],
            "Error: --threshold 1: threshold 1 would reveal every suppressed count (it could only "
            "be 1): use 0 (no suppression) or 2 or more",
        ),
    ],
)
def test_bad_options_exit_4(tmp_path, summaries, capsys, args, message):
    code = run(["merge", *map(str, summaries), "--out", str(tmp_path / "network"), *args])
    _, stderr = capsys.readouterr()
    assert code == EXIT_CONFIG, stderr
    assert " ".join(stderr.split()) == message


def test_policy_option_applies_to_the_totals(tmp_path, summaries, capsys):
    out = tmp_path / "network"
    assert (
        run(["merge", *map(str, summaries), "--out", str(out), "--threshold", "10", "--rounding-base", "10"])
        == 0
    )
    data = json.loads((out / "network_summary.json").read_text(encoding="utf-8"))
    assert data["policy"] == {"mode": "standard", "threshold": 10, "rounding_base": 10}
    published = [c["value"] for c in data["total"]["attrition"] if c["value"] is not None]
    assert published and all(v % 10 == 0 for v in published)
