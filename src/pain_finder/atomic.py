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
    tmp = _new_temporary(target)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _new_temporary(target: Path) -> Path:
    """An empty temporary file beside `target`, with the permissions a plain open() would give."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{target.name}.", dir=target.parent)
        # mkstemp makes the file private (0600); give the output the permissions a plain open() would
        # (0666 less the umask), so the practice's usual folder permissions apply to it.
        os.fchmod(fd, 0o666 & ~_umask())
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write to folder {target.parent}: {exc.strerror}") from exc
    return Path(tmp_name)


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


@contextlib.contextmanager
def atomic_set(targets: dict[str, Path]) -> Iterator[dict[str, Path]]:
    """Write several files as one set: all of them are replaced, or none.

    Yields a temporary path per name. When the block ends without error, the targets are checked first (a
    folder where a file should go is refused before anything is touched), the old files are moved aside, the
    new ones renamed into place, and the old ones deleted. If a rename fails part-way, the files already
    placed are taken back out and the old ones restored, so readers see the previous set or the new one,
    never a mix. On any error the temporary files are removed.
    """
    temps: dict[str, Path] = {}
    try:
        for name, target in targets.items():
            temps[name] = _new_temporary(Path(target))
        yield temps  # an error of the writers in the block propagates as it is, for the caller to explain
        try:
            for tmp in temps.values():
                _fsync(tmp)
            _commit(targets, temps)
        except OSError as exc:
            raise OutputError(f"cannot write {exc.filename or 'the outputs'}: {exc.strerror or exc}") from exc
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)


def _commit(targets: dict[str, Path], temps: dict[str, Path]) -> None:
    for target in targets.values():
        if Path(target).is_dir():
            raise OutputError(
                f"cannot write {target}: a folder of that name is in the way (move or rename it)"
            )
    backups: dict[Path, Path] = {}
    placed: list[Path] = []
    try:
        for name, target in targets.items():
            target = Path(target)
            if target.exists():
                backup = target.with_name(f"{TMP_PREFIX}{target.name}.old")
                os.replace(target, backup)
                backups[target] = backup
            os.replace(temps[name], target)
            placed.append(target)
    except OSError:
        for target in placed:
            target.unlink(missing_ok=True)
        for target, backup in backups.items():
            os.replace(backup, target)
        raise
    for backup in backups.values():
        backup.unlink(missing_ok=True)


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
