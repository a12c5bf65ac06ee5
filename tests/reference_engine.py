"""A pure-Python reference implementation of the default search definition (criteria 1-5), written from
docs/search.md without looking at the SQL, for the property test that compares the two on generated extracts.

Deliberately naive: loops over rows, no joins, no cleverness. It covers who is a candidate, who is excluded
and why, which review flags candidates carry, and some of the features the ranking scores (not the scores).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from pain_finder.counts import EXCLUSION_REASONS, REVIEW_FLAGS


def months_before(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def within_months(day: dt.date, as_of: dt.date, months: int) -> bool:
    return months_before(as_of, months) < day <= as_of


def age_on(birth: dt.date, as_of: dt.date) -> int:
    return as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))


def _date(value: str | dt.date | None) -> dt.date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


@dataclass
class Lists:
    """concept -> system -> [(code, include_descendants)], and which concepts are medication lists."""

    entries: dict[str, dict[str, list[tuple[str, bool]]]]
    medication: set[str] = field(default_factory=set)

    def concepts_for(self, system: str, code: str, *, medication: bool) -> set[str]:
        found = set()
        for concept, systems in self.entries.items():
            if (concept in self.medication) != medication:
                continue
            for list_code, descend in systems.get(system, []):
                prefix = list_code.rstrip(".") if system == "readv2" else list_code
                if code == list_code or (descend and code.startswith(prefix)):
                    found.add(concept)
        return found


@dataclass
class Outcome:
    candidates: dict[str, list[str]]  # patient_id -> review flags (in REVIEW_FLAGS order)
    excluded: dict[str, list[str]]  # patient_id -> reasons (in EXCLUSION_REASONS order)
    # candidate -> (opioids_12m, gabapentinoids_12m, fit_notes_12m, fit_note_days_12m, chronic_pain_code,
    #               first_pain_date, last_pain_date, pain_consultations_24m)
    features: dict[str, tuple] = field(default_factory=dict)


def run(
    lists: Lists,
    *,
    patients: list[dict],
    registrations: list[dict],
    events: list[dict],
    meds: list[dict],
    fit_notes: list[dict],
    as_of: dt.date,
    practice_id: str,
) -> Outcome:
    clinical: dict[str, list[tuple[dt.date, str]]] = {}  # patient -> (date, concept)
    for e in events:
        day = _date(e["event_date"])
        if day is None or day > as_of:
            continue
        code = e["code"][:5] if e["code_system"] == "readv2" and len(e["code"]) == 7 else e["code"]
        for concept in lists.concepts_for(e["code_system"], code, medication=False):
            clinical.setdefault(e["patient_id"], []).append((day, concept))
    issues: dict[str, list[tuple[dt.date, str]]] = {}
    for m in meds:
        day = _date(m["issue_date"])
        if day is None or day > as_of:
            continue
        code = m["code"][:5] if m["code_system"] == "readv2" and len(m["code"]) == 7 else m["code"]
        concepts = lists.concepts_for(m["code_system"], code, medication=True)
        if m.get("bnf_code"):
            concepts |= lists.concepts_for("bnf", m["bnf_code"], medication=True)
        for concept in concepts:
            issues.setdefault(m["patient_id"], []).append((day, concept))
    fit_days: dict[str, set[dt.date]] = {}
    # days certified: every calendar day in the 12-month window that some fit note (issued on or before the
    # as-of date, with both a start and an end date) covers, each day once
    certified: dict[str, set[dt.date]] = {}
    for f in fit_notes:
        day = _date(f["issue_date"])
        if day is not None and day <= as_of:
            fit_days.setdefault(f["patient_id"], set()).add(day)
            start, end = _date(f.get("start_date")), _date(f.get("end_date"))
            if start is not None and end is not None:
                covered = certified.setdefault(f["patient_id"], set())
                for n in range((end - start).days + 1):
                    if within_months(start + dt.timedelta(days=n), as_of, 12):
                        covered.add(start + dt.timedelta(days=n))
    for pid, rows in clinical.items():
        for day, concept in rows:
            if concept == "fit_note":
                fit_days.setdefault(pid, set()).add(day)

    regs_here = [r for r in registrations if r.get("practice_id") == practice_id] or registrations
    candidates: dict[str, list[str]] = {}
    excluded: dict[str, list[str]] = {}
    features: dict[str, tuple] = {}
    for p in patients:
        pid = p["patient_id"]
        birth, death = _date(p["date_of_birth"]), _date(p.get("date_of_death"))
        codes = clinical.get(pid, [])
        drugs = issues.get(pid, [])
        # criterion 2: chronic pain in 24 months
        pain_dates = [
            d
            for d, c in codes
            if c in ("chronic_pain_condition", "pain_condition") and within_months(d, as_of, 24)
        ]
        pain_dates += [
            d for d, c in drugs if c in ("opioid", "gabapentinoid") and within_months(d, as_of, 24)
        ]
        chronic_code = any(c == "chronic_pain_condition" and within_months(d, as_of, 24) for d, c in codes)
        # the span counts only with at least one pain code in the window (prescriptions alone never do)
        pain_code = any(c == "pain_condition" and within_months(d, as_of, 24) for d, c in codes)
        pain = chronic_code or (pain_code and (max(pain_dates) - min(pain_dates)).days >= 90)
        # criterion 3: signal in 12 months
        signal = any(
            c in ("opioid", "gabapentinoid") and within_months(d, as_of, 12) for d, c in drugs
        ) or any(within_months(d, as_of, 12) for d in fit_days.get(pid, ()))
        if not (pain and signal):
            continue
        reasons: set[str] = set()
        age = age_on(birth, as_of)
        if not 18 <= age <= 64:
            reasons.add("age")
        if death is not None and death <= as_of:
            reasons.add("deceased")
        registered = any(
            r["patient_id"] == pid
            and _date(r["start_date"]) <= as_of
            and (_date(r.get("end_date")) is None or _date(r.get("end_date")) >= as_of)
            for r in regs_here
        )
        if not registered:
            reasons.add("not_registered")
        concepts_ever = {c for _, c in codes}
        for concept in ("research_dissent", "palliative_care", "dementia", "opioid_dependence"):
            if concept in concepts_ever:
                reasons.add(concept)
        if any(c == "cancer" and within_months(d, as_of, 60) for d, c in codes):
            reasons.add("cancer")
        if any(c == "opioid_substitution" for _, c in drugs):
            reasons.add("opioid_dependence")
        flags: set[str] = set()
        opt = sorted(
            (d, c == "type1_opt_out") for d, c in codes if c in ("type1_opt_out", "type1_opt_out_withdrawn")
        )
        if opt and opt[-1][1]:
            flags.add("type1_opt_out")
        for concept in ("severe_mental_illness", "learning_disability", "substance_misuse", "care_home"):
            if concept in concepts_ever:
                flags.add(concept)
        if any(c == "pregnancy" and within_months(d, as_of, 9) for d, c in codes):
            flags.add("pregnancy")
        if any(c == "bereavement" and within_months(d, as_of, 6) for d, c in codes):
            flags.add("bereavement")
        if reasons:
            excluded[pid] = [r for r in EXCLUSION_REASONS if r in reasons]
        else:
            candidates[pid] = [f for f in REVIEW_FLAGS if f in flags]
            features[pid] = (
                sum(c == "opioid" and within_months(d, as_of, 12) for d, c in drugs),
                sum(c == "gabapentinoid" and within_months(d, as_of, 12) for d, c in drugs),
                sum(within_months(d, as_of, 12) for d in fit_days.get(pid, ())),
                len(certified.get(pid, ())),
                chronic_code,
                min(pain_dates),
                max(pain_dates),
                len(
                    {
                        d
                        for d, c in codes
                        if c in ("chronic_pain_condition", "pain_condition") and within_months(d, as_of, 24)
                    }
                ),
            )
    return Outcome(candidates=candidates, excluded=excluded, features=features)
