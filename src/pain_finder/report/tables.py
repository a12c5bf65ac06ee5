"""network.csv and network.xlsx: one row per practice plus the network total, one column per count.

CSV: `practice_id, as_of, fingerprint, note`, then for every count `<name>`, `<name>_low`, `<name>_high` (the
published value, empty when suppressed, and the range the truth lies in). The last row is the network total
(`practice_id` = `network_total`). The workbook holds the same for people: a "Counts" sheet (values,
"suppressed" shown in grey), a "Network total" sheet (each count with its estimate and range) and a "Notes"
sheet.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import xlsxwriter

from pain_finder.atomic import atomic_path, write_text
from pain_finder.disclosure import Cell
from pain_finder.merge import METHOD_EXACT, TOTAL_ROW, NetworkSummary
from pain_finder.summary import SECTION_TITLES, SECTIONS, cell_label

ID_COLUMNS = ("practice_id", "as_of", "fingerprint", "note")


def cell_names(network: NetworkSummary) -> list[str]:
    return list(network.total_cells())


def labels(network: NetworkSummary) -> dict[str, str]:
    attrition = {a.key: a.label for a in network.total.attrition}
    return {n: cell_label(n, attrition) for n in cell_names(network)}


def section_of(name: str) -> str:
    for section, prefix, _ in SECTIONS:
        if name.startswith(prefix):
            return section
    return "attrition"


def total_note(network: NetworkSummary) -> str:
    note = (
        "exact counts added, then protected once"
        if network.method == METHOD_EXACT
        else "estimate from protected summaries; the truth lies in _low.._high"
    )
    if network.mixed:
        note += "; MIXED search definitions (--allow-mixed): counts are not strictly comparable"
    return note


def _rows(network: NetworkSummary) -> list[tuple[list[str], dict[str, Cell]]]:
    rows = []
    for p in network.practices:
        rows.append(([p.practice_id, p.as_of.isoformat(), p.fingerprint, ""], p.counts.flat()))
    as_of = network.as_of_earliest.isoformat()
    if network.as_of_latest != network.as_of_earliest:
        as_of += f"..{network.as_of_latest.isoformat()}"
    rows.append(([TOTAL_ROW, as_of, network.fingerprint, total_note(network)], network.total_cells()))
    return rows


def network_csv(network: NetworkSummary) -> str:
    names = cell_names(network)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*ID_COLUMNS, *(f"{n}{suffix}" for n in names for suffix in ("", "_low", "_high"))])
    for ids, cells in _rows(network):
        row = list(ids)
        for n in names:
            c = cells[n]
            row += ["" if c.value is None else str(c.value), str(c.lower), str(c.upper)]
        writer.writerow(row)
    return buf.getvalue()


def write_csv(network: NetworkSummary, path: Path) -> None:
    write_text(path, network_csv(network))


def notes_lines(network: NetworkSummary) -> list[str]:
    p = network.policy
    lines = [
        "What these counts are",
        "Each practice ran the same pain-finder search and shared only disclosure-controlled counts (no "
        "patient data). One row per practice, then the network total.",
        "",
        "Disclosure control",
        f"Network totals: {p.describe()}",
        "A count shown as 'suppressed' was 1 to the threshold, or could otherwise have been worked out by "
        "subtraction from the other counts (secondary suppression). Its range says what it could be.",
        "A rounded count stands for a range: for rounding to the nearest 5, the truth is within 2 "
        "either side.",
        "",
        "Network total and its range",
    ]
    if network.method == METHOD_EXACT:
        lines.append(
            "The practices' exact counts were added inside a trusted run and the totals protected once, so a "
            "total's range is only its own rounding."
        )
    else:
        lines.append(
            "The totals were added from the practices' protected counts, so each is an estimate: a "
            "suppressed count is taken at the middle of its range, and the true total lies between the sum "
            "of the lowest and the sum of the highest values each practice's counts allow (the _low and "
            "_high columns). The estimate is then protected again."
        )
    if network.mixed:
        lines += [
            "",
            "WARNING: mixed search definitions",
            "These summaries come from different search definitions (merged with --allow-mixed): the "
            "totals add counts that do not mean quite the same thing.",
        ]
    lines += ["", "Search definitions"]
    for d in network.definitions:
        lines.append(f"{d.fingerprint} ({', '.join(d.practices)}): {d.description}")
    if network.left_out:
        lines += [
            "",
            "Counts not added (missing from some practices' summaries): " + ", ".join(network.left_out),
        ]
    return lines


def write_xlsx(network: NetworkSummary, path: Path) -> None:
    names = cell_names(network)
    label = labels(network)
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": False})
        # a fixed creation date (the latest as-of date) keeps the file byte-identical on a rerun
        created = dt.datetime.combine(network.as_of_latest, dt.time())
        wb.set_properties(
            {"title": "pain-finder network counts", "author": "pain-finder", "created": created}
        )
        head = wb.add_format(
            {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#dde6f0", "border": 1}
        )
        num = wb.add_format({"num_format": "#,##0"})
        supp = wb.add_format({"italic": True, "font_color": "#7f7f7f", "align": "right"})
        bold = wb.add_format({"bold": True})
        total_num = wb.add_format({"num_format": "#,##0", "bold": True, "top": 1})
        total_supp = wb.add_format(
            {"italic": True, "bold": True, "font_color": "#7f7f7f", "align": "right", "top": 1}
        )
        total_text = wb.add_format({"bold": True, "top": 1})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})

        ws = wb.add_worksheet("Counts")
        headers = ["Practice", "As of", "Fingerprint", *(label[n] for n in names)]
        for col, h in enumerate(headers):
            ws.write_string(0, col, h, head)
        rows = _rows(network)
        for r, (ids, cells) in enumerate(rows, start=1):
            is_total = r == len(rows)
            ws.write_string(r, 0, "Network total" if is_total else ids[0], total_text if is_total else None)
            ws.write_string(r, 1, ids[1], total_text if is_total else None)
            ws.write_string(r, 2, ids[2], total_text if is_total else None)
            for c, n in enumerate(names, start=3):
                cell = cells[n]
                if cell.value is None:
                    ws.write_string(r, c, "suppressed", total_supp if is_total else supp)
                else:
                    ws.write_number(r, c, cell.value, total_num if is_total else num)
        ws.freeze_panes(1, 1)
        ws.set_row(0, 60)
        ws.set_column(0, 0, 16)
        ws.set_column(1, 1, 12)
        ws.set_column(2, 2, 18)
        ws.set_column(3, 2 + len(names), 14)
        ws.autofilter(0, 0, len(rows), 2 + len(names))

        wt = wb.add_worksheet("Network total")
        for col, h in enumerate(
            ["Section", "Count", "Published value", "Lowest possible", "Highest possible", "How"]
        ):
            wt.write_string(0, col, h, head)
        for r, n in enumerate(names, start=1):
            cell = network.total_cells()[n]
            wt.write_string(r, 0, SECTION_TITLES[section_of(n)])
            wt.write_string(r, 1, label[n])
            if cell.value is None:
                wt.write_string(r, 2, "suppressed", supp)
            else:
                wt.write_number(r, 2, cell.value, num)
            wt.write_number(r, 3, cell.lower, num)
            wt.write_number(r, 4, cell.upper, num)
            wt.write_string(r, 5, _how(cell, estimated=network.method != METHOD_EXACT))
        wt.freeze_panes(1, 0)
        wt.set_column(0, 0, 30)
        wt.set_column(1, 1, 42)
        wt.set_column(2, 4, 16)
        wt.set_column(5, 5, 60)

        wn = wb.add_worksheet("Notes")
        wn.set_column(0, 0, 110, wrap)
        for r, line in enumerate(notes_lines(network)):
            is_heading = bool(line) and not line.endswith(".") and len(line) < 60
            wn.write_string(r, 0, line, bold if is_heading else wrap)
        wb.close()


def _how(cell: Cell, *, estimated: bool) -> str:
    if cell.secondary:
        return "suppressed: could otherwise be worked out by subtraction"
    if cell.suppressed:
        return "suppressed: small number" + ("; range from the practices' counts" if estimated else "")
    if cell.lower == cell.upper:
        return "exact"
    if estimated:
        return "estimate from the practices' protected counts" + (", rounded" if cell.rounded else "")
    return "rounded; the truth lies in the range"
