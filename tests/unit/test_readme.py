"""The README is assembled from docs/ and documents every command and exit code the tool has."""

from __future__ import annotations

import subprocess
import sys

import typer.main

from pain_finder.cli import app
from pain_finder.errors import EXIT_CODES
from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_is_in_step_with_docs():
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / "build_readme.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def test_readme_opens_with_the_two_setup_commands():
    head = README[:600]
    assert "make demo" in head and "make test" in head


def test_every_command_has_a_runnable_example_in_the_readme():
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        subs = getattr(command, "commands", None)
        for full in [f"{name} {sub}" for sub in subs] if subs else [name]:
            assert f"pain-finder {full}" in README, f"`pain-finder {full}` has no example in the README"


def test_every_exit_code_is_in_the_readme_table():
    for code, meaning in EXIT_CODES.items():
        assert f"| {code} | {meaning} |" in README
