"""report.html: one self-contained page (inline CSS, charts embedded as base64 PNG, no scripts, no links out).

It opens in any browser with no network access, and prints. Sections: what was merged, what suppression hides,
the attrition funnel, candidates per practice, and the breakdowns of candidates, each chart followed by its
table.
"""

from __future__ import annotations

import base64
import html

from pain_finder.disclosure import Cell
from pain_finder.merge import METHOD_EXACT, NetworkSummary
from pain_finder.summary import SECTION_TITLES, cell_label

CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #1d1d1d; margin: 2em auto; max-width: 960px;
       line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 2px solid #3b6ea5; padding-bottom: 0.2em; }
.meta { color: #555; }
.warning { background: #fdecea; border-left: 6px solid #c0392b; padding: 0.6em 1em; }
.note { background: #eef3f8; border-left: 6px solid #3b6ea5; padding: 0.6em 1em; }
img.chart { max-width: 100%; height: auto; display: block; margin: 1em 0; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.92em; }
th, td { border: 1px solid #c8c8c8; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #dde6f0; }
td.suppressed { color: #7f7f7f; font-style: italic; }
tr.total td { font-weight: bold; border-top: 2px solid #555; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _value(cell: Cell) -> str:
    if cell.value is None:
        return '<td class="suppressed">suppressed</td>'
    return f"<td>{cell.value:,}</td>"


def _range(cell: Cell) -> str:
    return f"<td>{cell.lower:,}</td><td>{cell.upper:,}</td>"


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="chart" alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _count_table(names: list[str], labels: dict[str, str], cells: dict[str, Cell]) -> str:
    rows = "".join(f"<tr><td>{_e(labels[n])}</td>{_value(cells[n])}{_range(cells[n])}</tr>" for n in names)
    return (
        "<table><thead><tr><th>Count</th><th>Published</th><th>Lowest possible</th><th>Highest possible</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def hidden_summary(network: NetworkSummary) -> dict[str, int]:
    """How many practice cells are suppressed (small numbers, secondary) or rounded, and how many in total."""
    stats = {"cells": 0, "small": 0, "secondary": 0, "rounded": 0}
    for p in network.practices:
        for cell in p.counts.flat().values():
            stats["cells"] += 1
            stats["small"] += cell.suppressed and not cell.secondary
            stats["secondary"] += cell.secondary
            stats["rounded"] += cell.rounded
    return stats


def render(network: NetworkSummary, charts: dict[str, bytes], sections: list[tuple[str, list[str]]]) -> str:
    total = network.total_cells()
    attrition = {a.key: a.label for a in network.total.attrition}
    labels = {n: cell_label(n, attrition) for n in total}
    stats = hidden_summary(network)
    cand = total["candidates"]
    n = len(network.practices)
    as_of = network.as_of_earliest.isoformat()
    if network.as_of_latest != network.as_of_earliest:
        as_of += f" to {network.as_of_latest.isoformat()}"
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>pain-finder network report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Chronic pain research network: counts</h1>",
        f'<p class="meta">{n} practice{"s" if n != 1 else ""}; as of {_e(as_of)}; search definition '
        f"{_e(network.fingerprint)}; made by pain-finder {_e(network.software_version)}.</p>",
    ]
    if network.mixed:
        parts.append(
            '<p class="warning"><strong>Mixed search definitions.</strong> These summaries come from '
            "different search definitions and were added only because --allow-mixed was given: the totals "
            "add counts that do not mean quite the same thing.</p>"
        )
    cand_text = "suppressed" if cand.value is None else f"about {cand.value:,}"
    parts.append(
        f"<p>Candidates for hand-checking across the network: <strong>{cand_text}</strong>; the true number "
        f"lies between <strong>{cand.lower:,}</strong> and <strong>{cand.upper:,}</strong>.</p>"
    )
    parts.append("<h2>What suppression hides</h2>")
    if network.policy.exact and stats["small"] + stats["secondary"] + stats["rounded"] == 0:
        parts.append('<p class="note">No disclosure control was applied: every count is exact.</p>')
    else:
        how = (
            "The practices' exact counts were added inside a trusted run and each network total was then "
            "protected once, so a total is uncertain only by its own rounding."
            if network.method == METHOD_EXACT
            else "The network totals were added from the practices' protected counts, so each is an "
            "estimate: a "
            "suppressed count is taken at the middle of its range, and the true total lies between the "
            "lowest and "
            "highest values the practices' counts allow. The estimate is then protected again. The ranges "
            "are honest but can be wide when many practices have small numbers."
        )
        more = stats["secondary"]
        parts.append(
            f'<div class="note"><p>{_e(network.policy.describe())}</p>'
            f"<p>Of the {stats['cells']:,} counts the practices shared, {stats['small']:,} were suppressed "
            f"as small numbers, {more:,} more {'was' if more == 1 else 'were'} suppressed because "
            f"{'it' if more == 1 else 'they'} could otherwise have been worked out by subtraction, and "
            f"{stats['rounded']:,} were rounded. Bars drawn hatched are suppressed: the bar shows the middle "
            "of the range, not a count. Black intervals show the range the truth lies in.</p>"
            f"<p>{how}</p></div>"
        )
    parts.append("<h2>Attrition</h2>")
    parts.append(_img(charts["funnel.png"], "Attrition funnel: network count at each step of the search"))
    parts.append(_count_table([a.key for a in network.total.attrition], labels, total))
    parts.append("<h2>Candidates per practice</h2>")
    parts.append(_img(charts["candidates_by_practice.png"], "Bar chart of candidates per practice"))
    rows = "".join(
        f"<tr><td>{_e(p.practice_id)}</td><td>{_e(p.as_of.isoformat())}</td>"
        f"{_value(p.counts.flat()['candidates'])}{_range(p.counts.flat()['candidates'])}</tr>"
        for p in network.practices
    )
    rows += f'<tr class="total"><td>Network total</td><td></td>{_value(cand)}{_range(cand)}</tr>'
    parts.append(
        "<table><thead><tr><th>Practice</th><th>As of</th><th>Candidates</th><th>Lowest possible</th>"
        f"<th>Highest possible</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    parts.append("<h2>Breakdowns of the network's candidates</h2>")
    parts.append(_img(charts["breakdowns.png"], "Candidates by age band, sex and signal combination"))
    for section, names in sections:
        parts.append(f"<h3>{_e(SECTION_TITLES[section])}</h3>")
        parts.append(_count_table(names, labels, total))
    parts.append("<h2>Search definitions</h2><ul>")
    for d in network.definitions:
        parts.append(
            f"<li><strong>{_e(d.fingerprint)}</strong> ({_e(', '.join(d.practices))}): "
            f"{_e(d.description)}</li>"
        )
    parts.append("</ul>")
    if network.left_out:
        parts.append(
            f"<p>Counts not added (missing from some summaries): {_e(', '.join(network.left_out))}.</p>"
        )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
