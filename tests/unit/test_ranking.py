"""The ranking: exact points per component, dose bands, calendar months, monotonicity and tie-breaks."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pain_finder.config import RankingWeights
from pain_finder.ranking import SCORE_COMPONENTS, months_before, ome_band, rank_frame, score_frame

AS_OF = dt.date(2024, 6, 30)
SCHEMA = {
    "patient_id": pl.String,
    "fit_notes_12m": pl.Int64,
    "may_be_fit_notes_12m": pl.Int64,
    "fit_note_days_12m": pl.Int64,
    "last_fit_note_date": pl.Date,
    "opioids_12m": pl.Int64,
    "opioid_long_term": pl.Boolean,
    "opioid_current": pl.Boolean,
    "ome_mg_per_day": pl.Float64,
    "gabapentinoids_12m": pl.Int64,
    "gabapentinoid_long_term": pl.Boolean,
    "chronic_pain_code": pl.Boolean,
    "pain_span_days": pl.Int64,
    "pain_consultations_24m": pl.Int64,
    "last_evidence_date": pl.Date,
}
BLANK = {
    "patient_id": "1",
    "fit_notes_12m": 0,
    "may_be_fit_notes_12m": 0,
    "fit_note_days_12m": 0,
    "last_fit_note_date": None,
    "opioids_12m": 0,
    "opioid_long_term": False,
    "opioid_current": False,
    "ome_mg_per_day": None,
    "gabapentinoids_12m": 0,
    "gabapentinoid_long_term": False,
    "chronic_pain_code": False,
    "pain_span_days": 0,
    "pain_consultations_24m": 0,
    "last_evidence_date": AS_OF,
}


def scores(rows: list[dict], weights: RankingWeights | None = None) -> list[dict]:
    frame = pl.DataFrame([{**BLANK, **r} for r in rows], schema=SCHEMA)
    out = score_frame(frame, AS_OF, weights or RankingWeights())
    return out.select("patient_id", "ome_band", *SCORE_COMPONENTS, "score").to_dicts()


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2024, 6, 30), 24, dt.date(2022, 6, 30)),
        (dt.date(2024, 3, 31), 1, dt.date(2024, 2, 29)),  # clamped to the end of a leap February
        (dt.date(2023, 3, 31), 1, dt.date(2023, 2, 28)),
        (dt.date(2024, 2, 29), 12, dt.date(2023, 2, 28)),
        (dt.date(2024, 1, 15), 3, dt.date(2023, 10, 15)),
    ],
)
def test_months_before_matches_duckdb_calendar_months(day, months, expected) -> None:
    import duckdb  # noqa: PLC0415

    assert months_before(day, months) == expected
    got = duckdb.execute("SELECT CAST($d - to_months($m) AS DATE)", {"d": day, "m": months}).fetchone()[0]
    assert got == expected


@pytest.mark.parametrize(
    ("ome", "issues", "current", "band"),
    [
        (None, 0, False, "none"),
        (None, 2, False, "not current"),  # issues in 12 months, none still covering the as-of date
        (None, 2, True, "unknown"),  # a current product without dose data
        (0.0, 1, True, "<50"),
        (49.99, 1, True, "<50"),
        (50.0, 1, True, "50-89"),
        (89.9, 1, True, "50-89"),
        (90.0, 1, True, "90-119"),
        (119.99, 1, True, "90-119"),
        (120.0, 1, True, ">=120"),
        (400.0, 1, True, ">=120"),
    ],
)
def test_ome_bands(ome, issues, current, band) -> None:
    assert ome_band(ome, issues, current) == band
    row = {"opioids_12m": issues, "opioid_current": current, "ome_mg_per_day": ome}
    assert scores([row])[0]["ome_band"] == band  # the frame rule


def test_a_dose_that_is_not_current_scores_no_dose_points() -> None:
    got = scores(
        [
            # last issued months ago: no current dose, whatever it was (coh_features gives NULL then)
            {"patient_id": "stopped", "opioids_12m": 2, "opioid_current": False},
            {"patient_id": "current", "opioids_12m": 2, "opioid_current": True, "ome_mg_per_day": 120.0},
        ]
    )
    assert [(r["patient_id"], r["ome_band"], r["score_opioids"]) for r in got] == [
        ("stopped", "not current", 2.0),
        ("current", ">=120", 8.0),
    ], got


def test_points_per_component_with_the_default_weights() -> None:
    got = scores(
        [
            # 2 not-fit notes (16) + 56 days (8) + last 2 months ago (12) = 36
            {
                "patient_id": "fit",
                "fit_notes_12m": 2,
                "fit_note_days_12m": 56,
                "last_fit_note_date": dt.date(2024, 5, 1),
            },
            # 7 not-fit + 1 may-be-fit notes: the 6 best count (48); 400 days cap at 26; last note 5
            # months ago (8)
            {
                "patient_id": "many_fit",
                "fit_notes_12m": 8,
                "may_be_fit_notes_12m": 1,
                "fit_note_days_12m": 400,
                "last_fit_note_date": dt.date(2024, 1, 31),
            },
            # 1 may-be-fit note (4), 6 days (0), exactly 6 months ago: outside the 6-month band, inside 12 (4)
            {
                "patient_id": "may_be",
                "fit_notes_12m": 1,
                "may_be_fit_notes_12m": 1,
                "fit_note_days_12m": 6,
                "last_fit_note_date": dt.date(2023, 12, 30),
            },
            # opioids: 14 issues cap at 12, long-term 6, 130 mg/day >=120: 6 -> 24
            {
                "patient_id": "opioid",
                "opioids_12m": 14,
                "opioid_long_term": True,
                "opioid_current": True,
                "ome_mg_per_day": 130.0,
            },
            # 3 issues, 12 mg/day: 3
            {"patient_id": "cocodamol", "opioids_12m": 3, "opioid_current": True, "ome_mg_per_day": 12.0},
            # gabapentinoids: 5 issues + long-term 5 = 10
            {"patient_id": "gaba", "gabapentinoids_12m": 5, "gabapentinoid_long_term": True},
            # pain: chronic code 6 + span 400 days (4) + 3 consultation days (3) = 13
            {
                "patient_id": "pain",
                "chronic_pain_code": True,
                "pain_span_days": 400,
                "pain_consultations_24m": 3,
            },
        ]
    )
    assert got == [
        {
            "patient_id": "fit",
            "ome_band": "none",
            "score_fit_notes": 36.0,
            "score_opioids": 0.0,
            "score_gabapentinoids": 0.0,
            "score_pain": 0.0,
            "score": 36.0,
        },
        {
            "patient_id": "many_fit",
            "ome_band": "none",
            "score_fit_notes": 48.0 + 26 + 8,
            "score_opioids": 0.0,
            "score_gabapentinoids": 0.0,
            "score_pain": 0.0,
            "score": 82.0,
        },
        {
            "patient_id": "may_be",
            "ome_band": "none",
            "score_fit_notes": 8.0,
            "score_opioids": 0.0,
            "score_gabapentinoids": 0.0,
            "score_pain": 0.0,
            "score": 8.0,
        },
        {
            "patient_id": "opioid",
            "ome_band": ">=120",
            "score_fit_notes": 0.0,
            "score_opioids": 24.0,
            "score_gabapentinoids": 0.0,
            "score_pain": 0.0,
            "score": 24.0,
        },
        {
            "patient_id": "cocodamol",
            "ome_band": "<50",
            "score_fit_notes": 0.0,
            "score_opioids": 3.0,
            "score_gabapentinoids": 0.0,
            "score_pain": 0.0,
            "score": 3.0,
        },
        {
            "patient_id": "gaba",
            "ome_band": "none",
            "score_fit_notes": 0.0,
            "score_opioids": 0.0,
            "score_gabapentinoids": 10.0,
            "score_pain": 0.0,
            "score": 10.0,
        },
        {
            "patient_id": "pain",
            "ome_band": "none",
            "score_fit_notes": 0.0,
            "score_opioids": 0.0,
            "score_gabapentinoids": 0.0,
            "score_pain": 13.0,
            "score": 13.0,
        },
    ], got


def test_ties_go_to_the_most_recent_evidence_then_patient_id() -> None:
    frame = pl.DataFrame(
        [
            {**BLANK, "patient_id": "9", "opioids_12m": 2, "last_evidence_date": dt.date(2024, 1, 1)},
            {**BLANK, "patient_id": "10", "opioids_12m": 2, "last_evidence_date": dt.date(2024, 1, 1)},
            {**BLANK, "patient_id": "2", "opioids_12m": 2, "last_evidence_date": dt.date(2024, 5, 1)},
            {**BLANK, "patient_id": "1", "opioids_12m": 1, "last_evidence_date": dt.date(2024, 6, 1)},
            {**BLANK, "patient_id": "3", "opioids_12m": 3, "last_evidence_date": dt.date(2020, 1, 1)},
        ],
        schema=SCHEMA,
    )
    ranked = rank_frame(score_frame(frame, AS_OF, RankingWeights()))
    assert ranked.select("rank", "patient_id").rows() == [(1, "3"), (2, "2"), (3, "10"), (4, "9"), (5, "1")]


# --- more evidence never lowers a score -----------------------------------------------------------

dates = st.one_of(st.none(), st.dates(min_value=dt.date(2023, 7, 1), max_value=AS_OF))
features = st.fixed_dictionaries(
    {
        "fit_notes_12m": st.integers(0, 12),
        "may_be_fit_notes_12m": st.integers(0, 12),
        "fit_note_days_12m": st.integers(0, 400),
        "last_fit_note_date": dates,
        "opioids_12m": st.integers(0, 20),
        "opioid_long_term": st.booleans(),
        "opioid_current": st.booleans(),
        "ome_mg_per_day": st.one_of(st.none(), st.floats(0, 500)),
        "gabapentinoids_12m": st.integers(0, 20),
        "gabapentinoid_long_term": st.booleans(),
        "chronic_pain_code": st.booleans(),
        "pain_span_days": st.integers(0, 730),
        "pain_consultations_24m": st.integers(0, 20),
    }
)
weights = st.builds(
    lambda a, b, c, d, e, f, g, h, i, j: RankingWeights(
        fit_note_points=a,
        may_be_fit_note_points=b,
        fit_note_max_count=c,
        opioid_issue_points=d,
        ome_50_89_points=e,
        ome_90_119_points=e + f,
        ome_120_plus_points=e + f + g,
        fit_note_recent_12m_points=h,
        fit_note_recent_6m_points=h + i,
        fit_note_recent_3m_points=h + i + j,
    ),
    *[st.floats(0, 20) if k not in (2,) else st.integers(0, 10) for k in range(10)],
)


def _more(f: dict, which: str, n: int) -> dict:
    """The same patient with more of one kind of evidence."""
    g = dict(f)
    if which == "not_fit_note":
        g["fit_notes_12m"] += n
    elif which == "may_be_fit_note":
        g["fit_notes_12m"] += n
        g["may_be_fit_notes_12m"] += n
    elif which == "days":
        g["fit_note_days_12m"] += n
    elif which == "recent":
        g["last_fit_note_date"] = AS_OF - dt.timedelta(days=n % 28)
    elif which == "opioid":
        g["opioids_12m"] += n
    elif which == "long_term":
        g["opioid_long_term"] = g["gabapentinoid_long_term"] = True
    elif which == "dose":
        g["ome_mg_per_day"] = (g["ome_mg_per_day"] or 0.0) + n
        g["opioids_12m"] = max(g["opioids_12m"], 1)
        g["opioid_current"] = True
    elif which == "current":
        # an issue still covering the as-of date (an extra issue never makes a current product stop being
        # current, so current only goes from false to true), the dose unchanged or not yet known
        g["opioids_12m"] += n
        g["opioid_current"] = True
    elif which == "gabapentinoid":
        g["gabapentinoids_12m"] += n
    elif which == "chronic":
        g["chronic_pain_code"] = True
    elif which == "span":
        g["pain_span_days"] += n
    elif which == "consultation":
        g["pain_consultations_24m"] += n
    return g


@settings(max_examples=300, deadline=None)
@given(
    f=features,
    which=st.sampled_from(
        [
            "not_fit_note",
            "may_be_fit_note",
            "days",
            "recent",
            "opioid",
            "long_term",
            "dose",
            "current",
            "gabapentinoid",
            "chronic",
            "span",
            "consultation",
        ]
    ),
    n=st.integers(1, 200),
    w=weights,
)
def test_more_evidence_never_lowers_a_score(f: dict, which: str, n: int, w: RankingWeights) -> None:
    if f["may_be_fit_notes_12m"] > f["fit_notes_12m"]:
        f["may_be_fit_notes_12m"] = f["fit_notes_12m"]
    if which == "dose" and f["ome_mg_per_day"] is None and f["opioids_12m"] > 0 and f["opioid_current"]:
        return  # unknown -> known is not 'more' evidence of dose; scored 0 either way below 50 mg
    before, after = scores([f, {**_more(f, which, n), "patient_id": "2"}], w)
    assert after["score"] >= before["score"], (before, after)
