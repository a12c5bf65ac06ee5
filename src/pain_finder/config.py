"""The search definition: every criterion, window and weight, with documented defaults.

A search definition is read from a TOML file (`--config`), validated here, and may be overridden by command-line
options. Order of precedence, highest first: command-line option > TOML file > the defaults below. The README's
"Search definition" section documents each field; `pain-finder config show` prints the defaults as TOML.

The fingerprint of a definition (see `fingerprint`) covers these settings and the hashes of the code lists used,
so two practices' counts are only added together when they come from the same definition.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pain_finder.counts import REVIEW_FLAGS
from pain_finder.disclosure import DisclosurePolicy
from pain_finder.errors import ConfigError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PopulationCriteria(_Strict):
    """Criterion 1: alive and registered at the practice on the as-of date, within the age range."""

    min_age: int = Field(18, ge=0, le=120, description="youngest age (years, inclusive) on the as-of date")
    max_age: int = Field(64, ge=0, le=120, description="oldest age (years, inclusive) on the as-of date")

    @model_validator(mode="after")
    def _ordered(self) -> PopulationCriteria:
        if self.min_age > self.max_age:
            raise ValueError("min_age must not be greater than max_age")
        return self


class ChronicPainCriteria(_Strict):
    """Criterion 2: chronic pain within the look-back window."""

    lookback_months: int = Field(24, ge=1, le=240, description="window for pain evidence, ending on the as-of date")
    min_span_days: int = Field(
        90,
        ge=1,
        description="without a chronic-pain-condition code, pain codes or opioid/gabapentinoid issues must have "
        "first and last dates in the window at least this many days apart",
    )


class SignalCriteria(_Strict):
    """Criterion 3: a work-disability or treatment signal."""

    lookback_months: int = Field(12, ge=1, le=120, description="window for opioid/gabapentinoid issues and fit notes")
    min_opioid_or_gabapentinoid_issues: int = Field(1, ge=1, description="issues needed in the window")
    min_fit_notes: int = Field(1, ge=1, description="fit notes needed in the window (instead of prescribing)")


class ExclusionCriteria(_Strict):
    """Criterion 4: exclusions, each reported with its stable reason code."""

    cancer_lookback_years: int = Field(5, ge=1, le=50, description="a cancer diagnosis within this many years")
    palliative_care_lookback_years: int | None = Field(
        None, ge=1, description="palliative care code within this many years (None: ever recorded)"
    )
    opioid_dependence_lookback_years: int | None = Field(
        None, ge=1, description="opioid dependence or substitution treatment within this many years (None: ever)"
    )
    declined_patient_ids_file: Path | None = Field(
        None,
        description="optional CSV with a patient_id column: patients who previously declined this study "
        "(excluded as research_dissent)",
    )


class FlagCriteria(_Strict):
    """Criterion 5: review flags shown to the hand-checker; any may be promoted to an exclusion."""

    pregnancy_lookback_months: int = Field(9, ge=1, description="pregnancy code within this many months")
    bereavement_lookback_months: int = Field(6, ge=1, description="bereavement code within this many months")
    promote_to_exclusion: list[str] = Field(
        default_factory=list, description=f"flags to treat as exclusions; any of: {', '.join(REVIEW_FLAGS)}"
    )

    @model_validator(mode="after")
    def _known(self) -> FlagCriteria:
        unknown = sorted(set(self.promote_to_exclusion) - set(REVIEW_FLAGS))
        if unknown:
            raise ValueError(f"unknown flag(s) {unknown}; known flags: {', '.join(REVIEW_FLAGS)}")
        return self


class RankingWeights(_Strict):
    """Points for each named score component (see ranking.py for the definitions)."""

    # Filled in by the ranking module's documented defaults.
    model_config = ConfigDict(extra="forbid", frozen=True)


class SearchConfig(_Strict):
    """A complete search definition."""

    population: PopulationCriteria = PopulationCriteria()
    chronic_pain: ChronicPainCriteria = ChronicPainCriteria()
    signal: SignalCriteria = SignalCriteria()
    exclusions: ExclusionCriteria = ExclusionCriteria()
    flags: FlagCriteria = FlagCriteria()
    ranking: RankingWeights = RankingWeights()
    disclosure: DisclosurePolicy = DisclosurePolicy()
    code_lists_dir: Path | None = Field(None, description="use code lists from this folder instead of the packaged ones")

    def definition_dict(self) -> dict:
        """The settings that define the search (JSON-safe), as recorded in the manifest and summary.

        The disclosure policy and where code lists are read from are not part of the definition: the code lists'
        own hashes are, through `fingerprint`.
        """
        return json.loads(self.model_dump_json(exclude={"code_lists_dir", "disclosure"}))


def load_config(path: Path | None) -> SearchConfig:
    """Read a search definition from TOML; `None` gives the defaults. Raises ConfigError naming the field."""
    if path is None:
        return SearchConfig()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from exc
    return parse_config(data, source=path.name)


def parse_config(data: dict, source: str = "config") -> SearchConfig:
    data = dict(data.get("search", data))  # accept a [search] table (as in batch configs) or top-level keys
    try:
        return SearchConfig.model_validate(data)
    except ValidationError as exc:
        bullets = "\n".join(
            f"  - {'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{source}: invalid search definition:\n{bullets}") from exc


def fingerprint(config: SearchConfig, code_list_hashes: dict[str, str]) -> str:
    """A short stable hash of the definition and the code lists: equal fingerprints mean the same search."""
    payload = json.dumps(
        {"definition": config.definition_dict(), "code_lists": dict(sorted(code_list_hashes.items()))},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def resolve_as_of(cli_value: dt.date | None, extract_date: dt.date | None, today: dt.date | None = None) -> dt.date:
    """As-of date: `--as-of`, else the extract's `extract_date`, else today."""
    return cli_value or extract_date or today or dt.date.today()
