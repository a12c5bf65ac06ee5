"""Convert the extracts practices and researchers actually have into pain_finder's canonical practice extract.

    from pain_finder.importers import convert, FORMATS, ImportReport
    report = convert("opensafely", Path("ehrql_tables"), Path("extract"))

Each format has its own module (one job each); `common` reads, stages and writes. `convert` writes the
canonical tables, `extract.json` (source_format, extract_date when known, practice_id) and
`import_report.json` into a temporary folder beside `out`, validates the result, and only then renames it onto
`out`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from pain_finder.errors import ConfigError, InputError
from pain_finder.import_formats import FORMAT_DESCRIPTIONS
from pain_finder.importers import cprd, fhir, opensafely, report, ukb
from pain_finder.importers.common import REPORT_FILE, FileFormat, ImportContext, ImportReport, building_folder

__all__ = ["FORMATS", "ImportReport", "convert", "converted"]

Runner = Callable[[ImportContext, Path, "Path | None"], None]

# format name -> the module's run function (what each reads: formats.FORMAT_DESCRIPTIONS).
_RUNNERS: dict[str, Runner] = {
    "opensafely": opensafely.run,
    "ukb": ukb.run,
    "fhir": fhir.run,
    "report": report.run,
    "cprd_aurum": cprd.run_aurum,
    "cprd_gold": cprd.run_gold,
}
# format name -> (what it reads, run function), in the order shown in help and docs.
FORMATS: dict[str, tuple[str, Runner]] = {
    name: (what, _RUNNERS[name]) for name, what in FORMAT_DESCRIPTIONS.items()
}


def convert(
    fmt: str,
    source: Path,
    out: Path,
    *,
    mapping: Path | None = None,
    practice_id: str | None = None,
    extract_date: dt.date | None = None,
    file_format: FileFormat = "csv",
    validate: bool = True,
) -> ImportReport:
    """Convert `source` (a folder, in format `fmt`) into a canonical extract folder at `out`.

    `mapping` is the TOML mapping file for `report`, and the folder of CPRD's dictionaries for `cprd_aurum`
    and `cprd_gold`. `practice_id` and `extract_date` go to extract.json (else the source's own values, if
    any). With `validate`, the result is checked with `validate_extract` before it is put in
    place. Raises InputError (naming file, row and column) for a source that cannot be read, ConfigError for
    an unknown format or a bad mapping file, OutputError when `out` cannot be written. Never leaves a partial
    extract at `out`.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"unknown import format {fmt!r}: expected one of {', '.join(FORMATS)}")
    source, out = Path(source), Path(out)
    if not source.exists():
        raise InputError(f"{source} does not exist")
    run = FORMATS[fmt][1]
    with building_folder(out) as build:
        ctx = ImportContext(
            fmt,
            source,
            build,
            out,
            file_format=file_format,
            practice_id=practice_id,
            extract_date=extract_date,
        )
        try:
            run(ctx, source, Path(mapping) if mapping is not None else None)
            ctx.finish_meta()
            if validate:
                _validate(ctx, build)
        finally:
            ctx.close()
        for table in ctx.report.tables.values():
            if not table.balanced:  # a bug in an importer's SQL, never the user's data
                raise AssertionError(f"import bug: the rows of {table.table} do not add up")
        (build / REPORT_FILE).write_text(ctx.report.to_json(), encoding="utf-8")
    return ctx.report


def _validate(ctx: ImportContext, folder: Path) -> None:
    """Validate the written extract; a fatal problem is an InputError (the source could not be made valid)."""
    from pain_finder.extract.validate import validate_extract  # noqa: PLC0415 - only needed here

    result = validate_extract(folder)
    if result.fatal:
        first = result.fatal[0]
        where = f", row {first.row}" if first.row else ""
        raise InputError(
            f"the converted extract is not valid: {first.message} (in the converted {Path(first.file).name}"
            f"{where}); see docs/import.md for what this format needs"
        )
    for problem in result.problems:
        ctx.report.validation_warnings[problem.check] = ctx.report.validation_warnings.get(
            problem.check, 0
        ) + (problem.count or 1)


@contextlib.contextmanager
def converted(
    fmt: str,
    source: Path,
    *,
    mapping: Path | None = None,
    work_dir: Path | None = None,
    validate: bool = False,
) -> Iterator[tuple[Path, ImportReport]]:
    """Convert `source` into a temporary canonical extract for the length of a `with` block (`--format`).

    Yields the extract folder and the import report; the folder is deleted when the block ends, whatever
    happens. The search validates the extract itself, so `validate` is off by default to avoid doing it twice.
    `work_dir` is where the temporary folder goes (default: the system's temporary folder; the batch gives its
    spill directory, since the converted extract may be large).
    """
    tmp = Path(tempfile.mkdtemp(prefix="pain-finder-import-", dir=work_dir))
    try:
        # Named after the source folder, so a search that falls back to the folder name for the practice
        # (no practice_id in the source) names the practice as `import` then `search` would.
        folder = tmp / (Path(source).resolve().name or "extract")
        report = convert(fmt, source, folder, mapping=mapping, validate=validate)
        yield folder, report
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
