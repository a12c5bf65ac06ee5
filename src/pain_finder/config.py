"""The search definition: every criterion, window and weight, with documented defaults.

A search definition is read from a TOML file (`--config`), validated here, and may be overridden by
command-line options. Order of precedence, highest first: command-line option > TOML file > the defaults
below. The README's "Search definition" section documents each field; `pain-finder config show` prints the
defaults as TOML.

The fingerprint of a definition (see `fingerprint`) covers these settings and the hashes of the code lists
used, so two practices' counts are only added together when they come from the same definition.
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

    lookback_months: int = Field(
        24, ge=1, le=240, description="window for pain evidence, ending on the as-of date"
    )
    min_span_days: int = Field(
        90,
        ge=1,
        description="without a chronic-pain-condition code, pain codes or opioid/gabapentinoid issues must "
        "have first and last dates in the window at least this many days apart",
    )
    require_pain_code: bool = Field(
        True,
        description="without a chronic-pain-condition code, the span also needs at least one pain_condition "
        "code in the window, so opioid/gabapentinoid issues alone (e.g. pregabalin for epilepsy or anxiety) "
        "never make chronic pain; false: issues alone may",
    )


class SignalCriteria(_Strict):
    """Criterion 3: a work-disability or treatment signal."""

    lookback_months: int = Field(
        12, ge=1, le=120, description="window for opioid/gabapentinoid issues and fit notes"
    )
    min_opioid_or_gabapentinoid_issues: int = Field(1, ge=1, description="issues needed in the window")
    min_fit_notes: int = Field(1, ge=1, description="fit notes needed in the window (instead of prescribing)")


class ExclusionCriteria(_Strict):
    """Criterion 4: exclusions, each reported with its stable reason code."""

    cancer_lookback_years: int = Field(
        5, ge=1, le=50, description="a cancer diagnosis within this many years"
    )
    palliative_care_lookback_years: int | None = Field(
        None, ge=1, description="palliative care code within this many years (None: ever recorded)"
    )
    opioid_dependence_lookback_years: int | None = Field(
        None,
        ge=1,
        description="opioid dependence or substitution treatment within this many years (None: ever)",
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


class MedicationDefinitions(_Strict):
    """How prescribing is summarised for the ranking: long-term use and the oral morphine equivalent
    daily dose.

    Long-term use follows the definitions used in opioid studies (repeated issues, or repeated issues spanning
    at least 90 days: Von Korff et al. 2008, "De facto long-term opioid therapy"; OpenSAFELY opioid measures).
    The daily dose method is the one described in ranking.py and docs/search.md.
    """

    long_term_min_issues: int = Field(
        4, ge=1, description="issues in the signal window that make use long-term"
    )
    long_term_min_span_days: int = Field(
        90,
        ge=1,
        description="or: days between the first and last issue in the signal window that make use long-term",
    )
    long_term_span_min_issues: int = Field(
        3,
        ge=2,
        description="issues in the signal window the span rule (long_term_min_span_days) also needs, so two "
        "one-off issues months apart are not long-term use; at most long_term_min_issues (when left out: 3, "
        "or long_term_min_issues if that is smaller)",
    )
    ome_default_days: int = Field(
        28,
        ge=1,
        le=365,
        description="days an opioid issue covers when no later issue of the same product follows",
    )
    ome_grace_days: int = Field(
        14,
        ge=0,
        le=365,
        description="days after an opioid issue's coverage ends during which the product still counts as "
        "current (a repeat requested a little late)",
    )
    ome_min_days: int = Field(
        7, ge=1, description="shortest days an issue is taken to cover (days to the next issue)"
    )
    ome_max_days: int = Field(
        84, ge=1, description="longest days an issue is taken to cover (days to the next issue)"
    )

    @model_validator(mode="after")
    def _ordered(self) -> MedicationDefinitions:
        if self.ome_min_days > self.ome_max_days:
            raise ValueError("ome_min_days must not be greater than ome_max_days")
        if "long_term_span_min_issues" not in self.model_fields_set:
            # left at its default: never more than the issue-count rule asks (a definition that was valid
            # before this setting existed, e.g. long_term_min_issues = 2, stays valid and means the same)
            object.__setattr__(self, "long_term_span_min_issues", max(2, min(3, self.long_term_min_issues)))
        elif self.long_term_span_min_issues > self.long_term_min_issues:
            raise ValueError(
                "long_term_span_min_issues must not be greater than long_term_min_issues (the span rule adds "
                "to the issue-count rule)"
            )
        return self


class RankingWeights(_Strict):
    """Points for each named score component (see ranking.py for the definitions). More evidence never lowers
    a score: every component is non-decreasing in its evidence, so every weight must be zero or more."""

    # Defaults are validated too, so 8 and 8.0 give the same definition (and fingerprint) from code or TOML.
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    # fit notes (weigh most: a 'not fit for work' note is the best recorded sign of being out of work)
    fit_note_points: float = Field(
        8, ge=0, description="points per not-fit (or unspecified) fit note in 12 months"
    )
    may_be_fit_note_points: float = Field(
        4, ge=0, description="points per 'may be fit' fit note in 12 months"
    )
    fit_note_max_count: int = Field(
        6, ge=0, description="fit notes counted at most (points capped at this many)"
    )
    fit_note_days_per_point: int = Field(7, ge=1, description="certified days (in 12 months) per point")
    fit_note_days_max_points: float = Field(26, ge=0, description="most points from certified days")
    fit_note_recent_3m_points: float = Field(12, ge=0, description="last fit note within 3 months")
    fit_note_recent_6m_points: float = Field(8, ge=0, description="last fit note within 6 months")
    fit_note_recent_12m_points: float = Field(4, ge=0, description="last fit note within 12 months")
    # opioids
    opioid_issue_points: float = Field(1, ge=0, description="points per opioid issue in 12 months")
    opioid_issue_max_count: int = Field(12, ge=0, description="opioid issues counted at most")
    opioid_long_term_points: float = Field(6, ge=0, description="long-term opioid use")
    ome_50_89_points: float = Field(2, ge=0, description="estimated dose 50-89 mg oral morphine per day")
    ome_90_119_points: float = Field(4, ge=0, description="estimated dose 90-119 mg/day")
    ome_120_plus_points: float = Field(6, ge=0, description="estimated dose 120 mg/day or more (high dose)")
    # gabapentinoids
    gabapentinoid_issue_points: float = Field(
        1, ge=0, description="points per gabapentinoid issue in 12 months"
    )
    gabapentinoid_issue_max_count: int = Field(12, ge=0, description="gabapentinoid issues counted at most")
    gabapentinoid_long_term_points: float = Field(5, ge=0, description="long-term gabapentinoid use")
    # pain record
    chronic_pain_code_points: float = Field(6, ge=0, description="a chronic-pain-condition code in 24 months")
    pain_span_days_per_point: int = Field(
        91, ge=1, description="days of pain history span per point (~3 months)"
    )
    pain_span_max_points: float = Field(8, ge=0, description="most points from the span of the pain history")
    pain_consultation_points: float = Field(
        1, ge=0, description="points per day with a pain code in 24 months"
    )
    pain_consultation_max_count: int = Field(8, ge=0, description="pain consultation days counted at most")

    @model_validator(mode="after")
    def _bands_ordered(self) -> RankingWeights:
        if not self.ome_50_89_points <= self.ome_90_119_points <= self.ome_120_plus_points:
            raise ValueError("OME band points must not decrease as the dose band rises")
        if (
            not self.fit_note_recent_12m_points
            <= self.fit_note_recent_6m_points
            <= self.fit_note_recent_3m_points
        ):
            raise ValueError("fit-note recency points must not decrease as the last note gets more recent")
        return self


class SearchConfig(_Strict):
    """A complete search definition."""

    population: PopulationCriteria = PopulationCriteria()
    chronic_pain: ChronicPainCriteria = ChronicPainCriteria()
    signal: SignalCriteria = SignalCriteria()
    exclusions: ExclusionCriteria = ExclusionCriteria()
    flags: FlagCriteria = FlagCriteria()
    medication: MedicationDefinitions = MedicationDefinitions()
    ranking: RankingWeights = RankingWeights()
    disclosure: DisclosurePolicy = DisclosurePolicy()
    code_lists_dir: Path | None = Field(
        None, description="use code lists from this folder instead of the packaged ones"
    )

    def definition_dict(self) -> dict:
        """The settings that define the search (JSON-safe), as recorded in the manifest and summary.

        The disclosure policy and where code lists are read from are not part of the definition: the code
        lists' own hashes are, through `fingerprint`. Nor is the path of the practice's own list of patients
        who declined (a local file that differs between practices; the manifest records its hash).
        """
        return json.loads(
            self.model_dump_json(
                exclude={
                    "code_lists_dir": True,
                    "disclosure": True,
                    "exclusions": {"declined_patient_ids_file"},
                }
            )
        )


def load_config(path: Path | None) -> SearchConfig:
    """Read a search definition from TOML; `None` gives the defaults. Raises ConfigError naming the field."""
    if path is None:
        return SearchConfig()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist or is not a file")
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


def resolve_as_of(
    cli_value: dt.date | None, extract_date: dt.date | None, today: dt.date | None = None
) -> dt.date:
    """As-of date: `--as-of`, else the extract's `extract_date`, else today."""
    return cli_value or extract_date or today or dt.date.today()
