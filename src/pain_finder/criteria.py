"""The search definition in plain English, and which code-list concepts each exclusion and flag uses.

`describe(config)` gives the lines shown on the workbook's "Read me" sheet and recorded in the summary,
made from the configuration actually used (so a changed window or age range is described as it was applied).
"""

from __future__ import annotations

from pain_finder.config import SearchConfig

# Exclusion reasons and review flags -> the code-list concepts behind them (clinical unless noted).
REASON_CONCEPTS: dict[str, tuple[str, ...]] = {
    "research_dissent": ("research_dissent",),
    "palliative_care": ("palliative_care",),
    "cancer": ("cancer",),
    "dementia": ("dementia",),
    "opioid_dependence": ("opioid_dependence", "opioid_substitution"),  # the second is a medication list
    "type1_opt_out": ("type1_opt_out", "type1_opt_out_withdrawn"),
    "severe_mental_illness": ("severe_mental_illness",),
    "learning_disability": ("learning_disability",),
    "pregnancy": ("pregnancy",),
    "substance_misuse": ("substance_misuse",),
    "care_home": ("care_home",),
    "bereavement": ("bereavement",),
}


def _ever_or(years: int | None) -> str:
    return "ever recorded" if years is None else f"recorded in the last {years} years"


def describe(config: SearchConfig) -> list[str]:
    """The criteria, one plain-English sentence each, in the order they are applied."""
    pop, pain, sig, exc, flags = (
        config.population,
        config.chronic_pain,
        config.signal,
        config.exclusions,
        config.flags,
    )
    promoted = ", ".join(f.replace("_", " ") for f in flags.promote_to_exclusion)
    span_records, span_note = (
        (
            "at least one pain code, with the pain codes and opioid or gabapentinoid prescriptions taken "
            "together spanning",
            " (prescriptions without a pain code are not enough)",
        )
        if pain.require_pain_code
        else (
            "pain codes and opioid or gabapentinoid prescriptions taken together spanning",
            " (prescriptions alone can qualify)",
        )
    )
    lines = [
        "All dates are judged on the as-of date; a window of N months covers the day after the as-of "
        "date minus "
        "N months up to and including the as-of date. Records dated after the as-of date are ignored.",
        f"1. Population: alive and registered at the practice on the as-of date, aged {pop.min_age} to "
        f"{pop.max_age} (inclusive) on that date.",
        f"2. Chronic pain: in the last {pain.lookback_months} months, a code that itself means "
        f"chronic pain, or {span_records} at least {pain.min_span_days} days from the first to the "
        f"last{span_note}.",
        f"3. Signal: in the last {sig.lookback_months} months, at least "
        f"{sig.min_opioid_or_gabapentinoid_issues} "
        f"opioid or gabapentinoid prescription(s), or at least {sig.min_fit_notes} fit note(s) (from the fit "
        "notes table or fit-note codes; one recorded both ways on the same day counts once).",
        f"4. Exclusions: outside the age range, died, not registered, research dissent (ever, or on "
        f"the list of "
        f"patients who declined this study), palliative care "
        f"({_ever_or(exc.palliative_care_lookback_years)}), "
        f"cancer (in the last {exc.cancer_lookback_years} years), dementia (ever), opioid dependence or "
        f"substitution treatment ({_ever_or(exc.opioid_dependence_lookback_years)}).",
        f"5. Review flags (shown, not excluded): type 1 opt-out (unless later withdrawn), severe "
        f"mental illness, "
        f"learning disability, pregnancy (last {flags.pregnancy_lookback_months} months), substance misuse, "
        f"care home, bereavement (last {flags.bereavement_lookback_months} months)."
        + (f" Treated as exclusions in this search: {promoted}." if promoted else ""),
        "Ranking: points for fit notes (weighing most), opioid and gabapentinoid prescribing "
        "(number, long-term "
        "use, estimated daily morphine-equivalent dose) and the pain record; ties go to the most "
        "recent evidence.",
    ]
    return lines
