"""The hand-check workbook, `invitations.xlsx`: the list practice staff open and mark before any letter goes.

Four sheets: "Invitations" (one row per candidate in rank order, with `decision`, `reason` and `notes` columns
for the checker), "Evidence" (every matching record of every listed patient), "Excluded" (who was left off,
and why) and "Read me" (what the list is, the criteria, every column, reason and flag explained, how to use
the drop-downs).

Guarantees:
- No cell is ever a formula. Text is written with `write_string` only (a value such as `=HYPERLINK(...)` or
  `-5mg` stays exactly that text), and the workbook is opened with `strings_to_formulas`, `strings_to_numbers`
  and `strings_to_urls` off as a second line of defence.
- Identifiers and codes (`patient_id`, `nhs_number`, `code`, ...) are always text, so an 18-digit SNOMED CT
  code or an NHS number is never shown as `8.27E+14` or rounded.
- Dates are real Excel dates shown as `YYYY-MM-DD` (they sort and filter as dates, and read the same in every
  locale); a value that is not an ISO date is kept as text rather than lost.
- Byte-identical on a rerun: the document's created/modified date is the as-of date (never the clock), and
  XlsxWriter stamps every part of the zip with a fixed 1980 date.
- Written atomically (`pain_finder.atomic.atomic_path`), in XlsxWriter's constant-memory mode: each row goes
  to a temporary file as soon as it is complete, so 500,000 evidence rows do not have to fit in memory. That
  mode requires rows to be written top to bottom on each sheet, which is how this module writes them. Its
  temporary files live in a `.tmp-` folder beside the output (patient data never goes to the system's shared
  temp folder).
"""

from __future__ import annotations

import datetime as dt
import math
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from pydantic import BaseModel, ConfigDict, Field
from xlsxwriter.exceptions import XlsxWriterException
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from pain_finder.atomic import TMP_PREFIX, atomic_path
from pain_finder.counts import EXCLUSION_REASONS, REVIEW_FLAGS
from pain_finder.errors import OutputError
from pain_finder.outputs.columns import (
    DECISION_CHOICES,
    DECISION_COLUMNS,
    DECISION_REASONS,
    EVIDENCE_COLUMNS,
    EXCLUDED_COLUMNS,
    EXCLUDED_EXTRA_COLUMNS,
    INVITATION_COLUMNS,
    REASON_TEXT,
    explain_reasons,
)

SHEET_INVITATIONS = "Invitations"
SHEET_EVIDENCE = "Evidence"
SHEET_EXCLUDED = "Excluded"
SHEET_README = "Read me"
SHEET_NAMES: tuple[str, ...] = (SHEET_INVITATIONS, SHEET_EVIDENCE, SHEET_EXCLUDED, SHEET_README)

# The workbook-level name the `reason` drop-down reads its choices from (a range on the Read me sheet: Excel
# limits a typed-in list to 255 characters, which the reasons exceed).
REASONS_NAME = "DecisionReasons"

# How each column is written. Anything not named here is text.
NUMBER_COLUMNS = frozenset(
    {
        "rank",
        "age",
        "score",
        "score_fit_notes",
        "score_opioids",
        "score_gabapentinoids",
        "score_pain",
        "fit_notes_12m",
        "fit_note_days_12m",
        "opioids_12m",
        "ome_mg_per_day",
        "gabapentinoids_12m",
        "pain_consultations_24m",
    }
)
DATE_COLUMNS = frozenset(
    {
        "date",
        "last_fit_note_date",
        "last_opioid_date",
        "last_gabapentinoid_date",
        "first_pain_date",
        "last_pain_date",
    }
)

MESSAGE_NO_CANDIDATES = "No patients met the search criteria on {as_of}: there is nobody to check."
MESSAGE_NO_EVIDENCE = "No evidence records: the invitation list is empty."
MESSAGE_NO_EXCLUDED = "No patients who met the criteria were excluded."

# Up to this many data cells the workbook is built in memory, with a shared string table (repeated terms and
# codes stored once): about a fifth faster and a smaller file. Above it, rows are streamed to disk as they are
# written (XlsxWriter's constant_memory mode), so a very large practice's list needs little memory.
IN_MEMORY_MAX_CELLS = 300_000
_WIDTH_SAMPLE_ROWS = 2000  # column widths are judged from the header and the first rows
_MIN_WIDTH, _MAX_WIDTH = 6, 60
_HEADER_MAX_WIDTH = 22  # long header names wrap instead of widening the column


class WorkbookAbout(BaseModel):
    """What the Read me sheet says about the run that made the list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    practice_id: str
    as_of: dt.date
    software_version: str
    fingerprint: str
    criteria: list[str] = Field(
        default_factory=list, description="plain-English lines describing the definition"
    )
    n_candidates: int = Field(
        ge=0, description="patients who met every criterion (the list may show fewer: --top)"
    )
    n_excluded: int = Field(
        ge=0, description="patients who met the criteria but were removed by an exclusion"
    )


def write_workbook(
    path: Path,
    invitations: pl.DataFrame,
    evidence: pl.DataFrame,
    excluded: pl.DataFrame,
    about: WorkbookAbout,
) -> None:
    """Write the hand-check workbook to `path`, atomically. Raises OutputError if it cannot be written."""
    path = Path(path)
    invitations = _select(invitations, INVITATION_COLUMNS, "invitations")
    evidence = _select(evidence, EVIDENCE_COLUMNS, "evidence")
    excluded = _select(excluded, EXCLUDED_COLUMNS, "excluded")
    reasons = pl.col("reasons")
    if isinstance(excluded.schema["reasons"], pl.List):  # a list of codes instead of `;`-joined text
        reasons = reasons.list.join(";")
    excluded = excluded.with_columns(reasons.cast(pl.String).alias("reasons"))
    explained = pl.col("reasons").fill_null("").map_elements(explain_reasons, return_dtype=pl.String)
    excluded = excluded.with_columns(explained.alias("reasons_explained"))
    try:
        with atomic_path(path) as tmp:
            scratch = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{path.name}.rows.", dir=tmp.parent))
            try:
                _write(tmp, scratch, invitations, evidence, excluded, about)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    except (OSError, XlsxWriterException) as exc:
        detail = getattr(exc, "strerror", None) or type(exc).__name__
        raise OutputError(f"cannot write the workbook {path.name}: {detail}") from exc


def _select(frame: pl.DataFrame, columns: dict[str, str], what: str) -> pl.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} frame lacks column(s) {', '.join(missing)} (see outputs/columns.py)")
    return frame.select(list(columns))


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        base = {"font_name": "Arial", "font_size": 10, "valign": "top"}
        self.header = wb.add_format(
            {**base, "bold": True, "text_wrap": True, "bg_color": "#DDEBF7", "bottom": 1, "valign": "bottom"}
        )
        self.text = wb.add_format(base)
        self.number = wb.add_format(base)
        self.decimal = wb.add_format({**base, "num_format": "0.0"})
        self.date = wb.add_format({**base, "num_format": "yyyy-mm-dd", "align": "left"})
        self.flag = wb.add_format({**base, "bold": True, "bg_color": "#FFD966"})
        self.input = wb.add_format(
            {**base, "bg_color": "#FFF2CC", "locked": False, "border": 1, "border_color": "#BFBFBF"}
        )
        self.message = wb.add_format({**base, "italic": True})
        self.title = wb.add_format({**base, "bold": True, "font_size": 14})
        self.warning = wb.add_format({**base, "bold": True, "font_color": "#C00000", "text_wrap": True})
        self.section = wb.add_format({**base, "bold": True, "font_size": 11, "bg_color": "#DDEBF7", "top": 1})
        self.label = wb.add_format({**base, "bold": True, "text_wrap": True})
        self.wrap = wb.add_format({**base, "text_wrap": True})
        self.code = wb.add_format({**base, "font_name": "Consolas"})
        self.cf_invite = wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})
        self.cf_not_invite = wb.add_format({"bg_color": "#E7E6E6", "font_color": "#3A3A3A"})
        self.cf_missing = wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})


def _write(
    target: Path,
    scratch: Path,
    invitations: pl.DataFrame,
    evidence: pl.DataFrame,
    excluded: pl.DataFrame,
    about: WorkbookAbout,
) -> None:
    cells = sum(frame.height * frame.width for frame in (invitations, evidence, excluded))
    wb = xlsxwriter.Workbook(
        str(target),
        {
            "constant_memory": cells > IN_MEMORY_MAX_CELLS,
            "tmpdir": str(scratch),
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "default_date_format": "yyyy-mm-dd",
        },
    )
    created = dt.datetime(about.as_of.year, about.as_of.month, about.as_of.day, tzinfo=dt.UTC)
    wb.set_properties(
        {
            "title": f"Patients to check before inviting: practice {about.practice_id}, as of {about.as_of}",
            "subject": "Chronic pain employment-support trial: invitation list for hand-checking",
            "author": f"pain_finder {about.software_version}",
            "company": about.practice_id,
            "keywords": "patient-identifiable; keep within the practice",
            "comments": "Contains patient-identifiable data: keep it within the practice. "
            f"Search definition fingerprint {about.fingerprint}.",
            "created": created,
        }
    )
    fmt = _Formats(wb)
    ws_inv = wb.add_worksheet(SHEET_INVITATIONS)
    ws_ev = wb.add_worksheet(SHEET_EVIDENCE)
    ws_ex = wb.add_worksheet(SHEET_EXCLUDED)
    ws_rm = wb.add_worksheet(SHEET_README)
    ws_inv.set_tab_color("#2F75B5")
    ws_rm.set_tab_color("#70AD47")
    ws_inv.activate()

    readme, reasons_rows = _readme_rows(about, n_listed=invitations.height)
    first, last = reasons_rows
    wb.define_name(REASONS_NAME, f"='{SHEET_README}'!$B${first + 1}:$B${last + 1}")

    _write_invitations(ws_inv, fmt, invitations, about)
    _write_table(
        ws_ev,
        fmt,
        evidence,
        list(EVIDENCE_COLUMNS),
        EVIDENCE_COLUMNS,
        frozen_cols=2,
        empty=MESSAGE_NO_EVIDENCE,
    )
    _write_table(
        ws_ex,
        fmt,
        excluded,
        list(EXCLUDED_COLUMNS) + list(EXCLUDED_EXTRA_COLUMNS),
        {**EXCLUDED_COLUMNS, **EXCLUDED_EXTRA_COLUMNS},
        frozen_cols=1,
        empty=MESSAGE_NO_EXCLUDED,
    )
    _write_readme(ws_rm, fmt, readme)
    # The Invitations sheet has over 30 columns: one page wide would print them at about 20%, too small to
    # read, so it spreads over 3 pages wide (about 60%) with rank and patient_id repeated on every page.
    _print_setup(ws_inv, data_sheet=True, pages_wide=INVITATIONS_PAGES_WIDE, repeat_columns=2)
    for ws in (ws_ev, ws_ex):
        _print_setup(ws, data_sheet=True)
    _print_setup(ws_rm, data_sheet=False)
    wb.close()


# --- printing -----------------------------------------------------------------------------------------------

PRINT_CONFIDENTIAL = "Contains patient-identifiable data: keep in the practice"
INVITATIONS_PAGES_WIDE = 3
_PAPER_A4 = 9


def _print_setup(ws: Worksheet, *, data_sheet: bool, pages_wide: int = 1, repeat_columns: int = 0) -> None:
    """How a sheet prints: A4 landscape, all columns on `pages_wide` pages wide (as many pages tall as
    needed), the sheet name and the confidentiality note at the top of every page and "Page n of N" at the
    bottom; the first `repeat_columns` columns repeated on every page.

    Data sheets also repeat their header row on every page and print gridlines, so a row can be followed
    across the page; the Read me sheet (no header row, gridlines hidden) is landscape too, because its
    144-character width would shrink to about 65% in portrait.
    """
    ws.set_paper(_PAPER_A4)
    ws.set_landscape()
    ws.fit_to_pages(pages_wide, 0)
    if repeat_columns:
        ws.repeat_columns(0, repeat_columns - 1)
    ws.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.75)
    name = ws.get_name().replace("&", "&&")  # `&` starts a header code; `&&` prints one
    ws.set_header(f"&L{name}&R{PRINT_CONFIDENTIAL}", {"margin": 0.3})
    ws.set_footer("&CPage &P of &N", {"margin": 0.3})
    if data_sheet:
        ws.repeat_rows(0)
        ws.hide_gridlines(0)  # gridlines shown on screen and printed


# --- cell values --------------------------------------------------------------------------------------------
#
# Each column is turned, in polars and all at once, into cells of one kind: a number (float or null) or a text
# (str or null); a date column becomes two, the Excel serial day number (written with a date format) and the
# original text for any value that is not an ISO date. The row loop then only dispatches, which keeps the
# Python work per cell small: XlsxWriter's own XML writing is most of the time.

_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 0 in Excel's 1900 date system (valid from 1900-03-01 on)
_FIRST_SERIAL_DATE = dt.date(1900, 3, 1)

# (kind, column index in the prepared frame, second index for dates or -1, format name)
Plan = tuple[str, int, int, str]


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _text_expr(series: pl.Series) -> pl.Expr:
    name = series.name
    if series.dtype == pl.Boolean:
        expr = pl.when(pl.col(name)).then(pl.lit("yes")).otherwise(pl.lit("no"))
        expr = pl.when(pl.col(name).is_null()).then(None).otherwise(expr)
    elif series.dtype == pl.String:
        expr = pl.col(name)
    elif series.dtype.is_float() or series.dtype.is_temporal() or not series.dtype.is_numeric():
        expr = pl.col(name).map_elements(_as_text, return_dtype=pl.String, skip_nulls=True)
    else:
        expr = pl.col(name).cast(pl.String)
    return pl.when(expr == "").then(None).otherwise(expr)


def _number_expr(series: pl.Series) -> pl.Expr:
    col = pl.col(series.name).cast(pl.Float64)
    return pl.when(col.is_finite()).then(col).otherwise(None)


def _date_exprs(series: pl.Series, serial_name: str, text_name: str) -> tuple[pl.Expr, pl.Expr]:
    name = series.name
    if series.dtype == pl.Date or isinstance(series.dtype, pl.Datetime):
        day = pl.col(name).cast(pl.Date)
        leftover: pl.Expr = pl.lit(None, dtype=pl.String)
    elif series.dtype == pl.String:
        raw = pl.when(pl.col(name) == "").then(None).otherwise(pl.col(name))
        day = (
            pl.when(raw.str.len_chars() == 10).then(raw.str.to_date("%Y-%m-%d", strict=False)).otherwise(None)
        )
        leftover = pl.when(day.is_null()).then(raw).otherwise(None)
    else:
        day = pl.lit(None, dtype=pl.Date)
        leftover = _text_expr(series)
    early = day < _FIRST_SERIAL_DATE
    serial = (
        pl.when(early).then(None).otherwise((day - pl.lit(_EXCEL_EPOCH)).dt.total_days().cast(pl.Float64))
    )
    text = pl.when(early).then(day.cast(pl.String)).otherwise(leftover)
    return serial.alias(serial_name), text.alias(text_name)


def _prepare(frame: pl.DataFrame, columns: Sequence[str]) -> tuple[pl.DataFrame, list[Plan]]:
    """The frame as cells ready to write, and for each output column how to write it."""
    exprs: list[pl.Expr] = []
    plan: list[Plan] = []
    for name in columns:
        series = frame.get_column(name)
        at = len(exprs)
        if name in DATE_COLUMNS:
            exprs.extend(_date_exprs(series, f"{at}", f"{at + 1}"))
            plan.append(("date", at, at + 1, "date"))
        elif name in NUMBER_COLUMNS and (series.dtype.is_numeric() or series.dtype == pl.Null):
            exprs.append(_number_expr(series).alias(f"{at}"))
            plan.append(("number", at, -1, "decimal" if name == "ome_mg_per_day" else "number"))
        elif (
            name in NUMBER_COLUMNS
        ):  # numbers handed over as text: each value written as a number if it is one
            exprs.append(_text_expr(series).alias(f"{at}"))
            plan.append(("number_text", at, -1, "decimal" if name == "ome_mg_per_day" else "number"))
        else:
            exprs.append(_text_expr(series).alias(f"{at}"))
            plan.append(("text", at, -1, "flag" if name == "review_flags" else "text"))
    return (frame.select(exprs).rechunk() if exprs else frame.clear()), plan


def _write_rows(
    ws: Worksheet, fmt: _Formats, frame: pl.DataFrame, columns: Sequence[str], after: Sequence[int] = ()
) -> None:
    """Write the data rows (from row 1, under the header), strictly top to bottom, left to right.

    `after`: columns, to the right of the data, that get an empty input cell (the checker's columns).
    """
    prepared, plan = _prepare(frame, columns)
    write_string, write_number, write_blank = ws.write_string, ws.write_number, ws.write_blank
    input_fmt = fmt.input
    text_fmt = fmt.text
    steps = [(col, kind, a, b, getattr(fmt, f)) for col, (kind, a, b, f) in enumerate(plan)]
    for row, values in enumerate(prepared.iter_rows(), start=1):
        for col, kind, a, b, cell_fmt in steps:
            value = values[a]
            if kind == "text":
                if value is not None:
                    write_string(row, col, value, cell_fmt)
            elif kind == "number" or kind == "date":
                if value is not None:
                    write_number(row, col, value, cell_fmt)
                elif b >= 0 and values[b] is not None:
                    write_string(row, col, values[b], text_fmt)
            elif value is not None:  # number_text
                try:
                    number = float(value)
                except ValueError:
                    number = math.nan
                if math.isfinite(number):
                    write_number(row, col, number, cell_fmt)
                else:
                    write_string(row, col, value, text_fmt)
        for col in after:
            write_blank(row, col, None, input_fmt)


def _width(frame: pl.DataFrame, column: str) -> float:
    header = min(len(column), _HEADER_MAX_WIDTH)
    longest = 0
    if column in frame.columns and frame.height:
        sample = frame.get_column(column).head(_WIDTH_SAMPLE_ROWS)
        if column in DATE_COLUMNS:
            longest = 10
        else:
            lengths = sample.cast(pl.String).str.len_chars()
            longest = int(lengths.max() or 0)
    return float(max(_MIN_WIDTH, min(_MAX_WIDTH, max(header, longest) + 2)))


def _header(ws: Worksheet, fmt: _Formats, columns: Sequence[str], descriptions: dict[str, str]) -> None:
    ws.set_row(0, 30)
    for col, name in enumerate(columns):
        ws.write_string(0, col, name, fmt.header)
        if name in descriptions:
            ws.write_comment(0, col, descriptions[name], {"x_scale": 2.2, "y_scale": 1.6})


def _write_table(
    ws: Worksheet,
    fmt: _Formats,
    frame: pl.DataFrame,
    columns: list[str],
    descriptions: dict[str, str],
    *,
    frozen_cols: int,
    empty: str,
) -> None:
    for col, name in enumerate(columns):
        ws.set_column(col, col, _width(frame, name))
    _header(ws, fmt, columns, descriptions)
    ws.freeze_panes(1, frozen_cols)
    if frame.height == 0:
        ws.write_string(1, 0, empty, fmt.message)
        return
    ws.autofilter(0, 0, frame.height, len(columns) - 1)
    _write_rows(ws, fmt, frame, columns)


def _write_invitations(ws: Worksheet, fmt: _Formats, frame: pl.DataFrame, about: WorkbookAbout) -> None:
    data_columns = list(INVITATION_COLUMNS)
    columns = data_columns + list(DECISION_COLUMNS)
    descriptions = {**INVITATION_COLUMNS, **DECISION_COLUMNS}
    for col, name in enumerate(data_columns):
        ws.set_column(col, col, _width(frame, name))
    c_decision, c_reason, c_notes = (columns.index(c) for c in DECISION_COLUMNS)
    ws.set_column(c_decision, c_decision, 15)
    ws.set_column(c_reason, c_reason, 34)
    ws.set_column(c_notes, c_notes, 45)
    _header(ws, fmt, columns, descriptions)
    ws.freeze_panes(1, 2)
    n = frame.height
    if n == 0:
        ws.write_string(1, 0, MESSAGE_NO_CANDIDATES.format(as_of=about.as_of.isoformat()), fmt.message)
        return
    ws.autofilter(0, 0, n, len(columns) - 1)
    ws.data_validation(
        1,
        c_decision,
        n,
        c_decision,
        {
            "validate": "list",
            "source": list(DECISION_CHOICES),
            "input_title": "Decision",
            "input_message": "After checking the record, choose 'invite' or 'do not invite'.",
            "error_title": "Choose from the list",
            "error_message": "Please choose 'invite' or 'do not invite' from the drop-down.",
        },
    )
    ws.data_validation(
        1,
        c_reason,
        n,
        c_reason,
        {
            "validate": "list",
            "source": f"={REASONS_NAME}",
            "input_title": "Reason for not inviting",
            "input_message": "If you chose 'do not invite', choose why. Use 'other (see notes)' and write in "
            "the notes column if none fits. The list is on the Read me sheet.",
            "error_title": "Choose from the list",
            "error_message": "Please choose a reason from the drop-down (or 'other (see notes)' and write in "
            "the notes column).",
        },
    )
    decision_cell = xl_rowcol_to_cell(1, c_decision, col_abs=True)
    reason_cell = xl_rowcol_to_cell(1, c_reason, col_abs=True)
    decision_range = f"{xl_col_to_name(c_decision)}2:{xl_col_to_name(c_decision)}{n + 1}"
    reason_range = f"{xl_col_to_name(c_reason)}2:{xl_col_to_name(c_reason)}{n + 1}"
    ws.conditional_format(
        decision_range, {"type": "cell", "criteria": "==", "value": '"invite"', "format": fmt.cf_invite}
    )
    ws.conditional_format(
        decision_range,
        {"type": "cell", "criteria": "==", "value": '"do not invite"', "format": fmt.cf_not_invite},
    )
    ws.conditional_format(
        reason_range,
        {
            "type": "formula",
            "criteria": f'=AND({decision_cell}="do not invite",{reason_cell}="")',
            "format": fmt.cf_missing,
        },
    )
    _write_rows(ws, fmt, frame, data_columns, after=(c_decision, c_reason, c_notes))


# --- the Read me sheet --------------------------------------------------------------------------------------

_CHOICE_TEXT = {
    "invite": "The record has been checked and the patient may be sent an invitation.",
    "do not invite": "The patient should not be invited; choose a reason as well.",
}

# (style, column A, column B): style names a _Formats attribute for the row ("" for a blank row).
ReadmeRow = tuple[str, str, str]


def _readme_rows(about: WorkbookAbout, n_listed: int) -> tuple[list[ReadmeRow], tuple[int, int]]:
    """The Read me sheet as rows, and the 0-based first and last rows of the reason drop-down's choices."""
    rows: list[ReadmeRow] = []

    def section(title: str) -> None:
        rows.append(("", "", ""))
        rows.append(("section", title, ""))

    rows.append(
        ("title", "Patients to check before inviting to the chronic pain employment-support trial", "")
    )
    rows.append(
        (
            "warning",
            "Confidential",
            "This workbook holds patient-identifiable data. Keep it on practice systems: do not email it "
            "outside the practice, copy it to a memory stick or personal device, or print more than you "
            "need. Delete it when the invitation round is over, following your practice's data protection "
            "policy.",
        )
    )
    section("What this list is")
    rows.append(
        (
            "wrap",
            "",
            "pain_finder searched the practice's records for working-age patients with chronic pain who have "
            "been prescribed opioids or gabapentinoids (gabapentin, pregabalin) or given a fit note "
            "recently. These patients may be eligible for a trial of employment support. The list is a "
            "starting point, not a decision: a clinician must check every patient's record before anyone is "
            "invited, and nobody is contacted because of this workbook alone.",
        )
    )
    rows.append(
        (
            "wrap",
            "",
            "Patients are ranked so that those whose records show the strongest signs of being out of work "
            "because of pain come first (fit notes count most). The Evidence sheet shows every record behind "
            "each patient's place on the list.",
        )
    )
    section("This run")
    rows.append(("label", "Practice", about.practice_id))
    rows.append(("label", "Records searched up to (as-of date)", about.as_of.isoformat()))
    rows.append(("label", "Patients on the Invitations sheet", str(n_listed)))
    if about.n_candidates != n_listed:
        rows.append(
            (
                "label",
                "Patients who met the criteria",
                f"{about.n_candidates} (the list was limited to the top {n_listed})",
            )
        )
    rows.append(("label", "Patients excluded (Excluded sheet)", str(about.n_excluded)))
    rows.append(("label", "Software version", f"pain_finder {about.software_version}"))
    rows.append(("label", "Search definition fingerprint", about.fingerprint))
    rows.append(
        (
            "wrap",
            "",
            "The fingerprint identifies the exact search definition and code lists used: two lists with the "
            "same fingerprint were made the same way.",
        )
    )
    section("Search criteria")
    if about.criteria:
        for line in about.criteria:  # the search's own lines (they may carry their own numbering)
            rows.append(("wrap", "", line))
    else:
        rows.append(("wrap", "", "(the search did not record its criteria)"))
    section("How to check the list")
    steps = (
        "Start at the top of the Invitations sheet: rank 1 is the strongest match.",
        "Open each patient's record in your clinical system using patient_id (or nhs_number). The Evidence "
        "sheet lists the records that put them on the list: filter it on the patient_id.",
        "Look at the review_flags column (highlighted): each flag is a reason to look more carefully, "
        "explained below. It is not an automatic exclusion.",
        "In the decision column choose 'invite' or 'do not invite' from the drop-down. The cell turns green "
        "or grey.",
        "If you chose 'do not invite', choose a reason from the reason drop-down (the cell is red until you "
        "do). Use 'other (see notes)' and write a few words in notes if no reason fits.",
        "Use notes for anything the person sending letters should know. Do not paste clinical details there.",
        "Save the workbook in the same secure place. Filters (the arrows in the header row) help you see, "
        "for example, only the patients still without a decision.",
    )
    for number, step in enumerate(steps, start=1):
        rows.append(("label", f"Step {number}", step))
    section("Choices in the decision drop-down")
    for choice in DECISION_CHOICES:
        rows.append(("label", choice, _CHOICE_TEXT.get(choice, "")))
    section("Choices in the reason drop-down")
    first = len(rows)
    for reason in DECISION_REASONS:
        rows.append(("reason", "", reason))
    last = len(rows) - 1
    rows.append(
        (
            "wrap",
            "",
            "The reason drop-down reads the list above: the practice can add a reason by typing it in a new "
            "row inside the list (insert a row above 'other (see notes)').",
        )
    )
    for title, columns in (
        ("Columns on the Invitations sheet", {**INVITATION_COLUMNS, **DECISION_COLUMNS}),
        ("Columns on the Evidence sheet", EVIDENCE_COLUMNS),
        ("Columns on the Excluded sheet", {**EXCLUDED_COLUMNS, **EXCLUDED_EXTRA_COLUMNS}),
    ):
        section(title)
        for name, description in columns.items():
            rows.append(("column", name, description))
    rows.append(
        (
            "wrap",
            "",
            "Dates are shown as year-month-day. 'yes'/'no' columns say whether something is true for the "
            "patient. Hover over a column heading to see its explanation.",
        )
    )
    section("Exclusion reasons (Excluded sheet): these patients are not on the list")
    for code in EXCLUSION_REASONS:
        rows.append(("column", code, REASON_TEXT[code]))
    rows.append(
        (
            "wrap",
            "",
            "A review flag that the search was set to treat as an exclusion also appears here as a reason.",
        )
    )
    section("Review flags (Invitations sheet): check before inviting")
    for code in REVIEW_FLAGS:
        rows.append(("column", code, REASON_TEXT[code]))
    return rows, (first, last)


def _write_readme(ws: Worksheet, fmt: _Formats, rows: list[ReadmeRow]) -> None:
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 110)
    ws.hide_gridlines(2)
    styles_a = {
        "title": fmt.title,
        "warning": fmt.warning,
        "section": fmt.section,
        "label": fmt.label,
        "column": fmt.code,
        "wrap": fmt.label,
        "reason": fmt.label,
    }
    styles_b = {"warning": fmt.warning, "section": fmt.section, "reason": fmt.input}
    for row, (style, a, b) in enumerate(rows):
        if not style:
            continue
        if a or style == "section":
            ws.write_string(row, 0, a, styles_a[style])
        if b or style == "section":
            ws.write_string(row, 1, b, styles_b.get(style, fmt.wrap))
