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
    assert str(exc.value) == "snomedct.csv, row 3, column 'code': '1.23457E+17' is not a valid snomedct code"


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
