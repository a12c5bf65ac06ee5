"""Each SQL step on its own: given input tables (a few rows) -> exactly the expected output rows.

Every test creates the step's input tables in a fresh DuckDB connection, runs the step with
`sql_files.run_step` and compares the whole output (sorted) with the expected rows.
"""

from __future__ import annotations

import datetime as dt
from datetime import date

import duckdb
import pytest

from pain_finder import sql_files
from pain_finder.codelists import CODE_TABLE_SCHEMA
from pain_finder.search import STEPS

D = date
AS_OF = D(2024, 6, 30)

CODELIST_COLUMNS = CODE_TABLE_SCHEMA  # the table `codelist` as the search loads it

# stg_clinical_events as staging makes it (its rowid is the intermediate layer's event_id)
STG_EVENTS = {
    "patient_id": "VARCHAR",
    "event_date": "DATE",
    "code_system": "VARCHAR",
    "code": "VARCHAR",
    "term": "VARCHAR",
}


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    yield c
    c.close()


def given(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str], rows: list[tuple]) -> None:
    """Create table `name` with `rows`; trailing columns a row leaves out are NULL."""
    cols = ", ".join(f"{c} {t}" for c, t in columns.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({cols})")
    if rows:
        marks = ", ".join("?" for _ in columns)
        padded = [list(r) + [None] * (len(columns) - len(r)) for r in rows]
        con.executemany(f"INSERT INTO {name} VALUES ({marks})", padded)


def codelist(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    full = [tuple(r.get(c) for c in CODELIST_COLUMNS) for r in rows]
    given(con, "codelist", CODELIST_COLUMNS, full)


def result(con: duckdb.DuckDBPyConnection, name: str, columns: str = "*", **params) -> list[tuple]:
    sql_files.run_step(con, name, **params)
    con.execute("SELECT 1").fetchall()
    return sorted(
        con.execute(f"SELECT {columns} FROM {name}").fetchall(),
        key=lambda r: tuple((v is not None, v if v is not None else 0) for v in r),
    )


def test_every_step_has_a_valid_header_and_parameters() -> None:
    for name in (*STEPS, "coh_evidence", "cnt_attrition"):
        step = sql_files.load(name)
        assert step.layer in {"staging", "intermediate", "cohort", "counts"}, step.path
        assert step.returns, step.path


# --- staging --------------------------------------------------------------------------------------

RAW_EVENTS = {
    "patient_id": "VARCHAR",
    "event_date": "VARCHAR",
    "code": "VARCHAR",
    "code_system": "VARCHAR",
    "term": "VARCHAR",
    "numeric_value": "VARCHAR",
    "event_id": "VARCHAR",
    "_row": "BIGINT",
}


def test_stg_clinical_events_cuts_7_character_read_codes_only(con) -> None:
    given(
        con,
        "raw_clinical_events",
        RAW_EVENTS,
        [
            ("1", "2024-01-02", "N142.00", "readv2", "Pain in lumbar spine", None, None, 2),
            ("1", "2024-01-03", "N142.", "readv2", "", None, None, 3),
            (
                "1",
                "2024-01-04",
                "7200002",
                "snomedct",
                "Alcoholism",
                None,
                None,
                4,
            ),  # 7 digits: not a Read code
            ("1", "2024-01-05", " XE1FL ", "ctv3", None, None, None, 5),
            ("", "2024-01-05", "XE1FL", "ctv3", None, None, None, 6),  # no patient: dropped
        ],
    )
    # rowid (the intermediate layer's event_id) numbers the kept rows in the file's order
    assert result(con, "stg_clinical_events", "rowid, *") == [
        (0, "1", D(2024, 1, 2), "readv2", "N142.", "Pain in lumbar spine"),
        (1, "1", D(2024, 1, 3), "readv2", "N142.", None),
        (2, "1", D(2024, 1, 4), "snomedct", "7200002", "Alcoholism"),
        (3, "1", D(2024, 1, 5), "ctv3", "XE1FL", None),
    ]


def test_stg_patients_casts_and_defaults_sex(con) -> None:
    given(
        con,
        "raw_patients",
        {
            "patient_id": "VARCHAR",
            "date_of_birth": "VARCHAR",
            "sex": "VARCHAR",
            "date_of_death": "VARCHAR",
            "practice_id": "VARCHAR",
            "nhs_number": "VARCHAR",
            "_row": "BIGINT",
        },
        [
            ("1", "1980-02-29", "", "", "P1", "", 2),
            ("2", "1970-01-01", "male", "2024-01-01", "", "9990000018", 3),
        ],
    )
    assert result(con, "stg_patients") == [
        ("1", D(1980, 2, 29), None, "unknown", None, "P1"),
        ("2", D(1970, 1, 1), D(2024, 1, 1), "male", "9990000018", None),
    ]


# --- matching -------------------------------------------------------------------------------------


def test_int_clinical_codes_matches_exactly_and_by_read_prefix(con) -> None:
    given(
        con,
        "stg_clinical_events",
        STG_EVENTS,
        [
            ("1", AS_OF, "readv2", "N142.", None),  # under N14..
            ("1", AS_OF, "readv2", "N14..", None),  # the parent itself
            ("1", AS_OF, "readv2", "N1420", None),  # grandchild
            ("1", AS_OF, "readv2", "N15..", None),  # a sibling: no match
            ("1", AS_OF, "ctv3", "N142.", None),  # same characters, another system: no match
            ("1", AS_OF, "readv2", "N1421", None),  # exact row beats the prefix for pain_condition
            ("1", AS_OF, "readv2", "N142.", None),  # a repeated code is matched once
        ],
    )
    codelist(
        con,
        [
            {
                "concept": "pain_condition",
                "domain": "clinical",
                "code_system": "readv2",
                "code": "N14..",
                "match_prefix": "N14",
                "term": "Back pain",
            },
            {
                "concept": "pain_condition",
                "domain": "clinical",
                "code_system": "readv2",
                "code": "N142.",
                "match_prefix": "N142",
                "term": "Lumbago",
            },
            {
                "concept": "pain_condition",
                "domain": "clinical",
                "code_system": "readv2",
                "code": "N1421",
                "match_prefix": None,
                "term": "Exact",
            },
            {
                "concept": "chronic_pain_condition",
                "domain": "clinical",
                "code_system": "readv2",
                "code": "N1421",
                "match_prefix": None,
                "term": "Exact chronic",
            },
            {
                "concept": "opioid",
                "domain": "medication",
                "code_system": "readv2",
                "code": "N14..",
                "match_prefix": "N14",
                "term": "not clinical",
            },
        ],
    )
    assert result(
        con, "int_clinical_codes", "code_system, code, concept, list_code, list_term, match_rank"
    ) == [
        # exact beats its own prefix; a heading row's own text is not offered as the code's term
        ("readv2", "N14..", "pain_condition", "N14..", None, 0),
        ("readv2", "N142.", "pain_condition", "N142.", None, 0),  # also a heading row (N142 and below)
        ("readv2", "N1420", "pain_condition", "N142.", "Lumbago", 96),
        ("readv2", "N1421", "chronic_pain_condition", "N1421", "Exact chronic", 0),
        ("readv2", "N1421", "pain_condition", "N1421", "Exact", 0),
    ]


MED3_HEADING = "MED3 - doctor's statement (and every Read v2 code under 9D1, incl. the eMED3 children)"


def test_int_clinical_matches_term_falls_back_to_the_list_only_for_an_exact_match(con) -> None:
    """A record without a term of its own gets the code list's term only when its code is the list row's own
    code: a prefix row's term describes the whole heading ("... and every Read v2 code under 9D1"), not the
    code recorded, so a prefix match says so instead."""
    codelist(
        con,
        [
            {
                "concept": "fit_note",
                "domain": "clinical",
                "code_system": "readv2",
                "code": "9D1..",
                "match_prefix": "9D1",
                "term": MED3_HEADING,
            },
            {
                "concept": "pain_condition",
                "domain": "clinical",
                "code_system": "snomedct",
                "code": "279039007",
                "term": "Low back pain",
            },
        ],
    )
    given(
        con,
        "stg_clinical_events",
        STG_EVENTS,
        [
            ("1", AS_OF, "readv2", "9D11.", "Med3 issued"),  # its own term
            ("1", AS_OF, "readv2", "9D12.", None),  # under 9D1.., no term: not the heading's annotation
            ("1", AS_OF, "readv2", "9D1..", None),  # a heading row's own code: not the heading's text
            ("1", AS_OF, "snomedct", "279039007", None),  # exact: the list's term
        ],
    )
    sql_files.run_step(con, "int_clinical_codes")
    assert result(con, "int_clinical_matches", "code, term, list_code", as_of=AS_OF) == [
        ("279039007", "Low back pain", "279039007"),
        ("9D1..", "(no term in the extract; code under 9D1..)", "9D1.."),
        ("9D11.", "Med3 issued", "9D1.."),
        ("9D12.", "(no term in the extract; code under 9D1..)", "9D1.."),
    ]


def test_int_medication_matches_term_falls_back_to_the_list_only_for_an_exact_match(con) -> None:
    _med_lists(con)
    given(
        con,
        "stg_medication_issues",
        MED_STG,
        [
            ("1", D(2024, 5, 1), "dmd", "39720311000001101", None, None, 56.0),  # exact dm+d: the list's term
            ("1", D(2024, 5, 2), "readv2", "di31.", None, None, 28.0),  # Read drug prefix, no term
            ("1", D(2024, 5, 3), "readv2", "di31.", None, "Codeine 15mg tablets", 28.0),  # its own term
            # matched through its bnf_code's prefix, no term: the BNF heading it falls under
            ("1", D(2024, 5, 4), "dmd", "999999911000001109", "0407020Q0AAAAAA", None, 28.0),
            ("1", D(2024, 5, 5), "bnf", "0408010AE", None, None, 28.0),  # the BNF row's own code: its term
        ],
    )
    sql_files.run_step(con, "int_medication_codes")
    assert result(con, "int_medication_matches", "issue_id, term, list_code", as_of=AS_OF) == [
        (0, "Codeine 30mg tablets", "39720311000001101"),
        (1, "(no term in the extract; code under di3..)", "di3.."),
        (2, "Codeine 15mg tablets", "di3.."),
        (3, "(no term in the extract; code under 040702)", "040702"),
        (4, "(no term in the extract; code under 0408010AE)", "0408010AE"),  # the heading's own code
    ]


def test_int_clinical_codes_carries_the_fitness_a_fit_note_code_records(con) -> None:
    given(
        con,
        "stg_clinical_events",
        STG_EVENTS,
        [("1", AS_OF, "ctv3", "XaX1K", None), ("1", AS_OF, "readv2", "9D11.", None)],
    )
    codelist(
        con,
        [
            {
                "concept": "fit_note",
                "domain": "clinical",
                "code_system": "ctv3",
                "code": "XaX1K",
                "term": "t",
                "fitness": "may_be_fit",
            },
            {
                "concept": "fit_note",
                "domain": "clinical",
                "code_system": "readv2",
                "code": "9D1..",
                "match_prefix": "9D1",
                "term": "MED3",
            },
        ],
    )
    assert result(con, "int_clinical_codes", "code, list_code, list_fitness") == [
        ("9D11.", "9D1..", None),  # under a prefix row that does not say
        ("XaX1K", "XaX1K", "may_be_fit"),
    ]


MED_STG = {
    "patient_id": "VARCHAR",
    "issue_date": "DATE",
    "code_system": "VARCHAR",
    "code": "VARCHAR",
    "bnf_code": "VARCHAR",
    "term": "VARCHAR",
    "quantity": "DOUBLE",
}


def _med_lists(con) -> None:
    codelist(
        con,
        [
            {
                "concept": "opioid",
                "domain": "medication",
                "code_system": "dmd",
                "code": "39720311000001101",
                "term": "Codeine 30mg tablets",
                "ingredient": "codeine",
                "form": "tablet",
                "strength_mg": 30.0,
                "ome_factor": 0.1,
            },
            {
                "concept": "opioid",
                "domain": "medication",
                "code_system": "bnf",
                "code": "040702",
                "match_prefix": "040702",
                "term": "Opioid analgesics",
            },
            {
                "concept": "opioid",
                "domain": "medication",
                "code_system": "bnf",
                "code": "0407010F0",
                "match_prefix": "0407010F0",
                "term": "Codeine",
            },
            {
                "concept": "gabapentinoid",
                "domain": "medication",
                "code_system": "bnf",
                "code": "0408010AE",
                "match_prefix": "0408010AE",
                "term": "Pregabalin",
            },
            {
                "concept": "opioid",
                "domain": "medication",
                "code_system": "readv2",
                "code": "di3..",
                "match_prefix": "di3",
                "term": "Codeine drugs",
            },
        ],
    )


def test_int_medication_matches_own_code_bnf_column_and_prefixes_once_per_issue(con) -> None:
    _med_lists(con)
    given(
        con,
        "stg_medication_issues",
        MED_STG,
        [
            (
                "1",
                D(2024, 5, 1),
                "dmd",
                "39720311000001101",
                "0407010F0AAAHAH",
                None,
                56.0,
            ),  # both: once, dose
            (
                "1",
                D(2024, 5, 2),
                "dmd",
                "999999911000001109",
                "0407020Q0AAAAAA",
                "Oxycodone",
                28.0,
            ),  # bnf only
            ("1", D(2024, 5, 3), "bnf", "0408010AEAAACAC", None, "Pregabalin 75mg", 56.0),  # BNF prefix
            ("1", D(2024, 5, 4), "readv2", "di31.", None, None, 28.0),  # Read drug prefix
            ("1", D(2024, 5, 5), "dmd", "111111111", "0403010B0AAAAAA", "Amitriptyline", 28.0),  # no match
            ("1", D(2024, 7, 1), "dmd", "39720311000001101", None, None, 56.0),  # after the as-of date
        ],
    )
    sql_files.run_step(con, "int_medication_codes")
    # issue_id is the staged row's rowid: its position in the file (0 for the first issue)
    assert result(
        con,
        "int_medication_matches",
        "issue_id, concept, code_system, code, term, list_code, "
        "matched_via, ingredient, strength_mg, ome_factor",
        as_of=AS_OF,
    ) == [
        (
            0,
            "opioid",
            "dmd",
            "39720311000001101",
            "Codeine 30mg tablets",
            "39720311000001101",
            "code",
            "codeine",
            30.0,
            0.1,
        ),
        (1, "opioid", "dmd", "999999911000001109", "Oxycodone", "040702", "bnf_code", "040702", None, None),
        (
            2,
            "gabapentinoid",
            "bnf",
            "0408010AEAAACAC",
            "Pregabalin 75mg",
            "0408010AE",
            "code",
            "0408010AE",
            None,
            None,
        ),
        # no term of its own and a prefix match: the list row's term describes the heading, not this product
        (
            3,
            "opioid",
            "readv2",
            "di31.",
            "(no term in the extract; code under di3..)",
            "di3..",
            "code",
            "di3..",
            None,
            None,
        ),
    ]


def test_int_fit_notes_counts_a_note_recorded_twice_once(con) -> None:
    given(
        con,
        "stg_fit_notes",
        {
            "patient_id": "VARCHAR",
            "issue_date": "DATE",
            "start_date": "DATE",
            "end_date": "DATE",
            "fitness": "VARCHAR",
        },
        [
            ("1", D(2024, 6, 1), D(2024, 6, 1), D(2024, 6, 28), "not_fit"),
            ("1", D(2024, 7, 1), D(2024, 7, 1), D(2024, 7, 28), "not_fit"),  # after the as-of date
            ("2", D(2024, 3, 1), D(2024, 3, 10), D(2024, 3, 1), "may_be_fit"),  # end before start: no days
        ],
    )
    given(
        con,
        "int_clinical_matches",
        {
            "event_id": "BIGINT",
            "patient_id": "VARCHAR",
            "event_date": "DATE",
            "concept": "VARCHAR",
            "code_system": "VARCHAR",
            "code": "VARCHAR",
            "term": "VARCHAR",
            "list_code": "VARCHAR",
            "fitness": "VARCHAR",
        },
        [
            (
                10,
                "1",
                D(2024, 6, 1),
                "fit_note",
                "readv2",
                "9D11.",
                "Med3",
                "9D11.",
            ),  # same day as the table row
            (11, "1", D(2024, 5, 1), "fit_note", "readv2", "9D11.", "Med3", "9D11."),
            (
                12,
                "1",
                D(2024, 5, 1),
                "fit_note",
                "snomedct",
                "751601000000107",
                "Med3 may be fit",
                "x",
                "may_be_fit",
            ),  # same day twice: the code that states the fitness is kept
            (13, "1", D(2024, 5, 2), "pain_condition", "readv2", "N142.", "Lumbago", "N142."),
        ],
    )
    assert result(con, "int_fit_notes", as_of=AS_OF) == [
        (
            "1",
            D(2024, 5, 1),
            "clinical_events",
            "may_be_fit",
            None,
            "snomedct",
            "751601000000107",
            "Med3 may be fit",
            12,
        ),
        # a fit_notes row's record_id is its rowid in stg_fit_notes (0 for the first row)
        ("1", D(2024, 6, 1), "fit_notes", "not_fit", 28, None, None, None, 0),
        ("2", D(2024, 3, 1), "fit_notes", "may_be_fit", None, None, None, None, 2),
    ]


# --- dose -----------------------------------------------------------------------------------------

MATCHES = {
    "issue_id": "BIGINT",
    "patient_id": "VARCHAR",
    "issue_date": "DATE",
    "concept": "VARCHAR",
    "code_system": "VARCHAR",
    "code": "VARCHAR",
    "bnf_code": "VARCHAR",
    "term": "VARCHAR",
    "quantity": "DOUBLE",
    "list_code": "VARCHAR",
    "matched_via": "VARCHAR",
    "ingredient": "VARCHAR",
    "form": "VARCHAR",
    "strength_mg": "DOUBLE",
    "patch_mcg_per_hour": "DOUBLE",
    "patch_hours": "DOUBLE",
    "ome_factor": "DOUBLE",
}


def _issue(i, pid, day, code, qty, ingredient, form, strength, patch, factor, concept="opioid"):
    return (
        i,
        pid,
        day,
        concept,
        "dmd",
        code,
        None,
        code,
        qty,
        code,
        "code",
        ingredient,
        form,
        strength,
        patch,
        72.0 if patch else None,
        factor,
    )


def test_int_opioid_doses_oral_morphine_equivalent(con) -> None:
    given(
        con,
        "int_medication_matches",
        MATCHES,
        [
            # co-codamol 30/500 x100 every 25 days: 30 x 100 x 0.1 / 25 = 12 mg/day; the last issue
            # covers 28 days
            _issue(1, "a", D(2024, 5, 1), "cocodamol", 100, "codeine", "tablet", 30, None, 0.1),
            _issue(2, "a", D(2024, 5, 26), "cocodamol", 100, "codeine", "tablet", 30, None, 0.1),
            # next issue 2 days later: clamped to 7 days; 213 days later: clamped to 84
            _issue(3, "b", D(2024, 1, 1), "morphine", 56, "morphine", "tablet", 10, None, 1.0),
            _issue(4, "b", D(2024, 1, 3), "morphine", 56, "morphine", "tablet", 10, None, 1.0),
            _issue(5, "c", D(2023, 8, 1), "morphine", 84, "morphine", "tablet", 10, None, 1.0),
            _issue(6, "c", D(2024, 3, 1), "morphine", 84, "morphine", "tablet", 10, None, 1.0),
            # fentanyl 25 micrograms/hour: 25 x 24 / 1000 x 100 = 60 mg/day whatever the quantity
            _issue(7, "d", D(2024, 6, 1), "fentanyl", 5, "fentanyl", "patch", None, 25, 100.0),
            # no dose data: unknown; an issue without a quantity: unknown
            _issue(8, "e", D(2024, 6, 1), "tramadol", 100, "tramadol", "capsule", None, None, None),
            _issue(9, "e", D(2024, 6, 2), "morphine", None, "morphine", "tablet", 10, None, 1.0),
            # not an opioid
            _issue(
                10,
                "e",
                D(2024, 6, 2),
                "pregabalin",
                56,
                "pregabalin",
                "capsule",
                75,
                None,
                None,
                "gabapentinoid",
            ),
            # the 12-month window starts the day after 2023-06-30; later issues of the same product still
            # count
            # for days covered even when outside the window (issue 11 is outside, issue 12 inside)
            _issue(11, "f", D(2023, 6, 30), "codeine", 28, "codeine", "tablet", 30, None, 0.1),
            _issue(12, "f", D(2023, 7, 1), "morphine", 28, "morphine", "tablet", 10, None, 1.0),
            # after the as-of date: not in the window
            _issue(13, "f", D(2024, 7, 1), "codeine", 28, "codeine", "tablet", 30, None, 0.1),
        ],
    )
    got = result(
        con,
        "int_opioid_doses",
        "issue_id, days_covered, round(ome_mg_per_day, 4)",
        as_of=AS_OF,
        signal_months=12,
        default_days=28,
        min_days=7,
        max_days=84,
    )
    assert got == [
        (1, 25, 12.0),
        (2, 28, round(30 * 100 * 0.1 / 28, 4)),
        (3, 7, 80.0),
        (4, 28, 20.0),
        (5, 84, 10.0),
        (6, 28, 30.0),
        (7, 28, 60.0),
        (8, 28, None),
        (9, 28, None),
        (12, 28, 10.0),
    ]


# --- population -----------------------------------------------------------------------------------

PATIENTS_STG = {
    "patient_id": "VARCHAR",
    "birth_date": "DATE",
    "death_date": "DATE",
    "sex": "VARCHAR",
    "nhs_number": "VARCHAR",
    "practice_id": "VARCHAR",
}
REGS_STG = {"patient_id": "VARCHAR", "practice_id": "VARCHAR", "start_date": "DATE", "end_date": "DATE"}


@pytest.mark.parametrize(
    ("birth", "as_of", "age"),
    [
        (D(1960, 6, 30), D(2024, 6, 30), 64),  # the birthday itself
        (D(1960, 7, 1), D(2024, 6, 30), 63),  # the day before the birthday
        (D(1960, 2, 29), D(2023, 2, 28), 62),  # a 29 February birthday is not reached on 28 February...
        (D(1960, 2, 29), D(2023, 3, 1), 63),  # ...but on 1 March in a common year
        (D(1960, 2, 29), D(2024, 2, 29), 64),  # and on 29 February in a leap year
        (D(2006, 6, 30), D(2024, 6, 30), 18),
        (D(2006, 7, 1), D(2024, 6, 30), 17),
    ],
)
def test_coh_population_age_in_whole_years(con, birth, as_of, age) -> None:
    given(con, "stg_patients", PATIENTS_STG, [("1", birth, None, "female", None, None)])
    given(con, "stg_registrations", REGS_STG, [("1", "P1", D(2000, 1, 1), None)])
    assert result(
        con,
        "coh_population",
        "patient_id, age, in_age",
        as_of=as_of,
        min_age=18,
        max_age=64,
        practice_id="P1",
    ) == [("1", age, 18 <= age <= 64)]


def test_coh_population_alive_and_registered_on_the_as_of_date(con) -> None:
    b = D(1980, 1, 1)
    given(
        con,
        "stg_patients",
        PATIENTS_STG,
        [
            ("died_on", b, AS_OF, "female", None, None),
            ("dies_after", b, AS_OF + dt.timedelta(days=1), "female", None, None),
            ("starts_on", b, None, "female", None, None),
            ("starts_after", b, None, "female", None, None),
            ("ends_on", b, None, "female", None, None),
            ("ended_before", b, None, "female", None, None),
            ("other_practice", b, None, "female", None, None),
            ("no_registration", b, None, "female", None, None),
        ],
    )
    given(
        con,
        "stg_registrations",
        REGS_STG,
        [
            ("died_on", "P1", D(2000, 1, 1), None),
            ("dies_after", "P1", D(2000, 1, 1), None),
            ("starts_on", "P1", AS_OF, None),
            ("starts_after", "P1", AS_OF + dt.timedelta(days=1), None),
            ("ends_on", "P1", D(2000, 1, 1), AS_OF),
            ("ended_before", "P1", D(2000, 1, 1), AS_OF - dt.timedelta(days=1)),
            ("other_practice", "P9", D(2000, 1, 1), None),
        ],
    )
    got = result(
        con,
        "coh_population",
        "patient_id, alive, registered",
        as_of=AS_OF,
        min_age=18,
        max_age=64,
        practice_id="P1",
    )
    assert got == [
        ("died_on", False, True),
        ("dies_after", True, True),
        ("ended_before", True, False),
        ("ends_on", True, True),
        ("no_registration", True, False),
        ("other_practice", True, False),
        ("starts_after", True, False),
        ("starts_on", True, True),
    ]
    # when no registration names the practice searched, every registration counts
    assert ("other_practice", True, True) in result(
        con,
        "coh_population",
        "patient_id, alive, registered",
        as_of=AS_OF,
        min_age=18,
        max_age=64,
        practice_id="UNKNOWN",
    )


# --- exclusions and flags -------------------------------------------------------------------------

CLIN = {
    "event_id": "BIGINT",
    "patient_id": "VARCHAR",
    "event_date": "DATE",
    "concept": "VARCHAR",
    "code_system": "VARCHAR",
    "code": "VARCHAR",
    "term": "VARCHAR",
    "list_code": "VARCHAR",
    "fitness": "VARCHAR",
}
REASON_PARAMS = dict(
    as_of=AS_OF,
    cancer_years=5,
    palliative_years=None,
    dependence_years=None,
    pregnancy_months=9,
    bereavement_months=6,
)


def _reasons(
    con,
    events: list[tuple[str, date, str]],
    meds: list[tuple[str, date, str]] = (),
    declined: list[str] = (),
    **params,
) -> list[tuple]:
    pids = sorted({e[0] for e in events} | {m[0] for m in meds} | set(declined))
    given(
        con,
        "coh_population",
        {
            "patient_id": "VARCHAR",
            "nhs_number": "VARCHAR",
            "sex": "VARCHAR",
            "age": "INTEGER",
            "alive": "BOOLEAN",
            "registered": "BOOLEAN",
            "in_age": "BOOLEAN",
        },
        [(p, None, "female", 40, True, True, True) for p in pids],
    )
    given(
        con,
        "int_clinical_matches",
        CLIN,
        [(i, p, day, concept, "snomedct", "1", "t", "1") for i, (p, day, concept) in enumerate(events)],
    )
    given(
        con,
        "int_medication_matches",
        MATCHES,
        [
            _issue(i, p, day, "x", 1, None, None, None, None, None, concept)
            for i, (p, day, concept) in enumerate(meds)
        ],
    )
    given(con, "declined_patients", {"patient_id": "VARCHAR"}, [(p,) for p in declined])
    return result(con, "coh_reasons", "patient_id, reason, kind", **{**REASON_PARAMS, **params})


def test_coh_reasons_type1_opt_out_latest_code_decides(con) -> None:
    got = _reasons(
        con,
        [
            ("out_then_back", D(2020, 1, 1), "type1_opt_out"),
            ("out_then_back", D(2021, 1, 1), "type1_opt_out_withdrawn"),
            ("back_then_out", D(2020, 1, 1), "type1_opt_out_withdrawn"),
            ("back_then_out", D(2021, 1, 1), "type1_opt_out"),
            ("same_day", D(2021, 1, 1), "type1_opt_out"),
            ("same_day", D(2021, 1, 1), "type1_opt_out_withdrawn"),
            ("only_out", D(2010, 1, 1), "type1_opt_out"),
            ("only_withdrawn", D(2010, 1, 1), "type1_opt_out_withdrawn"),
        ],
    )
    assert got == [
        ("back_then_out", "type1_opt_out", "flag"),
        ("only_out", "type1_opt_out", "flag"),
        ("same_day", "type1_opt_out", "flag"),
    ]


def test_coh_reasons_windows(con) -> None:
    got = _reasons(
        con,
        [
            ("cancer_in", D(2019, 7, 1), "cancer"),  # the first day of the 5-year window
            ("cancer_out", D(2019, 6, 30), "cancer"),  # exactly 5 years before: outside
            ("preg_in", D(2023, 10, 1), "pregnancy"),  # 9 months before 2024-06-30 is 2023-09-30: outside
            ("preg_out", D(2023, 9, 30), "pregnancy"),
            ("bereaved_in", D(2024, 1, 1), "bereavement"),
            ("bereaved_out", D(2023, 12, 30), "bereavement"),
            ("palliative_ever", D(1990, 1, 1), "palliative_care"),
            ("dementia", D(1990, 1, 1), "dementia"),
            ("smi", D(1990, 1, 1), "severe_mental_illness"),
            ("dissent", D(1990, 1, 1), "research_dissent"),
            ("dependence", D(1990, 1, 1), "opioid_dependence"),
        ],
        meds=[("methadone", D(2001, 1, 1), "opioid_substitution")],
        declined=["declined"],
    )
    assert got == [
        ("bereaved_in", "bereavement", "flag"),
        ("cancer_in", "cancer", "exclusion"),
        ("declined", "research_dissent", "exclusion"),
        ("dementia", "dementia", "exclusion"),
        ("dependence", "opioid_dependence", "exclusion"),
        ("dissent", "research_dissent", "exclusion"),
        ("methadone", "opioid_dependence", "exclusion"),
        ("palliative_ever", "palliative_care", "exclusion"),
        ("preg_in", "pregnancy", "flag"),
        ("smi", "severe_mental_illness", "flag"),
    ]
    # a palliative-care look-back of 10 years leaves out the 1990 code
    got = _reasons(con, [("palliative_ever", D(1990, 1, 1), "palliative_care")], palliative_years=10)
    assert got == []


# --- pain, signal and the cohort ---------------------------------------------------------------------


def _clinical(rows: list[tuple]) -> list[tuple]:
    return [
        (i, p, day, concept, "snomedct", code, term, code)
        for i, (p, day, concept, code, term) in enumerate(rows, start=1)
    ]


def test_coh_pain_span_edges_terms_and_consultations(con) -> None:
    given(
        con,
        "int_clinical_matches",
        CLIN,
        _clinical(
            [
                ("span90", D(2024, 1, 1), "pain_condition", "279039007", "Low back pain"),
                ("span89", D(2024, 1, 2), "pain_condition", "279039007", "Low back pain"),
                (
                    "edge",
                    D(2022, 6, 30),
                    "chronic_pain_condition",
                    "82423001",
                    "Chronic pain",
                ),  # 24 months: out
                ("edge", D(2022, 7, 1), "pain_condition", "279039007", "Low back pain"),  # first day in
                (
                    "edge",
                    D(2022, 7, 1),
                    "pain_condition",
                    "161891005",
                    "Backache",
                ),  # same day: 1 consultation
                (
                    "edge",
                    D(2024, 7, 1),
                    "pain_condition",
                    "279039007",
                    "Low back pain",
                ),  # after as-of: ignored
                ("chronic", D(2024, 6, 30), "chronic_pain_condition", "82423001", "Chronic pain"),
            ]
        ),
    )
    given(
        con,
        "int_medication_matches",
        MATCHES,
        [
            _issue(1, "span90", D(2024, 3, 31), "codeine", 28, "codeine", "tablet", 30, None, 0.1),
            _issue(2, "span89", D(2024, 3, 31), "codeine", 28, "codeine", "tablet", 30, None, 0.1),
            _issue(
                3,
                "edge",
                D(2022, 9, 29),
                "pregabalin",
                56,
                "pregabalin",
                "capsule",
                None,
                None,
                None,
                "gabapentinoid",
            ),
            _issue(
                4,
                "edge",
                D(2022, 9, 29),
                "methadone",
                56,
                None,
                None,
                None,
                None,
                None,
                "opioid_substitution",
            ),
        ],
    )
    got = result(con, "coh_pain", as_of=AS_OF, pain_months=24, min_span_days=90, require_pain_code=True)
    assert got == [
        ("chronic", True, D(2024, 6, 30), "Chronic pain", D(2024, 6, 30), "Chronic pain", 0, 1, True),
        # same-day codes: the lowest code gives the term; the issue 90 days later makes the span
        ("edge", False, D(2022, 7, 1), "Backache", D(2022, 9, 29), "pregabalin", 90, 1, True),
        ("span89", False, D(2024, 1, 2), "Low back pain", D(2024, 3, 31), "codeine", 89, 1, False),
        ("span90", False, D(2024, 1, 1), "Low back pain", D(2024, 3, 31), "codeine", 90, 1, True),
    ]


def test_coh_pain_prescriptions_alone_are_not_chronic_pain(con) -> None:
    """The span route needs a pain code in the window: eight pregabalin issues over a year (for epilepsy or
    anxiety, say) with no pain record are not chronic pain; one pain code anywhere in the window is enough for
    the span to count, measured over the codes and the prescriptions together."""
    pregabalin = ("pregabalin", "capsule", None, None, None, "gabapentinoid")
    given(
        con,
        "int_clinical_matches",
        CLIN,
        _clinical(
            [
                ("one_code", D(2024, 2, 1), "pain_condition", "279039007", "Low back pain"),
                # a pain code outside the 24-month window does not count
                ("old_code", D(2022, 6, 30), "pain_condition", "279039007", "Low back pain"),
                # a code of another concept is no pain code
                ("other_code", D(2024, 2, 1), "fit_note", "751481000000103", "Med3"),
            ]
        ),
    )
    issues = [
        (pid, D(2023, 7, 1) + dt.timedelta(days=45 * k))
        for pid in ("meds_only", "one_code", "old_code", "other_code")
        for k in range(8)
    ]
    given(
        con,
        "int_medication_matches",
        MATCHES,
        [_issue(i, pid, day, "pregabalin", 56, *pregabalin) for i, (pid, day) in enumerate(issues, start=1)],
    )
    columns = "patient_id, chronic_pain_code, pain_span_days, pain_consultations, chronic_pain"
    params = dict(as_of=AS_OF, pain_months=24, min_span_days=90)
    assert result(con, "coh_pain", columns, **params, require_pain_code=True) == [
        ("meds_only", False, 315, 0, False),
        ("old_code", False, 315, 0, False),
        ("one_code", False, 315, 1, True),
        ("other_code", False, 315, 0, False),
    ]
    # require_pain_code = false: prescriptions alone may make the span (the earlier definition)
    assert result(con, "coh_pain", columns, **params, require_pain_code=False) == [
        ("meds_only", False, 315, 0, True),
        ("old_code", False, 315, 0, True),
        ("one_code", False, 315, 1, True),
        ("other_code", False, 315, 0, True),
    ]


def test_coh_evidence_lists_every_fit_note_that_adds_certified_days(con) -> None:
    """Evidence lists the fit notes issued in the 12-month window (fit_notes_12m) and also every other
    fit_notes row whose days count in fit_note_days_12m: one issued before the window that runs into it, and
    a second note on a day already listed; a note that adds no days in the window is not listed."""
    # AS_OF 2024-06-30, 12 months: the window is 2023-07-01 .. 2024-06-30
    notes = [
        ("a", D(2023, 6, 15), D(2023, 6, 15), D(2023, 7, 14), "not_fit"),  # 0: before, Jul 1-14 in it
        ("a", D(2023, 5, 1), D(2023, 5, 1), D(2023, 5, 28), "not_fit"),  # 1: before, ends before: no
        ("a", D(2024, 3, 1), D(2024, 3, 1), D(2024, 3, 28), "not_fit"),  # 2: same day as 3, not the one kept
        ("a", D(2024, 3, 1), D(2024, 3, 1), D(2024, 4, 30), "may_be_fit"),  # 3: kept by int_fit_notes
        ("a", D(2023, 6, 1), None, None, "not_fit"),  # 4: before, no dates: no days
        ("a", D(2024, 7, 1), D(2024, 6, 25), D(2024, 7, 20), "not_fit"),  # 5: issued after the as-of date
        ("b", D(2023, 6, 30), D(2023, 6, 1), D(2023, 6, 30), "not_fit"),  # 6: ends the day before the window
        ("b", D(2023, 6, 30), D(2023, 6, 30), D(2023, 7, 1), "not_fit"),  # 7: its last day is in it
        ("c", D(2023, 6, 1), D(2023, 6, 1), D(2023, 12, 31), "not_fit"),  # 8: c is not listed
    ]
    given(con, "stg_fit_notes", STG_FIT_NOTES, notes)
    fit_columns = INT_FIT_NOTES

    def kept(i: int) -> tuple:
        pid, issued, start, end, fitness = notes[i]
        days = (end - start).days + 1 if start and end else None
        return (pid, issued, "fit_notes", fitness, days, None, None, None, i)

    given(
        con,
        "int_fit_notes",
        fit_columns,
        # one per patient per day; a fit-note code whose event_id (2) is also a fit_notes row's rowid
        [kept(0), kept(1), kept(3), kept(4), kept(6), kept(8)]
        + [("a", D(2024, 2, 1), "clinical_events", None, None, "readv2", "9D11.", "Med3 issued", 2)],
    )
    given(con, "listed", {"patient_id": "VARCHAR", "rank": "BIGINT"}, [("a", 1), ("b", 2)])
    given(con, "int_clinical_matches", CLIN, [])
    given(con, "int_medication_matches", MATCHES, [])
    given(con, "int_opioid_doses", {"issue_id": "BIGINT", "ome_mg_per_day": "DOUBLE"}, [])
    given(con, "coh_reasons", {"patient_id": "VARCHAR", "reason": "VARCHAR", "kind": "VARCHAR"}, [])
    sql_files.run_step(
        con,
        "coh_evidence",
        as_of=AS_OF,
        pain_months=24,
        signal_months=12,
        pregnancy_months=9,
        bereavement_months=6,
    )
    got = con.execute("SELECT rank, date, source, code, term, detail FROM coh_evidence").fetchall()
    assert got == [  # newest first; on one day in file order
        (
            1,
            D(2024, 3, 1),
            "fit_notes",
            None,
            "Fit note",
            "not fit; 28 days; another fit note on the same day (counted as one note)",
        ),
        (1, D(2024, 3, 1), "fit_notes", None, "Fit note", "may be fit; 61 days"),
        (1, D(2024, 2, 1), "clinical_events", "9D11.", "Med3 issued", None),
        (
            1,
            D(2023, 6, 15),
            "fit_notes",
            None,
            "Fit note",
            "not fit; 30 days; issued before the 12-month window, 14 of its days within it",
        ),
        (
            2,
            D(2023, 6, 30),
            "fit_notes",
            None,
            "Fit note",
            "not fit; 2 days; issued before the 12-month window, 1 of its days within it",
        ),
    ], got


def test_coh_signal_counts_in_the_12_month_window(con) -> None:
    given(
        con,
        "int_medication_matches",
        MATCHES,
        [
            _issue(1, "a", D(2023, 6, 30), "codeine", 28, "codeine", "tablet", 30, None, 0.1),  # out
            _issue(2, "a", D(2023, 7, 1), "codeine", 28, "codeine", "tablet", 30, None, 0.1),  # in
            _issue(3, "b", D(2024, 6, 30), "pregabalin", 56, None, None, None, None, None, "gabapentinoid"),
            _issue(
                4, "c", D(2024, 1, 1), "methadone", 56, None, None, None, None, None, "opioid_substitution"
            ),
        ],
    )
    given(
        con,
        "int_fit_notes",
        INT_FIT_NOTES,
        [
            ("c", D(2023, 6, 30), "fit_notes", "not_fit", None, None, None, None, 1),  # out
            ("d", D(2023, 7, 1), "fit_notes", "not_fit", None, None, None, None, 2),
        ],
    )
    assert result(con, "coh_signal", as_of=AS_OF, signal_months=12, min_issues=1, min_fit_notes=1) == [
        ("a", 1, 0, 0, True),
        ("b", 0, 1, 0, True),
        ("d", 0, 0, 1, True),
    ]  # c: methadone is not a signal, and its fit note is a day too old
    # two issues needed: a has only one in the window
    assert result(
        con, "coh_signal", "patient_id, signal", as_of=AS_OF, signal_months=12, min_issues=2, min_fit_notes=1
    ) == [("a", False), ("b", False), ("d", True)]


def test_coh_cohort_orders_reasons_and_promotes_flags(con) -> None:
    given(
        con,
        "coh_pain",
        {"patient_id": "VARCHAR", "chronic_pain": "BOOLEAN"},
        [("x", True), ("y", True), ("z", True), ("no_pain", False)],
    )
    given(
        con,
        "coh_signal",
        {"patient_id": "VARCHAR", "signal": "BOOLEAN"},
        [("x", True), ("y", True), ("z", True), ("no_pain", True)],
    )
    given(
        con,
        "coh_population",
        {"patient_id": "VARCHAR", "nhs_number": "VARCHAR", "sex": "VARCHAR", "age": "INTEGER"},
        [
            ("x", None, "male", 70),
            ("y", None, "female", 40),
            ("z", None, "female", 30),
            ("no_pain", None, "male", 30),
        ],
    )
    given(
        con,
        "coh_reasons",
        {"patient_id": "VARCHAR", "reason": "VARCHAR", "kind": "VARCHAR"},
        [
            ("x", "dementia", "exclusion"),
            ("x", "age", "exclusion"),
            ("x", "pregnancy", "flag"),
            ("y", "bereavement", "flag"),
            ("y", "type1_opt_out", "flag"),
            ("no_pain", "age", "exclusion"),
        ],
    )
    order = [
        "age",
        "deceased",
        "not_registered",
        "research_dissent",
        "palliative_care",
        "cancer",
        "dementia",
        "opioid_dependence",
        "type1_opt_out",
        "severe_mental_illness",
        "learning_disability",
        "pregnancy",
        "substance_misuse",
        "care_home",
        "bereavement",
    ]
    assert result(con, "coh_cohort", reason_order=order, promoted=[]) == [
        ("x", None, "male", 70, ["age", "dementia"], ["pregnancy"], False),
        ("y", None, "female", 40, [], ["type1_opt_out", "bereavement"], True),
        ("z", None, "female", 30, [], [], True),
    ]
    assert result(
        con,
        "coh_cohort",
        "patient_id, reasons, flags, is_candidate",
        reason_order=order,
        promoted=["bereavement", "pregnancy"],
    ) == [
        ("x", ["age", "dementia", "pregnancy"], [], False),
        ("y", ["bereavement"], ["type1_opt_out"], False),
        ("z", [], [], True),
    ]


# --- features ---------------------------------------------------------------------------------------

# int_fit_notes as the intermediate layer makes it
INT_FIT_NOTES = {
    "patient_id": "VARCHAR",
    "issue_date": "DATE",
    "source": "VARCHAR",
    "fitness": "VARCHAR",
    "days": "INTEGER",
    "code_system": "VARCHAR",
    "code": "VARCHAR",
    "term": "VARCHAR",
    "record_id": "BIGINT",
}
STG_FIT_NOTES = {
    "patient_id": "VARCHAR",
    "issue_date": "DATE",
    "start_date": "DATE",
    "end_date": "DATE",
    "fitness": "VARCHAR",
}


def _features_inputs(con, pids: list[str]) -> None:
    """coh_features' inputs with one candidate per id, each with a chronic pain code and nothing else."""
    given(
        con,
        "coh_cohort",
        {
            "patient_id": "VARCHAR",
            "nhs_number": "VARCHAR",
            "sex": "VARCHAR",
            "age": "INTEGER",
            "flags": "VARCHAR[]",
            "is_candidate": "BOOLEAN",
        },
        [(p, None, "female", 40, [], True) for p in pids],
    )
    given(
        con,
        "coh_pain",
        {
            "patient_id": "VARCHAR",
            "chronic_pain_code": "BOOLEAN",
            "first_pain_date": "DATE",
            "first_pain_term": "VARCHAR",
            "last_pain_date": "DATE",
            "last_pain_term": "VARCHAR",
            "pain_span_days": "INTEGER",
            "pain_consultations": "INTEGER",
        },
        [(p, True, D(2024, 1, 1), "Chronic pain", D(2024, 1, 1), "Chronic pain", 0, 1) for p in pids],
    )
    given(con, "int_medication_matches", MATCHES, [])
    given(con, "int_opioid_doses", OPIOID_DOSES, [])


OPIOID_DOSES = {
    "issue_id": "BIGINT",
    "patient_id": "VARCHAR",
    "issue_date": "DATE",
    "code_system": "VARCHAR",
    "code": "VARCHAR",
    "term": "VARCHAR",
    "ingredient": "VARCHAR",
    "quantity": "DOUBLE",
    "days_covered": "INTEGER",
    "ome_mg_per_day": "DOUBLE",
}
FEATURE_PARAMS = {
    "as_of": AS_OF,
    "signal_months": 12,
    "long_term_min_issues": 4,
    "long_term_min_span_days": 90,
    "long_term_span_min_issues": 3,
    "current_grace_days": 0,  # coverage edges are exact here; the grace days have their own test
}
DOSE_PARAMS = {"as_of": AS_OF, "signal_months": 12, "default_days": 28, "min_days": 7, "max_days": 84}


def test_coh_features_fit_note_days_are_distinct_days_in_the_window(con) -> None:
    # AS_OF 2024-06-30, 12 months: the window is 2023-07-01 .. 2024-06-30 (366 days, 2024 is a leap year)
    notes = [
        # two overlapping notes (Jan 1-31 and Jan 15-Feb 14) and one inside them: Jan 1 - Feb 14, 45 days once
        ("overlap", D(2024, 1, 1), D(2024, 1, 1), D(2024, 1, 31), "not_fit"),
        ("overlap", D(2024, 1, 15), D(2024, 1, 15), D(2024, 2, 14), "not_fit"),
        ("overlap", D(2024, 1, 20), D(2024, 1, 20), D(2024, 1, 25), "not_fit"),
        # a note running past the as-of date counts Jun 21-30 only; a note issued after it counts nothing
        ("past_as_of", D(2024, 6, 21), D(2024, 6, 21), D(2024, 7, 20), "not_fit"),
        ("past_as_of", D(2024, 7, 1), D(2024, 6, 25), D(2024, 7, 28), "not_fit"),
        # a note starting before the window (issued before it) counts Jul 1-14 2023 only
        ("before_window", D(2023, 6, 15), D(2023, 6, 15), D(2023, 7, 14), "not_fit"),
        # and one issued in the window but back-dated before it: Jul 1-5 2023 (Jun 20-30 are outside)
        ("backdated", D(2023, 7, 2), D(2023, 6, 20), D(2023, 7, 5), "not_fit"),
        # no end date, no dates at all, end before start: no days
        ("no_end", D(2024, 3, 1), D(2024, 3, 1), None, "not_fit"),
        ("no_end", D(2024, 4, 1), None, None, "not_fit"),
        ("no_end", D(2024, 5, 1), D(2024, 5, 10), D(2024, 5, 1), "may_be_fit"),
        # certified for three years in overlapping notes: at most the window's 366 days
        ("whole_year", D(2023, 1, 1), D(2023, 1, 1), D(2024, 12, 31), "not_fit"),
        ("whole_year", D(2024, 1, 1), D(2024, 1, 1), D(2025, 12, 31), "not_fit"),
        # adjacent notes (Mar 1-10, Mar 11-20) do not overlap: 20 days
        ("adjacent", D(2024, 3, 1), D(2024, 3, 1), D(2024, 3, 10), "not_fit"),
        ("adjacent", D(2024, 3, 11), D(2024, 3, 11), D(2024, 3, 20), "not_fit"),
    ]
    pids = sorted({n[0] for n in notes} | {"none"})
    _features_inputs(con, pids)
    given(con, "stg_fit_notes", STG_FIT_NOTES, notes)
    given(
        con,
        "int_fit_notes",
        {"patient_id": "VARCHAR", "issue_date": "DATE", "fitness": "VARCHAR"},
        [(n[0], n[1], n[4]) for n in notes if n[1] <= AS_OF],
    )
    got = result(
        con,
        "coh_features",
        "patient_id, fit_notes_12m, fit_note_days_12m",
        **FEATURE_PARAMS,
    )
    assert got == [
        ("adjacent", 2, 20),
        ("backdated", 1, 5),
        ("before_window", 0, 14),  # issued before the window: not counted as a note, its days in it are
        ("no_end", 3, 0),
        ("none", 0, 0),
        ("overlap", 3, 45),
        ("past_as_of", 1, 10),
        ("whole_year", 1, 366),
    ], got


def _features_from_issues(con, issues: list[tuple], columns: str, **params) -> list[tuple]:
    """coh_features for one candidate per patient in `issues` (int_medication_matches rows), with
    int_opioid_doses run on them first, as the search does."""
    _features_inputs(con, sorted({i[1] for i in issues}))
    given(con, "stg_fit_notes", STG_FIT_NOTES, [])
    given(con, "int_fit_notes", {"patient_id": "VARCHAR", "issue_date": "DATE", "fitness": "VARCHAR"}, [])
    given(con, "int_medication_matches", MATCHES, issues)
    sql_files.run_step(con, "int_opioid_doses", **DOSE_PARAMS)
    return result(con, "coh_features", columns, **{**FEATURE_PARAMS, **params})


def _morphine(i, pid, day, qty=56):
    """Morphine 10 mg tablets: 56 over 28 days is 20 mg OME a day."""
    return _issue(i, pid, day, "morphine10", qty, "morphine", "tablet", 10, None, 1.0)


def test_coh_features_current_dose_is_what_covers_the_as_of_date(con) -> None:
    # AS_OF 2024-06-30; the last issue of a product covers 28 days: issue_date .. issue_date + 27
    issues = [
        # covers 2024-06-02 .. 06-29, the day before the as-of date: no current dose
        _morphine(1, "ends_day_before", D(2024, 6, 2)),
        # covers 2024-06-03 .. 06-30, the as-of date itself: current
        _morphine(2, "ends_on_as_of", D(2024, 6, 3)),
        _morphine(3, "issued_on_as_of", D(2024, 6, 30)),
        # the GP's example: oxycodone 40 mg x 56 (120 mg OME a day) issued monthly until 2024-01-15, nothing
        # since: months out of date, so no current dose (it was 120 mg/day, >=120, before the fix)
        _issue(4, "stale_high_dose", D(2023, 12, 15), "oxy40", 56, "oxycodone", "tablet", 40, None, 1.5),
        _issue(5, "stale_high_dose", D(2024, 1, 15), "oxy40", 56, "oxycodone", "tablet", 40, None, 1.5),
        # an earlier issue of the same product that still covers the as-of date (7 days, the minimum, from
        # 06-27) does not add to the latest (06-29): 20, not 20 + 80
        _morphine(6, "latest_only", D(2024, 6, 27)),
        _morphine(7, "latest_only", D(2024, 6, 29)),
        # a current product without dose data: current, dose unknown
        _issue(8, "unknown", D(2024, 6, 20), "tramadol50", 100, "tramadol", "capsule", None, None, None),
        # ... but one that has run out does not make the current dose unknown
        _issue(9, "stale_unknown", D(2024, 3, 1), "tramadol50", 100, "tramadol", "capsule", None, None, None),
        _morphine(10, "stale_unknown", D(2024, 6, 20)),
        # a later issue of another ingredient does not drop one still covering the as-of date: 20 + 60
        _morphine(11, "two_ingredients", D(2024, 6, 5)),
        _issue(12, "two_ingredients", D(2024, 6, 28), "fentanyl25", 5, "fentanyl", "patch", None, 25, 100.0),
        # not an opioid: no dose, not current
        _issue(
            13,
            "gaba_only",
            D(2024, 6, 20),
            "pregabalin",
            56,
            "pregabalin",
            "capsule",
            75,
            None,
            None,
            "gabapentinoid",
        ),
    ]
    got = _features_from_issues(
        con, issues, "patient_id, opioids_12m, opioid_current, round(ome_mg_per_day, 4), last_opioid_date"
    )
    assert got == [
        ("ends_day_before", 1, False, None, D(2024, 6, 2)),
        ("ends_on_as_of", 1, True, 20.0, D(2024, 6, 3)),
        ("gaba_only", 0, False, None, None),
        ("issued_on_as_of", 1, True, 20.0, D(2024, 6, 30)),
        ("latest_only", 2, True, 20.0, D(2024, 6, 29)),
        ("stale_high_dose", 2, False, None, D(2024, 1, 15)),
        ("stale_unknown", 2, True, 20.0, D(2024, 6, 20)),
        ("two_ingredients", 2, True, 80.0, D(2024, 6, 28)),
        ("unknown", 1, True, None, D(2024, 6, 20)),
    ], got


def test_coh_features_grace_days_extend_what_counts_as_current(con) -> None:
    # AS_OF 2024-06-30, 14 grace days: the last issue covers issue_date .. + 27, and counts until + 41
    issues = [
        _morphine(1, "grace_ends_day_before", D(2024, 5, 19)),  # + 41 = 06-29: not current
        _morphine(2, "grace_ends_on_as_of", D(2024, 5, 20)),  # + 41 = 06-30: current
        _morphine(3, "late_by_a_week", D(2024, 5, 27)),  # coverage ended 06-23: current within the grace
    ]
    columns = "patient_id, opioid_current, round(ome_mg_per_day, 4)"
    assert _features_from_issues(con, issues, columns, current_grace_days=14) == [
        ("grace_ends_day_before", False, None),
        ("grace_ends_on_as_of", True, 20.0),
        ("late_by_a_week", True, 20.0),
    ]
    # without grace days only the exact coverage counts
    assert _features_from_issues(con, issues, columns, current_grace_days=0) == [
        ("grace_ends_day_before", False, None),
        ("grace_ends_on_as_of", False, None),
        ("late_by_a_week", False, None),
    ]


def test_coh_features_current_dose_adds_the_products_of_one_ingredient(con) -> None:
    issues = [
        # oxycodone MR 20 mg twice a day (56 over 28 days: 40 mg x 1.5 = 60 mg OME) and oxycodone 5 mg
        # immediate-release issued 10 days later (56: 10 mg x 1.5 = 15): both current, 75 (not 15)
        _issue(1, "mr_and_ir", D(2024, 6, 10), "oxy_mr20", 56, "oxycodone", "tablet", 20, None, 1.5),
        _issue(2, "mr_and_ir", D(2024, 6, 20), "oxy_ir5", 56, "oxycodone", "tablet", 5, None, 1.5),
        # the modified-release product ran out (its last issue 2024-04-01): only the immediate-release counts
        _issue(3, "mr_ran_out", D(2024, 4, 1), "oxy_mr20", 56, "oxycodone", "tablet", 20, None, 1.5),
        _issue(4, "mr_ran_out", D(2024, 6, 20), "oxy_ir5", 56, "oxycodone", "tablet", 5, None, 1.5),
        # one product issued again: the later issue replaces the earlier (06-01 covers 14 days, to 06-14);
        # 112 over 28 days is 40 mg/day
        _morphine(5, "reissued", D(2024, 6, 1)),
        _morphine(6, "reissued", D(2024, 6, 15), qty=112),
        # an immediate-release product without dose data beside a known one: unknown (not a partial 60)
        _issue(7, "one_unknown", D(2024, 6, 10), "oxy_mr20", 56, "oxycodone", "tablet", 20, None, 1.5),
        _issue(
            8, "one_unknown", D(2024, 6, 20), "oxy_liquid", 100, "oxycodone", "oral_liquid", None, None, None
        ),
    ]
    got = _features_from_issues(con, issues, "patient_id, opioid_current, round(ome_mg_per_day, 4)")
    assert got == [
        ("mr_and_ir", True, 75.0),
        ("mr_ran_out", True, 15.0),
        ("one_unknown", True, None),
        ("reissued", True, 40.0),
    ], got


def test_coh_features_long_term_needs_repeated_issues_for_the_span_rule(con) -> None:
    issues = [
        # two one-off issues exactly 90 days apart: not long-term
        _morphine(1, "two_90_apart", D(2024, 1, 1)),
        _morphine(2, "two_90_apart", D(2024, 3, 31)),
        # three issues, first and last 90 days apart: long-term
        _morphine(3, "three_90_apart", D(2024, 1, 1)),
        _morphine(4, "three_90_apart", D(2024, 2, 1)),
        _morphine(5, "three_90_apart", D(2024, 3, 31)),
        # three issues 89 days apart: not
        _morphine(6, "three_89_apart", D(2024, 1, 2)),
        _morphine(7, "three_89_apart", D(2024, 2, 1)),
        _morphine(8, "three_89_apart", D(2024, 3, 31)),
        # four issues within a month: long-term by the count
        *[_morphine(9 + k, "four_in_a_month", D(2024, 6, 1 + 7 * k)) for k in range(4)],
        # an issue before the 12-month window does not count towards either rule
        _morphine(13, "one_before_window", D(2023, 6, 30)),
        _morphine(14, "one_before_window", D(2023, 10, 1)),
        _morphine(15, "one_before_window", D(2024, 1, 1)),
        # gabapentinoids the same way
        *[
            _issue(
                16 + k, pid, day, "pregabalin", 56, "pregabalin", "capsule", 75, None, None, "gabapentinoid"
            )
            for k, (pid, day) in enumerate(
                [
                    ("gaba_two", D(2023, 12, 1)),
                    ("gaba_two", D(2024, 6, 1)),
                    ("gaba_three", D(2023, 12, 1)),
                    ("gaba_three", D(2024, 3, 1)),
                    ("gaba_three", D(2024, 6, 1)),
                ]
            )
        ],
    ]
    columns = "patient_id, opioids_12m, opioid_long_term, gabapentinoids_12m, gabapentinoid_long_term"
    got = _features_from_issues(con, issues, columns)
    assert got == [
        ("four_in_a_month", 4, True, 0, False),
        ("gaba_three", 0, False, 3, True),
        ("gaba_two", 0, False, 2, False),
        ("one_before_window", 2, False, 0, False),
        ("three_89_apart", 3, False, 0, False),
        ("three_90_apart", 3, True, 0, False),
        ("two_90_apart", 2, False, 0, False),
    ], got
    # long_term_span_min_issues is a parameter: with 2, two issues 90 days apart are long-term again (and
    # one_before_window's two issues in the window, 92 days apart)
    got = _features_from_issues(con, issues, columns, long_term_span_min_issues=2)
    assert [r[0] for r in got if r[2] or r[4]] == [
        "four_in_a_month",
        "gaba_three",
        "gaba_two",
        "one_before_window",
        "three_90_apart",
        "two_90_apart",
    ], got
