"""merge.py and the network outputs: ranges, refusals with their exact messages, the files written."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import openpyxl
import pytest

from pain_finder.counts import AttritionStep, ExactCounts, simulated_counts
from pain_finder.disclosure import Cell, DisclosurePolicy
from pain_finder.errors import ConfigError, MergeRefusedError
from pain_finder.merge import (
    METHOD_EXACT,
    METHOD_MERGED,
    merge_exact,
    merge_summaries,
    merge_summary_files,
    write_network,
)
from pain_finder.report import OUTPUT_FILES
from pain_finder.summary import build_summary, exact_flat, write_summary

AS_OF = dt.date(2026, 9, 30)
DEFINITION = {"population": {"min_age": 18, "max_age": 64}, "chronic_pain": {"lookback_months": 24}}
CODE_LISTS = {"opioid/dmd": "a" * 64, "fit_note/snomedct": "b" * 64}


def summary(
    exact,
    *,
    fingerprint="f00dfeedf00dfeed",
    definition=DEFINITION,
    code_lists=CODE_LISTS,
    policy=None,
    as_of=AS_OF,
):
    return build_summary(
        exact,
        as_of=as_of,
        fingerprint=fingerprint,
        definition=definition,
        description="default definition",
        policy=policy or DisclosurePolicy(),
        software_version="0.1.0",
        code_lists=code_lists,
    )


def tiny(practice_id: str, candidates: int, female: int) -> ExactCounts:
    steps = [
        ("registered", 1000),
        ("working_age", 600),
        ("chronic_pain", 60),
        ("signal", candidates + 3),
        ("candidates", candidates),
    ]
    return ExactCounts(
        practice_id=practice_id,
        attrition=[AttritionStep(key=k, label=k, count=c) for k, c in steps],
        removed_by_reason={},
        flagged_by_flag={},
        candidates_by_age_band={"50-64": candidates},
        candidates_by_sex={"female": female, "male": candidates - female},
        candidates_by_signal={"opioid_only": candidates},
    )


def test_ranges_add_up_and_the_estimate_is_protected_again():
    # candidates 5 (suppressed: 1..7), 12 (10: 8..12), 0 (0: exactly)
    network = merge_summaries(
        [summary(tiny("A1", 5, 5)), summary(tiny("B2", 12, 6)), summary(tiny("C3", 0, 0))]
    )
    assert network.method == METHOD_MERGED
    total = network.total_cells()["candidates"]
    # estimate 4 (middle of 1..7) + 10 + 0 = 14 -> rounded to 15; the truth lies in 1+8+0 .. 7+12+0
    assert total == Cell(value=15, rounded=True, lower=9, upper=19)
    assert [p.practice_id for p in network.practices] == ["A1", "B2", "C3"]


def test_estimate_in_the_small_range_is_suppressed_but_its_range_kept():
    network = merge_summaries([summary(tiny("A1", 2, 1)), summary(tiny("B2", 0, 0))])
    assert network.total_cells()["candidates"] == Cell(value=None, suppressed=True, lower=1, upper=7)


def test_merge_exact_adds_first_and_protects_once():
    exacts = [tiny("A1", 5, 5), tiny("B2", 6, 6), tiny("C3", 4, 4)]
    network = merge_exact(
        exacts,
        as_of=AS_OF,
        fingerprint="f",
        definition=DEFINITION,
        description="d",
        policy=DisclosurePolicy(),
        software_version="0.1.0",
    )
    assert network.method == METHOD_EXACT
    assert network.total_cells()["candidates"] == Cell(value=15, rounded=True, lower=13, upper=17)
    # each practice row is still what that practice would have shared
    assert all(p.counts.flat()["candidates"].suppressed for p in network.practices)
    # the same inputs merged as shared summaries: a far wider range
    shared = merge_summaries([summary(e) for e in exacts]).total_cells()["candidates"]
    assert (shared.lower, shared.upper) == (3, 21)


def test_different_definitions_are_refused_with_what_differs():
    a = summary(tiny("A1", 20, 10))
    b = summary(tiny("B2", 20, 10))
    c = summary(
        tiny("C3", 20, 10),
        fingerprint="0123456789abcdef",
        definition={"population": {"min_age": 18, "max_age": 64}, "chronic_pain": {"lookback_months": 36}},
        code_lists={"opioid/dmd": "c" * 64, "fit_note/snomedct": "b" * 64},
    )
    with pytest.raises(MergeRefusedError) as err:
        merge_summaries([a, b, c])
    assert str(err.value) == (
        "cannot merge: the summaries come from different search definitions (fingerprint 0123456789abcdef: "
        "C3; fingerprint f00dfeedf00dfeed: A1, B2). What differs: setting chronic_pain.lookback_months: 24 "
        "(A1, B2) vs 36 (C3); code list opioid/dmd differs: aaaaaaaaaaaa (A1, B2) vs cccccccccccc (C3). "
        "Rerun the searches with the same definition and code lists, or pass --allow-mixed to add them "
        "anyway (the outputs are then marked as mixed)."
    )
    assert err.value.exit_code == 6
    mixed = merge_summaries([a, b, c], allow_mixed=True)
    assert mixed.mixed and mixed.fingerprint == "mixed" and len(mixed.definitions) == 2


def test_same_practice_twice_is_refused_unless_told_which_to_keep():
    first = summary(tiny("A1", 20, 10))
    second = summary(tiny("A1", 30, 10), as_of=dt.date(2026, 10, 31))
    with pytest.raises(MergeRefusedError) as err:
        merge_summaries([first, second], sources=["old/summary.json", "new/summary.json"])
    assert str(err.value) == (
        "cannot merge: practice A1 appears 2 times (old/summary.json, new/summary.json). Pass --keep A1=FILE "
        "to say which summary to use."
    )
    kept = merge_summaries(
        [first, second], sources=["old/summary.json", "new/summary.json"], keep={"A1": "new/summary.json"}
    )
    assert kept.practices[0].as_of == dt.date(2026, 10, 31) and kept.practices[0].source == "new/summary.json"


def test_keep_naming_an_unknown_file_or_practice_is_a_config_error():
    s = summary(tiny("A1", 20, 10))
    with pytest.raises(
        ConfigError,
        match=r"--keep A1=x.json: that file is not among practice A1's summaries "
        r"\(a.json, b.json\)",
    ):
        merge_summaries([s, s], sources=["a.json", "b.json"], keep={"A1": "x.json"})
    with pytest.raises(ConfigError, match="--keep Z9=...: no summary of practice Z9 was given"):
        merge_summaries([s], keep={"Z9": "a.json"})


def test_network_policy_is_the_strictest_unless_given():
    a = summary(tiny("A1", 20, 10), policy=DisclosurePolicy(threshold=10, rounding_base=5))
    b = summary(tiny("B2", 20, 10), policy=DisclosurePolicy(threshold=7, rounding_base=10))
    assert merge_summaries([a, b]).policy == DisclosurePolicy(threshold=10, rounding_base=10)
    assert merge_summaries([a, b], policy=DisclosurePolicy(mode="none")).policy.mode == "none"


def _network(n=5):
    exacts = [simulated_counts(f"P{i:03d}", seed=i, registered=1500 + 900 * i) for i in range(n)]
    return merge_summaries([summary(e) for e in exacts]), exacts


def test_write_network_outputs(tmp_path):
    network, exacts = _network()
    paths = write_network(network, tmp_path / "net")
    assert sorted(p.name for p in (tmp_path / "net").iterdir()) == sorted(OUTPUT_FILES)
    assert set(paths) == set(OUTPUT_FILES)

    rows = list(csv.DictReader(io.StringIO(paths["network.csv"].read_text(encoding="utf-8"))))
    assert [r["practice_id"] for r in rows] == ["P000", "P001", "P002", "P003", "P004", "network_total"]
    header = list(rows[0])
    assert header[:7] == [
        "practice_id",
        "as_of",
        "fingerprint",
        "note",
        "registered",
        "registered_low",
        "registered_high",
    ]
    total = rows[-1]
    true_candidates = sum(exact_flat(e)[0]["candidates"] for e in exacts)
    assert int(total["candidates_low"]) <= true_candidates <= int(total["candidates_high"])
    assert total["note"] == "estimate from protected summaries; the truth lies in _low.._high"
    suppressed = [
        (r["practice_id"], k) for r in rows for k in header if k in r and r[k] == "" and k != "note"
    ]
    for practice, name in suppressed:  # a suppressed value is empty, its range is still there
        row = next(r for r in rows if r["practice_id"] == practice)
        assert row[f"{name}_low"] and row[f"{name}_high"], (practice, name)

    data = json.loads(paths["network_summary.json"].read_text(encoding="utf-8"))
    assert data["kind"] == "pain_finder.network_summary" and data["schema_version"] == 1
    assert data["total"]["attrition"][-1]["key"] == "candidates"

    wb = openpyxl.load_workbook(paths["network.xlsx"])
    assert wb.sheetnames == ["Counts", "Network total", "Notes"]
    counts = wb["Counts"]
    assert counts.freeze_panes == "B2"
    assert counts["A1"].value == "Practice" and counts["D1"].value == "Registered and alive on the as-of date"
    assert counts.cell(row=7, column=1).value == "Network total"
    values = [c.value for row in counts.iter_rows(min_row=2) for c in row]
    assert "suppressed" in values
    assert not any(isinstance(v, int) and 1 <= v <= 7 for v in values)
    notes = [r[0].value for r in wb["Notes"].iter_rows()]
    assert "Disclosure control" in notes

    html = paths["report.html"].read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 3
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert "What suppression hides" in html
    for name in ("funnel.png", "candidates_by_practice.png", "breakdowns.png"):
        assert paths[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rerun_is_byte_identical(tmp_path):
    network, _ = _network(3)
    write_network(network, tmp_path / "one")
    write_network(network, tmp_path / "two")
    for name in OUTPUT_FILES:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_mixed_outputs_are_marked(tmp_path):
    a = summary(tiny("A1", 20, 10))
    b = summary(
        tiny("B2", 20, 10),
        fingerprint="0123456789abcdef",
        definition={"population": {"min_age": 16, "max_age": 64}},
    )
    paths = write_network(merge_summaries([a, b], allow_mixed=True), tmp_path)
    total = list(csv.DictReader(io.StringIO(paths["network.csv"].read_text(encoding="utf-8"))))[-1]
    assert total["fingerprint"] == "mixed"
    assert "MIXED search definitions" in total["note"]
    assert "Mixed search definitions." in paths["report.html"].read_text(encoding="utf-8")


def test_merge_summary_files_reads_and_names_sources(tmp_path):
    for pid in ("A1", "B2"):
        write_summary(summary(tiny(pid, 20, 10)), tmp_path / f"{pid}.json")
    network = merge_summary_files([tmp_path / "B2.json", tmp_path / "A1.json"])
    assert [(p.practice_id, p.source) for p in network.practices] == [
        ("A1", str(tmp_path / "A1.json")),
        ("B2", str(tmp_path / "B2.json")),
    ]


def test_batch_outputs_say_the_totals_were_protected_once(tmp_path):
    exacts = [simulated_counts(f"P{i:03d}", seed=i, registered=1500 + 900 * i) for i in range(3)]
    network = merge_exact(
        exacts,
        as_of=AS_OF,
        fingerprint="f00dfeedf00dfeed",
        definition=DEFINITION,
        description="default definition",
        policy=DisclosurePolicy(),
        software_version="0.1.0",
        code_lists=CODE_LISTS,
    )
    paths = write_network(network, tmp_path)
    total = list(csv.DictReader(io.StringIO(paths["network.csv"].read_text(encoding="utf-8"))))[-1]
    assert total["note"] == "exact counts added, then protected once"
    assert "exact counts were added inside a trusted run" in paths["report.html"].read_text(encoding="utf-8")
    assert [p.source for p in network.practices] == ["batch"] * 3
