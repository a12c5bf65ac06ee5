"""The options of one synthetic run (`SynthOptions`), shared by the library and `pain-finder synth`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Coding = Literal["readv2", "ctv3", "snomedct"]

# Which code system the medication issues of a practice use, by its clinical coding: Read v2 practices
# (Vision, older EMIS) record Read v2 drug codes; SNOMED CT (EMIS) and CTV3 (TPP SystmOne) practices record
# dm+d.
MEDICATION_SYSTEM: dict[str, str] = {"readv2": "readv2", "ctv3": "dmd", "snomedct": "dmd"}


class SynthOptions(BaseModel):
    """What to generate. Two runs with equal options (and equal code lists) write byte-identical files."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    out: Path = Field(description="the extract folder (practices=1) or the folder holding practice_001, ...")
    patients: int = Field(
        ge=1, le=10_000_000, description="patients in all, split evenly across the practices"
    )
    practices: int = Field(default=1, ge=1, le=999, description="number of practice extracts")
    coding: Coding = Field(default="snomedct", description="clinical code system of the practices")
    seed: int = Field(default=0, ge=0, le=2**32 - 1, description="random seed: same seed, same files")
    file_format: Literal["csv", "parquet"] = "csv"
    extract_date: dt.date = Field(default=dt.date(2026, 9, 30), description="the date the extract was taken")
    history_years: int = Field(
        default=10, ge=1, le=30, description="years of coded history before extract_date"
    )
    noise_scale: float = Field(
        default=1.0,
        gt=0,
        le=10,
        description="multiplies the volume of routine (non-pain) events and issues; 1.0 is realistic",
    )
    code_lists_dir: Path | None = Field(
        default=None, description="code lists to draw from (default: packaged)"
    )

    @model_validator(mode="after")
    def _a_patient_per_practice(self) -> SynthOptions:
        if self.patients < self.practices:
            raise ValueError("--patients must be at least --practices (every practice needs a patient)")
        return self

    @property
    def medication_system(self) -> str:
        return MEDICATION_SYSTEM[self.coding]
