"""Each code list against the published lists it cites: every published code is covered or left out with a
reason.

Run with `-s` to see the coverage table (also `pain-finder codes coverage`).
"""

from __future__ import annotations

import pytest

from pain_finder.codelist_coverage import compare, report_markdown
from pain_finder.codelists import load_all

LISTS = load_all()
CITING = [cl for cl in LISTS.values() if any(s.reference_file for s in cl.meta.sources)]


def test_some_lists_cite_published_lists():
    assert CITING, "no code list cites a published reference file: provenance is missing"


@pytest.mark.parametrize("code_list", CITING, ids=[cl.name for cl in CITING])
def test_every_published_code_is_covered_or_left_out_with_a_reason(
    code_list, reference_codelists, record_property
):
    comparisons = compare(code_list, reference_codelists)
    print(f"\n{report_markdown(comparisons)}")
    # Each figure is recorded in the JUnit XML (pytest --junitxml) as one property per published list.
    for comp in comparisons:
        if comp.comparable:
            record_property(
                f"coverage:{comp.source.reference_file}",
                f"{len(comp.covered)}/{len(comp.reference_codes)} covered, "
                f"{len(comp.left_out)} left out with a reason, "
                f"{len(comp.unexplained)} unexplained",
            )
    for comp in comparisons:
        if not comp.comparable:
            continue
        assert (reference_codelists / comp.source.reference_file).is_file()
        assert comp.reference_codes, f"{comp.source.reference_file}: no codes read (wrong column or format?)"
        assert not comp.unexplained, (
            f"{code_list.name} vs {comp.source.reference_file}: {len(comp.unexplained)} published codes "
            f"neither covered nor left out with a reason, e.g. {sorted(comp.unexplained)[:10]}"
        )
        assert not comp.contradictions, (
            f"{code_list.name}: codes both included and listed as left out: "
            f"{sorted(comp.contradictions)[:10]}"
        )
