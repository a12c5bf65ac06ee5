"""Atomic writes: a reader never sees half a file, and what a killed run leaves behind is cleaned up."""

from __future__ import annotations

import pytest

from pain_finder.atomic import TMP_PREFIX, atomic_open, remove_stale_temporaries, write_text
from pain_finder.errors import OutputError


def test_write_replaces_whole_file(tmp_path):
    target = tmp_path / "out.csv"
    write_text(target, "old\n")
    write_text(target, "new\n")
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_failure_mid_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.csv"
    write_text(target, "complete\n")
    with pytest.raises(RuntimeError), atomic_open(target) as fh:
        fh.write("half")
        raise RuntimeError("killed")
    assert target.read_text() == "complete\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_unwritable_folder_is_an_output_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write to folder"):
        write_text(blocker / "out.csv", "x")


def test_stale_temporaries_from_a_killed_run_are_removed(tmp_path):
    (tmp_path / f"{TMP_PREFIX}invitations.csv.abc").write_text("half")
    rows = tmp_path / f"{TMP_PREFIX}invitations.xlsx.rows.xyz"
    rows.mkdir()
    (rows / "sheet1.xml").write_text("<row/>")
    (tmp_path / "summary.json").write_text("{}")
    assert remove_stale_temporaries(tmp_path) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


def test_outputs_get_ordinary_permissions_not_private_temp_ones(tmp_path):
    import os

    target = tmp_path / "summary.json"
    write_text(target, "{}")
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
