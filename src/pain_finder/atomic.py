"""Write files so that a reader never sees half of one: write a temporary file beside the target, then rename.

`os.replace` is atomic on POSIX within one filesystem, so a crash (or `kill -9`) leaves either the old file,
the new file, or a stray `.tmp-*` file that the next run removes, never a truncated output.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from pain_finder.errors import OutputError

TMP_PREFIX = ".tmp-"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success rename it onto `target`.

    For writers that want a path (xlsxwriter, polars, matplotlib) rather than a file object.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{target.name}.", dir=target.parent)
        # mkstemp makes the file private (0600); give the output the permissions a plain open() would
        # (0666 less the umask), so the practice's usual folder permissions apply to it.
        os.fchmod(fd, 0o666 & ~_umask())
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write to folder {target.parent}: {exc.strerror}") from exc
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open(
    target: Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = ""
) -> Iterator[IO]:
    """Open a temporary file for writing; rename it onto `target` when the block ends without error."""
    with atomic_path(target) as tmp:
        if "b" in mode:
            with open(tmp, mode) as fh:
                yield fh
        else:
            with open(tmp, mode, encoding=encoding, newline=newline) as fh:
                yield fh


def write_text(target: Path, text: str) -> None:
    with atomic_open(target, "w", newline="\n") as fh:
        fh.write(text)


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_open(target, "wb", encoding=None, newline=None) as fh:
        fh.write(data)


def remove_stale_temporaries(folder: Path) -> int:
    """Delete `.tmp-*` files and folders left in `folder` by a run that was killed; return how many.

    Folders appear too: the workbook writer's constant-memory mode keeps its row files in a `.tmp-*` folder.
    """
    removed = 0
    if folder.is_dir():
        for stray in folder.glob(f"{TMP_PREFIX}*"):
            if stray.is_dir() and not stray.is_symlink():
                shutil.rmtree(stray, ignore_errors=True)
                removed += 1
            elif stray.is_file():
                stray.unlink(missing_ok=True)
                removed += 1
    return removed
