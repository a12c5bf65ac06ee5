"""The network outputs: network.csv, network.xlsx, network_summary.json, report.html and the chart PNGs.

    write_report(network: NetworkSummary, out_dir: Path) -> dict[str, Path]   (every file atomic)

Outputs are byte-identical when rerun on the same inputs: no timestamps, charts saved without software
metadata.
"""

from __future__ import annotations

from pathlib import Path

from pain_finder.atomic import write_bytes, write_text
from pain_finder.merge import NetworkSummary
from pain_finder.report import charts
from pain_finder.report.html import render
from pain_finder.report.tables import labels, write_csv, write_xlsx
from pain_finder.summary import PARTITIONS, SECTION_TITLES, SECTIONS, canonical_json

OUTPUT_FILES = (
    "network.csv",
    "network.xlsx",
    "network_summary.json",
    "report.html",
    "funnel.png",
    "candidates_by_practice.png",
    "breakdowns.png",
)


def _sections(network: NetworkSummary) -> list[tuple[str, list[str]]]:
    names = list(network.total_cells())
    out = []
    for section, prefix, _ in SECTIONS:
        members = [n for n in names if n.startswith(prefix)]
        if members:
            out.append((section, members))
    return out


def draw_charts(network: NetworkSummary) -> dict[str, bytes]:
    total = network.total_cells()
    label = labels(network)
    steps = [a.key for a in network.total.attrition]
    breakdown = [
        (
            SECTION_TITLES[section],
            [label[n].removeprefix("Signal: ") for n in names],
            [total[n] for n in names],
        )
        for section, names in _sections(network)
        if section in PARTITIONS
    ]
    return {
        "funnel.png": charts.funnel_png([label[s] for s in steps], [total[s] for s in steps]),
        "candidates_by_practice.png": charts.practices_png(
            [p.practice_id for p in network.practices],
            [p.counts.flat()["candidates"] for p in network.practices],
        ),
        "breakdowns.png": charts.breakdowns_png(breakdown),
    }


def write_report(network: NetworkSummary, out_dir: Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    paths = {name: out_dir / name for name in OUTPUT_FILES}
    pngs = draw_charts(network)
    write_csv(network, paths["network.csv"])
    write_xlsx(network, paths["network.xlsx"])
    write_text(paths["network_summary.json"], canonical_json(network))
    for name, data in pngs.items():
        write_bytes(paths[name], data)
    write_text(paths["report.html"], render(network, pngs, _sections(network)))
    return paths
