"""Exact counts from one practice's search: the hand-over between the search and the count summary.

These numbers are exact and stay inside the practice (or inside a trusted batch run). The only way they leave is
`summary.build_summary`, which passes every cell through `disclosure` (suppression and rounding).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# The attrition steps, in order. Keys are stable: the summary, the merge and the report refer to them.
ATTRITION_STEPS: tuple[tuple[str, str], ...] = (
    ("registered", "Registered and alive on the as-of date"),
    ("working_age", "Aged within the age range"),
    ("chronic_pain", "Chronic pain"),
    ("signal", "Opioid, gabapentinoid or fit-note signal"),
    # then one step per exclusion reason applied in order: "after_<reason>"
    ("candidates", "Candidates for hand-checking"),
)

# Exclusion reason codes, stable: they appear in excluded.csv, the summary and the README.
EXCLUSION_REASONS: tuple[str, ...] = (
    "age",
    "deceased",
    "not_registered",
    "research_dissent",
    "palliative_care",
    "cancer",
    "dementia",
    "opioid_dependence",
)

# Review flags: shown to the hand-checker; any may be promoted to an exclusion in the config.
REVIEW_FLAGS: tuple[str, ...] = (
    "type1_opt_out",
    "severe_mental_illness",
    "learning_disability",
    "pregnancy",
    "substance_misuse",
    "care_home",
    "bereavement",
)

AGE_BANDS: tuple[tuple[str, int, int], ...] = (("18-29", 18, 29), ("30-39", 30, 39), ("40-49", 40, 49), ("50-65", 50, 65))
SEXES: tuple[str, ...] = ("female", "male", "unknown")
SIGNAL_COMBINATIONS: tuple[str, ...] = (
    "opioid_only",
    "gabapentinoid_only",
    "fit_note_only",
    "opioid_and_gabapentinoid",
    "opioid_and_fit_note",
    "gabapentinoid_and_fit_note",
    "all_three",
)


class AttritionStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    label: str
    count: int = Field(ge=0)


class ExactCounts(BaseModel):
    """Exact, unsuppressed counts for one practice and one search definition. Never written for sharing as is."""

    model_config = ConfigDict(extra="forbid")

    practice_id: str
    attrition: list[AttritionStep]
    removed_by_reason: dict[str, int] = Field(
        description="patients who met criteria 1-3 apart from exclusions, by exclusion reason (a patient with "
        "two reasons counts under both)"
    )
    flagged_by_flag: dict[str, int] = Field(description="candidates carrying each review flag")
    candidates_by_age_band: dict[str, int]
    candidates_by_sex: dict[str, int]
    candidates_by_signal: dict[str, int]
