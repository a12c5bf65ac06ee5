"""A practice's own report CSV (EMIS Web, SystmOne, Vision...), read through a small TOML mapping file.

Practice staff can export searches and reports as CSV, but every system (and every report) names and formats
the columns its own way. The mapping file says, per canonical table, which file to read, which column holds
what, how dates are written and which code system each code column holds; templates for EMIS Web and SystmOne
are in docs/examples/. The source is the folder holding the files (or one of the files: its folder is used).
The mapping is validated by the pydantic model `ReportMapping`; errors name the mapping file and the field.

Each row is written once: a row with several code columns is coded with the first column (in the order of
`codes`) that holds a well-formed code of its system (7-character Read v2 codes are cut to 5; dots are removed
from BNF codes). A code a spreadsheet turned into a number (1.23457E+17) has lost its digits: the row is not
written when no other column holds a usable code (reason `code_mangled_by_spreadsheet`).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pain_finder.errors import ConfigError, InputError
from pain_finder.importers.common import ImportContext

MAX_CODE_COLUMNS = 4
DEFAULT_SEX_VALUES = {
    "f": "female",
    "female": "female",
    "m": "male",
    "male": "male",
    "u": "unknown",
    "unknown": "unknown",
    "i": "unknown",
    "indeterminate": "unknown",
    "not known": "unknown",
}


class CodeColumn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    column: str = Field(description="the header of a column holding codes")
    system: Literal["readv2", "ctv3", "snomedct", "dmd", "bnf"] = Field(description="the codes' system")


class TableMap(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str = Field(description="the file name, relative to the source folder")
    patient_id: str = Field(description="the column holding the patient identifier")
    date_format: list[str] | None = Field(
        default=None, description="strptime formats of this file's dates (default: the mapping's date_format)"
    )

    @field_validator("date_format", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v


class PatientsMap(TableMap):
    date_of_birth: str
    sex: str | None = None
    date_of_death: str | None = None
    nhs_number: str | None = None
    practice_id: str | None = None


class RegistrationsMap(TableMap):
    start_date: str
    end_date: str | None = None
    practice_id: str | None = Field(default=None, description="column; else the mapping's or --practice-id")


class EventsMap(TableMap):
    event_date: str
    codes: list[CodeColumn] = Field(min_length=1, max_length=MAX_CODE_COLUMNS)
    term: str | None = None
    numeric_value: str | None = None

    @field_validator("codes")
    @classmethod
    def _clinical(cls, v: list[CodeColumn]) -> list[CodeColumn]:
        if bad := [c.system for c in v if c.system not in ("readv2", "ctv3", "snomedct")]:
            raise ValueError(f"clinical codes must be readv2, ctv3 or snomedct, not {bad[0]}")
        return v


class MedicationsMap(TableMap):
    issue_date: str
    codes: list[CodeColumn] = Field(min_length=1, max_length=MAX_CODE_COLUMNS)
    term: str | None = None
    quantity: str | None = None
    dosage_text: str | None = None
    prescription_type: str | None = None

    @field_validator("codes")
    @classmethod
    def _medication(cls, v: list[CodeColumn]) -> list[CodeColumn]:
        if bad := [c.system for c in v if c.system not in ("dmd", "bnf", "readv2")]:
            raise ValueError(f"medication codes must be dmd, bnf or readv2, not {bad[0]}")
        return v


class ReportMapping(BaseModel):
    """The mapping file for the `report` format (TOML)."""

    model_config = ConfigDict(extra="forbid")
    system: str | None = Field(
        default=None, description="what produced the files, e.g. 'EMIS Web' (for people)"
    )
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: Literal["utf-8", "latin-1", "utf-16"] = Field(
        default="utf-8", description="latin-1 also reads Windows-1252 exports (apart from a few symbols)"
    )
    header_row: int = Field(
        default=1, ge=1, description="the line holding the column names (title lines above)"
    )
    date_format: list[str] = Field(default=["%d/%m/%Y"], description="strptime formats, tried in order")
    practice_id: str | None = None
    sex_values: dict[str, Literal["female", "male", "unknown"]] = Field(
        default_factory=lambda: dict(DEFAULT_SEX_VALUES), description="sex as written (any case) -> canonical"
    )
    patients: PatientsMap
    registrations: RegistrationsMap | None = None
    clinical_events: EventsMap
    medication_issues: MedicationsMap | None = None

    @field_validator("date_format", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v


def load_mapping(path: Path | None) -> ReportMapping:
    if path is None:
        raise ConfigError(
            "the report format needs --mapping FILE (see docs/examples/ for EMIS Web and SystmOne)"
        )
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{Path(path).name}: not valid TOML ({exc})") from exc
    try:
        return ReportMapping.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{Path(path).name}, field '{field}': {first['msg']}") from exc


def run(ctx: ImportContext, source: Path, mapping_path: Path | None) -> None:
    m = load_mapping(mapping_path)
    folder = source if source.is_dir() else source.parent
    if ctx.practice_id is None:
        ctx.practice_id = m.practice_id
    options: dict = dict(delimiter=m.delimiter, encoding=m.encoding, skip=m.header_row - 1)
    used: list[Path] = []

    def path_of(t: TableMap) -> Path:
        p = folder / t.file
        if not p.is_file():
            raise InputError(f"the file {t.file} named in the mapping is not in {folder}")
        used.append(p)
        return p

    def formats(t: TableMap) -> list[str]:
        return t.date_format or m.date_format

    # patients
    pm = m.patients
    names = _named(pm, ("patient_id", "date_of_birth", "sex", "date_of_death", "nhs_number", "practice_id"))
    ctx.read_delimited(
        "src_report_patients",
        [path_of(pm)],
        columns=names,
        required=("patient_id", "date_of_birth"),
        **options,
    )
    _add_null_columns(ctx, "src_report_patients", ("sex", "date_of_death", "nhs_number", "practice_id"))
    staged = ctx.stage(
        "import_report_patients",
        date_formats=formats(pm),
        sex_from=[k.lower() for k in m.sex_values],
        sex_to=list(m.sex_values.values()),
        practice_id=ctx.practice_id,
    )
    ctx.write("patients", [staged], ctx.sources("src_report_patients"), names)
    # registrations
    if (rm := m.registrations) is not None:
        names = _named(rm, ("patient_id", "start_date", "end_date", "practice_id"))
        ctx.read_delimited(
            "src_report_registrations",
            [path_of(rm)],
            columns=names,
            required=("patient_id", "start_date"),
            **options,
        )
        _add_null_columns(ctx, "src_report_registrations", ("end_date", "practice_id"))
        staged = ctx.stage(
            "import_report_registrations", date_formats=formats(rm), practice_id=ctx.practice_id
        )
        ctx.write("registrations", [staged], ctx.sources("src_report_registrations"), names)
    else:
        ctx.write_empty("registrations", "the mapping has no [registrations] table: registrations is empty")
    # clinical events and medication issues
    tables: tuple[tuple[str, EventsMap | MedicationsMap | None, str, str], ...] = (
        ("clinical_events", m.clinical_events, "import_report_clinical_events", "event_date"),
        ("medication_issues", m.medication_issues, "import_report_medication_issues", "issue_date"),
    )
    for table, tm, step, date_column in tables:
        if tm is None:
            ctx.write_empty(table, f"the mapping has no [{table}] table: {table} is empty")
            continue
        fields = [f for f in type(tm).model_fields if f not in ("file", "codes", "date_format")]
        names = _named(tm, fields)
        codes = {f"code_{i}": c.column for i, c in enumerate(tm.codes, start=1)}
        systems = [c.system for c in tm.codes] + [None] * (MAX_CODE_COLUMNS - len(tm.codes))
        src = f"src_report_{table}"
        ctx.read_delimited(
            src,
            [path_of(tm)],
            columns={**names, **codes},
            required=("patient_id", date_column, *codes),
            **options,
        )
        _add_null_columns(ctx, src, [*fields, *(f"code_{i}" for i in range(1, MAX_CODE_COLUMNS + 1))])
        staged = ctx.stage(step, date_formats=formats(tm), systems=systems)
        ctx.write(table, [staged], ctx.sources(src), {**names, "code": " / ".join(codes.values())})
    ctx.report.ignored_files = sorted(
        p.name
        for p in folder.iterdir()
        if p.is_file() and p not in used and p.suffix.lower() in (".csv", ".txt")
    )


def _named(table: TableMap, fields: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Canonical column -> the file's column name, for the columns the mapping names."""
    return {f: getattr(table, f) for f in fields if getattr(table, f) is not None}


def _add_null_columns(ctx: ImportContext, table: str, columns: tuple[str, ...] | list[str]) -> None:
    """Give `table` every canonical column the mapping left out, as NULL, so the SQL step can name it."""
    have = {d[0] for d in ctx.con.execute(f"SELECT * FROM {table} LIMIT 0").description}
    for column in columns:  # canonical names from this module, never from a file
        if column not in have:
            ctx.con.execute(f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR")
