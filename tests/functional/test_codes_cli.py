"""`pain-finder codes list|show|search|coverage` end to end: exit codes and exact output."""

from __future__ import annotations

import pytest

from pain_finder.cli import run
from pain_finder.codelists import load_all
from pain_finder.errors import EXIT_INPUT, EXIT_OK

LISTS = load_all()
MY_LISTS = sorted(
    n
    for n in LISTS
    if n.split("/")[0]
    in {
        "chronic_pain_condition",
        "pain_condition",
        "fit_note",
        "opioid",
        "gabapentinoid",
        "opioid_substitution",
    }
)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """A console wide enough that no cell wraps, so each table row is one line."""
    monkeypatch.setenv("COLUMNS", "400")


def _rows(out: str) -> list[list[str]]:
    """The data rows of every rich table in `out`, as lists of stripped cell texts."""
    return [[c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines() if line.startswith("│")]


def test_list_shows_every_list_with_count_version_and_status(capsys):
    assert run(["codes", "list"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.splitlines()[0].strip() == f"{len(LISTS)} code lists", out
    rows = _rows(out)
    for name in MY_LISTS:
        concept, system = name.split("/")
        expected = [concept, system, str(len(LISTS[name].entries)), "2026-11-23", "draft"]
        assert expected in rows, f"{expected} missing from:\n{out}"


def test_show_concept_and_system_prints_provenance_and_codes(capsys):
    assert run(["codes", "show", "fit_note/readv2"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("fit_note/readv2: Fit note (Med3 / eMED3) issued\n"), out
    assert (
        "  code system: readv2   domain: clinical   codes: 4   version: 2026-11-23   status: draft   "
        "reviewer: none yet" in out
    )
    assert "  sources consulted:" in out
    assert ["9D11.", "MED3 issued to patient", ""] in _rows(out)
    assert [
        "9D1..",
        "MED3 - doctor's statement (and every Read v2 code under 9D1, incl. the 2010 eMED3 children)",
        "yes",
    ] in _rows(out)


def test_show_concept_prints_every_system(capsys):
    assert run(["codes", "show", "fit_note"]) == EXIT_OK
    out = capsys.readouterr().out
    headers = [line.split(":")[0] for line in out.splitlines() if line.startswith("fit_note/")]
    assert headers == ["fit_note/ctv3", "fit_note/readv2", "fit_note/snomedct"], out


def test_show_medication_list_has_dose_columns_and_limit(capsys):
    assert run(["codes", "show", "opioid/dmd", "--limit", "2"]) == EXIT_OK
    out = capsys.readouterr().out
    header = next(r for r in _rows(out.replace("┃", "│")) if r and r[0] == "code")
    assert header == [
        "code",
        "term",
        "ingredient",
        "form",
        "strength_mg",
        "patch_mcg_per_hour",
        "patch_hours",
        "ome_factor",
    ], out  # no descendants column: no dm+d row has include_descendants
    n = len(LISTS["opioid/dmd"].entries)
    assert f"  ({n - 2} more codes not shown; use --limit 0 to show all)" in out, out


def test_show_unknown_name_is_an_input_error_listing_known_names(capsys):
    assert run(["codes", "show", "opiods"]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert err.startswith("Error: no code list named 'opiods'. Known names: "), err
    assert "opioid, opioid/bnf, opioid/dmd, opioid/readv2" in err.replace("\n", " "), err


def test_search_finds_terms_across_lists(capsys):
    assert run(["codes", "search", "fibromyalgia"]) == EXIT_OK
    rows = _rows(capsys.readouterr().out)
    assert ["chronic_pain_condition/readv2", "N248.", "Fibromyalgia", "term"] in rows
    assert ["chronic_pain_condition/snomedct", "203082005", "Fibromyalgia", "term"] in rows


def test_search_a_code_under_a_descendants_row_names_the_row(capsys):
    assert run(["codes", "search", "9D13."]) == EXIT_OK  # not listed itself, but under 9D1.. (MED3)
    rows = _rows(capsys.readouterr().out)
    assert [
        "fit_note/readv2",
        "9D1..",
        "MED3 - doctor's statement (and every Read v2 code under 9D1, incl. the 2010 eMED3 children)",
        "under 9D1..",
    ] in rows


def test_search_codes_are_case_sensitive(capsys):
    assert run(["codes", "search", "dnj2."]) == EXIT_OK
    rows = _rows(capsys.readouterr().out)
    assert ["gabapentinoid/readv2", "dnj2.", "GABAPENTIN 300mg capsules", "code"] in rows
    assert run(["codes", "search", "DNJ2."]) == EXIT_OK
    assert capsys.readouterr().out == "No listed code or term matches 'DNJ2.'.\n"


def test_search_nothing_found_and_empty_text(capsys):
    assert run(["codes", "search", "zzqqxx"]) == EXIT_OK
    assert capsys.readouterr().out == "No listed code or term matches 'zzqqxx'.\n"
    assert run(["codes", "search", " "]) == EXIT_INPUT
    assert capsys.readouterr().err.startswith("Error: the search text is empty")


def test_coverage_prints_the_table(capsys, reference_codelists):
    assert run(["codes", "coverage", "--reference", str(reference_codelists)]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith(
        "| our list | published list | published codes | covered | left out (with reason) | unexplained |\n"
    ), out
    assert "| opioid/dmd | opioids/user-anschaf-opioids-for-analgesia-dmd.csv | 2060 |" in out
    assert (
        "| fit_note/readv2 | fit_notes/user-alex-walker-sick-notes-ctv3.csv "
        "| (other code system: consulted only) "
        "| | | |"
    ) in out
    assert out.rstrip().endswith("published codes unexplained."), out


def test_coverage_without_reference_folder_names_it(capsys, tmp_path):
    missing = tmp_path / "no_such_folder"
    assert run(["codes", "coverage", "--reference", str(missing)]) == EXIT_INPUT
    err = " ".join(capsys.readouterr().err.split())
    assert err == (
        f"Error: the published reference code lists are not at {missing} (folder missing). They live in "
        "shared/reference/codelists beside the pain_finder checkout; pass --reference DIR to point at them"
    ), err
