"""The batch's two voices: a JSON-lines log for machines and a progress display for people.

The log (`<output_root>/logs/batch-<run_id>.jsonl`) has one JSON object per line, each with `time` (UTC, ISO
8601), `run_id` and `event`: `run_started`, `practice_started`, `practice_finished`, `practice_skipped`,
`practice_failed`, `network_written`, `network_failed`, `run_finished`. docs/batch.md lists each event's
fields. Only practice keys, file paths, counts, timings and error messages go in; error messages are written
never to contain patient-level values, and nothing from the extracts' rows is ever passed here.

The log is appended to (not written through pain_finder.atomic): each event is one `write` of one whole line
to a file opened with O_APPEND, so a run killed mid-way leaves every earlier line complete.

The display is a rich progress bar when stdout is a terminal, and plain one-line messages otherwise (cron, CI,
systemd's journal), so logs captured from a scheduler stay readable.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pain_finder.batch.state import PracticeStatus


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class EventLog:
    """Append-only JSON-lines event log."""

    def __init__(self, path: Path, run_id: str) -> None:
        self.path = Path(path)
        self.run_id = run_id
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def event(self, event: str, **fields: Any) -> None:
        record = {"time": utc_now(), "run_id": self.run_id, "event": event, **fields}
        os.write(self._fd, (json.dumps(record, sort_keys=False, default=str) + "\n").encode())

    def close(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None  # type: ignore[assignment]


class Display(Protocol):
    def start(self, total: int, workers: int) -> None: ...
    def practice_started(self, key: str) -> None: ...
    def step(self, key: str, step: str) -> None: ...
    def practice_done(self, status: PracticeStatus) -> None: ...
    def message(self, text: str) -> None: ...
    def stop(self) -> None: ...


class SilentDisplay:
    """For library use and tests: shows nothing."""

    def start(self, total: int, workers: int) -> None: ...
    def practice_started(self, key: str) -> None: ...
    def step(self, key: str, step: str) -> None: ...
    def practice_done(self, status: PracticeStatus) -> None: ...
    def message(self, text: str) -> None: ...
    def stop(self) -> None: ...


def describe(status: PracticeStatus) -> str:
    """One line about a finished practice (counts and timings only)."""
    if status.status == "failed":
        return f"{status.practice_key}: FAILED: {status.error}"
    if status.status == "skipped":
        return f"{status.practice_key}: skipped (up to date; {status.n_candidates} candidates)"
    rows = sum(status.row_counts.values())
    return (
        f"{status.practice_key}: ok in {status.timings.get('total', 0):.1f} s ({rows:,} input rows, "
        f"{status.n_candidates} candidates, {status.n_excluded} excluded)"
    )


class PlainDisplay:
    """One plain line per event, for output that is not a terminal."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.done = 0
        self.total = 0

    def start(self, total: int, workers: int) -> None:
        self.total = total
        self.console.print(
            f"batch: {total} practice{'s' if total != 1 else ''}, {workers} at a time", markup=False
        )

    def practice_started(self, key: str) -> None:
        self.console.print(f"{key}: started", markup=False)

    def step(self, key: str, step: str) -> None:  # too chatty for a log file
        pass

    def practice_done(self, status: PracticeStatus) -> None:
        self.done += 1
        self.console.print(f"[{self.done}/{self.total}] {describe(status)}", markup=False)

    def message(self, text: str) -> None:
        self.console.print(text, markup=False)

    def stop(self) -> None:
        pass


class RichDisplay:
    """A progress bar for the batch and a line per running practice showing its current search step."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.overall: Any = None
        self.running: dict[str, Any] = {}

    def start(self, total: int, workers: int) -> None:
        self.progress.start()
        self.overall = self.progress.add_task(f"practices ({workers} at a time)", total=total)

    def practice_started(self, key: str) -> None:
        if key in self.running:  # retried after its worker process died
            self.progress.remove_task(self.running.pop(key))
        self.running[key] = self.progress.add_task(f"  {key}: starting", total=None)

    def step(self, key: str, step: str) -> None:
        if key in self.running:
            self.progress.update(self.running[key], description=f"  {key}: {step}")

    def practice_done(self, status: PracticeStatus) -> None:
        task = self.running.pop(status.practice_key, None)
        if task is not None:
            self.progress.remove_task(task)
        style = {"ok": "green", "skipped": "dim", "failed": "bold red"}[status.status]
        self.progress.console.print(
            f"[{style}]{escape(describe(status))}[/{style}]", markup=True, highlight=False
        )
        self.progress.advance(self.overall)

    def message(self, text: str) -> None:
        self.progress.console.print(text, markup=False, highlight=False)

    def stop(self) -> None:
        self.progress.stop()


def display_for(console: Console) -> Display:
    """Rich progress on a terminal, plain lines otherwise."""
    return RichDisplay(console) if console.is_terminal else PlainDisplay(console)
