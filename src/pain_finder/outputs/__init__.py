"""The search's output files, written as one set: every file goes to a temporary name first, and only when all
of them are complete are they renamed into place. A failed run therefore leaves the previous run's outputs (or
nothing), never a half-written file or a mix of old and new.

Files: invitations.csv, invitations.xlsx (outputs.workbook), excluded.csv, summary.json (pain_finder.summary),
manifest.json (outputs.manifest).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from pain_finder import __version__
from pain_finder.atomic import atomic_set, remove_stale_temporaries
from pain_finder.errors import OutputError
from pain_finder.extract.reader import file_sha256
from pain_finder.extract.schema import EXTRACT_META_FILE
from pain_finder.outputs import csv_out
from pain_finder.outputs.manifest import CodeListRecord, InputFileRecord, Manifest, manifest_json

if TYPE_CHECKING:
    from pain_finder.codelists import CodeList
    from pain_finder.config import SearchConfig
    from pain_finder.extract.reader import ExtractFiles
    from pain_finder.search import SearchFrames, SearchResult

OUTPUT_FILES: dict[str, str] = {
    "invitations_csv": "invitations.csv",
    "invitations_xlsx": "invitations.xlsx",
    "excluded_csv": "excluded.csv",
    "summary": "summary.json",
    "manifest": "manifest.json",
}

# Called between files while writing (tests inject a failure here); never used in normal runs.
_after_each_file = None


def _checkpoint(name: str) -> None:
    if _after_each_file is not None:
        _after_each_file(name)


def write_outputs(
    out_dir: Path,
    frames: SearchFrames,
    result: SearchResult,
    *,
    config: SearchConfig,
    lists: dict[str, CodeList],
    files: ExtractFiles,
    criteria_lines: list[str],
) -> dict[str, Path]:
    """Write every output into `out_dir` as one set; return output name -> path.

    `criteria_lines` is the search definition in plain English (criteria.describe), for the workbook's read-me
    sheet and the manifest."""
    from pain_finder.outputs.workbook import WorkbookAbout, write_workbook  # noqa: PLC0415
    from pain_finder.summary import write_summary  # noqa: PLC0415

    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {out_dir}: {exc.strerror}") from exc
    if not out_dir.is_dir():
        raise OutputError(f"the output path {out_dir} is not a folder")
    remove_stale_temporaries(out_dir)
    paths = {name: out_dir / file for name, file in OUTPUT_FILES.items()}
    about = WorkbookAbout(
        practice_id=result.practice_id,
        as_of=result.as_of,
        software_version=__version__,
        fingerprint=result.fingerprint,
        criteria=criteria_lines,
        n_candidates=result.n_candidates,
        n_excluded=result.n_excluded,
    )
    try:
        with contextlib.ExitStack() as stack:
            # The input files' hashes (for the manifest) are computed on a thread while the outputs are
            # written: hashlib releases the GIL, so a large extract's hashing overlaps the workbook.
            pool = stack.enter_context(ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256"))
            hashes = {path: pool.submit(file_sha256, path) for _, path in sorted(files.tables.items())}
            tmp = stack.enter_context(atomic_set(paths))
            csv_out.write_csv(tmp["invitations_csv"], frames.invitations)
            _checkpoint("invitations_csv")
            csv_out.write_csv(tmp["excluded_csv"], frames.excluded)
            _checkpoint("excluded_csv")
            write_workbook(
                tmp["invitations_xlsx"], frames.invitations, frames.evidence, frames.excluded, about
            )
            _checkpoint("invitations_xlsx")
            write_summary(result.summary, tmp["summary"])
            _checkpoint("summary")
            manifest = build_manifest(
                result, lists=lists, files=files, lines=criteria_lines, config=config, hashes=hashes
            )
            tmp["manifest"].write_text(manifest_json(manifest), encoding="utf-8")
            _checkpoint("manifest")
    except OSError as exc:
        where = Path(exc.filename).name if exc.filename else "the outputs"
        raise OutputError(f"cannot write {where} in {out_dir}: {exc.strerror}") from exc
    return paths


def build_manifest(
    result: SearchResult,
    *,
    lists: dict[str, CodeList],
    files: ExtractFiles,
    lines: list[str],
    config: SearchConfig,
    hashes: Mapping[Path, Future[str]] | None = None,
) -> Manifest:
    def sha256(path: Path) -> str:
        pending = (hashes or {}).get(path)
        return pending.result() if pending is not None else file_sha256(path)

    inputs = [
        InputFileRecord(table=table, file=path.name, sha256=sha256(path), rows=result.row_counts.get(table))
        for table, path in sorted(files.tables.items())
    ]
    meta = files.folder / EXTRACT_META_FILE
    if meta.is_file():
        inputs.append(
            InputFileRecord(table="extract_meta", file=meta.name, sha256=file_sha256(meta), rows=None)
        )
    declined = config.exclusions.declined_patient_ids_file
    if declined is not None and Path(declined).is_file():
        inputs.append(
            InputFileRecord(
                table="declined_patients",
                file=Path(declined).name,
                sha256=file_sha256(Path(declined)),
                rows=None,
            )
        )
    return Manifest(
        software_version=__version__,
        generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        practice_id=result.practice_id,
        as_of=result.as_of,
        as_of_source=result.as_of_source,
        fingerprint=result.fingerprint,
        definition=config.definition_dict(),
        description=lines,
        code_lists=[
            CodeListRecord(
                name=name, version_date=cl.meta.version_date, status=cl.meta.status.value, sha256=cl.sha256
            )
            for name, cl in sorted(lists.items())
        ],
        inputs=inputs,
        outputs=dict(OUTPUT_FILES),
        n_candidates=result.n_candidates,
        n_listed=result.n_listed,
        n_excluded=result.n_excluded,
        data_quality_warnings=len(result.warnings),
        warnings=result.warnings,
        timings=dict(result.timings),
    )
