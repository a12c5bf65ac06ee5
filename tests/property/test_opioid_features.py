"""The opioid features of coh_features (current daily dose, long-term use) equal a naive pure-Python reading
of docs/search.md on generated issues, and an extra opioid issue never makes a current product stop being
current.

Runs the two SQL steps on their own (int_opioid_doses, then coh_features) in an in-memory DuckDB, with issues
of a few products (two of one ingredient, one without dose data) dated around the as-of date and the 28-day
coverage edges.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pain_finder import sql_files
from tests.sql import test_sql_steps as steps

AS_OF = steps.AS_OF
DEFAULT_DAYS = steps.DOSE_PARAMS["default_days"]
WINDOW_START = dt.date(2023, 6, 30)  # as-of 2024-06-30 minus 12 months: the window starts the day after
# code -> (ingredient, form, strength_mg, patch_mcg_per_hour, ome_factor)
PRODUCTS = {
    "oxy_mr20": ("oxycodone", "tablet", 20.0, None, 1.5),
    "oxy_ir5": ("oxycodone", "tablet", 5.0, None, 1.5),
    "morphine10": ("morphine", "tablet", 10.0, None, 1.0),
    "fentanyl25": ("fentanyl", "patch", None, 25.0, 100.0),
    "tramadol50": ("tramadol", "capsule", None, None, None),  # no dose data
}
# days before the as-of date: the coverage edges of a last issue (27 covers the as-of date, 28 does not),
# the window edge, and anything in between
days_ago = st.one_of(
    st.sampled_from([0, 1, 26, 27, 28, 29, 89, 90, 365, 366]), st.integers(min_value=0, max_value=400)
)
issue = st.tuples(
    st.sampled_from(["a", "b"]), days_ago, st.sampled_from(sorted(PRODUCTS)), st.sampled_from([28, 56, 112])
)


def _rows(issues: list[tuple]) -> list[tuple]:
    return [
        steps._issue(i, pid, AS_OF - dt.timedelta(days=ago), code, qty, *PRODUCTS[code])
        for i, (pid, ago, code, qty) in enumerate(issues)
    ]


def _sql(issues: list[tuple]) -> dict[str, tuple]:
    con = duckdb.connect()
    try:
        steps._features_inputs(con, ["a", "b"])
        steps.given(con, "stg_fit_notes", steps.STG_FIT_NOTES, [])
        steps.given(
            con, "int_fit_notes", {"patient_id": "VARCHAR", "issue_date": "DATE", "fitness": "VARCHAR"}, []
        )
        steps.given(con, "int_medication_matches", steps.MATCHES, _rows(issues))
        sql_files.run_step(con, "int_opioid_doses", **steps.DOSE_PARAMS)
        sql_files.run_step(con, "coh_features", **steps.FEATURE_PARAMS)
        got = con.execute(
            "SELECT patient_id, opioids_12m, opioid_long_term, opioid_current, round(ome_mg_per_day, 6) "
            "FROM coh_features"
        ).fetchall()
    finally:
        con.close()
    return {r[0]: r[1:] for r in got}


def _reference(issues: list[tuple]) -> dict[str, tuple]:
    """docs/search.md, naively: long-term = at least 4 issues in the window, or at least 3 with the first and
    last at least 90 days apart; each product counts with its latest issue (the last in the file on its
    latest day), which covers 28 days (no later issue follows it); current when that coverage includes the
    as-of date; the dose is the sum over current products, unknown when one of them has no dose data."""
    out = {}
    for pid in ("a", "b"):
        mine = [
            (AS_OF - dt.timedelta(days=ago), i, code, qty)
            for i, (p, ago, code, qty) in enumerate(issues)
            if p == pid and AS_OF - dt.timedelta(days=ago) > WINDOW_START
        ]
        dates = [d for d, *_ in mine]
        long_term = len(mine) >= 4 or (len(mine) >= 3 and (max(dates) - min(dates)).days >= 90)
        latest: dict[str, tuple] = {}
        for d, _i, code, qty in sorted(mine):
            latest[code] = (d, qty)  # sorted by (date, issue_id): the last one wins
        doses = []
        for code, (d, qty) in latest.items():
            if d + dt.timedelta(days=DEFAULT_DAYS - 1) >= AS_OF:
                _, _, strength, patch, factor = PRODUCTS[code]
                if factor is None:
                    doses.append(None)
                elif patch is not None:
                    doses.append(patch * 24 / 1000 * factor)
                else:
                    doses.append(qty * strength * factor / DEFAULT_DAYS)
        dose = None if not doses or None in doses else round(sum(doses), 6)
        out[pid] = (len(mine), long_term, bool(doses), dose)
    return out


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(issues=st.lists(issue, max_size=8))
def test_opioid_features_equal_the_reference(issues: list[tuple]) -> None:
    got = _sql(issues)
    expected = _reference(issues)
    assert {p: (g[0], g[1], g[2], None if g[3] is None else round(g[3], 4)) for p, g in got.items()} == {
        p: (e[0], e[1], e[2], None if e[3] is None else round(e[3], 4)) for p, e in expected.items()
    }, issues


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(issues=st.lists(issue, max_size=8), extra=issue)
def test_an_extra_opioid_issue_never_ends_a_current_dose(issues: list[tuple], extra: tuple) -> None:
    before, after = _sql(issues), _sql([*issues, extra])
    for pid in ("a", "b"):
        assert after[pid][2] >= before[pid][2], (issues, extra)  # opioid_current: False -> True only
        assert after[pid][1] >= before[pid][1], (issues, extra)  # long-term use
