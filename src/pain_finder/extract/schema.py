"""The canonical practice extract: a folder with one file per table (`<table>.csv` or `<table>.parquet`).

This module is the single definition of the tables, their columns and the allowed code systems. The README's
"Practice extract" section documents the same thing for people; keep the two in step.

CSV files are UTF-8 with a header row, comma-delimited, ISO `YYYY-MM-DD` dates, and an empty field for a
missing value. All identifiers and codes are text, never numbers. Extra columns are allowed and ignored.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ClinicalCodeSystem(StrEnum):
    readv2 = "readv2"
    ctv3 = "ctv3"
    snomedct = "snomedct"


class MedicationCodeSystem(StrEnum):
    dmd = "dmd"
    bnf = "bnf"
    readv2 = "readv2"  # Read v2 drug codes (chapters a-z lower case), as in Vision and older EMIS extracts


CODE_SYSTEMS_ALL = ("readv2", "ctv3", "snomedct", "dmd", "bnf")


class TableSpec(BaseModel):
    """One table of the canonical extract."""

    model_config = ConfigDict(frozen=True)

    name: str
    required: bool = Field(description="whether the extract must contain this table")
    required_columns: tuple[str, ...]
    optional_columns: tuple[str, ...] = ()
    id_columns: tuple[str, ...] = Field(default=(), description="identifier and code columns: always text")
    date_columns: tuple[str, ...] = ()
    numeric_columns: tuple[str, ...] = ()
    allowed_values: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    unique_key: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required_columns + self.optional_columns


PATIENTS = TableSpec(
    name="patients",
    required=True,
    required_columns=("patient_id", "date_of_birth"),
    optional_columns=("sex", "date_of_death", "practice_id", "nhs_number"),
    id_columns=("patient_id", "practice_id", "nhs_number"),
    date_columns=("date_of_birth", "date_of_death"),
    allowed_values={"sex": ("female", "male", "unknown")},
    unique_key=("patient_id",),
)

REGISTRATIONS = TableSpec(
    name="registrations",
    required=True,
    required_columns=("patient_id", "practice_id", "start_date"),
    optional_columns=("end_date",),
    id_columns=("patient_id", "practice_id"),
    date_columns=("start_date", "end_date"),
)

CLINICAL_EVENTS = TableSpec(
    name="clinical_events",
    required=True,
    required_columns=("patient_id", "event_date", "code", "code_system"),
    optional_columns=("term", "numeric_value", "event_id"),
    id_columns=("patient_id", "code", "event_id"),
    date_columns=("event_date",),
    numeric_columns=("numeric_value",),
    allowed_values={"code_system": tuple(s.value for s in ClinicalCodeSystem)},
)

MEDICATION_ISSUES = TableSpec(
    name="medication_issues",
    required=True,
    required_columns=("patient_id", "issue_date", "code", "code_system"),
    optional_columns=("term", "quantity", "dosage_text", "bnf_code", "prescription_type"),
    id_columns=("patient_id", "code", "bnf_code"),
    date_columns=("issue_date",),
    numeric_columns=("quantity",),
    allowed_values={
        "code_system": tuple(s.value for s in MedicationCodeSystem),
        "prescription_type": ("acute", "repeat"),
    },
)

FIT_NOTES = TableSpec(
    name="fit_notes",
    required=False,
    required_columns=("patient_id", "issue_date"),
    optional_columns=("start_date", "end_date", "fitness"),
    id_columns=("patient_id",),
    date_columns=("issue_date", "start_date", "end_date"),
    allowed_values={"fitness": ("not_fit", "may_be_fit")},
)

TABLES: dict[str, TableSpec] = {
    t.name: t for t in (PATIENTS, REGISTRATIONS, CLINICAL_EVENTS, MEDICATION_ISSUES, FIT_NOTES)
}

EXTRACT_META_FILE = "extract.json"


class ExtractMeta(BaseModel):
    """`extract.json`: optional facts about the extract as a whole."""

    model_config = ConfigDict(extra="allow")

    source_format: str | None = Field(
        default=None, description="where the extract came from, e.g. 'emis', 'synth'"
    )
    extract_date: dt.date | None = Field(
        default=None, description="when the data were extracted: default as-of date"
    )
    practice_id: str | None = Field(default=None, description="the practice this extract is from")


def normalise_read_code(code: str) -> str:
    """Read v2 codes arrive as 5 characters (`N142.`) or 7 with a 2-digit term suffix (`N142.00`): keep 5.

    Read codes are case-sensitive, so nothing else is changed. The SQL staging layer applies the same rule.
    """
    return code[:5] if len(code) == 7 else code


FileFormat = Literal["csv", "parquet"]
