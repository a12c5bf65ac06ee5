"""Every command explains itself: `--help` works and every option has a sentence of help."""

from __future__ import annotations

import typer

from pain_finder.cli import app, run


def _commands(group, prefix=()):
    import typer.main

    command = typer.main.get_command(group) if isinstance(group, typer.Typer) else group
    yield prefix, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*prefix, name))


def test_top_level_help_lists_commands(capsys):
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("validate", "search", "synth", "codes", "merge", "batch", "import"):
        assert name in out, f"{name} missing from --help:\n{out}"


def test_every_command_and_option_has_help(capsys):
    for path, command in _commands(app):
        if not path:
            continue
        assert command.help, f"pain-finder {' '.join(path)} has no help text"
        for param in command.params:
            if param.param_type_name == "option" and param.name != "help":
                assert getattr(param, "help", None), (
                    f"pain-finder {' '.join(path)} option {param.name} has no help"
                )
        assert run([*path, "--help"]) == 0, f"pain-finder {' '.join(path)} --help failed"
    capsys.readouterr()


def test_unknown_command_is_a_usage_error(capsys):
    assert run(["frobnicate"]) == 2


def test_version(capsys):
    assert run(["--version"]) == 0
    assert capsys.readouterr().out.startswith("pain-finder ")
    assert isinstance(app, typer.Typer)
