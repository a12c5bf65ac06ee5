"""A plain `pip install .` (not editable) gives a working tool: sql/ and code_lists/ ship inside the wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(REPO_ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (whl,) = out.glob("pain_finder-*.whl")
    return whl


def test_wheel_contains_sql_and_code_lists(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    sql_files = [n for n in names if n.startswith("pain_finder/sql/") and n.endswith(".sql")]
    lists = [n for n in names if n.startswith("pain_finder/code_lists/") and n.endswith(".csv")]
    sidecars = [n for n in names if n.startswith("pain_finder/code_lists/") and n.endswith(".toml")]
    repo_sql = list((REPO_ROOT / "sql").rglob("*.sql"))
    assert len(sql_files) == len(repo_sql) > 0
    repo_lists = list((REPO_ROOT / "code_lists").glob("*/*.csv"))
    assert len(lists) == len(repo_lists) > 0  # every list and left-out file ships, not just some
    assert len(sidecars) == len([n for n in lists if not n.endswith(".left_out.csv")])


def test_installed_wheel_finds_its_data_from_any_directory(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = (
        "import pain_finder, pain_finder.resources as r, pain_finder.sql_files as s, "
        "pain_finder.codelists as c;"
        "print(pain_finder.__file__); print(r.sql_dir()); print(len(s.all_steps())); "
        "print(len(c.load_all()))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    module_file, sql_dir, n_steps, n_lists = done.stdout.split("\n")[:4]
    assert module_file.startswith(str(target)) and sql_dir.startswith(str(target))
    assert int(n_steps) > 0 and int(n_lists) > 0
    cli = subprocess.run(
        [sys.executable, "-m", "pain_finder", "--help"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0 and "invitation list" in cli.stdout
