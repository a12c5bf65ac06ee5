"""Exact counts from one practice's search: the hand-over between the search and the count summary.

These numbers are exact and stay inside the practice (or inside a trusted batch run). The only way they leave
is `summary.build_summary`, which passes every cell through `disclosure` (suppression and rounding).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# The attrition steps, in order. Keys are stable: the summary, the merge and the report refer to them.
ATTRITION_STEPS: tuple[tuple[str, str], ...] = (
    ("registered", "Registered and alive on the as-of date"),
    ("working_age", "Aged within the age range"),
    ("chronic_pain", "Chronic pain"),
    ("signal", "Opioid, gabapentinoid or fit-note signal"),
    # then one step per clinical exclusion reason applied, in order: "after_<reason>" (criterion 1's reasons,
    # age, deceased and not_registered, are applied before `registered`/`working_age` and get no step)
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

# Candidates by age in whole years on the as-of date: (label, youngest, oldest), both inclusive, so each label
# names exactly the ages it counts. Fixed (not derived from population.min_age/max_age) so that summaries from
# different practices keep the same keys; together they cover the default range 18-64, and candidates outside
# them (only with a wider age range) are in no band, an unpublished remainder of the candidates.
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("18-29", 18, 29),
    ("30-39", 30, 39),
    ("40-49", 40, 49),
    ("50-64", 50, 64),
)
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
    """Exact, unsuppressed counts for one practice and one search definition. Never written for sharing as
    is."""

    model_config = ConfigDict(extra="forbid")

    practice_id: str
    attrition: list[AttritionStep]
    removed_by_reason: dict[str, int] = Field(
        description="patients who met criteria 1-3 apart from exclusions, by exclusion reason (a patient "
        "with two reasons counts under both)"
    )
    flagged_by_flag: dict[str, int] = Field(description="candidates carrying each review flag")
    candidates_by_age_band: dict[str, int]
    candidates_by_sex: dict[str, int]
    candidates_by_signal: dict[str, int]


def simulated_counts(practice_id: str, *, seed: int, registered: int = 8000) -> ExactCounts:
    """Plausible exact counts for one made-up practice (for tests, examples and benchmarks; no real data).

    Proportions are rough UK figures: about 60% of a list is 18-64, 5-10% of those have chronic pain recorded,
    and about half of them a prescribing or fit-note signal; each exclusion removes a few percent.
    """
    import numpy as np  # noqa: PLC0415 - only needed here

    rng = np.random.default_rng(seed)
    steps: list[tuple[str, str, int]] = [("registered", ATTRITION_STEPS[0][1], registered)]
    working_age = int(rng.binomial(registered, 0.6))
    chronic = int(rng.binomial(working_age, rng.uniform(0.05, 0.1)))
    signal = int(rng.binomial(chronic, rng.uniform(0.4, 0.6)))
    steps += [
        ("working_age", ATTRITION_STEPS[1][1], working_age),
        ("chronic_pain", ATTRITION_STEPS[2][1], chronic),
        ("signal", ATTRITION_STEPS[3][1], signal),
    ]
    rates = {
        "research_dissent": 0.02,
        "palliative_care": 0.005,
        "cancer": 0.03,
        "dementia": 0.003,
        "opioid_dependence": 0.015,
    }
    removed: dict[str, int] = {}
    current = signal
    for reason in EXCLUSION_REASONS:
        rate = rates.get(reason, 0.0)
        taken = int(rng.binomial(current, rate)) if rate else 0
        current -= taken
        removed[reason] = taken + (int(rng.binomial(taken + 2, 0.3)) if taken else 0)  # overlaps count twice
        steps.append((f"after_{reason}", f"After excluding {reason.replace('_', ' ')}", current))
    steps.append(("candidates", ATTRITION_STEPS[-1][1], current))
    ages = rng.multinomial(current, [0.12, 0.2, 0.28, 0.4])
    sexes = rng.multinomial(current, [0.58, 0.415, 0.005])
    signals = rng.multinomial(current, [0.45, 0.15, 0.1, 0.12, 0.1, 0.05, 0.03])
    flag_rates = (0.03, 0.04, 0.01, 0.01, 0.03, 0.005, 0.02)
    return ExactCounts(
        practice_id=practice_id,
        attrition=[AttritionStep(key=k, label=label, count=c) for k, label, c in steps],
        removed_by_reason=removed,
        flagged_by_flag={
            f: int(rng.binomial(current, r)) for f, r in zip(REVIEW_FLAGS, flag_rates, strict=True)
        },
        candidates_by_age_band={band: int(n) for (band, _, _), n in zip(AGE_BANDS, ages, strict=True)},
        candidates_by_sex={s: int(n) for s, n in zip(SEXES, sexes, strict=True)},
        candidates_by_signal={s: int(n) for s, n in zip(SIGNAL_COMBINATIONS, signals, strict=True)},
    )
