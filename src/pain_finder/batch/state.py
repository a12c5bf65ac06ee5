"""What a batch remembers between runs, and how a practice's outputs are put in place without ever being
half-written.

Files under the output root:

- `practices/<practice>/`: the search's outputs for one practice. Written into
  `.staging/<practice>-<random>/` first, then swapped in by renames (`install`): the old folder is renamed
  aside to `.staging/<practice>.old`, the new one renamed in, the old one deleted. A run killed between the
  two renames leaves the old folder aside; the next run renames it back (`recover`) before doing anything
  else, so `practices/<practice>/` is always either the complete old output or the complete new one.
- `state/<practice>.json` (`PracticeState`): the inputs of the practice's last successful run (sha256 of
  each input file, the search definition's fingerprint and code-list hashes, the as-of date, the software
  version) and its exact counts (kept so the network summary can be rebuilt without rerunning up-to-date
  practices). It is deleted before an output is swapped in and written after, so it never describes an output
  that is not there. A practice whose current inputs equal its state is skipped (unless `--force`).
- `state/network.json`: which practice states the network summary was built from.

Exact counts are not identifiers, and the state folder, like the practice folders, stays in the trusted
environment where the batch runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import uuid
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pain_finder.atomic import write_text
from pain_finder.counts import ExactCounts

PRACTICES_DIR = "practices"
NETWORK_DIR = "network"
STAGING_DIR = ".staging"
STATE_DIR = "state"
LOGS_DIR = "logs"
STATUS_FILE = "batch_status.json"
STATE_VERSION = 1


class InputKey(BaseModel):
    """Everything a practice's outputs depend on. Equal keys mean a rerun would write the same outputs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    files: dict[str, str] = Field(description="sha256 of each input file, by file name")
    definition_fingerprint: str = Field(description="fingerprint of the search definition and its code lists")
    code_lists: dict[str, str] = Field(description="sha256 of each code list, by concept/system")
    as_of: dt.date | None = Field(
        description="the as-of date the search runs with; None for a source converted on the fly without a "
        "fixed date (its extract date comes from the source files, which `files` covers)"
    )
    software_version: str = Field(description="pain_finder's version")

    def digest(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]


class PracticeState(BaseModel):
    """`state/<practice>.json`: the last successful run of one practice."""

    model_config = ConfigDict(extra="forbid")

    version: int = STATE_VERSION
    practice_key: str
    practice_id: str
    key: InputKey
    fingerprint: str = Field(description="the search's own fingerprint of its definition")
    as_of_source: str
    exact_counts: ExactCounts
    summary_description: str = ""
    n_candidates: int
    n_excluded: int
    row_counts: dict[str, int]
    finished_at: str


class NetworkState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = STATE_VERSION
    practices: dict[str, str] = Field(
        description="practice key -> input key digest the network was built from"
    )
    policy: dict


class PracticeStatus(BaseModel):
    """One practice's line in batch_status.json."""

    model_config = ConfigDict(extra="forbid")

    practice_key: str = Field(
        description="the extract's folder name; outputs are in practices/<practice_key>/"
    )
    extract: str = Field(description="the extract folder")
    status: Literal["pending", "running", "ok", "failed", "skipped"]
    practice_id: str | None = None
    error: str | None = Field(
        None, description="why it failed: the error message, or an unexpected error's type"
    )
    error_type: str | None = None
    as_of: dt.date | None = None
    fingerprint: str | None = None
    output: str | None = Field(None, description="the practice's output folder (None if it never succeeded)")
    timings: dict[str, float] = Field(
        default_factory=dict, description="seconds: hash, search steps, install, total"
    )
    row_counts: dict[str, int] = Field(default_factory=dict, description="input rows per table")
    n_candidates: int | None = None
    n_excluded: int | None = None
    warnings: int = Field(0, description="data-quality warnings reported by the search (see its manifest)")


class NetworkStatus(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["written", "up_to_date", "not_written", "failed"]
    output: str | None = None
    practices: int = 0
    error: str | None = None


class BatchStatus(BaseModel):
    """`batch_status.json`: the state of the latest run, rewritten (atomically) as each practice finishes."""

    model_config = ConfigDict(extra="forbid")

    version: int = STATE_VERSION
    run_id: str
    state: Literal["running", "finished", "interrupted"]
    started_at: str
    finished_at: str | None = None
    software_version: str
    config_file: str | None
    output_root: str
    force: bool
    workers: int
    exit_code: int | None = None
    counts: dict[str, int] = Field(default_factory=dict, description="practices by status")
    practices: list[PracticeStatus] = Field(default_factory=list)
    network: NetworkStatus | None = None


def write_model(path: Path, model: BaseModel) -> None:
    write_text(path, json.dumps(json.loads(model.model_dump_json()), indent=2, sort_keys=True) + "\n")


def read_state(root: Path, practice_key: str) -> PracticeState | None:
    path = root / STATE_DIR / f"{practice_key}.json"
    try:
        state = PracticeState.model_validate_json(path.read_bytes())
    except (OSError, ValidationError, ValueError):
        return None  # missing or unreadable: the practice simply runs again
    return state if state.version == STATE_VERSION else None


def read_network_state(root: Path) -> NetworkState | None:
    try:
        return NetworkState.model_validate_json((root / STATE_DIR / "network.json").read_bytes())
    except (OSError, ValidationError, ValueError):
        return None


def staging_folder(root: Path, name: str) -> Path:
    folder = root / STAGING_DIR / f"{name}-{uuid.uuid4().hex[:12]}"
    folder.mkdir(parents=True)
    return folder


def aside_name(target: Path) -> str:
    """The name under .staging/ that `target`'s old version is renamed to while the new one moves in."""
    return f"{NETWORK_DIR}.old" if target.parent.name != PRACTICES_DIR else f"practice~{target.name}.old"


def install(staged: Path, target: Path) -> None:
    """Swap the complete folder `staged` in as `target` (see the module docstring for the crash guarantees).

    `staged` must be in `<output_root>/.staging/` and `target` in the same filesystem (renames are atomic).
    """
    aside = staged.parent / aside_name(target)
    if aside.exists():
        shutil.rmtree(aside)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.rename(aside)
    staged.rename(target)
    if aside.exists():
        shutil.rmtree(aside)


def recover(root: Path) -> list[str]:
    """Undo what a killed run left: put aside folders back, delete half-written staging folders and spills.

    Must be called with the lock held. Returns the names of the folders put back.
    """
    restored: list[str] = []
    staging = root / STAGING_DIR
    if not staging.is_dir():
        return restored
    for entry in sorted(staging.iterdir()):
        target: Path | None = None
        if entry.is_dir() and entry.name == f"{NETWORK_DIR}.old":
            target = root / NETWORK_DIR
        elif entry.is_dir() and entry.name.startswith("practice~") and entry.name.endswith(".old"):
            target = root / PRACTICES_DIR / entry.name.removeprefix("practice~").removesuffix(".old")
        if target is not None and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            entry.rename(target)
            restored.append(target.name)
        elif entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    return restored
