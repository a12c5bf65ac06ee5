"""The network report's charts, drawn with matplotlib as PNG bytes (deterministic: no software/date metadata).

Each chart shows published values as bars and the range the truth lies in as a black interval; a suppressed
cell has no value, so its bar is hatched and drawn at the middle of its range, to show it exists without
claiming a number. The same bytes are written as PNG files and embedded in report.html.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display needed; must precede any pyplot import elsewhere

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from pain_finder.disclosure import Cell  # noqa: E402

BAR = "#3b6ea5"
SUPPRESSED = "#c9c9c9"
RANGE = "#222222"
# Fixed settings so a rerun draws byte-identical files on any machine with the same matplotlib.
RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "pain-finder",
    "savefig.dpi": 100,
}
PNG_METADATA = {"Software": None}


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata=PNG_METADATA)
    return buf.getvalue()


def _bar_value(cell: Cell) -> float:
    return (cell.lower + cell.upper) / 2 if cell.value is None else float(cell.value)


def _value_text(cell: Cell) -> str:
    shown = "suppressed" if cell.value is None else f"{cell.value:,}"
    if cell.lower == cell.upper:
        return shown
    return f"{shown} ({cell.lower:,}–{cell.upper:,})"


def _hbars(ax, labels: list[str], cells: list[Cell], title: str, log: bool = False) -> None:
    positions = list(range(len(cells)))[::-1]  # first item at the top
    values = [_bar_value(c) for c in cells]
    colours = [SUPPRESSED if c.value is None else BAR for c in cells]
    bars = ax.barh(positions, values, color=colours, height=0.6)
    for bar, cell in zip(bars, cells, strict=True):
        if cell.value is None:
            bar.set_hatch("//")
    lows = [v - c.lower for v, c in zip(values, cells, strict=True)]
    highs = [c.upper - v for v, c in zip(values, cells, strict=True)]
    ax.errorbar(values, positions, xerr=[lows, highs], fmt="none", ecolor=RANGE, capsize=3, linewidth=1)
    ax.set_yticks(positions, labels)
    top = max([c.upper for c in cells] + [1])
    if log:
        ax.set_xscale("log")
        ax.set_xlim(1, top * 8)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        for pos, value, cell in zip(positions, values, cells, strict=True):
            ax.text(max(value, cell.upper, 1) * 1.15, pos, _value_text(cell), va="center", fontsize=8)
    else:
        ax.set_xlim(0, top * 1.45)
        for pos, value, cell in zip(positions, values, cells, strict=True):
            ax.text(max(value, cell.upper) + top * 0.02, pos, _value_text(cell), va="center", fontsize=8)
    ax.set_title(title, loc="left", fontsize=10, fontweight="bold")
    ax.tick_params(axis="y", length=0)


def funnel_png(labels: list[str], cells: list[Cell]) -> bytes:
    """The attrition funnel: network count at each step, with the range of the truth."""
    import matplotlib as mpl

    with mpl.rc_context(RC):
        fig = Figure(figsize=(9, 0.45 * len(cells) + 1.2))
        ax = fig.subplots()
        ends = [c.upper for c in cells if c.upper > 0]
        log = bool(ends) and max(ends) > 20 * min(ends)  # registered dwarfs the later steps: use a log scale
        _hbars(ax, labels, cells, "Attrition: network total at each step", log=log)
        ax.set_xlabel("people (log scale)" if log else "people")
        fig.tight_layout()
        return _png(fig)


def practices_png(practice_ids: list[str], cells: list[Cell]) -> bytes:
    """Candidates per practice, bars with the range each published value stands for."""
    import matplotlib as mpl

    with mpl.rc_context(RC):
        fig = Figure(figsize=(max(6.0, 0.45 * len(cells) + 2), 4.2))
        ax = fig.subplots()
        positions = list(range(len(cells)))
        values = [_bar_value(c) for c in cells]
        bars = ax.bar(
            positions, values, color=[SUPPRESSED if c.value is None else BAR for c in cells], width=0.65
        )
        for bar, cell in zip(bars, cells, strict=True):
            if cell.value is None:
                bar.set_hatch("//")
        lows = [v - c.lower for v, c in zip(values, cells, strict=True)]
        highs = [c.upper - v for v, c in zip(values, cells, strict=True)]
        ax.errorbar(positions, values, yerr=[lows, highs], fmt="none", ecolor=RANGE, capsize=3, linewidth=1)
        ax.set_xticks(
            positions,
            practice_ids,
            rotation=45 if len(cells) > 6 else 0,
            ha="right" if len(cells) > 6 else "center",
        )
        ax.set_ylim(0, max([c.upper for c in cells] + [1]) * 1.15)
        ax.set_ylabel("candidates")
        ax.set_title("Candidates per practice", loc="left", fontsize=10, fontweight="bold")
        fig.tight_layout()
        return _png(fig)


def breakdowns_png(panels: list[tuple[str, list[str], list[Cell]]]) -> bytes:
    """One panel per breakdown (age band, sex, signal combination) of the network's candidates."""
    import matplotlib as mpl

    with mpl.rc_context(RC):
        heights = [max(len(cells), 2) for _, _, cells in panels]
        fig = Figure(figsize=(9, 0.42 * sum(heights) + 1.2 * len(panels)))
        axes = fig.subplots(len(panels), 1, gridspec_kw={"height_ratios": heights}, squeeze=False)[:, 0]
        for ax, (title, labels, cells) in zip(axes, panels, strict=True):
            _hbars(ax, labels, cells, title)
        axes[-1].set_xlabel("candidates")
        fig.tight_layout()
        return _png(fig)
