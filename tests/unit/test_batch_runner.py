"""The batch scheduler with a small fake search (tests/unit/test_batch_support.py): status, failures isolated,
exit codes, skip/--force, recovery after a kill, the lock, the log. The real search is exercised end to end
in tests/functional/test_batch_cli.py."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import socket
import time
from pathlib import Path

import pytest

from pain_finder.batch import find_practices, load_batch_config, plan_batch, run_batch
from pain_finder.batch.lock import BatchLock
from pain_finder.batch.state import BatchStatus, install, recover
from pain_finder.errors import ConfigError, LockedError, NothingToDoError
from tests.unit.test_batch_support import fake_search, make_extracts, tree, write_config


@pytest.fixture
def batch(tmp_path):
    extracts = tmp_path / "extracts"
    extracts.mkdir()
    out = tmp_path / "out"
    config = write_config(tmp_path / "batch.toml", extracts, out)
    return extracts, out, config


def _run(config: Path, **kwargs):
    return run_batch(load_batch_config(config), search_fn=fake_search, **kwargs)


def _events(report) -> list[dict]:
    return [json.loads(line) for line in report.log_path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.slow
def test_failures_are_isolated_and_reported(batch):
    extracts, out, config = batch
    make_extracts(extracts, ["p1", "p2", "p3", "broken", "buggy"], broken="BROKEN", buggy="BUG")
    report = _run(config)
    assert report.exit_code == 7, report.status
    status = BatchStatus.model_validate_json((out / "batch_status.json").read_text())
    assert status.state == "finished" and status.exit_code == 7
    assert status.counts == {"ok": 3, "skipped": 0, "failed": 2}
    by_key = {p.practice_key: p for p in status.practices}
    assert [p.practice_key for p in status.practices] == ["broken", "buggy", "p1", "p2", "p3"]
    assert by_key["broken"].status == "failed"
    assert by_key["broken"].error == "patients.csv, row 1: required column 'date_of_birth' is missing"
    assert by_key["broken"].error_type == "InputError"
    # an unexpected exception is reported by its type only: its message quoted a patient id
    assert by_key["buggy"].error == "unexpected error ValueError (a bug in pain-finder: please report it)"
    for key in ("p1", "p2", "p3"):
        p = by_key[key]
        assert (p.status, p.n_candidates, p.row_counts, p.practice_id) == ("ok", 4, {"patients": 4}, key)
        assert set(p.timings) >= {"hash", "search", "install", "total"}
        assert sorted(os.listdir(out / "practices" / key)) == [
            "invitations.csv",
            "manifest.json",
            "summary.json",
        ]
    assert not (out / "practices" / "broken").exists()
    assert status.network is not None and status.network.status == "written", status.network
    assert status.network.practices == 3
    assert (out / "network").is_dir()
    assert os.listdir(out / ".staging") == []
    events = _events(report)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert kinds.count("practice_started") == 5
    assert kinds.count("practice_finished") == 3 and kinds.count("practice_failed") == 2
    assert events[-1]["exit_code"] == 7


@pytest.mark.slow
def test_rerun_skips_up_to_date_practices_and_force_reruns(batch):
    extracts, out, config = batch
    make_extracts(extracts, ["p1", "p2", "p3"])
    first = _run(config)
    assert first.exit_code == 0, first.status
    before = tree(out / "practices")
    network_before = tree(out / "network")

    again = _run(config)
    assert again.exit_code == 8, again.status  # nothing to do
    assert again.status.counts == {"ok": 0, "skipped": 3, "failed": 0}
    assert again.status.network.status == "up_to_date"
    assert [e["event"] for e in _events(again)].count("practice_skipped") == 3
    assert again.practices["p1"].n_candidates == 4  # carried from the last successful run

    forced = _run(config, force=True)
    assert forced.exit_code == 0 and forced.status.counts["ok"] == 3, forced.status
    assert tree(out / "practices") == before  # byte-identical except manifest.json
    assert tree(out / "network") == network_before

    # one practice's input changes: only it runs again
    with open(extracts / "p2" / "patients.csv", "a", encoding="utf-8") as fh:
        fh.write("1099,1980-01-01,male,,A81001,\n")
    changed = _run(config)
    assert changed.exit_code == 0, changed.status
    assert {k: p.status for k, p in changed.practices.items()} == {
        "p1": "skipped",
        "p2": "ok",
        "p3": "skipped",
    }
    assert changed.practices["p2"].n_candidates == 5
    assert changed.status.network.status == "written"


@pytest.mark.slow
def test_config_change_reruns_everything(batch, tmp_path):
    extracts, out, config = batch
    make_extracts(extracts, ["p1", "p2"])
    assert _run(config).exit_code == 0
    config.write_text(config.read_text() + "[search.population]\nmax_age = 60\n", encoding="utf-8")
    report = _run(config)
    assert report.status.counts == {"ok": 2, "skipped": 0, "failed": 0}, report.status


def test_nothing_to_do_when_no_extracts(batch):
    _, _, config = batch
    with pytest.raises(NothingToDoError) as err:
        _run(config)
    assert err.value.exit_code == 8
    assert err.value.message.startswith("no extract folders found in ")


@pytest.mark.slow
def test_worker_that_dies_fails_only_its_practice(batch):
    extracts, out, config = batch
    make_extracts(extracts, ["a_crash", "p1", "p2", "p3"], a_crash="CRASH")
    report = _run(config)
    assert report.exit_code == 7, report.status
    assert {k: p.status for k, p in report.practices.items()} == {
        "a_crash": "failed",
        "p1": "ok",
        "p2": "ok",
        "p3": "ok",
    }
    assert report.practices["a_crash"].error_type == "WorkerDied"
    assert "died" in report.practices["a_crash"].error


def test_lock_refuses_a_second_run(batch):
    extracts, out, config = batch
    make_extracts(extracts, ["p1"])
    with BatchLock(out, "other-run"), pytest.raises(LockedError) as err:
        _run(config)
    message = err.value.message
    assert err.value.exit_code == 9
    assert f"held by pid {os.getpid()} on host {socket.gethostname()}, started " in message, message
    assert "run other-run" in message
    assert _run(config).exit_code == 0  # released


def _hold_lock(out: Path, ready) -> None:
    BatchLock(out, "doomed").acquire()
    ready.set()
    time.sleep(60)


def test_lock_of_a_killed_run_does_not_stick(batch):
    extracts, out, config = batch
    make_extracts(extracts, ["p1"])
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(out, ready))
    holder.start()
    assert ready.wait(30)
    with pytest.raises(LockedError) as err:
        _run(config)
    assert f"held by pid {holder.pid}" in err.value.message
    os.kill(holder.pid, signal.SIGKILL)
    holder.join()
    assert _run(config).exit_code == 0


@pytest.mark.slow
def test_recovery_after_a_kill_between_the_two_renames(batch):
    extracts, out, config = batch
    make_extracts(extracts, ["p1", "p2"])
    assert _run(config).exit_code == 0
    complete = tree(out / "practices" / "p1")
    # a run killed after renaming the old output aside, before renaming the new one in
    (out / ".staging").mkdir(exist_ok=True)
    (out / "practices" / "p1").rename(out / ".staging" / "practice~p1.old")
    half = out / ".staging" / "p1-0123456789ab"
    half.mkdir()
    (half / "invitations.csv").write_text("rank,patient_id\n1,", encoding="utf-8")
    report = _run(config)
    assert report.exit_code == 8, report.status  # the old, complete output was put back: still up to date
    assert tree(out / "practices" / "p1") == complete
    assert os.listdir(out / ".staging") == []
    assert [e for e in _events(report) if e["event"] == "run_started"][0]["recovered"] == ["p1"]


def test_install_replaces_a_folder_whole(tmp_path):
    staging = tmp_path / ".staging"
    new = staging / "x-1"
    new.mkdir(parents=True)
    (new / "a.csv").write_text("new", encoding="utf-8")
    target = tmp_path / "practices" / "x"
    target.mkdir(parents=True)
    (target / "a.csv").write_text("old", encoding="utf-8")
    (target / "stale.csv").write_text("old", encoding="utf-8")
    install(new, target)
    assert sorted(os.listdir(target)) == ["a.csv"] and (target / "a.csv").read_text() == "new"
    assert os.listdir(staging) == []
    assert recover(tmp_path) == []


@pytest.mark.slow
def test_dry_run_plan(batch):
    extracts, out, config = batch
    make_extracts(extracts, ["p1", "p2"])
    shutil.rmtree(extracts / "p2")
    (extracts / "p2").mkdir()
    plan = plan_batch(load_batch_config(config))
    assert [(e.practice_key, e.action) for e in plan] == [("p1", "run"), ("p2", "fail")]
    assert not out.exists()  # nothing written
    assert _run(config).exit_code == 7
    plan = plan_batch(load_batch_config(config))
    assert [(e.practice_key, e.action, e.reason) for e in plan][0] == ("p1", "skip", "up to date")


def test_log_and_status_hold_no_patient_identifiers(batch):
    extracts, out, config = batch
    make_extracts(extracts, ["p1", "broken", "buggy"], broken="BROKEN", buggy="BUG")
    report = _run(config)
    ids = set()
    for name in ("p1", "broken", "buggy"):
        lines = (extracts / name / "patients.csv").read_text().splitlines()[1:]
        ids |= {line.split(",")[0] for line in lines}
    assert ids
    for path in (report.log_path, report.status_path):
        text = path.read_text(encoding="utf-8")
        leaked = sorted(i for i in ids if i in text)
        assert leaked == [], f"{path.name} contains patient ids {leaked}"


def test_finding_practices(tmp_path):
    make_extracts(tmp_path, ["b", "a"])
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "notes.txt").write_text("not an extract", encoding="utf-8")
    config = write_config(tmp_path / "batch.toml", tmp_path, tmp_path / "out")
    (tmp_path / "out").mkdir()  # the output root inside extracts_dir is not a practice
    # code_lists/ (written by write_config) is a folder too: it is found, and would fail as a broken extract
    assert [k for k, _ in find_practices(load_batch_config(config))] == ["a", "b", "code_lists"]

    listed = tmp_path / "listed.toml"
    listed.write_text(f'extracts = ["{tmp_path / "a"}", "x/a"]\noutput_root = "o"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        find_practices(load_batch_config(listed))
    assert err.value.message == (
        "extracts: several extract folders are named a; each practice's outputs go to "
        "practices/<folder name>/, so the folder names must differ"
    )
    (tmp_path / "single").mkdir()
    make_extracts(tmp_path / "single", ["p"])
    single = tmp_path / "single.toml"
    single.write_text(f'extracts_dir = "{tmp_path / "single" / "p"}"\noutput_root = "o"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        find_practices(load_batch_config(single))
    assert err.value.message.startswith(f"extracts_dir {tmp_path / 'single' / 'p'} is itself an extract;")


def test_progress_display_is_plain_when_not_a_terminal():
    import io

    from rich.console import Console

    from pain_finder.batch.log import PlainDisplay, RichDisplay, display_for
    from pain_finder.batch.state import PracticeStatus

    assert isinstance(display_for(Console(file=io.StringIO(), force_terminal=True)), RichDisplay)
    out = io.StringIO()
    display = display_for(Console(file=out, width=200))
    assert isinstance(display, PlainDisplay)
    display.start(2, 2)
    display.practice_started("p1")
    display.step("p1", "ranking")  # not shown: too chatty for a log file
    display.practice_done(
        PracticeStatus(
            practice_key="p1",
            extract="/x/p1",
            status="ok",
            timings={"total": 2.04},
            row_counts={"patients": 300, "clinical_events": 20000},
            n_candidates=17,
            n_excluded=4,
        )
    )
    display.practice_done(
        PracticeStatus(practice_key="p2", extract="/x/p2", status="failed", error="patients.csv: bad [thing]")
    )
    assert out.getvalue().splitlines() == [
        "batch: 2 practices, 2 at a time",
        "p1: started",
        "[1/2] p1: ok in 2.0 s (20,300 input rows, 17 candidates, 4 excluded)",
        "[2/2] p2: FAILED: patients.csv: bad [thing]",
    ]
