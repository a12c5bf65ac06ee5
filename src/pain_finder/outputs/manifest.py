"""`manifest.json`: what a search run used and produced, so a list can be traced and reproduced.

It records the software version, the as-of date and where it came from, the search definition and its
fingerprint, each code list (name, version date, review status, sha256), each input file (sha256, rows), the
output files, timings per step and data-quality warning counts. It is the only output with wall-clock values
(`generated_at` and `timings`); every other output is byte-identical on a rerun.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MANIFEST_KIND = "pain_finder.search_manifest"


class CodeListRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="concept/system")
    version_date: dt.date
    status: str
    sha256: str


class InputFileRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: str
    file: str
    sha256: str
    rows: int | None = Field(description="data rows (header excluded); None for extract.json")


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = MANIFEST_KIND
    schema_version: int = 1
    software_version: str
    generated_at: str = Field(description="UTC time the run finished (volatile)")
    practice_id: str
    as_of: dt.date
    as_of_source: str = Field(description="'--as-of', 'extract.json' or 'today'")
    fingerprint: str
    definition: dict[str, Any]
    description: list[str]
    code_lists: list[CodeListRecord]
    inputs: list[InputFileRecord]
    outputs: dict[str, str] = Field(description="output name -> file name in the output folder")
    n_candidates: int
    n_listed: int
    n_excluded: int
    data_quality_warnings: int
    warnings: list[str]
    timings: dict[str, float] = Field(description="seconds per step (volatile)")


def manifest_json(manifest: Manifest) -> str:
    return json.dumps(manifest.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
