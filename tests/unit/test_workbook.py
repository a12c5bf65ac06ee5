"""The hand-check workbook: written, opened back with openpyxl, and checked the way practice staff will use
it."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from openpyxl.utils.escape import unescape

from pain_finder.counts import EXCLUSION_REASONS, REVIEW_FLAGS
from pain_finder.errors import OutputError
from pain_finder.outputs import workbook as workbook_module
from pain_finder.outputs.columns import (
    DECISION_CHOICES,
    DECISION_COLUMNS,
    DECISION_REASONS,
    EVIDENCE_COLUMNS,
    EXCLUDED_COLUMNS,
    EXCLUDED_EXTRA_COLUMNS,
    INVITATION_COLUMNS,
    REASON_TEXT,
)
from pain_finder.outputs.workbook import (
    INVITATIONS_PAGES_WIDE,
    MESSAGE_NO_CANDIDATES,
    MESSAGE_NO_EVIDENCE,
    MESSAGE_NO_EXCLUDED,
    PRINT_CONFIDENTIAL,
    SHEET_NAMES,
    WorkbookAbout,
    write_workbook,
)
from tests.conftest import REPO_ROOT

AS_OF = dt.date(2026, 9, 30)
ABOUT = WorkbookAbout(
    practice_id="P81001",
    as_of=AS_OF,
    software_version="0.1.0",
    fingerprint="sha256:3f2a9c",
    criteria=[
        "Alive and registered at the practice on the as-of date, aged 18 to 64.",
        "Chronic pain in the last 24 months: a chronic pain code, or pain records at least 90 days apart.",
        "In the last 12 months: an opioid or gabapentinoid issue, or a fit note.",
    ],
    n_candidates=3,
    n_excluded=2,
)

# Values a hostile or careless record could hold: each must come back as exactly this text, never a formula.
INJECTIONS = [
    '=HYPERLINK("http://example.invalid","click")',
    "+44 7700 900123",
    "-5mg twice daily",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=2+2",
    "=cmd|' /C calc'!A0",
]


def invitations_frame(n: int = 3) -> pl.DataFrame:
    rows = []
    products = [
        "Co-codamol 30mg/500mg tablets",
        "Tramadol 50mg capsules",
        INJECTIONS[0],
        "Morphine 10mg/5ml oral",
    ]
    for i in range(n):
        rows.append(
            {
                "rank": i + 1,
                "patient_id": f"{i + 1:06d}" if i else "=1+1",  # leading zeros must survive; so must '=1+1'
                "nhs_number": "9434765919" if i % 2 == 0 else "",
                "practice_id": "P81001",
                "age": 30 + i % 35,
                "sex": ["female", "male", "unknown"][i % 3],
                "score": 60.0 - i * 0.5,
                "score_fit_notes": 30,
                "score_opioids": 15,
                "score_gabapentinoids": 5,
                "score_pain": 10.0 - i * 0.5,
                "fit_notes_12m": 3,
                "fit_note_days_12m": 84,
                "last_fit_note_date": "2026-08-14",
                "opioids_12m": 6,
                "opioid_long_term": "yes",
                "ome_mg_per_day": 42.5 if i % 4 else None,
                "ome_band": "<50" if i % 4 else "unknown",
                "last_opioid_date": "2026-09-01",
                "last_opioid_product": products[i % len(products)],
                "gabapentinoids_12m": 2 if i % 2 else 0,
                "gabapentinoid_long_term": "no",
                "last_gabapentinoid_date": "2026-03-03" if i % 2 else "",
                "last_gabapentinoid_product": "Pregabalin 75mg capsules" if i % 2 else "",
                "chronic_pain_code": "yes" if i % 3 == 0 else "no",
                "first_pain_date": "2024-10-01",
                "first_pain_term": INJECTIONS[(i + 1) % len(INJECTIONS)],
                "last_pain_date": "2026-09-30",
                "last_pain_term": "Chronic low back pain",
                "pain_consultations_24m": 7,
                "review_flags": "bereavement" if i == 1 else ("type1_opt_out;care_home" if i == 2 else ""),
            }
        )
    return pl.DataFrame(rows).select(list(INVITATION_COLUMNS))


def evidence_frame(invitations: pl.DataFrame, per_patient: int = 4) -> pl.DataFrame:
    kinds = [
        (
            "medication_issues",
            "opioid",
            "opioid/dmd",
            "39733311000001105",
            "Co-codamol 30mg/500mg tablets",
            "quantity 100; 10.0 mg OME/day",
        ),
        ("fit_notes", "fit_note", "fit_note/fit_notes", "", "Fit note", "not fit; 28 days"),
        (
            "clinical_events",
            "chronic_pain_condition",
            "chronic_pain_condition/snomedct",
            "1137691000000104",
            "Chronic low back pain",
            "",
        ),
        ("clinical_events", "pain_condition", "pain_condition/readv2", "N245.", "-Leg pain", "@night"),
    ]
    rows = []
    for rank, pid in invitations.select("rank", "patient_id").iter_rows():
        for j in range(per_patient):
            source, concept, code_list, code, term, detail = kinds[j % len(kinds)]
            rows.append(
                {
                    "rank": rank,
                    "patient_id": pid,
                    "date": (AS_OF - dt.timedelta(days=30 * j)).isoformat(),
                    "source": source,
                    "concept": concept,
                    "code_list": code_list,
                    "code": code,
                    "term": term,
                    "detail": detail,
                }
            )
    return pl.DataFrame(rows, schema={c: (pl.Int64 if c == "rank" else pl.String) for c in EVIDENCE_COLUMNS})


def excluded_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "patient_id": ["000777", "+000888"],
            "reasons": ["research_dissent;cancer", "palliative_care;bereavement"],
            "age": [58, 41],
            "sex": ["male", "female"],
        }
    )


@pytest.fixture
def frames() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    inv = invitations_frame(3)
    return inv, evidence_frame(inv), excluded_frame()


@pytest.fixture(params=["in_memory", "streamed"])
def written(request, tmp_path: Path, frames, monkeypatch) -> Path:
    """The workbook, written in each of XlsxWriter's two modes (every test of it runs on both)."""
    if request.param == "streamed":
        monkeypatch.setattr(workbook_module, "IN_MEMORY_MAX_CELLS", 0)
    path = tmp_path / "invitations.xlsx"
    write_workbook(path, *frames, ABOUT)
    return path


def _all_values(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path)
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in book.worksheets}


def test_both_modes_write_the_same_cells(tmp_path: Path, frames, monkeypatch) -> None:
    in_memory = tmp_path / "in_memory.xlsx"
    write_workbook(in_memory, *frames, ABOUT)
    with zipfile.ZipFile(in_memory) as z:
        assert "xl/sharedStrings.xml" in z.namelist()  # the small list was built in memory
    monkeypatch.setattr(workbook_module, "IN_MEMORY_MAX_CELLS", 0)
    streamed = tmp_path / "streamed.xlsx"
    write_workbook(streamed, *frames, ABOUT)
    with zipfile.ZipFile(streamed) as z:
        assert "xl/sharedStrings.xml" not in z.namelist()  # streamed rows carry their strings inline
    assert _all_values(in_memory) == _all_values(streamed)


def header(ws) -> list[str]:
    return [c.value for c in ws[1]]


def readme_pairs(wb) -> list[tuple[str | None, str | None]]:
    ws = wb["Read me"]
    return [(r[0].value, r[1].value if len(r) > 1 else None) for r in ws.iter_rows()]


# --- columns.py against the contract ------------------------------------------------------------------------


def _contract_list(heading: str) -> list[str]:
    text = (REPO_ROOT / "docs" / "dev" / "contracts.md").read_text(encoding="utf-8")
    after = text[text.index(heading) + len(heading) :]
    span = re.search(r"`([^`]+)`", after, flags=re.S)
    assert span, heading
    return [c.strip() for c in span.group(1).replace("\n", " ").split(",")]


def test_column_lists_match_the_contract():
    assert list(INVITATION_COLUMNS) == _contract_list("### invitations.csv columns, in order")
    assert list(EVIDENCE_COLUMNS) == _contract_list("### evidence")
    assert list(EXCLUDED_COLUMNS) == ["patient_id", "reasons", "age", "sex"]
    assert list(INVITATION_COLUMNS)[:3] == ["rank", "patient_id", "nhs_number"]
    assert list(INVITATION_COLUMNS)[-1] == "review_flags"


def test_every_reason_and_flag_has_plain_english_and_every_column_a_sentence():
    assert list(REASON_TEXT) == list(EXCLUSION_REASONS + REVIEW_FLAGS)
    for mapping in (INVITATION_COLUMNS, EVIDENCE_COLUMNS, EXCLUDED_COLUMNS, DECISION_COLUMNS, REASON_TEXT):
        for key, text in mapping.items():
            assert len(text) > 15 and "_" not in text.split(" ")[0], (key, text)
    assert DECISION_CHOICES == ("invite", "do not invite")
    assert "other (see notes)" in DECISION_REASONS and len(set(DECISION_REASONS)) == len(DECISION_REASONS)
    assert all("," not in r for r in DECISION_REASONS), "a comma would break an Excel list"


# --- the workbook -------------------------------------------------------------------------------------------


def test_sheets_headers_frozen_panes_and_filters(written: Path):
    wb = openpyxl.load_workbook(written)
    assert wb.sheetnames == list(SHEET_NAMES) == ["Invitations", "Evidence", "Excluded", "Read me"]
    assert wb.active.title == "Invitations"
    inv, ev, ex = wb["Invitations"], wb["Evidence"], wb["Excluded"]
    assert header(inv) == list(INVITATION_COLUMNS) + ["decision", "reason", "notes"]
    assert header(ev) == list(EVIDENCE_COLUMNS)
    assert header(ex) == list(EXCLUDED_COLUMNS) + list(EXCLUDED_EXTRA_COLUMNS)
    assert (inv.freeze_panes, ev.freeze_panes, ex.freeze_panes) == ("C2", "C2", "B2")
    assert inv.auto_filter.ref == "A1:AH4", inv.auto_filter.ref
    assert ev.auto_filter.ref == "A1:I13", ev.auto_filter.ref
    assert ex.auto_filter.ref == "A1:E3", ex.auto_filter.ref
    assert inv.max_row == 4 and ev.max_row == 13 and ex.max_row == 3
    widths = {c: inv.column_dimensions[c].width for c in ("A", "B", "T", "AG", "AH")}
    assert all(6 <= w <= 65 for w in widths.values()), widths


def test_every_sheet_prints_on_a4_one_page_wide_with_header_and_footer(written: Path):
    assert PRINT_CONFIDENTIAL == "Contains patient-identifiable data: keep in the practice"
    wb = openpyxl.load_workbook(written)
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert int(setup.paperSize) == 9, ws.title  # A4
        assert setup.orientation == "landscape", ws.title
        wide = INVITATIONS_PAGES_WIDE if ws.title == "Invitations" else 1
        assert (setup.fitToWidth or 1, setup.fitToHeight) == (wide, 0), ws.title  # as tall as needed
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True, ws.title
        assert ws.oddHeader.left.text == ws.title
        assert ws.oddHeader.right.text == PRINT_CONFIDENTIAL
        assert ws.oddFooter.center.text == "Page &P of &N"
        data_sheet = ws.title != "Read me"
        assert ws.print_title_rows == ("$1:$1" if data_sheet else None), ws.title  # header row on every page
        assert ws.print_title_cols == ("$A:$B" if ws.title == "Invitations" else None), ws.title
        assert bool(ws.print_options.gridLines) is data_sheet, ws.title
    with zipfile.ZipFile(written) as z:
        defined = z.read("xl/workbook.xml").decode()
    titles = {
        "Invitations": "Invitations!$A:$B,Invitations!$1:$1",
        "Evidence": "Evidence!$1:$1",
        "Excluded": "Excluded!$1:$1",
    }
    for sheet_id, (name, ref) in enumerate(titles.items()):
        assert f'<definedName name="_xlnm.Print_Titles" localSheetId="{sheet_id}">{ref}<' in defined, name


def test_an_empty_list_still_prints_its_header_row(tmp_path: Path):
    path = tmp_path / "invitations.xlsx"
    about = ABOUT.model_copy(update={"n_candidates": 0, "n_excluded": 0})
    inv = invitations_frame(1).clear()
    write_workbook(path, inv, evidence_frame(invitations_frame(1)).clear(), excluded_frame().clear(), about)
    ws = openpyxl.load_workbook(path)["Invitations"]
    assert ws.print_title_rows == "$1:$1" and ws.page_setup.orientation == "landscape"


def test_drop_downs_cover_every_row_and_read_their_choices(written: Path):
    wb = openpyxl.load_workbook(written)
    inv = wb["Invitations"]
    lists = {str(dv.sqref): dv for dv in inv.data_validations.dataValidation}
    assert sorted(lists) == ["AF2:AF4", "AG2:AG4"], lists
    decision, reason = lists["AF2:AF4"], lists["AG2:AG4"]
    assert (decision.type, decision.formula1) == ("list", '"invite,do not invite"')
    assert (reason.type, reason.formula1) == ("list", "DecisionReasons")
    assert decision.showErrorMessage and reason.showErrorMessage
    target = wb.defined_names["DecisionReasons"].attr_text
    assert re.fullmatch(r"'Read me'!\$B\$\d+:\$B\$\d+", target), target
    sheet, cells = list(wb.defined_names["DecisionReasons"].destinations)[0]
    assert sheet == "Read me"
    assert [c.value for (c,) in wb[sheet][cells.replace("$", "")]] == list(DECISION_REASONS)
    assert [inv.cell(1, c).value for c in (32, 33, 34)] == ["decision", "reason", "notes"]
    assert all(inv.cell(r, 32).value is None for r in range(2, 5))  # left blank for the checker


def test_values_are_text_numbers_and_real_dates_never_formulas(written: Path, frames):
    inv_frame, ev_frame, _ = frames
    wb = openpyxl.load_workbook(written)
    for ws in wb.worksheets:
        formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
        assert formulas == [], (ws.title, formulas)
    inv = wb["Invitations"]
    col = {name: i + 1 for i, name in enumerate(header(inv))}
    for r, expected in enumerate(inv_frame.iter_rows(named=True), start=2):
        for name in ("patient_id", "practice_id", "last_opioid_product", "first_pain_term", "sex"):
            cell = inv.cell(r, col[name])
            assert (cell.data_type, cell.value) == ("s", expected[name]), (name, cell.value)
        assert inv.cell(r, col["rank"]).value == expected["rank"]
        assert inv.cell(r, col["score"]).value == expected["score"]
        assert inv.cell(r, col["last_fit_note_date"]).is_date
        assert inv.cell(r, col["last_fit_note_date"]).value == dt.datetime(2026, 8, 14)
        assert inv.cell(r, col["last_fit_note_date"]).number_format == "yyyy-mm-dd"
    assert inv.cell(2, col["patient_id"]).value == "=1+1"
    assert inv.cell(3, col["patient_id"]).value == "000002"
    assert (
        inv.cell(2, col["nhs_number"]).value == "9434765919"
        and inv.cell(2, col["nhs_number"]).data_type == "s"
    )
    assert inv.cell(3, col["nhs_number"]).value is None  # empty stays empty
    assert (
        inv.cell(2, col["ome_mg_per_day"]).value is None and inv.cell(3, col["ome_mg_per_day"]).value == 42.5
    )
    seen = {inv.cell(r, col["first_pain_term"]).value for r in range(2, 5)}
    seen |= {inv.cell(r, col["last_opioid_product"]).value for r in range(2, 5)}
    assert {INJECTIONS[0], INJECTIONS[1], INJECTIONS[2], INJECTIONS[3]} <= seen, seen
    ev = wb["Evidence"]
    codes = [ev.cell(r, 7).value for r in range(2, ev.max_row + 1)]
    assert "39733311000001105" in codes and all(
        ev.cell(r, 7).data_type == "s" for r in range(2, 6) if codes[r - 2]
    )
    assert ev.cell(2, 3).is_date and ev.cell(2, 3).value == dt.datetime(2026, 9, 30)
    assert ev.cell(5, 8).value == "-Leg pain" and ev.cell(5, 9).value == "@night"


def test_every_injection_value_is_stored_as_the_same_text(tmp_path: Path):
    inv = invitations_frame(len(INJECTIONS)).with_columns(pl.Series("last_pain_term", INJECTIONS))
    path = tmp_path / "invitations.xlsx"
    write_workbook(path, inv, evidence_frame(inv, 1), excluded_frame(), ABOUT)
    ws = openpyxl.load_workbook(path)["Invitations"]
    column = list(INVITATION_COLUMNS).index("last_pain_term") + 1
    cells = [ws.cell(r, column) for r in range(2, 2 + len(INJECTIONS))]
    # A control character is stored as the OOXML escape `_x000D_`, which Excel reads back as the character;
    # openpyxl leaves inline strings escaped, so undo that the way Excel does.
    assert [(c.data_type, unescape(c.value)) for c in cells] == [("s", v) for v in INJECTIONS]
    with zipfile.ZipFile(path) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


def test_review_flags_are_highlighted_and_exclusions_explained(written: Path):
    wb = openpyxl.load_workbook(written)
    inv = wb["Invitations"]
    c = list(INVITATION_COLUMNS).index("review_flags") + 1
    flagged = inv.cell(3, c)
    assert flagged.value == "bereavement" and flagged.fill.fgColor.rgb.endswith("FFD966"), (
        flagged.fill.fgColor.rgb
    )
    assert inv.cell(4, c).value == "type1_opt_out;care_home"
    assert inv.cell(2, c).value is None
    ex = wb["Excluded"]
    assert [c.value for c in ex[2]] == [
        "000777",
        "research_dissent;cancer",
        58,
        "male",
        f"{REASON_TEXT['research_dissent']}; {REASON_TEXT['cancer']}",
    ]
    assert ex.cell(3, 1).value == "+000888" and ex.cell(3, 1).data_type == "s"
    assert ex.cell(3, 5).value == f"{REASON_TEXT['palliative_care']}; {REASON_TEXT['bereavement']}"


def test_read_me_explains_the_run_every_column_reason_and_flag(written: Path):
    wb = openpyxl.load_workbook(written)
    pairs = readme_pairs(wb)
    described = {a: b for a, b in pairs if a}
    for mapping in (
        INVITATION_COLUMNS,
        DECISION_COLUMNS,
        EVIDENCE_COLUMNS,
        EXCLUDED_COLUMNS,
        EXCLUDED_EXTRA_COLUMNS,
        REASON_TEXT,
    ):
        missing = [name for name, text in mapping.items() if (name, text) not in pairs]
        assert missing == [], missing
    values = [b for _, b in pairs if b]
    for expected in (
        ABOUT.practice_id,
        "2026-09-30",
        "pain_finder 0.1.0",
        ABOUT.fingerprint,
        *ABOUT.criteria,
    ):
        assert expected in values, expected
    text = " ".join(values)
    assert "patient-identifiable" in text and "drop-down" in text
    assert described["Patients on the Invitations sheet"] == "3"
    assert "Patients who met the criteria" not in described  # shown only when --top cut the list


def test_top_n_list_says_how_many_met_the_criteria(tmp_path: Path, frames):
    path = tmp_path / "invitations.xlsx"
    write_workbook(path, *frames, ABOUT.model_copy(update={"n_candidates": 250}))
    described = {a: b for a, b in readme_pairs(openpyxl.load_workbook(path)) if a}
    assert described["Patients who met the criteria"] == "250 (the list was limited to the top 3)"


def test_rerun_is_byte_identical_and_dated_by_the_as_of_date(tmp_path: Path, frames):
    first, second = tmp_path / "a" / "invitations.xlsx", tmp_path / "b" / "invitations.xlsx"
    write_workbook(first, *frames, ABOUT)
    write_workbook(second, *frames, ABOUT)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as z:
        core = z.read("docProps/core.xml").decode()
        assert all(info.date_time[0] == 1980 for info in z.infolist())
    assert "2026-09-30T00:00:00Z" in core, core
    props = openpyxl.load_workbook(first).properties
    assert props.created == dt.datetime(2026, 9, 30)


def test_empty_list_says_so(tmp_path: Path):
    path = tmp_path / "invitations.xlsx"
    empty_inv = invitations_frame(1).clear()
    empty_ev = evidence_frame(invitations_frame(1)).clear()
    empty_ex = excluded_frame().clear()
    about = ABOUT.model_copy(update={"n_candidates": 0, "n_excluded": 0})
    write_workbook(path, empty_inv, empty_ev, empty_ex, about)
    wb = openpyxl.load_workbook(path)
    inv, ev, ex = wb["Invitations"], wb["Evidence"], wb["Excluded"]
    assert header(inv)[:2] == ["rank", "patient_id"]
    assert inv["A2"].value == MESSAGE_NO_CANDIDATES.format(as_of="2026-09-30")
    assert ev["A2"].value == MESSAGE_NO_EVIDENCE and ex["A2"].value == MESSAGE_NO_EXCLUDED
    assert (inv.max_row, ev.max_row, ex.max_row) == (2, 2, 2)
    assert list(inv.data_validations.dataValidation) == []
    assert inv.auto_filter.ref is None
    described = {a: b for a, b in readme_pairs(wb) if a}
    assert described["Patients on the Invitations sheet"] == "0"


def test_a_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path: Path, frames, monkeypatch):
    path = tmp_path / "invitations.xlsx"
    path.write_bytes(b"the previous run's workbook")

    def broken(*args, **kwargs):
        raise RuntimeError("disk went away")

    monkeypatch.setattr(workbook_module, "_write_readme", broken)
    with pytest.raises(RuntimeError):
        write_workbook(path, *frames, ABOUT)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["invitations.xlsx"]
    assert path.read_bytes() == b"the previous run's workbook"


def test_an_unwritable_folder_is_an_output_error_without_patient_data(tmp_path: Path, frames):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    with pytest.raises(OutputError) as info:
        write_workbook(blocker / "invitations.xlsx", *frames, ABOUT)
    assert "not_a_folder" in str(info.value) and "000002" not in str(info.value)


def test_a_frame_missing_a_contract_column_is_refused(tmp_path: Path, frames):
    inv, ev, ex = frames
    with pytest.raises(ValueError, match="review_flags"):
        write_workbook(tmp_path / "x.xlsx", inv.drop("review_flags"), ev, ex, ABOUT)
    assert list(tmp_path.iterdir()) == []


def test_typed_frames_are_written_the_same_as_text_frames(tmp_path: Path, frames):
    """The search may hand over pl.Date and Boolean columns instead of ISO text and yes/no."""
    inv, ev, ex = frames
    date_cols = [c for c in inv.columns if c.endswith("_date")]
    typed = inv.with_columns(
        [pl.col(c).replace("", None).str.to_date() for c in date_cols]
        + [pl.col("opioid_long_term") == "yes", pl.col("gabapentinoid_long_term") == "yes"]
    )
    typed_ev = ev.with_columns(pl.col("date").str.to_date())
    a, b = tmp_path / "a" / "invitations.xlsx", tmp_path / "b" / "invitations.xlsx"
    write_workbook(a, inv, ev, ex, ABOUT)
    write_workbook(b, typed, typed_ev, ex, ABOUT)
    assert a.read_bytes() == b.read_bytes()


def test_exclusion_reasons_may_come_as_a_list(tmp_path: Path, frames):
    inv, ev, ex = frames
    as_list = ex.with_columns(pl.col("reasons").str.split(";"))
    a, b = tmp_path / "a" / "invitations.xlsx", tmp_path / "b" / "invitations.xlsx"
    write_workbook(a, inv, ev, ex, ABOUT)
    write_workbook(b, inv, ev, as_list, ABOUT)
    assert a.read_bytes() == b.read_bytes()


def test_docs_explain_every_column_reason_and_flag():
    """docs/workbook.md has a table row per column, reason and flag with the same text as columns.py."""
    doc = (REPO_ROOT / "docs" / "workbook.md").read_text(encoding="utf-8")
    rows = {
        **INVITATION_COLUMNS,
        **DECISION_COLUMNS,
        **EVIDENCE_COLUMNS,
        **EXCLUDED_COLUMNS,
        **EXCLUDED_EXTRA_COLUMNS,
        **REASON_TEXT,
    }
    missing = [name for name, text in rows.items() if f"| `{name}` | {text} |" not in doc]
    assert missing == [], f"docs/workbook.md is out of step with outputs/columns.py for: {missing}"
    assert [r for r in DECISION_REASONS if f"`{r}`" not in doc] == []


@pytest.mark.slow
def test_a_large_list_is_written(tmp_path: Path):
    """20,000 candidates with 2 evidence rows each: written, and its last rows are where they should be."""
    n = 20_000
    base = invitations_frame(4)
    inv = pl.concat([base] * (n // 4), rechunk=True).with_columns(
        pl.int_range(1, n + 1).alias("rank"),
        pl.int_range(1, n + 1).cast(pl.String).str.zfill(6).alias("patient_id"),
    )
    ev = evidence_frame(inv.head(1), per_patient=1)
    ev = pl.concat([ev] * (n * 2), rechunk=True).with_columns(
        pl.int_range(0, n * 2).floordiv(2).add(1).alias("rank")
    )
    path = tmp_path / "invitations.xlsx"
    write_workbook(path, inv, ev, excluded_frame(), ABOUT.model_copy(update={"n_candidates": n}))
    with zipfile.ZipFile(path) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
        evidence_xml = z.read("xl/worksheets/sheet2.xml").decode()
    assert f'<dimension ref="A1:AH{n + 1}"/>' in sheet_xml
    assert f'<row r="{n + 1}"' in sheet_xml and f"<t>{n:06d}</t>" in sheet_xml
    assert f'<dimension ref="A1:I{n * 2 + 1}"/>' in evidence_xml
    assert f'sqref="AF2:AF{n + 1}"' in sheet_xml and f'sqref="AG2:AG{n + 1}"' in sheet_xml
    assert f'<autoFilter ref="A1:AH{n + 1}"/>' in sheet_xml
