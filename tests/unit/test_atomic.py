"""Atomic writes: a reader never sees half a file, and what a killed run leaves behind is cleaned up."""

from __future__ import annotations

import pytest

from pain_finder import atomic
from pain_finder.atomic import TMP_PREFIX, atomic_open, atomic_set, remove_stale_temporaries, write_text
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


def _write_set(folder, version):
    targets = {name: folder / name for name in ("a.csv", "b.xlsx", "c.json")}
    with atomic_set(targets) as temps:
        for name, tmp in temps.items():
            tmp.write_text(f"{name} {version}")
    return targets


def test_a_set_replaces_every_file(tmp_path):
    _write_set(tmp_path, "v1")
    _write_set(tmp_path, "v2")
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {
        "a.csv": "a.csv v2",
        "b.xlsx": "b.xlsx v2",
        "c.json": "c.json v2",
    }


def test_a_folder_in_the_way_is_refused_before_any_file_is_replaced(tmp_path):
    _write_set(tmp_path, "v1")
    (tmp_path / "b.xlsx").unlink()
    (tmp_path / "b.xlsx").mkdir()
    with pytest.raises(OutputError, match="b.xlsx: a folder of that name is in the way"):
        _write_set(tmp_path, "v2")
    assert (tmp_path / "a.csv").read_text() == "a.csv v1" and (tmp_path / "c.json").read_text() == "c.json v1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.xlsx", "c.json"]


def test_a_rename_failing_part_way_restores_the_previous_set(tmp_path, monkeypatch):
    _write_set(tmp_path, "v1")
    real_replace = atomic.os.replace
    calls = []

    def failing_replace(src, dst):
        calls.append(dst)
        # fail when the second new file is put in place (after the first was already replaced)
        if str(dst).endswith("b.xlsx") and TMP_PREFIX not in str(dst) and ".tmp-b.xlsx.old" not in str(src):
            raise OSError(28, "No space left on device", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    with pytest.raises(OutputError, match="No space left on device"):
        _write_set(tmp_path, "v2")
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {
        "a.csv": "a.csv v1",
        "b.xlsx": "b.xlsx v1",
        "c.json": "c.json v1",
    }


def test_an_error_while_writing_a_set_leaves_the_old_set_and_no_temporaries(tmp_path):
    _write_set(tmp_path, "v1")
    targets = {name: tmp_path / name for name in ("a.csv", "b.xlsx", "c.json")}
    with pytest.raises(RuntimeError), atomic_set(targets) as temps:
        temps["a.csv"].write_text("half")
        raise RuntimeError("killed while writing the workbook")
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {
        "a.csv": "a.csv v1",
        "b.xlsx": "b.xlsx v1",
        "c.json": "c.json v1",
    }
