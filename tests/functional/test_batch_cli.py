"""`pain-finder batch` end to end with the real search on real synthetic extracts (pain_finder.synth).

Small practices (300 patients) and 2 workers keep it fast. Covers: a batch with a broken practice (exit 7,
status, the others' outputs complete, network summary), nothing to do (exit 8), --force with byte-identical
outputs, a config error (exit 4 naming the field), SIGKILL part-way then rerun equals an uninterrupted run,
the lock (exit 9), and that neither the log nor the status file contains any patient identifier of the inputs.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pain_finder.batch.lock import BatchLock
from pain_finder.batch.state import BatchStatus
from pain_finder.cli import run

PRACTICE_FILES = ["excluded.csv", "invitations.csv", "invitations.xlsx", "manifest.json", "summary.json"]
PF = [sys.executable, "-m", "pain_finder"]


@pytest.fixture(scope="module")
def extracts(tmp_path_factory) -> Path:
    """Four synthetic practices (300 patients each) and one broken extract (patients.csv without a column)."""
    from pain_finder.synth import SynthOptions, generate

    root = tmp_path_factory.mktemp("batch_extracts") / "extracts"
    generate(SynthOptions(out=root, patients=1200, practices=4, seed=11))  # 300 per practice
    broken = root / "practice_900"
    shutil.copytree(root / "practice_001", broken)
    meta = json.loads((broken / "extract.json").read_text(encoding="utf-8"))
    (broken / "extract.json").write_text(json.dumps({**meta, "practice_id": "Z99999"}), encoding="utf-8")
    with open(root / "practice_001" / "patients.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(broken / "patients.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, [c for c in rows[0] if c != "date_of_birth"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return root


def _copy_extracts(extracts: Path, dest: Path, *, broken: bool) -> Path:
    shutil.copytree(extracts, dest, ignore=None if broken else shutil.ignore_patterns("practice_900"))
    return dest


@pytest.fixture(scope="module")
def code_lists(tmp_path_factory) -> Path:
    """A snapshot of the packaged code lists, so the runs compared below all use the same lists."""
    from pain_finder.resources import code_lists_dir

    return Path(shutil.copytree(code_lists_dir(), tmp_path_factory.mktemp("lists") / "code_lists"))


def _config(
    tmp_path: Path, extracts: Path, out: Path, workers: int = 2, code_lists: Path | None = None
) -> Path:
    path = tmp_path / "batch.toml"
    lists = f'[search]\ncode_lists_dir = "{code_lists}"\n' if code_lists else ""
    path.write_text(
        f'extracts_dir = "{extracts}"\noutput_root = "{out}"\nworkers = {workers}\nmemory_limit = "1GB"\n'
        f'[as_of]\nrule = "extract_date"\n{lists}',
        encoding="utf-8",
    )
    return path


def _differences(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
    return sorted(name for name in set(a) | set(b) if a.get(name) != b.get(name))


def _tree(folder: Path) -> dict[str, bytes]:
    """Every file under folder except manifest.json (its timings and generated_at are volatile)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }


def _identifiers(extracts: Path) -> set[str]:
    ids: set[str] = set()
    for patients in extracts.glob("*/patients.csv"):
        with open(patients, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                ids |= {v for k in ("patient_id", "nhs_number") if (v := (row.get(k) or "").strip())}
    return ids


@pytest.mark.slow
def test_batch_with_a_broken_practice_then_rerun_and_force(extracts, code_lists, tmp_path, capsys):
    source = _copy_extracts(extracts, tmp_path / "extracts", broken=True)
    out = tmp_path / "out"
    config = _config(tmp_path, source, out, code_lists=code_lists)

    code = run(["batch", str(config)])
    captured = capsys.readouterr()
    assert code == 7, captured.out + captured.err
    # not a terminal: plain lines, one per practice
    assert "batch: 5 practices, 2 at a time" in captured.out, captured.out
    assert "practice_900: FAILED: the extract in " in captured.out, captured.out
    assert "4 ok, 0 skipped (up to date), 1 failed; network summary: written." in captured.out, captured.out

    status = BatchStatus.model_validate_json((out / "batch_status.json").read_text(encoding="utf-8"))
    assert (status.state, status.exit_code, status.counts) == (
        "finished",
        7,
        {"ok": 4, "skipped": 0, "failed": 1},
    )
    by_key = {p.practice_key: p for p in status.practices}
    failed = by_key["practice_900"]
    assert failed.status == "failed" and failed.error_type == "ExtractInvalidError", failed
    assert "date_of_birth" in failed.error, failed.error
    assert not (out / "practices" / "practice_900").exists()
    for key in ("practice_001", "practice_002", "practice_003", "practice_004"):
        p = by_key[key]
        assert p.status == "ok", p
        with open(source / key / "patients.csv", encoding="utf-8") as fh:
            assert p.row_counts["patients"] == sum(1 for _ in fh) - 1 > 0, p.row_counts
        assert p.n_candidates is not None and p.n_candidates > 0, p
        assert sorted(os.listdir(out / "practices" / key)) == PRACTICE_FILES
        manifest = json.loads((out / "practices" / key / "manifest.json").read_text(encoding="utf-8"))
        assert manifest, key
        with open(out / "practices" / key / "invitations.csv", encoding="utf-8") as fh:
            assert sum(1 for _ in fh) == p.n_candidates + 1
    assert status.network is not None and status.network.status == "written" and status.network.practices == 4
    assert {"network.csv", "network_summary.json", "report.html"} <= set(os.listdir(out / "network"))
    network = json.loads((out / "network" / "network_summary.json").read_text(encoding="utf-8"))
    assert network["method"] == "exact_then_suppressed"
    assert len(network["practices"]) == 4
    assert os.listdir(out / ".staging") == []

    # the log: one event per line, never a patient identifier (nor in the status file)
    logs = list((out / "logs").glob("batch-*.jsonl"))
    assert len(logs) == 1
    events = [json.loads(line) for line in logs[0].read_text(encoding="utf-8").splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished" and "network_written" in kinds
    assert kinds.count("practice_finished") == 4 and kinds.count("practice_failed") == 1
    ids = _identifiers(source)
    assert len(ids) > 1200
    for path in (logs[0], out / "batch_status.json"):
        text = path.read_text(encoding="utf-8")
        tokens = set(re.findall(r"[A-Za-z0-9]+", text))
        assert sorted(tokens & ids) == [], f"{path.name} contains patient identifiers"
    first_outputs = _tree(out / "practices")

    # without the broken extract every practice is up to date: nothing to do (exit 8), outputs untouched
    shutil.rmtree(source / "practice_900")
    code = run(["batch", str(config)])
    captured = capsys.readouterr()
    assert code == 8, captured.out + captured.err
    assert "0 ok, 4 skipped (up to date), 0 failed; network summary: up to date." in captured.out, (
        captured.out
    )
    assert "Nothing to do: every practice is up to date (use --force to rerun them)." in captured.out
    assert _differences(_tree(out / "practices"), first_outputs) == []

    # --force reruns every practice; outputs byte-identical (all but manifest.json)
    code = run(["batch", str(config), "--force", "--workers", "1"])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert "4 ok, 0 skipped" in captured.out, captured.out
    assert _differences(_tree(out / "practices"), first_outputs) == []


def test_config_error_names_the_field(tmp_path, capsys):
    config = tmp_path / "batch.toml"
    config.write_text('extracts_dir = "x"\noutput_root = "o"\nworkers = "many"\nspil_directory = "/tmp"\n')
    code = run(["batch", str(config)])
    err = capsys.readouterr().err
    assert code == 4, err
    assert "Error: batch.toml: invalid batch configuration:" in err, err
    assert "  - workers: Input should be a valid integer" in err, err
    assert "  - spil_directory: unknown setting" in err, err


def test_nothing_to_do_when_the_folder_is_empty(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    config = _config(tmp_path, tmp_path / "empty", tmp_path / "out")
    code = run(["batch", str(config)])
    err = capsys.readouterr().err
    assert code == 8, err
    assert f"Error: no extract folders found in {tmp_path / 'empty'}: nothing to do" in err, err


def test_locked_output_root(extracts, tmp_path, capsys):
    config = _config(tmp_path, extracts, tmp_path / "out")
    with BatchLock(tmp_path / "out", "holder-run"):
        code = run(["batch", str(config)])
    err = capsys.readouterr().err
    assert code == 9, err
    assert (
        f"another batch run is using the output root {tmp_path / 'out'} (held by pid {os.getpid()}" in err
    ), err


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_sigkill_part_way_then_rerun_equals_an_uninterrupted_run(extracts, code_lists, tmp_path):
    source = _copy_extracts(extracts, tmp_path / "extracts", broken=False)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}

    # the uninterrupted run
    clean_out = tmp_path / "clean"
    (tmp_path / "c").mkdir()
    clean_cfg = _config(tmp_path / "c", source, clean_out, workers=1, code_lists=code_lists)
    done = subprocess.run(
        [*PF, "batch", str(clean_cfg)], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr

    # the killed run: SIGKILL once the first practice is in place, while the others are under way
    out = tmp_path / "killed"
    (tmp_path / "k").mkdir()
    config = _config(tmp_path / "k", source, out, workers=1, code_lists=code_lists)
    proc = subprocess.Popen(
        [*PF, "batch", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    try:
        assert _wait_for(
            lambda: (out / "practices").is_dir() and len(os.listdir(out / "practices")) >= 1, 120
        )
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    time.sleep(0.5)  # the worker dies with its parent (PR_SET_PDEATHSIG)
    # no half-written practice output: every practice folder present is complete
    installed = sorted(os.listdir(out / "practices"))
    assert 1 <= len(installed) < 4, installed
    for key in installed:
        assert sorted(os.listdir(out / "practices" / key)) == PRACTICE_FILES, key
    status = BatchStatus.model_validate_json((out / "batch_status.json").read_text(encoding="utf-8"))
    assert status.state == "running"

    # the rerun completes the batch, skipping what the killed run finished
    rerun = subprocess.run([*PF, "batch", str(config)], capture_output=True, text=True, env=env, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    status = BatchStatus.model_validate_json((out / "batch_status.json").read_text(encoding="utf-8"))
    assert status.counts == {"ok": 4 - len(installed), "skipped": len(installed), "failed": 0}, status.counts
    assert _differences(_tree(out / "practices"), _tree(clean_out / "practices")) == []
    assert (out / "network" / "network.csv").read_bytes() == (
        clean_out / "network" / "network.csv"
    ).read_bytes()
    assert os.listdir(out / ".staging") == []
