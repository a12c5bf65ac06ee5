"""`pain-finder codes list|show|search|coverage` end to end: exit codes and exact output.

The expected values come from the code-list files themselves, read here with the standard library (`csv`,
`tomllib`), not from `pain_finder.codelists` (the loader the commands use), so a loader bug that drops, adds
or miscounts codes makes these tests fail. A few concrete facts are pinned by hand on top of that.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from pain_finder.cli import run
from pain_finder.errors import EXIT_INPUT, EXIT_OK
from tests.conftest import REPO_ROOT

CODE_LISTS = REPO_ROOT / "code_lists"


@dataclass(frozen=True)
class ListFile:
    """One code list as its files say, read without pain_finder."""

    name: str  # <concept folder>/<file stem>
    rows: tuple[dict[str, str], ...]  # the CSV's data rows (header excluded)
    version: str
    status: str


def _read_list_files(root: Path) -> dict[str, ListFile]:
    found: dict[str, ListFile] = {}
    for path in sorted(root.glob("*/*.csv")):
        if path.name.endswith(".left_out.csv"):
            continue
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = tuple(csv.DictReader(fh))
        with open(path.with_suffix(".toml"), "rb") as fh:
            meta = tomllib.load(fh)
        name = f"{path.parent.name}/{path.stem}"
        found[name] = ListFile(name, rows, str(meta["version_date"]), meta["status"])
    return found


FILES = _read_list_files(CODE_LISTS)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """A console wide enough that no cell wraps, so each table row is one line."""
    monkeypatch.setenv("COLUMNS", "400")


def _rows(out: str) -> list[list[str]]:
    """The data rows of every rich table in `out`, as lists of stripped cell texts."""
    return [[c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines() if line.startswith("│")]


def test_the_files_read_here_are_real_code_lists():
    """Guard for the independent reader: it sees the concept folders the contract fixes, and real rows."""
    assert len(FILES) == 56, sorted(FILES)  # 16 clinical concepts x 3 systems + opioid 3 + gabapentinoid 3 +
    # opioid_substitution 2 (dmd, bnf: no Read v2 list)
    assert {n.split("/")[0] for n in FILES} >= {
        "chronic_pain_condition",
        "pain_condition",
        "fit_note",
        "opioid",
        "gabapentinoid",
        "opioid_substitution",
    }
    assert all(f.rows for f in FILES.values())


def test_list_shows_every_list_with_count_version_and_status(capsys):
    assert run(["codes", "list"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.splitlines()[0].strip() == f"{len(FILES)} code lists", out
    expected = [
        [name.split("/")[0], name.split("/")[1], str(len(f.rows)), f.version, f.status]
        for name, f in sorted(FILES.items())
    ]
    assert _rows(out) == expected, out


def test_show_concept_and_system_prints_provenance_and_codes(capsys):
    assert run(["codes", "show", "fit_note/readv2"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("fit_note/readv2: Fit note (Med3 / eMED3) issued\n"), out
    assert (
        "  code system: readv2   domain: clinical   codes: 4   version: 2026-11-23   status: draft   "
        "reviewer: none yet" in out
    ), out
    assert "  sources consulted:" in out
    assert _rows(out) == [
        [
            "9D1..",
            "MED3 - doctor's statement (and every Read v2 code under 9D1, incl. the 2010 eMED3 children)",
            "yes",
        ],
        ["9D11.", "MED3 issued to patient", ""],
        ["9D12.", "MED3 duplicate issued", ""],
        ["9D1Z.", "MED3 - NOS", ""],
    ], out


def test_show_lists_exactly_the_codes_of_the_file(capsys):
    """`--limit 0` shows every row of the CSV, in file order, with the file's code and term."""
    for name in ("opioid/bnf", "gabapentinoid/readv2", "chronic_pain_condition/readv2", "fit_note/snomedct"):
        assert run(["codes", "show", name, "--limit", "0"]) == EXIT_OK
        out = capsys.readouterr().out
        shown = [r[:2] for r in _rows(out)]
        assert shown == [[row["code"], row["term"]] for row in FILES[name].rows], name
        assert f"   codes: {len(FILES[name].rows)}   " in out, out


def test_show_and_search_print_terms_verbatim_even_with_square_brackets(capsys):
    term = "Psychalgia: [tension backache] or [other]"  # SNOMED 154932000, as in the CSV
    rows = FILES["chronic_pain_condition/snomedct"].rows
    assert next(r["term"] for r in rows if r["code"] == "154932000") == term
    assert run(["codes", "show", "chronic_pain_condition/snomedct", "--limit", "0"]) == EXIT_OK
    assert ["154932000", term] in [r[:2] for r in _rows(capsys.readouterr().out)]
    assert run(["codes", "search", "154932000"]) == EXIT_OK
    assert ["chronic_pain_condition/snomedct", "154932000", term, "code"] in _rows(capsys.readouterr().out)


def test_show_opioid_bnf_lists_the_opioid_analgesics_prefix(capsys):
    assert run(["codes", "show", "opioid/bnf"]) == EXIT_OK
    out = capsys.readouterr().out
    rows = _rows(out)
    # BNF 4.7.2 opioid analgesics, matched as a prefix (every chemical and presentation under it)
    assert rows[0][:3] == ["040702", "Opioid analgesics (BNF 4.7.2): every product", "yes"], out
    codes = [r[0] for r in rows]
    assert "0407010F0" in codes, out  # co-codamol
    assert not any(c.startswith("0410030") for c in codes), out  # opioid dependence is a different list


def test_show_concept_prints_every_system(capsys):
    assert run(["codes", "show", "fit_note"]) == EXIT_OK
    out = capsys.readouterr().out
    headers = [line.split(":")[0] for line in out.splitlines() if line.startswith("fit_note/")]
    assert headers == sorted(n for n in FILES if n.startswith("fit_note/")), out
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
    first_two = FILES["opioid/dmd"].rows[:2]
    assert [r[:2] for r in _rows(out)] == [[row["code"], row["term"]] for row in first_two], out
    n = len(FILES["opioid/dmd"].rows)
    assert n > 1000, n  # the dm+d opioid list is large (every product pack)
    assert f"  ({n - 2} more codes not shown; use --limit 0 to show all)" in out, out


def test_show_unknown_name_is_an_input_error_listing_known_names(capsys):
    assert run(["codes", "show", "opiods"]) == EXIT_INPUT
    captured = capsys.readouterr()
    assert captured.out == "", captured.out
    err = captured.err
    assert err.startswith("Error: no code list named 'opiods'. Known names: "), err
    assert "opioid, opioid/bnf, opioid/dmd, opioid/readv2" in err.replace("\n", " "), err


def test_show_a_system_the_concept_does_not_have_is_an_input_error(capsys):
    # opioid_substitution has dm+d and BNF lists only
    assert run(["codes", "show", "opioid_substitution/readv2"]) == EXIT_INPUT
    captured = capsys.readouterr()
    assert captured.out == "", captured.out
    err = " ".join(captured.err.split())
    assert err.startswith("Error: no code list named 'opioid_substitution/readv2'. Known names: "), err
    assert "opioid_substitution/bnf, opioid_substitution/dmd, pain_condition" in err, err


def test_show_unknown_name_exits_non_zero_in_a_real_process():
    """The installed entry point, as a user runs it: exit code 3, one clear message, no traceback."""
    env = {**os.environ, "COLUMNS": "400"}
    done = subprocess.run(
        [sys.executable, "-m", "pain_finder", "codes", "show", "no_such_list"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == EXIT_INPUT == 3, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == "", done.stdout
    assert done.stderr.startswith("Error: no code list named 'no_such_list'. Known names: "), done.stderr
    assert "Traceback" not in done.stderr, done.stderr


def _search_expected(text: str) -> set[tuple[str, str, str, str]]:
    """(list, code, term, matched on) of every row whose code starts with `text` or whose term contains it."""
    return {
        (name, row["code"], row["term"], "code" if row["code"].startswith(text) else "term")
        for name, f in FILES.items()
        for row in f.rows
        if row["code"].startswith(text) or text.lower() in row["term"].lower()
    }


def test_search_pregabalin_finds_exactly_the_pregabalin_rows_of_the_gabapentinoid_lists(capsys):
    assert run(["codes", "search", "pregabalin"]) == EXIT_OK
    out = capsys.readouterr().out
    rows = _rows(out)
    expected = _search_expected("pregabalin")
    assert {tuple(r) for r in rows} == expected, out
    assert len(rows) == len(expected), out  # each row once
    assert out.splitlines()[0].strip() == f"{len(expected)} matches for 'pregabalin'", out
    # concrete facts: the BNF pregabalin chemical code, the Read v2 pregabalin drug heading, dm+d products;
    # and nothing outside the gabapentinoid lists
    assert ["gabapentinoid/bnf", "0408010AE", "Pregabalin", "term"] in rows, out
    assert [
        "gabapentinoid/readv2",
        "dnp..",
        "Pregabalin: every product under the Read v2 pregabalin drug heading",
        "term",
    ] in rows, out
    assert ["gabapentinoid/dmd", "17605611000001105", "Pregabalin 100mg capsules", "term"] in rows, out
    assert {r[0] for r in rows} == {"gabapentinoid/bnf", "gabapentinoid/dmd", "gabapentinoid/readv2"}, out


def test_search_finds_terms_across_lists(capsys):
    assert run(["codes", "search", "fibromyalgia"]) == EXIT_OK
    rows = _rows(capsys.readouterr().out)
    assert ["chronic_pain_condition/readv2", "N248.", "Fibromyalgia", "term"] in rows
    assert ["chronic_pain_condition/snomedct", "203082005", "Fibromyalgia", "term"] in rows
    assert {tuple(r) for r in rows} == _search_expected("fibromyalgia"), rows


def test_search_a_code_under_a_descendants_row_names_the_row(capsys):
    assert run(["codes", "search", "9D13."]) == EXIT_OK  # not listed itself, but under 9D1.. (MED3)
    rows = _rows(capsys.readouterr().out)
    assert rows == [
        [
            "fit_note/readv2",
            "9D1..",
            "MED3 - doctor's statement (and every Read v2 code under 9D1, incl. the 2010 eMED3 children)",
            "under 9D1..",
        ]
    ], rows


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
