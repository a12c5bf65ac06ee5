"""Each code list against the published lists it cites: every published code is covered or left out with a
reason.

Run with `-s` to see the coverage table (also `pain-finder codes coverage`).

A list whose cited published lists are all in another code system has nothing to be compared with: running
the coverage check on it would check nothing and always pass. Such lists are named in
`NO_COMPARABLE_REFERENCE` with the reason, kept out of the coverage parametrisation, and a test asserts that
set is exactly the lists that have no comparable reference (read from the sidecars with tomllib, not through
pain_finder), so citing a same-system reference later, or a new list citing only other-system files, forces
this file to be updated.
"""

from __future__ import annotations

import tomllib

import pytest

from pain_finder.codelist_coverage import compare, report_markdown
from pain_finder.codelists import load_all
from tests.conftest import REPO_ROOT

LISTS = load_all()
CITING = [cl for cl in LISTS.values() if any(s.reference_file for s in cl.meta.sources)]

# list -> why it has no published list in its own code system to be compared with
NO_COMPARABLE_REFERENCE = {
    "fit_note/readv2": (
        "no published Read v2 fit-note list exists (shared/reference/codelists/SOURCES.md, Gaps: 'Read v2 "
        "fit-note list: none found'); it cites the CTV3 sick-notes list, whose 9D1 codes it uses, as "
        "consulted only"
    ),
}
COMPARABLE = [cl for cl in CITING if cl.name not in NO_COMPARABLE_REFERENCE]


def _lists_citing_only_other_code_systems() -> set[str]:
    """From the sidecar files themselves: lists citing reference files, none of them in the list's system."""
    found = set()
    for toml_path in sorted((REPO_ROOT / "code_lists").glob("*/*.toml")):
        meta = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        cited = [s for s in meta["sources"] if s.get("reference_file")]
        own = meta["code_system"]
        if cited and all(s.get("reference_code_system", own) != own for s in cited):
            found.add(f"{toml_path.parent.name}/{toml_path.stem}")
    return found


def test_some_lists_cite_published_lists():
    assert CITING, "no code list cites a published reference file: provenance is missing"
    assert len(COMPARABLE) >= 30, [cl.name for cl in COMPARABLE]


def test_lists_without_a_comparable_reference_are_exactly_the_known_ones():
    assert _lists_citing_only_other_code_systems() == set(NO_COMPARABLE_REFERENCE), (
        "update NO_COMPARABLE_REFERENCE (with the reason) to the lists whose cited references are all in "
        "another code system"
    )
    assert all(reason.strip() for reason in NO_COMPARABLE_REFERENCE.values())


@pytest.mark.parametrize("name", sorted(NO_COMPARABLE_REFERENCE))
def test_coverage_reports_a_list_without_comparable_reference_as_consulted_only(name, reference_codelists):
    comparisons = compare(LISTS[name], reference_codelists)
    assert comparisons, f"{name} cites no reference file"
    assert [c.comparable for c in comparisons] == [False] * len(comparisons), comparisons
    assert all(not c.reference_codes and not c.covered and not c.unexplained for c in comparisons)
    assert "(other code system: consulted only)" in report_markdown(comparisons)


@pytest.mark.parametrize("code_list", COMPARABLE, ids=[cl.name for cl in COMPARABLE])
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
    # at least one comparison must actually run, or this test checks nothing
    assert any(comp.comparable for comp in comparisons), (
        f"{code_list.name}: no cited reference is in its code system; list it in NO_COMPARABLE_REFERENCE"
    )
    for comp in comparisons:
        if not comp.comparable:
            continue
        assert (reference_codelists / comp.source.reference_file).is_file()
        assert comp.reference_codes, f"{comp.source.reference_file}: no codes read (wrong column or format?)"
        assert comp.covered | set(comp.left_out) | comp.unexplained == comp.reference_codes
        assert not comp.unexplained, (
            f"{code_list.name} vs {comp.source.reference_file}: {len(comp.unexplained)} published codes "
            f"neither covered nor left out with a reason, e.g. {sorted(comp.unexplained)[:10]}"
        )
        assert not comp.contradictions, (
            f"{code_list.name}: codes both included and listed as left out: "
            f"{sorted(comp.contradictions)[:10]}"
        )
