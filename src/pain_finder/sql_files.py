"""Load the DuckDB queries in `sql/` by name and run them with bound parameters.

Each query lives in its own file, `sql/<layer>/<name>.sql`, and opens with a header:

    -- name: int_pain_prescriptions
    -- returns: opioid and gabapentinoid issues within the look-back window, one row per issue
    -- params: $as_of, $lookback_days
    -- inputs: stg_medication_issues, codelist_medications

The body is a single SELECT. `run_step` materialises it as a temporary table called `name`, so steps build on
each other in layers (staging -> intermediate -> cohort -> counts) and each can be tested on its own by
creating its input tables and reading its output.

Values are always bound (`$as_of` is a DuckDB named parameter), never formatted into the SQL text. The loader
refuses a file whose declared parameters differ from the ones its body uses, and a call that passes
parameters the file does not declare or leaves one out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from pain_finder.resources import sql_dir

_HEADER_RE = re.compile(r"^--\s*(name|returns|params|inputs)\s*:\s*(.*)$")
_CONTINUATION_RE = re.compile(r"^--\s{2,}(\S.*)$")  # an indented line continues the header field above it
_PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
# A comment or a string literal, whichever starts first: scanning both in one pass means an apostrophe inside
# a comment ("the patient's ...") cannot open a string, and "--" inside a string cannot open a comment.
_COMMENT_OR_STRING_RE = re.compile(r"--[^\n]*|'(?:[^']|'')*'")


class SqlFileError(Exception):
    """A .sql file in the package is malformed (a bug in pain_finder, not a user error)."""


@dataclass(frozen=True)
class SqlStep:
    name: str
    layer: str
    path: Path
    returns: str
    params: frozenset[str]
    inputs: tuple[str, ...]
    body: str

    def check_params(self, params: dict[str, Any]) -> None:
        given = set(params)
        if missing := self.params - given:
            raise SqlFileError(f"{self.path.name}: missing parameter(s) {sorted(missing)}")
        if extra := given - self.params:
            raise SqlFileError(f"{self.path.name}: undeclared parameter(s) {sorted(extra)}")


def _parse(path: Path) -> SqlStep:
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    field: str | None = None
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        if m := _HEADER_RE.match(line):
            field = m.group(1)
            header[field] = m.group(2).strip()
        elif field is not None and (m := _CONTINUATION_RE.match(line)):
            header[field] += " " + m.group(1).strip()
        else:
            field = None  # a free comment line ends the field
    if header.get("name") != path.stem:
        raise SqlFileError(
            f"{path}: header '-- name: {path.stem}' is missing or does not match the file name"
        )
    if "returns" not in header:
        raise SqlFileError(f"{path}: header '-- returns: ...' is missing")
    declared = frozenset(
        p.strip().lstrip("$")
        for p in header.get("params", "").split(",")
        if p.strip() and p.strip() != "none"
    )
    code_only = _COMMENT_OR_STRING_RE.sub(lambda m: "''" if m.group().startswith("'") else "", text)
    used = frozenset(_PARAM_RE.findall(code_only))
    if declared != used:
        raise SqlFileError(
            f"{path}: declared params {sorted(declared)} differ from the ones used in the query "
            f"{sorted(used)}"
        )
    inputs = tuple(
        i.strip() for i in header.get("inputs", "").split(",") if i.strip() and i.strip() != "none"
    )
    body = text.strip().rstrip(";")
    return SqlStep(
        name=path.stem,
        layer=path.parent.name,
        path=path,
        returns=header["returns"],
        params=declared,
        inputs=inputs,
        body=body,
    )


@cache
def all_steps() -> dict[str, SqlStep]:
    """Every query under sql/, by name. Names are unique across layers."""
    steps: dict[str, SqlStep] = {}
    for path in sorted(sql_dir().rglob("*.sql")):
        step = _parse(path)
        if step.name in steps:
            raise SqlFileError(f"duplicate query name {step.name}: {steps[step.name].path} and {path}")
        steps[step.name] = step
    return steps


def parse_file(path: Path) -> SqlStep:
    """Parse and check one query file (for callers that need a single layer without loading every file)."""
    return _parse(Path(path))


def load(name: str) -> SqlStep:
    try:
        return all_steps()[name]
    except KeyError:
        raise SqlFileError(f"no query named {name!r} in {sql_dir()}") from None


def query(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> duckdb.DuckDBPyRelation | None:
    """Run the query `name` and return its result without materialising it."""
    step = load(name)
    step.check_params(params)
    return con.execute(step.body, params) if params else con.execute(step.body)


def run_script(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Run the statements of file `name` as they are (the `macros` layer: `CREATE MACRO` statements that the
    queries of a layer share). Such files take no parameters."""
    step = load(name)
    step.check_params({})
    con.execute(step.body)


def run_step(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> int:
    """Materialise query `name` as the temporary table `name`; return its row count."""
    step = load(name)
    step.check_params(params)
    sql = f"CREATE OR REPLACE TEMP TABLE {step.name} AS\n{step.body}"
    con.execute(sql, params) if params else con.execute(sql)
    return con.execute(f"SELECT count(*) FROM {step.name}").fetchall()[0][0]  # fetchall closes the result
