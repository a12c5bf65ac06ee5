"""The optional list of patients who declined this study (config: exclusions.declined_patient_ids_file).

A CSV file with a header row naming a `patient_id` column (other columns are ignored), one patient per row,
as a practice would keep it in a spreadsheet. Those patients are excluded with reason `research_dissent`.
Messages name the file, row and column, and never quote an identifier.
"""

from __future__ import annotations

from pathlib import Path

from pain_finder.csv_rows import numbered_rows
from pain_finder.errors import InputError

COLUMN = "patient_id"


def read_declined_ids(path: Path) -> list[str]:
    """The distinct patient identifiers in the file, sorted; blank cells are skipped."""
    path = Path(path)
    if path.is_dir():
        raise InputError("is a folder: give the declined patients CSV file itself", file=path)
    if not path.is_file():
        raise InputError("the declined patients file does not exist", file=path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror}", file=path) from exc
    except UnicodeDecodeError as exc:
        raise InputError("is not UTF-8 text: save it as 'CSV UTF-8 (comma delimited)'", file=path) from exc
    rows = numbered_rows(text, path)
    header = [h.strip() for h in next(rows, (1, []))[1]]
    if COLUMN not in header:
        raise InputError(f"needs a '{COLUMN}' column in its header row", file=path, row=1, column=COLUMN)
    at = header.index(COLUMN)
    ids: set[str] = set()
    for row_no, row in rows:
        if len(row) <= at:
            raise InputError(
                f"the row has {len(row)} field(s) but the header has {len(header)}: the '{COLUMN}' "
                "value is missing",
                file=path,
                row=row_no,
                column=COLUMN,
            )
        if value := row[at].strip():
            ids.add(value)
    return sorted(ids)
