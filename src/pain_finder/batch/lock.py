"""One batch run per output root at a time: an exclusive `flock` on `<output_root>/.lock`.

The kernel releases an `flock` when the process holding it ends, however it ends (normal exit, crash, `kill
-9`, power cut), so a lock left by a crashed run never sticks: the next run simply acquires it. The holder
writes its pid, host and start time into the file so that a refused run can say who holds it. The file itself
is left in place (deleting it would let two runs lock two different files); its content is only informative.

The lock file descriptor is not inherited by the worker processes (Python opens files non-inheritable and the
workers are started fresh with `spawn`), so a worker that outlives a killed parent does not keep the lock.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
from pathlib import Path

from pain_finder.errors import LockedError, OutputError

LOCK_FILE = ".lock"


class BatchLock:
    """Context manager holding the output root's lock; raises LockedError when another run holds it."""

    def __init__(self, output_root: Path, run_id: str) -> None:
        self.path = Path(output_root) / LOCK_FILE
        self.run_id = run_id
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot create the lock file {self.path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _describe_holder(fd)
            os.close(fd)
            raise LockedError(
                f"another batch run is using the output root {self.path.parent} ({holder}). Wait for it to "
                "finish, or use a different output_root. A run that crashed or was killed releases the "
                "lock by itself."
            ) from None
        except OSError as exc:
            os.close(fd)
            raise OutputError(f"cannot lock {self.path}: {exc.strerror}") from exc
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "run_id": self.run_id,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> BatchLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _describe_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or "pid" not in info:
        return "holder unknown: it is just starting"
    return (
        f"held by pid {info.get('pid')} on host {info.get('host')}, started {info.get('started_at')}, run "
        f"{info.get('run_id')}"
    )
