"""Helpers for the batch tests: a small fake search with run_search's interface, and extract/config builders.

The fake lets the scheduling, locking, status and idempotence tests run in a second or two; the functional
tests (tests/functional/test_batch_cli.py) run the real search on real synthetic extracts.

The fake is a module-level function so the batch's worker processes (started with `spawn`) can import it.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from pain_finder.atomic import write_text
from pain_finder.counts import ATTRITION_STEPS, EXCLUSION_REASONS, REVIEW_FLAGS, AttritionStep, ExactCounts
from pain_finder.errors import InputError
from pain_finder.extract.reader import locate

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "valid_minimal"


@dataclass
class FakeResult:
    practice_id: str
    as_of: dt.date
    as_of_source: str
    fingerprint: str
    exact_counts: ExactCounts
    outputs: dict[str, Path]
    row_counts: dict[str, int]
    timings: dict[str, float]
    n_candidates: int
    n_excluded: int
    warnings: list[str] = field(default_factory=list)
    summary: object = None


def fake_search(extract: Path, out_dir: Path, config, *, as_of=None, top=None, con=None, progress=None):
    """Reads patients.csv; every patient is a 'candidate'. Marker files change its behaviour:
    BROKEN -> InputError; CRASH -> the process dies; SLOW -> sleeps 1.5 s; BUG -> ValueError quoting a
    patient id."""
    extract = Path(extract)
    assert con is not None and con.execute("SELECT current_setting('threads')").fetchone()[0] >= 1
    if (extract / "BROKEN").exists():
        raise InputError("required column 'date_of_birth' is missing", file="patients.csv", row=1)
    if (extract / "CRASH").exists():
        os._exit(3)
    if (extract / "SLOW").exists():
        time.sleep(1.5)
    files = locate(extract)
    with open(files.tables["patients"], encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if (extract / "BUG").exists():
        raise ValueError(f"bad row for patient {rows[0]['patient_id']}")
    resolved = as_of or files.meta.extract_date or dt.date.today()
    if progress:
        progress("reading")
        progress("ranking")
    practice_id = files.meta.practice_id or extract.name
    n = len(rows)
    lines = ["rank,patient_id,practice_id"] + [
        f"{i},{r['patient_id']},{practice_id}" for i, r in enumerate(rows, 1)
    ]
    write_text(out_dir / "invitations.csv", "\n".join(lines) + "\n")
    write_text(out_dir / "summary.json", f'{{"practice_id": "{practice_id}", "as_of": "{resolved}"}}\n')
    write_text(out_dir / "manifest.json", f'{{"generated_at": "{dt.datetime.now().isoformat()}"}}\n')
    attrition = [AttritionStep(key=k, label=label, count=n) for k, label in ATTRITION_STEPS]
    exact = ExactCounts(
        practice_id=practice_id,
        attrition=attrition,
        removed_by_reason={r: 0 for r in EXCLUSION_REASONS},
        flagged_by_flag={f: 0 for f in REVIEW_FLAGS},
        candidates_by_age_band={"18-29": n},
        candidates_by_sex={"female": n},
        candidates_by_signal={"opioid_only": n},
    )
    return FakeResult(
        practice_id=practice_id,
        as_of=resolved,
        as_of_source="given" if as_of else "extract.json",
        fingerprint="fakefingerprint0",
        exact_counts=exact,
        outputs={"invitations": out_dir / "invitations.csv"},
        row_counts={"patients": n},
        timings={"read": 0.01},
        n_candidates=n,
        n_excluded=0,
    )


def make_extracts(root: Path, names: list[str], **markers: str) -> Path:
    """Copy the minimal fixture extract to root/<name> for each name; markers: name -> marker file to add."""
    for name in names:
        shutil.copytree(FIXTURE, root / name)
        meta = json.loads((root / name / "extract.json").read_text(encoding="utf-8"))
        (root / name / "extract.json").write_text(json.dumps({**meta, "practice_id": name}), encoding="utf-8")
    for name, marker in markers.items():
        (root / name / marker).write_text("", encoding="utf-8")
    return root


SIDECAR = """concept = "dementia"
code_system = "readv2"
domain = "clinical"
title = "Dementia (test list)"
captures = "a one-code list for the batch unit tests"
version_date = 2026-01-01
status = "draft"
[[sources]]
name = "none: test fixture"
how_used = "not used"
"""


def make_code_lists(folder: Path, term: str = "Dementia") -> Path:
    """A one-list code_lists folder, so the fake-search tests do not depend on the packaged lists."""
    (folder / "dementia").mkdir(parents=True, exist_ok=True)
    (folder / "dementia" / "readv2.csv").write_text(f"code,term\nEu02.,{term}\n", encoding="utf-8")
    (folder / "dementia" / "readv2.toml").write_text(SIDECAR, encoding="utf-8")
    return folder


def write_config(
    path: Path, extracts_dir: Path, output_root: Path, extra: str = "", workers: int = 2
) -> Path:
    """A batch config over `extracts_dir`, with a tiny code-list folder beside the config (fake search)."""
    lists = make_code_lists(path.parent / "code_lists")
    path.write_text(
        f'extracts_dir = "{extracts_dir}"\noutput_root = "{output_root}"\nworkers = {workers}\n{extra}\n'
        f'[as_of]\nrule = "fixed"\ndate = 2024-03-31\n[search]\ncode_lists_dir = "{lists}"\n',
        encoding="utf-8",
    )
    return path


def tree(folder: Path, *, exclude: tuple[str, ...] = ("manifest.json",)) -> dict[str, bytes]:
    """Every file under `folder` (relative path -> bytes), except the excluded names."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in exclude
    }
