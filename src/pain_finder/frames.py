"""Moving small tables between DuckDB and polars without Apache Arrow.

DuckDB's own bridges (`register` of a frame, `.pl()`) go through the `pyarrow` package, whose import alone
takes a quarter of a second: more than the search spends on most of its steps. The tables passed here are
small (code lists, the listed patients, the candidates' features), so plain Python values are fast enough:

- `create_table` makes a temporary table from columns of Python values, bound as query parameters and
  unnested in one statement (values are never formatted into SQL; column names and types come from the
  caller's constant schema). Binding costs about a microsecond a value: right for the small tables of
  patient identifiers (the listed patients, those who declined), which are never written to disk.
- `create_table_from_frame` hands a larger table that holds no patient data (the code lists: 28,000 rows)
  over as a Parquet file in a private temporary folder, which polars writes and DuckDB reads in milliseconds.
- `fetch_frame` runs a query and builds a polars frame from its rows, with the column types DuckDB reports.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import polars as pl

_NAME = re.compile(r"[a-z_][a-z0-9_]*")

# DuckDB type names -> polars types, for the types the search's queries return.
_SCALAR: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "BOOLEAN": pl.Boolean(),
    "TINYINT": pl.Int8(),
    "SMALLINT": pl.Int16(),
    "INTEGER": pl.Int32(),
    "BIGINT": pl.Int64(),
    "HUGEINT": pl.Int128(),
    "UTINYINT": pl.UInt8(),
    "USMALLINT": pl.UInt16(),
    "UINTEGER": pl.UInt32(),
    "UBIGINT": pl.UInt64(),
    "FLOAT": pl.Float32(),
    "DOUBLE": pl.Float64(),
    "DATE": pl.Date(),
    "TIMESTAMP": pl.Datetime("us"),
}


def polars_type(duckdb_type: str) -> pl.DataType:
    """The polars type for a DuckDB type name (`VARCHAR`, `DATE`, `VARCHAR[]`, `DECIMAL(18,3)`, ...)."""
    name = duckdb_type.strip().upper()
    if name.endswith("[]"):
        return pl.List(polars_type(name[:-2]))
    if name.startswith("DECIMAL"):
        return pl.Float64()
    try:
        return _SCALAR[name]
    except KeyError:
        raise TypeError(f"no polars type for DuckDB type {duckdb_type}") from None


def create_table(
    con: duckdb.DuckDBPyConnection,
    name: str,
    schema: Mapping[str, str],
    columns: Mapping[str, Sequence[object]],
) -> int:
    """Create (or replace) the temporary table `name` with `schema` (column -> DuckDB type) from `columns`
    (column -> values, all the same length). Returns the number of rows."""
    for ident in (name, *schema):
        if not _NAME.fullmatch(ident):
            raise ValueError(f"not a plain SQL name: {ident!r}")
    if set(columns) != set(schema):
        raise ValueError(f"columns {sorted(columns)} do not match the schema {sorted(schema)}")
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"columns of different lengths for table {name}: {sorted(lengths)}")
    n = lengths.pop() if lengths else 0
    typed = ", ".join(f"{col} {kind}" for col, kind in schema.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({typed})")
    if n:
        params = {f"c{i}": list(columns[col]) for i, col in enumerate(schema)}
        # Several unnest() calls in one SELECT are zipped row by row; each is cast to its schema type.
        select = ", ".join(
            f"CAST(unnest(CAST($c{i} AS {kind}[])) AS {kind})" for i, kind in enumerate(schema.values())
        )
        con.execute(f"INSERT INTO {name} SELECT {select}", params)
    return n


def create_table_from_frame(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> int:
    """Create (or replace) the temporary table `name` from `frame`, through a Parquet file that is deleted at
    once. Only for tables without patient data. Returns the number of rows."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a plain SQL name: {name!r}")
    with tempfile.TemporaryDirectory(prefix="pain_finder_") as folder:
        path = Path(folder) / f"{name}.parquet"
        frame.write_parquet(path, compression="uncompressed", statistics=False)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM read_parquet($path)", {"path": str(path)}
        )
    return frame.height


def fetch_frame(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    """Run `sql` (a constant query of this package) and return its result as a polars frame."""
    rel = con.sql(sql)
    schema = {col: polars_type(str(kind)) for col, kind in zip(rel.columns, rel.types, strict=True)}
    rows = rel.fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")
