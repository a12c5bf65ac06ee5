"""frames: tables between DuckDB and polars without pyarrow, values bound (never formatted into SQL)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pain_finder import frames


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def test_create_table_keeps_types_nulls_and_order(con) -> None:
    n = frames.create_table(
        con,
        "t",
        {"id": "VARCHAR", "n": "BIGINT", "x": "DOUBLE"},
        {"id": ["b", "a'; DROP TABLE t; --", None], "n": [3, None, 1], "x": [None, 2.5, 0.0]},
    )
    assert n == 3
    assert con.execute("SELECT id, n, x FROM t ORDER BY rowid").fetchall() == [
        ("b", 3, None),
        ("a'; DROP TABLE t; --", None, 2.5),  # a value is data, never SQL
        (None, 1, 0.0),
    ]
    assert [r[1] for r in con.execute("DESCRIBE t").fetchall()] == ["VARCHAR", "BIGINT", "DOUBLE"]


def test_create_table_with_no_rows_has_the_columns(con) -> None:
    assert frames.create_table(con, "empty", {"patient_id": "VARCHAR"}, {"patient_id": []}) == 0
    assert con.execute("SELECT count(*) FROM empty").fetchall() == [(0,)]
    assert con.execute("DESCRIBE empty").fetchall()[0][:2] == ("patient_id", "VARCHAR")


@pytest.mark.parametrize(
    ("name", "schema", "columns", "error"),
    [
        ("t; DROP", {"a": "VARCHAR"}, {"a": []}, "not a plain SQL name"),
        ("t", {"a b": "VARCHAR"}, {"a b": []}, "not a plain SQL name"),
        ("t", {"a": "VARCHAR"}, {"b": []}, "do not match the schema"),
        ("t", {"a": "VARCHAR", "b": "VARCHAR"}, {"a": ["1"], "b": []}, "different lengths"),
    ],
)
def test_create_table_refuses_bad_names_and_shapes(con, name, schema, columns, error) -> None:
    with pytest.raises(ValueError, match=error):
        frames.create_table(con, name, schema, columns)


def test_create_table_from_frame_round_trips_and_leaves_no_file(con, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    frame = pl.DataFrame({"code": ["N14..", "XE1FL"], "ome_factor": [None, 0.1]})
    assert frames.create_table_from_frame(con, "codes", frame) == 2
    assert con.execute("SELECT * FROM codes ORDER BY code").fetchall() == [("N14..", None), ("XE1FL", 0.1)]
    assert list(tmp_path.iterdir()) == []


def test_fetch_frame_maps_duckdb_types_to_polars(con) -> None:
    got = frames.fetch_frame(
        con,
        "SELECT 'a' AS s, CAST(1 AS INTEGER) AS i, CAST(2 AS BIGINT) AS b, 1.5 AS d, "
        "DATE '2024-02-29' AS day, true AS yes, ['x', 'y'] AS l, CAST(NULL AS VARCHAR) AS nothing",
    )
    assert got.schema == pl.Schema(
        {
            "s": pl.String,
            "i": pl.Int32,
            "b": pl.Int64,
            "d": pl.Float64,  # DuckDB's DECIMAL(2,1) literal
            "day": pl.Date,
            "yes": pl.Boolean,
            "l": pl.List(pl.String),
            "nothing": pl.String,
        }
    )
    assert got.row(0) == ("a", 1, 2, 1.5, dt.date(2024, 2, 29), True, ["x", "y"], None)


def test_fetch_frame_of_no_rows_keeps_the_schema(con) -> None:
    got = frames.fetch_frame(con, "SELECT DATE '2024-01-01' AS day WHERE false")
    assert got.height == 0 and got.schema == pl.Schema({"day": pl.Date})


def test_an_unknown_duckdb_type_is_named() -> None:
    with pytest.raises(TypeError, match="no polars type for DuckDB type INTERVAL"):
        frames.polars_type("INTERVAL")


def test_a_search_does_not_import_pyarrow(tmp_path: Path) -> None:
    # pyarrow's import alone costs about 0.25 s: the search must not need it (see frames' docstring)
    code = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "from pathlib import Path\n"
        "from pain_finder.config import SearchConfig\n"
        "from pain_finder.search import run_search\n"
        f"r = run_search(Path({str(SAMPLE)!r}), Path({str(tmp_path / 'out')!r}), SearchConfig())\n"
        "assert r.n_listed > 0\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "practice_b"
