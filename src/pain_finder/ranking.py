"""The score that orders the invitation list: named components, their points, and the tie-breaks.

A candidate's score is the sum of four components, each the sum of named parts (points in `RankingWeights`,
config.py; defaults in brackets):

- `score_fit_notes` (weighs most: a "not fit for work" note is the best recorded sign of being out of work)
  - `fit_note_count`: each fit note in the last 12 months (8 for a not-fit or unspecified note, 4 for a
    "may be fit" note), counting the highest-valued notes up to 6;
  - `fit_note_days`: 1 point per 7 days certified in the last 12 months, at most 26;
  - `fit_note_recency`: the last fit note within 3 months (12), else within 6 months (8), else 12 months (4).
- `score_opioids`
  - `opioid_issues`: 1 per opioid issue in the last 12 months, up to 12;
  - `opioid_long_term`: long-term use (6): at least 4 issues in 12 months, or at least 3 issues with the first
    and last at least 90 days apart;
  - `ome_band`: estimated current dose in mg oral morphine per day (the products whose latest issue still
    covers the as-of date): <50 (0), 50-89 (2), 90-119 (4), >=120 (6); `not current` (opioid issues in 12
    months, none still covering the as-of date) and `unknown` (a current product has no dose data) score 0.
- `score_gabapentinoids`: 1 per issue up to 12, and long-term use (5), defined as for opioids.
- `score_pain`: a chronic-pain-condition code in 24 months (6); 1 point per 91 days (about 3 months) of pain
  history span, at most 8; 1 per pain consultation day in 24 months, up to 8.

More evidence never lowers a score: each part is a non-decreasing function of its evidence (counts, days,
recency, long-term use, dose band) and every weight is zero or more (config.py checks the band and recency
points are ordered). `none`, `not current` and `unknown` score 0, the least a band can score, and an extra
opioid issue never turns a current product into one that has run out (coh_features.sql), so the dose band
only changes with the dose itself (which falls when a lower dose is prescribed: a documented exception;
docs/search.md lists the known limits of the dose estimate).
`tests/unit/test_ranking.py` checks this with hypothesis.

Ties are broken deterministically: score (highest first), then the most recent evidence date (latest
first), then patient_id (ascending, as text).
"""

from __future__ import annotations

import calendar
import datetime as dt

import polars as pl

from pain_finder.config import RankingWeights

# OME bands (mg oral morphine per day). 120 mg/day or more is a high dose: Faculty of Pain Medicine,
# "Opioids Aware" (the risk of harm rises substantially above 120 mg/day with no increase in benefit).
OME_BANDS: tuple[tuple[str, float, float], ...] = (
    ("<50", 0.0, 50.0),
    ("50-89", 50.0, 90.0),
    ("90-119", 90.0, 120.0),
    (">=120", 120.0, float("inf")),
)
OME_BAND_VALUES: tuple[str, ...] = ("none", "not current", "<50", "50-89", "90-119", ">=120", "unknown")

SCORE_COMPONENTS: tuple[str, ...] = ("score_fit_notes", "score_opioids", "score_gabapentinoids", "score_pain")

# The columns `score_frame` needs (coh_features' output).
FEATURE_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "fit_notes_12m",
    "may_be_fit_notes_12m",
    "fit_note_days_12m",
    "last_fit_note_date",
    "opioids_12m",
    "opioid_long_term",
    "opioid_current",
    "ome_mg_per_day",
    "gabapentinoids_12m",
    "gabapentinoid_long_term",
    "chronic_pain_code",
    "pain_span_days",
    "pain_consultations_24m",
    "last_evidence_date",
)


def months_before(day: dt.date, months: int) -> dt.date:
    """`day` minus whole calendar months, clamped to the month end (as DuckDB `date - INTERVAL n MONTH`)."""
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def ome_band(ome_mg_per_day: float | None, opioid_issues: int, current: bool) -> str:
    """The dose band of the current estimated daily dose: `none` without opioid issues, `not current` when
    there are issues but none still covers the as-of date (`current` false), `unknown` when a current product
    has no dose data."""
    if opioid_issues <= 0:
        return "none"
    if not current:
        return "not current"
    if ome_mg_per_day is None:
        return "unknown"
    for label, low, high in OME_BANDS:
        if low <= ome_mg_per_day < high:
            return label
    return "unknown"  # a negative dose cannot happen; kept total for safety


def _ome_band_expr() -> pl.Expr:
    """`ome_band` as a polars expression (the same rule as `ome_band`)."""
    ome = pl.col("ome_mg_per_day")
    expr = (
        pl.when(pl.col("opioids_12m") <= 0)
        .then(pl.lit("none"))
        .when(~pl.col("opioid_current").fill_null(False))
        .then(pl.lit("not current"))
        .when(ome.is_null())
        .then(pl.lit("unknown"))
    )
    for label, low, high in OME_BANDS:
        expr = expr.when((ome >= low) & (ome < high)).then(pl.lit(label))
    return expr.otherwise(pl.lit("unknown"))


def _band_expr(weights: RankingWeights) -> pl.Expr:
    return (
        pl.when(pl.col("ome_band") == "50-89")
        .then(weights.ome_50_89_points)
        .when(pl.col("ome_band") == "90-119")
        .then(weights.ome_90_119_points)
        .when(pl.col("ome_band") == ">=120")
        .then(weights.ome_120_plus_points)
        .otherwise(0.0)
    )


def _top_k_notes(weights: RankingWeights) -> pl.Expr:
    """Points for the highest-valued fit notes, at most fit_note_max_count (adding a note never lowers)."""
    k = weights.fit_note_max_count
    may = pl.col("may_be_fit_notes_12m")
    other = pl.col("fit_notes_12m") - may
    high_w, low_w = weights.fit_note_points, weights.may_be_fit_note_points
    high, low = (other, may) if high_w >= low_w else (may, other)
    n_high = pl.min_horizontal(high, pl.lit(k))
    n_low = pl.min_horizontal(low, pl.lit(k) - n_high)
    return n_high * max(high_w, low_w) + n_low * min(high_w, low_w)


def score_frame(features: pl.DataFrame, as_of: dt.date, weights: RankingWeights) -> pl.DataFrame:
    """Add `ome_band`, the four score components and `score` to the features (one row per candidate)."""
    w = weights
    recent3, recent6, recent12 = (months_before(as_of, m) for m in (3, 6, 12))
    last_fit = pl.col("last_fit_note_date")
    frame = features.with_columns(_ome_band_expr().alias("ome_band"))
    fit_notes = (
        _top_k_notes(w)
        + (pl.col("fit_note_days_12m") // w.fit_note_days_per_point).clip(
            upper_bound=w.fit_note_days_max_points
        )
        + pl.when(last_fit > recent3)
        .then(w.fit_note_recent_3m_points)
        .when(last_fit > recent6)
        .then(w.fit_note_recent_6m_points)
        .when(last_fit > recent12)
        .then(w.fit_note_recent_12m_points)
        .otherwise(0.0)
    )
    opioids = (
        pl.min_horizontal(pl.col("opioids_12m"), pl.lit(w.opioid_issue_max_count)) * w.opioid_issue_points
        + pl.when(pl.col("opioid_long_term")).then(w.opioid_long_term_points).otherwise(0.0)
        + _band_expr(w)
    )
    gabapentinoids = pl.min_horizontal(
        pl.col("gabapentinoids_12m"), pl.lit(w.gabapentinoid_issue_max_count)
    ) * w.gabapentinoid_issue_points + pl.when(pl.col("gabapentinoid_long_term")).then(
        w.gabapentinoid_long_term_points
    ).otherwise(0.0)
    pain = (
        pl.when(pl.col("chronic_pain_code")).then(w.chronic_pain_code_points).otherwise(0.0)
        + (pl.col("pain_span_days").fill_null(0) // w.pain_span_days_per_point).clip(
            upper_bound=w.pain_span_max_points
        )
        + pl.min_horizontal(pl.col("pain_consultations_24m"), pl.lit(w.pain_consultation_max_count))
        * w.pain_consultation_points
    )
    frame = frame.with_columns(
        fit_notes.cast(pl.Float64).round(2).alias("score_fit_notes"),
        opioids.cast(pl.Float64).round(2).alias("score_opioids"),
        gabapentinoids.cast(pl.Float64).round(2).alias("score_gabapentinoids"),
        pain.cast(pl.Float64).round(2).alias("score_pain"),
    )
    return frame.with_columns(pl.sum_horizontal(*SCORE_COMPONENTS).round(2).alias("score"))


def rank_frame(scored: pl.DataFrame) -> pl.DataFrame:
    """Sort by score (desc), last_evidence_date (desc, missing last), patient_id (asc); add `rank` 1..n."""
    ordered = scored.sort(
        ["score", "last_evidence_date", "patient_id"], descending=[True, True, False], nulls_last=True
    )
    return ordered.with_row_index("rank", offset=1).with_columns(pl.col("rank").cast(pl.Int64))
