"""One practice of a batch, run in a worker process: hash the inputs, skip if up to date, else search and
install.

Runs in a child process started with `spawn` (a fresh interpreter: no DuckDB state or threads copied from the
parent). Each practice gets its own DuckDB connection with the batch's threads, memory limit and a private
spill folder. Everything the parent needs comes back as a `PracticeStatus`; progress events go through a
queue.

Failures are caught here and returned, so one bad practice never stops the others: a `PainFinderError` keeps
its message (written to contain no patient-level values), any other exception is reported by its type name
only (its message could quote data).
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import multiprocessing
import os
import shutil
import signal
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pain_finder import __version__
from pain_finder.atomic import write_text
from pain_finder.batch.state import (
    PRACTICES_DIR,
    STATE_DIR,
    InputKey,
    PracticeState,
    PracticeStatus,
    install,
    read_state,
    staging_folder,
    write_model,
)
from pain_finder.config import SearchConfig
from pain_finder.errors import InputError, OutputError, PainFinderError

SearchFn = Callable[..., Any]

_queue: Any = None  # the parent's event queue, set by `init_worker`


@dataclass(frozen=True)
class PracticeTask:
    """Everything a worker needs for one practice (picklable)."""

    practice_key: str
    extract: Path
    output_root: Path
    search: SearchConfig
    fixed_as_of: dt.date | None
    code_lists: dict[str, str]
    definition_fingerprint: str
    force: bool
    threads: int
    memory_limit: str | None
    spill_directory: Path
    search_fn: SearchFn | None = None  # None: pain_finder.search.run_search
    source_format: str | None = None  # an import format: the folder is converted on the fly (None: canonical)
    mapping: Path | None = None  # the import's mapping file or dictionary folder


def init_worker(queue: Any, parent_pid: int) -> None:
    """Worker start-up: die with the parent, leave Ctrl-C to the parent, remember the event queue.

    On Linux the kernel kills the worker (PR_SET_PDEATHSIG) the moment the batch process dies, so a killed
    batch never leaves a worker writing behind the next run's back. If the parent died before that was set,
    the worker exits at once. Elsewhere, a worker notices its parent's death when its task queue closes.
    """
    global _queue
    _queue = queue
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            pr_set_pdeathsig = 1
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL))
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def emit(event: str, practice_key: str, **data: object) -> None:
    if _queue is not None:
        with contextlib.suppress(Exception):
            _queue.put((event, practice_key, time.time(), data))


def input_key(task: PracticeTask) -> tuple[InputKey, str | None]:
    """Hash the practice's input files; return the key and the extract's own practice_id (if it names one)."""
    from pain_finder.extract.reader import file_sha256, locate  # noqa: PLC0415
    from pain_finder.extract.schema import EXTRACT_META_FILE  # noqa: PLC0415

    if task.source_format is not None:
        # A source in another format: every file under it (and the mapping) is an input. Its as-of date is
        # only known after conversion; the files' hashes cover it, so the key records the fixed date, if any.
        paths = _source_files(task)
        meta_date, practice_id = None, None
    else:
        files = locate(task.extract)  # InputError when the folder or a required table is missing
        paths = {p.name: p for p in files.tables.values()}
        if (task.extract / EXTRACT_META_FILE).is_file():
            paths[EXTRACT_META_FILE] = task.extract / EXTRACT_META_FILE
        meta_date, practice_id = files.meta.extract_date, files.meta.practice_id
    declined = task.search.exclusions.declined_patient_ids_file
    if declined is not None:
        if not Path(declined).is_file():
            raise InputError(f"declined_patient_ids_file {declined} does not exist")
        paths[f"declined:{Path(declined).name}"] = Path(declined)
    try:
        hashes = {name: file_sha256(path) for name, path in sorted(paths.items())}
    except OSError as exc:
        raise InputError(f"cannot read an input file: {exc.strerror}", file=exc.filename) from exc
    as_of = task.fixed_as_of or meta_date or (None if task.source_format else dt.date.today())
    key = InputKey(
        files=hashes,
        definition_fingerprint=task.definition_fingerprint,
        code_lists=task.code_lists,
        as_of=as_of,
        software_version=__version__,
    )
    return key, practice_id


def _source_files(task: PracticeTask) -> dict[str, Path]:
    """Every file of a source folder in another format (by relative path), and its mapping file(s)."""
    if not task.extract.is_dir():
        raise InputError(f"source folder {task.extract} does not exist or is not a folder")
    paths = {str(p.relative_to(task.extract)): p for p in sorted(task.extract.rglob("*")) if p.is_file()}
    if task.mapping is not None:
        mapping = Path(task.mapping)
        found = sorted(mapping.rglob("*")) if mapping.is_dir() else [mapping]
        for p in found:
            if p.is_file():
                paths[f"mapping:{p.name}"] = p
    return paths


def plan_practice(task: PracticeTask) -> tuple[str, InputKey | None, str | None]:
    """For --dry-run: ('run' | 'skip' | 'fail', key, reason)."""
    try:
        key, _ = input_key(task)
    except PainFinderError as exc:
        return "fail", None, exc.message
    state = read_state(task.output_root, task.practice_key)
    up_to_date = (
        state is not None
        and state.key == key
        and (task.output_root / PRACTICES_DIR / task.practice_key).is_dir()
    )
    if up_to_date and not task.force:
        return "skip", key, "up to date"
    return "run", key, "forced" if up_to_date else ("inputs changed" if state else "no previous run")


def run_practice(task: PracticeTask) -> PracticeStatus:
    """Run one practice; never raises (a failure is returned as status 'failed')."""
    started = time.perf_counter()
    status = PracticeStatus(practice_key=task.practice_key, extract=str(task.extract), status="running")
    staged: Path | None = None
    try:
        t = time.perf_counter()
        key, _ = input_key(task)
        status.timings["hash"] = round(time.perf_counter() - t, 3)
        status.as_of = key.as_of
        target = task.output_root / PRACTICES_DIR / task.practice_key
        state = read_state(task.output_root, task.practice_key)
        if not task.force and state is not None and state.key == key and target.is_dir():
            status.status = "skipped"
            status.practice_id = state.practice_id
            status.fingerprint = state.fingerprint
            status.output = str(target)
            status.row_counts = state.row_counts
            status.n_candidates = state.n_candidates
            status.n_excluded = state.n_excluded
            status.timings["total"] = round(time.perf_counter() - started, 3)
            return status

        # "started" only for a practice that is searched: one skipped as up to date is reported as skipped
        emit("started", task.practice_key)
        staged = staging_folder(task.output_root, task.practice_key)
        t = time.perf_counter()
        result = _search(task, staged, key)
        status.timings["search"] = round(time.perf_counter() - t, 3)
        for step, seconds in sorted(result.timings.items()):
            status.timings[f"search.{step}"] = round(float(seconds), 3)

        t = time.perf_counter()
        state_path = task.output_root / STATE_DIR / f"{task.practice_key}.json"
        state_path.unlink(missing_ok=True)  # never let a state describe an output that is not in place
        install(staged, target)
        staged = None
        description = getattr(result.summary, "description", "") or ""
        write_model(
            state_path,
            PracticeState(
                practice_key=task.practice_key,
                practice_id=result.practice_id,
                key=key,
                fingerprint=result.fingerprint,
                as_of_source=result.as_of_source,
                exact_counts=result.exact_counts,
                summary_description=description if isinstance(description, str) else "",
                n_candidates=result.n_candidates,
                n_excluded=result.n_excluded,
                row_counts=dict(result.row_counts),
                finished_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            ),
        )
        status.timings["install"] = round(time.perf_counter() - t, 3)
        status.status = "ok"
        status.practice_id = result.practice_id
        status.as_of = result.as_of
        status.fingerprint = result.fingerprint
        status.output = str(target)
        status.row_counts = dict(result.row_counts)
        status.n_candidates = result.n_candidates
        status.n_excluded = result.n_excluded
        status.warnings = len(result.warnings)
    except PainFinderError as exc:
        status.status, status.error, status.error_type = "failed", exc.message, type(exc).__name__
    except OSError as exc:  # e.g. disk full while installing: the file name is safe to show, the data is not
        error = OutputError(
            f"{exc.strerror or type(exc).__name__} ({exc.filename})"
            if exc.filename
            else (exc.strerror or type(exc).__name__)
        )
        status.status, status.error, status.error_type = "failed", error.message, type(exc).__name__
    except Exception as exc:  # a bug: its message might quote data, so only the type is kept
        status.status, status.error_type = "failed", type(exc).__name__
        status.error = f"unexpected error {type(exc).__name__} (a bug in pain-finder: please report it)"
    finally:
        if staged is not None:
            shutil.rmtree(staged, ignore_errors=True)
    status.timings["total"] = round(time.perf_counter() - started, 3)
    return status


def _search(task: PracticeTask, out_dir: Path, key: InputKey) -> Any:
    import duckdb  # noqa: PLC0415

    search_fn = task.search_fn
    if search_fn is None:
        from pain_finder.search import run_search  # noqa: PLC0415

        search_fn = run_search
    spill = task.spill_directory / f"{task.practice_key}-{uuid.uuid4().hex[:8]}"
    settings: dict[str, object] = {"threads": task.threads, "temp_directory": str(spill)}
    if task.memory_limit:
        settings["memory_limit"] = task.memory_limit
    try:
        spill.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the spill folder {spill}: {exc.strerror}") from exc
    try:
        con = duckdb.connect(config=settings)
    except duckdb.Error as exc:
        raise OutputError(f"cannot start DuckDB with the batch settings: {str(exc).splitlines()[0]}") from exc

    def search(extract: Path) -> Any:
        return search_fn(
            extract,
            out_dir,
            task.search,
            as_of=task.fixed_as_of,
            con=con,
            progress=lambda step: emit("step", task.practice_key, step=str(step)),
        )

    try:
        if task.source_format is None:
            return search(task.extract)
        from pain_finder.importers import converted  # noqa: PLC0415

        emit("step", task.practice_key, step=f"import_{task.source_format}")
        with converted(task.source_format, task.extract, mapping=task.mapping, work_dir=spill) as (
            extract,
            rep,
        ):
            result = search(extract)
            write_text(out_dir / "import_report.json", rep.to_json())
            return result
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def spawn_context() -> multiprocessing.context.BaseContext:
    return multiprocessing.get_context("spawn")
