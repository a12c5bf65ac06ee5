"""Loading code lists: formats per code system, sidecars, hierarchy matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from pain_finder.codelists import CodeSystem, load_all, load_code_list, prefix_of
from pain_finder.errors import InputError

SIDECAR = """concept = "{concept}"
code_system = "{system}"
domain = "clinical"
title = "t"
captures = "c"
version_date = 2026-11-23
status = "draft"
[[sources]]
name = "test"
how_used = "test"
"""


def _write(root: Path, concept: str, system: str, csv_text: str, sidecar: str | None = None) -> Path:
    folder = root / concept
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{system}.csv").write_text(csv_text)
    (folder / f"{system}.toml").write_text(sidecar or SIDECAR.format(concept=concept, system=system))
    return folder / f"{system}.csv"


def test_read_v2_prefix_matches_descendants_only(tmp_path):
    path = _write(
        tmp_path, "back", "readv2", "code,term,include_descendants\nN142.,Low back pain,true\nN24..,x,false\n"
    )
    cl = load_code_list(path)
    assert cl.matches("N142.") and cl.matches("N1420") and cl.matches("N142z")
    assert cl.matches("N14..") is None  # the parent is not a descendant
    assert cl.matches("N24..") and cl.matches("N241.") is None  # no descendants without the flag
    assert prefix_of("N14..", CodeSystem.readv2) == "N14"


def test_spreadsheet_mangled_snomed_code_is_refused_with_row_and_column(tmp_path):
    path = _write(tmp_path, "pain", "snomedct", "code,term\n82423001,Chronic pain\n1.23457E+17,mangled\n")
    with pytest.raises(InputError) as exc:
        load_code_list(path)
    assert (
        str(exc.value)
        == "pain/snomedct.csv, row 3, column 'code': '1.23457E+17' is not a valid snomedct code"
    )


def test_fit_note_lists_may_say_what_a_code_records_about_fitness(tmp_path):
    path = _write(
        tmp_path,
        "fit_note",
        "ctv3",
        "code,term,fitness\nXaX1E,not fit,not_fit\nXaX1K,may be fit,may_be_fit\nXaXf1,issued,\n",
    )
    assert [(e.code, e.fitness) for e in load_code_list(path).entries] == [
        ("XaX1E", "not_fit"),
        ("XaX1K", "may_be_fit"),
        ("XaXf1", None),
    ]
    bad = _write(tmp_path / "bad", "fit_note", "ctv3", "code,term,fitness\nXaX1E,not fit,unfit\n")
    with pytest.raises(InputError) as exc:
        load_code_list(bad)
    assert str(exc.value) == (
        "fit_note/ctv3.csv, row 2, column 'fitness': 'unfit' is not a fitness: use may_be_fit or not_fit, or "
        "leave it blank when the code does not say"
    )


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        (  # a misspelt flag would silently drop a heading's descendants
            "code,term,include_descendants\ndj1..,Morphine,ture\n",
            "opioid/readv2.csv, row 2, column 'include_descendants': 'ture' is not true or false",
        ),
        (  # a quote that is never closed would swallow the rest of the file into one value
            'code,term,include_descendants\ndj1..,Morphine,false\ndj2..,"Oxycodone,false\n',
            "opioid/readv2.csv, row 3: a double quote is never closed: the file ends inside the quoted value "
            "that starts here",
        ),
        (
            "code,term,strength_mg\ndj1..,Morphine,3O\n",
            "opioid/readv2.csv, row 2, column 'strength_mg': '3O' is not a number (0 or more)",
        ),
        (
            "code,term,ome_factor\ndj1..,Morphine,-1\n",
            "opioid/readv2.csv, row 2, column 'ome_factor': '-1' is not a number (0 or more)",
        ),
        (
            "code,term\ndj1..,Morphine,extra\n",
            "opioid/readv2.csv, row 2, column 'term': the row has 3 fields but the header has 2",
        ),
    ],
    ids=["misspelt_flag", "open_quote", "bad_strength", "negative_factor", "extra_field"],
)
def test_a_bad_value_in_a_list_is_refused_with_list_row_and_column(tmp_path, csv_text, message):
    path = _write(tmp_path, "opioid", "readv2", csv_text)
    with pytest.raises(InputError) as exc:
        load_code_list(path)
    assert str(exc.value) == message


def test_the_packaged_fit_note_lists_state_fitness_for_the_2010_codes():
    lists = load_all()
    stated = {e.code: e.fitness for e in lists["fit_note/snomedct"].entries if e.fitness}
    assert stated["751481000000104"] == "not_fit"  # eMED3 new statement, not fit for work
    assert stated["751601000000107"] == "may_be_fit"  # eMED3 new statement, may be fit for work
    assert stated["775281000000100"] == "may_be_fit"  # phased return: advice given only under 'may be fit'
    by_code = {e.code: e.fitness for e in lists["fit_note/ctv3"].entries}
    assert by_code["XaX1S"] == "may_be_fit" and by_code["XaX1R"] == "not_fit" and by_code["9D11."] is None


def test_descendants_refused_for_snomed(tmp_path):
    path = _write(tmp_path, "pain", "snomedct", "code,term,include_descendants\n82423001,Chronic pain,true\n")
    with pytest.raises(InputError, match="only supported for Read v2 and BNF"):
        load_code_list(path)


def test_sidecar_must_match_file_and_folder(tmp_path):
    path = _write(
        tmp_path,
        "pain",
        "ctv3",
        "code,term\nXSGKA,Chronic pain\n",
        sidecar=SIDECAR.format(concept="pain", system="readv2"),
    )
    with pytest.raises(InputError, match="code_system=readv2 but the file is named ctv3.csv"):
        load_code_list(path)


def test_sidecar_without_sources_is_refused(tmp_path):
    bare = SIDECAR.split("[[sources]]")[0].format(concept="pain", system="ctv3")
    path = _write(tmp_path, "pain", "ctv3", "code,term\nXSGKA,Chronic pain\n", sidecar=bare)
    with pytest.raises(InputError, match="sources"):
        load_code_list(path)


def test_duplicate_code_is_refused(tmp_path):
    path = _write(tmp_path, "pain", "ctv3", "code,term\nXSGKA,Chronic pain\nXSGKA,again\n")
    with pytest.raises(InputError, match="row 3, column 'code': code 'XSGKA' appears twice"):
        load_code_list(path)


def test_packaged_lists_all_load_with_provenance():
    lists = load_all()
    assert lists, "no code lists packaged"
    for cl in lists.values():
        assert cl.meta.sources and cl.meta.captures and cl.meta.version_date
        assert len(cl.sha256) == 64
