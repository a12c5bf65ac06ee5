"""Run a batch: find the practices, lock the output root, search each practice in its own process, merge.

    report = run_batch(loaded_config, force=False, workers=None, search_fn=None, display=None)

The order of a run:
1. find the practices (one extract folder each); none at all is "nothing to do" (NothingToDoError, exit 8);
2. take the output root's lock (LockedError, exit 9, when another run holds it);
3. recover from a killed run (state.recover), then start the JSON-lines log and batch_status.json;
4. search the practices, `workers` at a time, each in a fresh process (worker.run_practice); a practice
   whose inputs are unchanged since its last successful run is skipped unless `force`; batch_status.json is
   rewritten as each one finishes; a worker process that dies (killed, out of memory) fails only its own
   practice: the practices caught in the broken pool are retried one at a time;
5. merge the exact counts of every practice with a current output (ok or skipped), suppress once, and write
   the network summary to network/ (network.py; skipped when nothing changed since the last network);
6. decide the exit code: 7 if any practice failed, 8 if nothing was run and nothing was rewritten, else 0.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import datetime as dt
import os
import shutil
import time
import uuid
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from pain_finder import __version__
from pain_finder.atomic import remove_stale_temporaries
from pain_finder.batch.config import LoadedBatchConfig
from pain_finder.batch.lock import BatchLock
from pain_finder.batch.log import Display, EventLog, SilentDisplay, utc_now
from pain_finder.batch.network import build_network
from pain_finder.batch.state import (
    LOGS_DIR,
    STATE_DIR,
    STATUS_FILE,
    BatchStatus,
    PracticeStatus,
    recover,
    write_model,
)
from pain_finder.batch.worker import (
    PracticeTask,
    SearchFn,
    init_worker,
    plan_practice,
    run_practice,
    spawn_context,
)
from pain_finder.errors import (
    EXIT_BATCH_PARTIAL,
    EXIT_NOTHING_TO_DO,
    EXIT_OK,
    ConfigError,
    NothingToDoError,
    OutputError,
    PainFinderError,
)

WORKER_DIED = (
    "the worker process searching this practice died (killed, or out of memory: lower workers or "
    "memory_limit)"
)


@dataclass
class BatchReport:
    """What a run did: the status written to batch_status.json, and where things are."""

    status: BatchStatus
    status_path: Path
    log_path: Path | None
    exit_code: int

    @property
    def practices(self) -> dict[str, PracticeStatus]:
        return {p.practice_key: p for p in self.status.practices}


@dataclass
class PlanEntry:
    practice_key: str
    extract: Path
    action: str  # run | skip | fail
    reason: str | None


@dataclass
class _Run:
    status: BatchStatus
    status_path: Path
    log: EventLog
    display: Display
    by_key: dict[str, PracticeStatus] = field(default_factory=dict)


def find_practices(loaded: LoadedBatchConfig) -> list[tuple[str, Path]]:
    """The practices of the batch as (practice_key, extract folder), sorted by key."""
    cfg = loaded.batch
    if cfg.extracts_dir is not None:
        folder = cfg.extracts_dir
        if not folder.is_dir():
            raise ConfigError(f"extracts_dir {folder} does not exist or is not a folder")
        if any(
            (folder / f"{table}.{ext}").is_file() for table in ("patients",) for ext in ("csv", "parquet")
        ):
            raise ConfigError(
                f"extracts_dir {folder} is itself an extract; give the folder that holds one extract folder "
                f'per practice, or list the extract in `extracts = ["{folder}"]`'
            )
        ours = {cfg.output_root, cfg.spill()}  # never take the batch's own folders for extracts
        found = [
            (p.name, p)
            for p in folder.iterdir()
            if p.is_dir() and not p.name.startswith(".") and not any(o == p or p in o.parents for o in ours)
        ]
    else:
        found = [(p.name, p) for p in (cfg.extracts or [])]
        names = [name for name, _ in found]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigError(
                f"extracts: several extract folders are named {', '.join(duplicates)}; each practice's "
                "outputs go to practices/<folder name>/, so the folder names must differ"
            )
    return sorted(found)


def _tasks(
    loaded: LoadedBatchConfig,
    practices: list[tuple[str, Path]],
    *,
    force: bool,
    workers: int,
    search_fn: SearchFn | None,
) -> list[PracticeTask]:
    from pain_finder import codelists  # noqa: PLC0415
    from pain_finder.config import fingerprint  # noqa: PLC0415

    cfg, search = loaded.batch, loaded.search
    try:
        lists = codelists.load_all(search.code_lists_dir)
    except PainFinderError:
        raise
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the code lists: {type(exc).__name__}") from exc
    hashes = {name: cl.sha256 for name, cl in sorted(lists.items())}
    definition = fingerprint(search, hashes)
    fixed = cfg.as_of.date if cfg.as_of.rule == "fixed" else None
    return [
        PracticeTask(
            practice_key=key,
            extract=extract,
            output_root=cfg.output_root,
            search=search,
            fixed_as_of=fixed,
            code_lists=hashes,
            definition_fingerprint=definition,
            force=force,
            threads=cfg.threads(workers),
            memory_limit=cfg.memory(workers),
            spill_directory=cfg.spill(),
            search_fn=search_fn,
            source_format=cfg.format,
            mapping=cfg.mapping,
        )
        for key, extract in practices
    ]


def plan_batch(loaded: LoadedBatchConfig, *, force: bool = False) -> list[PlanEntry]:
    """What a run would do (for --dry-run): hashes the inputs, writes nothing."""
    practices = find_practices(loaded)
    if not practices:
        raise NothingToDoError(_no_extracts(loaded))
    tasks = _tasks(loaded, practices, force=force, workers=1, search_fn=None)
    entries = []
    for task in tasks:
        action, _, reason = plan_practice(task)
        entries.append(PlanEntry(task.practice_key, task.extract, action, reason))
    return entries


def _no_extracts(loaded: LoadedBatchConfig) -> str:
    cfg = loaded.batch
    where = f"in {cfg.extracts_dir}" if cfg.extracts_dir is not None else "in `extracts`"
    return f"no extract folders found {where}: nothing to do"


def run_batch(
    loaded: LoadedBatchConfig,
    *,
    force: bool = False,
    workers: int | None = None,
    search_fn: SearchFn | None = None,
    display: Display | None = None,
    run_id: str | None = None,
) -> BatchReport:
    """Run the batch described by `loaded`. Raises ConfigError, NothingToDoError, LockedError, OutputError;
    practice failures do not raise: they are in the report (and make the exit code 7)."""
    cfg = loaded.batch
    display = display or SilentDisplay()
    practices = find_practices(loaded)
    if not practices:
        raise NothingToDoError(_no_extracts(loaded))
    n_workers = cfg.worker_count(workers, len(practices))
    tasks = _tasks(loaded, practices, force=force, workers=n_workers, search_fn=search_fn)
    root = cfg.output_root
    run_id = run_id or dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output root {root}: {exc.strerror}") from exc

    with BatchLock(root, run_id):
        restored = recover(root)
        for folder in (root, root / STATE_DIR):
            remove_stale_temporaries(folder)
        log_path = root / LOGS_DIR / f"batch-{run_id}.jsonl"
        log = EventLog(log_path, run_id)
        status = BatchStatus(
            run_id=run_id,
            state="running",
            started_at=utc_now(),
            software_version=__version__,
            config_file=str(loaded.config_file) if loaded.config_file else None,
            output_root=str(root),
            force=force,
            workers=n_workers,
            practices=[
                PracticeStatus(practice_key=t.practice_key, extract=str(t.extract), status="pending")
                for t in tasks
            ],
        )
        run = _Run(status, root / STATUS_FILE, log, display, {p.practice_key: p for p in status.practices})
        log.event(
            "run_started",
            software_version=__version__,
            config_file=status.config_file,
            output_root=str(root),
            practices=len(tasks),
            workers=n_workers,
            force=force,
            recovered=restored,
        )
        _write_status(run)
        display.start(len(tasks), n_workers)
        started = time.perf_counter()
        try:
            _run_practices(run, tasks, n_workers)
            recover(root)  # staging folders of workers that died
            network = build_network(loaded, run.status.practices, log, display)
        except KeyboardInterrupt:
            status.state = "interrupted"
            status.finished_at = utc_now()
            _write_status(run)
            log.event("run_interrupted", seconds=round(time.perf_counter() - started, 3))
            log.close()
            raise
        finally:
            display.stop()
        status.network = network
        counts = {s: sum(p.status == s for p in status.practices) for s in ("ok", "skipped", "failed")}
        if counts["failed"]:
            exit_code = EXIT_BATCH_PARTIAL
        elif counts["ok"] == 0 and network.status in ("up_to_date", "not_written"):
            exit_code = EXIT_NOTHING_TO_DO
        else:
            exit_code = EXIT_OK
        if network.status == "failed" and exit_code != EXIT_BATCH_PARTIAL:
            exit_code = EXIT_BATCH_PARTIAL
        status.counts = counts
        status.state = "finished"
        status.finished_at = utc_now()
        status.exit_code = exit_code
        _write_status(run)
        log.event(
            "run_finished",
            exit_code=exit_code,
            seconds=round(time.perf_counter() - started, 3),
            **counts,
            network=network.status,
        )
        log.close()
        if cfg.spill_directory is None:
            shutil.rmtree(cfg.spill(), ignore_errors=True)
    return BatchReport(status=status, status_path=run.status_path, log_path=log_path, exit_code=exit_code)


def _write_status(run: _Run) -> None:
    write_model(run.status_path, run.status)


def _record(run: _Run, result: PracticeStatus) -> None:
    """Store a finished practice's status, log it and show it."""
    run.by_key[result.practice_key] = result
    run.status.practices = [run.by_key[p.practice_key] for p in run.status.practices]
    fields = {
        "practice": result.practice_key,
        "practice_id": result.practice_id,
        "timings": result.timings,
    }
    if result.status == "failed":
        run.log.event("practice_failed", **fields, error_type=result.error_type, error=result.error)
    elif result.status == "skipped":
        run.log.event(
            "practice_skipped",
            **fields,
            reason="inputs unchanged since the last successful run",
            candidates=result.n_candidates,
        )
    else:
        run.log.event(
            "practice_finished",
            **fields,
            as_of=result.as_of,
            rows=result.row_counts,
            candidates=result.n_candidates,
            excluded=result.n_excluded,
            warnings=result.warnings,
        )
    _write_status(run)
    run.display.practice_done(result)


def _drain(run: _Run, events) -> set[str]:
    """Handle the workers' progress events; return the practices that reported starting."""
    started: set[str] = set()
    while True:
        try:
            if events.empty():
                return started
            event, key, _when, data = events.get()
        except (EOFError, OSError, ValueError):
            return started
        if event == "started":
            started.add(key)
            run.log.event("practice_started", practice=key)
            run.by_key[key].status = "running"
            run.display.practice_started(key)
        elif event == "step":
            run.display.step(key, str(data.get("step", "")))


def _run_pool(
    run: _Run, tasks: list[PracticeTask], workers: int
) -> tuple[list[PracticeTask], list[PracticeTask]]:
    """Run `tasks` in one pool. If a worker process dies, the pool breaks and every unfinished task fails
    with it: return those (started, not started) for `_run_practices` to sort out."""
    ctx = spawn_context()
    events = ctx.SimpleQueue()
    started_keys: set[str] = set()
    broken: list[PracticeTask] = []
    pool = cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=init_worker, initargs=(events, os.getpid())
    )
    try:
        futures = {pool.submit(run_practice, task): task for task in tasks}
        pending = set(futures)
        while pending:
            done, pending = cf.wait(pending, timeout=0.2, return_when=cf.FIRST_COMPLETED)
            started_keys |= _drain(run, events)
            for fut in sorted(done, key=lambda f: futures[f].practice_key):
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    broken.append(futures[fut])
                    continue
                _record(run, result)
        started_keys |= _drain(run, events)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        with contextlib.suppress(Exception):
            events.close()
    return [t for t in broken if t.practice_key in started_keys], [
        t for t in broken if t.practice_key not in started_keys
    ]


def _run_practices(run: _Run, tasks: list[PracticeTask], workers: int) -> None:
    """Run every task. A worker that dies (killed, out of memory) breaks the whole pool; the practices that
    were running then are suspects, retried one at a time (one that kills its worker alone fails); the ones
    that had not started go back into a fresh pool."""
    suspects: list[PracticeTask] = []
    breaks: dict[str, int] = {}
    queue = tasks
    while queue:
        started, not_started = _run_pool(run, queue, min(workers, len(queue)))
        for task in not_started:
            breaks[task.practice_key] = breaks.get(task.practice_key, 0) + 1
        suspects += started + [t for t in not_started if breaks[t.practice_key] >= 2]
        queue = [t for t in not_started if breaks[t.practice_key] < 2]
    for task in sorted(suspects, key=lambda t: t.practice_key):
        started, not_started = _run_pool(run, [task], 1)
        if started or not_started:
            _record(
                run,
                PracticeStatus(
                    practice_key=task.practice_key,
                    extract=str(task.extract),
                    status="failed",
                    error=WORKER_DIED,
                    error_type="WorkerDied",
                ),
            )
