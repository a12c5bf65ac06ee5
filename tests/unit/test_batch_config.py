"""The batch config: every field documented, unknown fields refused, errors one bullet per field, paths
relative to the config file, the search definition inline and/or from a file; and the example config in
docs/ loads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pain_finder.batch.config import BatchConfig, load_batch_config, parse_batch_config
from pain_finder.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def _load(tmp_path: Path, text: str):
    path = tmp_path / "batch.toml"
    path.write_text(text, encoding="utf-8")
    return load_batch_config(path)


def test_every_field_is_documented():
    for name, field in BatchConfig.model_fields.items():
        assert field.description, f"BatchConfig.{name} has no description"


def test_example_config_loads():
    loaded = load_batch_config(REPO / "docs" / "examples" / "batch.toml")
    examples = REPO / "docs" / "examples"
    assert loaded.batch.extracts_dir == (examples / "extracts").resolve()
    assert loaded.batch.output_root == (examples / "batch_out").resolve()
    assert loaded.batch.as_of.rule == "fixed"
    assert loaded.batch.memory_limit == "2GB"
    assert loaded.search.population.max_age == 64
    assert loaded.search.flags.promote_to_exclusion == ["type1_opt_out"]
    assert loaded.batch.disclosure.threshold == 7


def test_minimal_config_defaults(tmp_path):
    loaded = _load(tmp_path, 'extracts_dir = "in"\noutput_root = "out"\n')
    assert loaded.batch.extracts_dir == tmp_path / "in"
    assert loaded.batch.output_root == tmp_path / "out"
    assert loaded.batch.as_of.rule == "extract_date"
    assert loaded.batch.spill() == tmp_path / "out" / ".spill"
    assert loaded.batch.worker_count(None, 100) >= 1
    assert loaded.batch.worker_count(8, 3) == 3  # never more workers than practices
    assert loaded.search.model_dump() == type(loaded.search)().model_dump()


def test_errors_are_listed_one_bullet_per_field(tmp_path):
    with pytest.raises(ConfigError) as err:
        _load(
            tmp_path,
            'extracts_dir = "in"\noutput_root = "out"\nworkers = 0\nmemory_limit = "lots"\ncolour = "blue"\n'
            '[as_of]\nrule = "fixed"\n',
        )
    message = err.value.message
    assert message.startswith("batch.toml: invalid batch configuration:\n"), message
    lines = message.splitlines()[1:]
    assert lines == [
        "  - as_of: rule = 'fixed' needs a date (YYYY-MM-DD)",
        "  - workers: Input should be greater than or equal to 1",
        "  - memory_limit: must be a size such as '512MB', '2GB' or '1.5GiB'",
        "  - colour: unknown setting (check the spelling; docs/batch.md lists every setting)",
    ], message


def test_missing_output_root_and_both_extract_sources(tmp_path):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, 'extracts_dir = "in"\nextracts = ["a"]\n')
    assert "  - output_root: Field required" in err.value.message
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, 'output_root = "out"\n')
    assert "give exactly one of `extracts_dir`" in err.value.message


def test_search_definition_errors_name_the_field(tmp_path):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, 'extracts_dir = "in"\noutput_root = "out"\n[search.population]\nmax_age = 500\n')
    assert "population.max_age" in err.value.message, err.value.message


def test_search_file_with_inline_overlay(tmp_path):
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "search.toml").write_text(
        "[population]\nmin_age = 25\nmax_age = 60\n[exclusions]\n"
        'declined_patient_ids_file = "declined.csv"\n',
        encoding="utf-8",
    )
    loaded = _load(
        tmp_path,
        'extracts = ["a", "b"]\noutput_root = "out"\nsearch_config = "defs/search.toml"\n'
        "[search.population]\nmax_age = 55\n",
    )
    assert loaded.search.population.min_age == 25
    assert loaded.search.population.max_age == 55  # inline wins
    assert loaded.search.exclusions.declined_patient_ids_file == tmp_path / "defs" / "declined.csv"
    assert loaded.batch.extracts == [tmp_path / "a", tmp_path / "b"]


def test_missing_search_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, 'extracts_dir = "in"\noutput_root = "out"\nsearch_config = "nope.toml"\n')
    assert err.value.message == f"search_config file {tmp_path / 'nope.toml'} does not exist"
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, "extracts_dir = \n")
    assert err.value.message.startswith("batch.toml: not valid TOML:")
    with pytest.raises(ConfigError) as err:
        load_batch_config(tmp_path / "absent.toml")
    assert err.value.message == f"batch config file {tmp_path / 'absent.toml'} does not exist"


def test_fixed_as_of_and_memory(tmp_path):
    loaded = parse_batch_config(
        {
            "extracts_dir": "x",
            "output_root": "y",
            "as_of": {"rule": "fixed", "date": dt.date(2026, 9, 30)},
            "memory_limit": "1.5 GiB",
            "threads_per_worker": 2,
        },
        base=tmp_path,
    )
    assert loaded.batch.as_of.date == dt.date(2026, 9, 30)
    assert loaded.batch.memory(4) == "1.5GiB"
    assert loaded.batch.threads(4) == 2
    default = parse_batch_config({"extracts_dir": "x", "output_root": "y"}, base=tmp_path).batch
    assert default.memory(2).endswith("MB")
