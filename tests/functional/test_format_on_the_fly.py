"""`search --format` and `batch` with `format` convert a source on the fly, with the same result as
importing it.
"""

from __future__ import annotations

import importlib.util
import json
import shutil

import pytest

from pain_finder.cli import run
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


def _source_maker():
    spec = importlib.util.spec_from_file_location("bench_import", REPO_ROOT / "bench" / "bench_import.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_opensafely_source


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("opensafely") / "practice_x"
    _source_maker()(folder, 400)
    return folder


COMPARED = ("invitations.csv", "excluded.csv", "summary.json")


def test_search_with_format_equals_import_then_search(source, tmp_path, capsys):
    assert run(["import", "opensafely", str(source), "--out", str(tmp_path / "practice_x")]) == 0
    assert (
        run(["search", str(tmp_path / "practice_x"), "--out", str(tmp_path / "a"), "--as-of", "2024-06-30"])
        == 0
    )
    code = run(
        [
            "search",
            str(source),
            "--format",
            "opensafely",
            "--out",
            str(tmp_path / "b"),
            "--as-of",
            "2024-06-30",
        ]
    )
    assert code == 0, capsys.readouterr().err
    for name in COMPARED:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    report = json.loads((tmp_path / "b" / "import_report.json").read_text())
    imported = json.loads((tmp_path / "practice_x" / "import_report.json").read_text())
    assert (
        report["tables"] == imported["tables"] and report["tables"]
    )  # the same rows read, written, unmapped
    # the converted copy was temporary: nothing but the outputs is left
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == sorted(
        [*COMPARED, "invitations.xlsx", "manifest.json", "import_report.json"]
    )


def test_search_with_unknown_format_is_a_config_error(source, tmp_path, capsys):
    assert run(["search", str(source), "--format", "emis", "--out", str(tmp_path / "o")]) == 4
    assert "unknown import format 'emis'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_batch_converts_each_practice_and_skips_unchanged_sources(source, tmp_path, capsys):
    extracts = tmp_path / "sources"
    for name in ("p1", "p2"):
        shutil.copytree(source, extracts / name)
    config = tmp_path / "batch.toml"
    config.write_text(
        f'extracts_dir = "{extracts}"\noutput_root = "{tmp_path / "out"}"\n'
        'format = "opensafely"\nworkers = 2\n'
        '[as_of]\nrule = "fixed"\ndate = 2024-06-30\n',
        encoding="utf-8",
    )
    assert run(["batch", str(config)]) == 0, capsys.readouterr().err
    status = json.loads((tmp_path / "out" / "batch_status.json").read_text())
    assert {p["practice_key"]: p["status"] for p in status["practices"]} == {"p1": "ok", "p2": "ok"}
    for name in ("p1", "p2"):
        practice = tmp_path / "out" / "practices" / name
        assert (practice / "import_report.json").is_file()
        assert (practice / "invitations.csv").read_bytes() == (
            tmp_path / "out" / "practices" / "p1" / "invitations.csv"
        ).read_bytes()
    assert run(["batch", str(config)]) == 8  # unchanged sources: nothing to do
    (extracts / "p2" / "medications.csv").write_text(
        (extracts / "p2" / "medications.csv").read_text() + "", encoding="utf-8"
    )
    with open(extracts / "p2" / "patients.csv", "a", encoding="utf-8") as fh:
        fh.write("999999,female,1980-01-01,\n")
    assert run(["batch", str(config)]) == 0  # p2's source changed: it runs again, p1 is skipped
    status = json.loads((tmp_path / "out" / "batch_status.json").read_text())
    assert {p["practice_key"]: p["status"] for p in status["practices"]} == {"p1": "skipped", "p2": "ok"}


def test_batch_config_refuses_an_unknown_format(tmp_path, capsys):
    config = tmp_path / "batch.toml"
    config.write_text(f'extracts_dir = "{tmp_path}"\noutput_root = "{tmp_path / "out"}"\nformat = "emis"\n')
    assert run(["batch", str(config)]) == 4
    assert "unknown format 'emis'" in capsys.readouterr().err
