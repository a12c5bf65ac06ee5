"""The synthetic extract generator: determinism, validity, realistic shape, chunking, missing code lists."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from pain_finder.codelists import load_all
from pain_finder.extract.validate import validate_extract
from pain_finder.synth import SynthOptions, generate
from pain_finder.synth.codebook import make_product
from pain_finder.synth.noise import CLINICAL, MEDICINES
from pain_finder.synth.population import nhs_test_numbers
from tests.conftest import REPO_ROOT
from tests.unit.test_synth_lists import write_lists

generate_module = importlib.import_module("pain_finder.synth.generate")  # the module, not the function
TABLE_FILES = ("patients", "registrations", "clinical_events", "medication_issues", "fit_notes")
EXTRACT_DATE = dt.date(2026, 9, 30)


@pytest.fixture(scope="module")
def lists(tmp_path_factory) -> Path:
    return write_lists(tmp_path_factory.mktemp("code_lists"))


@pytest.fixture(scope="module")
def readv2(tmp_path_factory, lists) -> Path:
    out = tmp_path_factory.mktemp("readv2")
    generate(SynthOptions(out=out, patients=1500, coding="readv2", seed=3, code_lists_dir=lists))
    return out


@pytest.fixture(scope="module")
def snomed(tmp_path_factory, lists) -> Path:
    out = tmp_path_factory.mktemp("snomed")
    generate(
        SynthOptions(
            out=out, patients=600, coding="snomedct", seed=4, code_lists_dir=lists, file_format="parquet"
        )
    )
    return out


def _con(folder: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for table in TABLE_FILES:
        path = folder / f"{table}.csv"
        if path.exists():
            con.execute(
                f"CREATE VIEW {table} AS SELECT * FROM read_csv('{path}', all_varchar=true, header=true)"
            )
        else:
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{folder / f'{table}.parquet'}')")
    return con


def _verhoeff_ok(code: str) -> bool:
    d = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ]
    p = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ]
    c = 0
    for i, ch in enumerate(reversed(code)):
        c = d[c][p[i % 8][int(ch)]]
    return c == 0


# --- determinism ---


def test_same_options_give_byte_identical_files(tmp_path, lists):
    for fmt in ("csv", "parquet"):
        a, b = tmp_path / f"a_{fmt}", tmp_path / f"b_{fmt}"
        for out in (a, b):
            generate(
                SynthOptions(
                    out=out, patients=300, coding="readv2", seed=7, file_format=fmt, code_lists_dir=lists
                )
            )
        names = sorted(p.name for p in a.iterdir())
        assert names == sorted(p.name for p in b.iterdir())
        for name in names:
            assert (a / name).read_bytes() == (b / name).read_bytes(), f"{fmt}: {name} differs between runs"


def test_a_different_seed_gives_different_files(tmp_path, lists):
    for seed in (1, 2):
        generate(SynthOptions(out=tmp_path / str(seed), patients=200, seed=seed, code_lists_dir=lists))
    for table in ("patients.csv", "clinical_events.csv", "medication_issues.csv"):
        assert (tmp_path / "1" / table).read_bytes() != (tmp_path / "2" / table).read_bytes(), table


# --- validity ---


@pytest.mark.parametrize("fixture", ["readv2", "snomed"])
def test_output_validates_without_problems(fixture, request):
    folder = request.getfixturevalue(fixture)
    report = validate_extract(folder)
    assert report.problems == [], [p.describe() for p in report.problems]


def test_ctv3_output_validates(tmp_path, lists):
    generate(SynthOptions(out=tmp_path, patients=250, coding="ctv3", seed=5, code_lists_dir=lists))
    report = validate_extract(tmp_path)
    assert report.problems == [], [p.describe() for p in report.problems]
    con = _con(tmp_path)
    systems = con.execute("SELECT DISTINCT code_system FROM medication_issues").fetchall()
    assert systems == [("dmd",)]  # TPP practices record medicines in dm+d


def test_extract_json_records_source_and_options(readv2, lists):
    meta = json.loads((readv2 / "extract.json").read_text())
    assert meta["source_format"] == "synth"
    assert meta["extract_date"] == "2026-09-30"
    assert re.fullmatch(r"Y\d{5}", meta["practice_id"]), meta["practice_id"]
    opts = meta["synth"]["options"]
    assert (opts["patients"], opts["coding"], opts["seed"], opts["medication_code_system"]) == (
        1500,
        "readv2",
        3,
        "readv2",
    )
    assert "pain_condition/readv2" in meta["synth"]["code_lists_used"]
    assert meta["synth"]["warnings"] == []


# --- realistic shape ---


def test_age_structure_is_uk_like(readv2):
    con = _con(readv2)
    ages = np.array(
        [
            r[0]
            for r in con.execute(
                "SELECT date_diff('year', date_of_birth::DATE, DATE '2026-09-30') FROM patients p "
                "WHERE date_of_death IS NULL AND EXISTS (SELECT 1 FROM registrations r "
                "WHERE r.patient_id = p.patient_id "
                "AND r.end_date IS NULL)"
            ).fetchall()
        ]
    )
    children, working, older = (ages < 16).mean(), ((ages >= 16) & (ages < 65)).mean(), (ages >= 65).mean()
    assert 0.14 < children < 0.24, children
    assert 0.55 < working < 0.70, working
    assert 0.13 < older < 0.25, older
    assert ages.max() < 110
    sexes = dict(con.execute("SELECT sex, count(*) FROM patients GROUP BY 1").fetchall())
    assert 0.45 < sexes["female"] / sum(sexes.values()) < 0.56, sexes


def test_registration_churn_and_deaths(readv2):
    con = _con(readv2)
    n = con.execute("SELECT count(*) FROM patients").fetchone()[0]
    dead = con.execute("SELECT count(*) FROM patients WHERE date_of_death IS NOT NULL").fetchone()[0]
    assert 0.02 * n < dead < 0.09 * n
    ended = con.execute("SELECT count(*) FROM registrations WHERE end_date IS NOT NULL").fetchone()[0]
    assert 0.1 * n < ended < 0.25 * n
    twice = con.execute(
        "SELECT count(*) FROM (SELECT patient_id FROM registrations GROUP BY 1 HAVING count(*) = 2)"
    )
    assert twice.fetchone()[0] > 0  # moved away and came back
    # Every death ends the registration that day, and nothing is recorded after it.
    mismatched = con.execute(
        "SELECT count(*) FROM patients p JOIN registrations r USING (patient_id) "
        "WHERE p.date_of_death IS NOT NULL AND r.end_date IS DISTINCT FROM p.date_of_death "
        "AND r.start_date > p.date_of_death"
    ).fetchone()[0]
    assert mismatched == 0
    last_reg_end = con.execute(
        "SELECT count(*) FROM patients p WHERE date_of_death IS NOT NULL AND date_of_death <> "
        "(SELECT max(end_date) FROM registrations r WHERE r.patient_id = p.patient_id)"
    )
    assert last_reg_end.fetchone()[0] == 0
    after = con.execute(
        "SELECT count(*) FROM clinical_events e JOIN patients p USING (patient_id) "
        "WHERE e.event_date::DATE > p.date_of_death::DATE"
    ).fetchone()[0]
    assert after == 0


def test_volumes_per_patient(readv2):
    con = _con(readv2)
    ev = np.array(
        [
            r[0]
            for r in con.execute(
                "SELECT count(e.patient_id) FROM patients p LEFT JOIN clinical_events e "
                "USING (patient_id) GROUP BY p.patient_id"
            ).fetchall()
        ]
    )
    mi = np.array(
        [
            r[0]
            for r in con.execute(
                "SELECT count(m.patient_id) FROM patients p "
                "LEFT JOIN medication_issues m USING (patient_id) "
                "GROUP BY p.patient_id"
            ).fetchall()
        ]
    )
    assert 30 <= np.median(ev) <= 150, np.median(ev)
    assert np.percentile(ev, 90) >= 100, np.percentile(ev, 90)
    assert 10 <= mi.mean() <= 60, mi.mean()
    first = con.execute("SELECT min(event_date) FROM clinical_events").fetchone()[0]
    assert dt.date.fromisoformat(first) >= dt.date(2016, 9, 29)  # about ten years of history


def test_chronic_pain_prevalence_and_persistence(readv2):
    con = _con(readv2)
    pain = "('N142.', 'N142.00', 'N131.', 'N131.00', '1M52.', '1M52.00')"
    row = con.execute(f"""
        WITH adults AS (
            SELECT patient_id FROM patients p WHERE date_of_death IS NULL
              AND date_diff('year', date_of_birth::DATE, DATE '2026-09-30') >= 18
              AND EXISTS (SELECT 1 FROM registrations r
                          WHERE r.patient_id = p.patient_id AND r.end_date IS NULL)),
        pain AS (
            SELECT patient_id, max(event_date::DATE) - min(event_date::DATE) AS span,
                   bool_or(code LIKE '1M52.%') AS chronic_code
            FROM clinical_events WHERE code IN {pain} AND event_date::DATE > DATE '2024-09-30' GROUP BY 1)
        SELECT count(*), count(*) FILTER (WHERE pain.span >= 90 OR pain.chronic_code),
               count(*) FILTER (WHERE pain.patient_id IS NOT NULL)
        FROM adults LEFT JOIN pain USING (patient_id)""").fetchone()
    adults, chronic, any_pain = row
    assert 0.10 < chronic / adults < 0.30, row  # chronic pain in the last two years
    assert any_pain > chronic  # acute pain is common on top


def test_codes_are_from_the_chosen_system(readv2):
    con = _con(readv2)
    assert con.execute("SELECT DISTINCT code_system FROM clinical_events").fetchall() == [("readv2",)]
    assert con.execute("SELECT DISTINCT code_system FROM medication_issues").fetchall() == [("readv2",)]
    codes = [r[0] for r in con.execute("SELECT DISTINCT code FROM clinical_events").fetchall()]
    assert all(re.fullmatch(r"[A-Za-z0-9.]{5}([0-9]{2})?", c) for c in codes), codes
    seven = con.execute("SELECT avg((length(code) = 7)::INT) FROM clinical_events").fetchone()[0]
    assert 0.2 < seven < 0.4, seven  # some Read codes written as 7 characters, to exercise normalisation
    meds = [r[0] for r in con.execute("SELECT DISTINCT code FROM medication_issues").fetchall()]
    assert all(re.fullmatch(r"[a-z][A-Za-z0-9.]{4}", c) for c in meds), meds


def test_snomed_practice_uses_dmd_with_bnf_codes_and_text_identifiers(snomed):
    con = _con(snomed)
    assert con.execute("SELECT DISTINCT code_system FROM clinical_events").fetchall() == [("snomedct",)]
    assert con.execute("SELECT DISTINCT code_system FROM medication_issues").fetchall() == [("dmd",)]
    codes = [r[0] for r in con.execute("SELECT DISTINCT code FROM clinical_events").fetchall()]
    assert all(re.fullmatch(r"[1-9][0-9]{5,17}", c) for c in codes), codes
    bnf = dict(con.execute("SELECT code, any_value(bnf_code) FROM medication_issues GROUP BY 1").fetchall())
    assert bnf["42009811000001101"] == "0407010F0AAAHAH"  # from the list's bnf_code column
    for table in TABLE_FILES:
        schema = pq.read_schema(snomed / f"{table}.parquet")
        for col in ("patient_id", "nhs_number", "practice_id", "code", "event_id", "bnf_code"):
            if col in schema.names:
                assert str(schema.field(col).type) == "string", (table, col, schema.field(col).type)


def test_opioid_and_gabapentinoid_prescribing_is_consistent(readv2, snomed):
    con = _con(snomed)
    rows = con.execute(
        "SELECT term, prescription_type, quantity, dosage_text, count(*), count(DISTINCT patient_id) "
        "FROM medication_issues WHERE code IN ('42009811000001101', '36120011000001101', "
        "'9567411000001100', '42129711000001109', '42135711000001109', '36126511000001106') "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    seen = {(r[0], r[1], r[2]): r for r in rows}
    quantities = {(r[0], r[1]): {q for t, p, q in seen if (t, p) == (r[0], r[1])} for r in rows}
    assert quantities[("Co-codamol 30mg/500mg tablets", "repeat")] == {112}
    # Acute: short courses of 56, and the first issue of a long-term course (112) before it goes on repeat.
    assert quantities[("Co-codamol 30mg/500mg tablets", "acute")] == {56, 112}
    seen = {(r[0], r[1]): r for r in rows if r[1] == "repeat"}
    assert seen[("Co-codamol 30mg/500mg tablets", "repeat")][3] == "ONE or TWO four times a day when required"
    patches = {r[0]: r[2:4] for r in rows if "patches" in r[0] and r[1] == "repeat"}
    assert patches.get(
        "Fentanyl 25micrograms/hour transdermal patches", (10, "ONE patch to be applied every 72 hours")
    ) == (10, "ONE patch to be applied every 72 hours")
    assert patches.get("Buprenorphine 10micrograms/hour transdermal patches", (4, ""))[0] == 4
    assert seen[("Gabapentin 300mg capsules", "repeat")][2:4] == (84, "ONE three times a day")
    # Long-term users: many repeat issues per patient; acute courses: one or two.
    rep = seen[("Co-codamol 30mg/500mg tablets", "repeat")]
    assert rep[4] / rep[5] > 5
    con2 = _con(readv2)
    users = con2.execute(
        "SELECT count(DISTINCT patient_id) FROM medication_issues WHERE code IN ('dia2.', 'djP1.', 'dj3o.')"
    ).fetchone()[0]
    n = con2.execute("SELECT count(*) FROM patients").fetchone()[0]
    assert 0.05 * n < users < 0.35 * n


def test_fit_notes_are_repeated_more_with_chronic_pain(readv2):
    con = _con(readv2)
    assert (
        con.execute(
            "SELECT count(*) FROM fit_notes WHERE end_date < start_date OR issue_date > '2026-09-30'"
        ).fetchone()[0]
        == 0
    )
    per = con.execute("""
        WITH cp AS (SELECT DISTINCT patient_id FROM clinical_events WHERE code LIKE '1M52.%'),
        notes AS (SELECT patient_id, count(*) FILTER (WHERE fitness = 'not_fit') AS n
                  FROM fit_notes GROUP BY 1),
        working AS (SELECT patient_id FROM patients
                    WHERE date_diff('year', date_of_birth::DATE, DATE '2026-09-30') BETWEEN 25 AND 60)
        SELECT (cp.patient_id IS NOT NULL) AS chronic, avg((coalesce(n, 0) >= 3)::INT)
        FROM working LEFT JOIN cp USING (patient_id) LEFT JOIN notes USING (patient_id)
        GROUP BY 1""").fetchall()
    share = dict(per)
    assert share[True] > 2 * share[False], share
    coded = con.execute("SELECT count(*) FROM clinical_events WHERE code LIKE '9D1%'").fetchone()[0]
    notes = con.execute("SELECT count(*) FROM fit_notes").fetchone()[0]
    assert 0.7 * notes < coded <= notes


def test_exclusions_and_flags_at_plausible_low_rates(readv2):
    con = _con(readv2)
    n = con.execute("SELECT count(*) FROM patients").fetchone()[0]
    counts = dict(
        con.execute(
            "SELECT substr(code, 1, 5), count(DISTINCT patient_id) FROM clinical_events GROUP BY 1"
        ).fetchall()
    )
    for code, lo, hi in (
        ("B13..", 0.005, 0.08),
        ("Eu02.", 0.002, 0.05),
        ("8CM1.", 0.001, 0.05),
        ("9R1..", 0.0, 0.02),
        ("9Nu0.", 0.01, 0.07),
        ("E10..", 0.0, 0.03),
        ("62...", 0.005, 0.08),
        ("13M1.", 0.05, 0.3),
    ):
        assert lo * n <= counts.get(code, 0) <= hi * n, (code, counts.get(code, 0), n)
    # A withdrawal of the type 1 opt-out always follows an opt-out.
    orphan = con.execute("""SELECT count(*) FROM clinical_events w
        WHERE substr(w.code, 1, 5) = '9Nu1.' AND NOT EXISTS
        (SELECT 1 FROM clinical_events o WHERE o.patient_id = w.patient_id AND substr(o.code, 1, 5) = '9Nu0.'
         AND o.event_date <= w.event_date)""").fetchone()[0]
    assert orphan == 0


def test_nhs_numbers_are_valid_test_numbers_and_unique(readv2):
    con = _con(readv2)
    numbers = [r[0] for r in con.execute("SELECT nhs_number FROM patients").fetchall()]
    assert len(set(numbers)) == len(numbers)
    for num in numbers:
        assert re.fullmatch(r"999\d{7}", num), num
        total = sum(int(d) * w for d, w in zip(num[:9], range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        assert check != 10 and check == int(num[9]), num


def test_nhs_test_range_size():
    numbers = nhs_test_numbers()
    assert len(numbers) == 909_091
    assert numbers.min() >= 9_990_000_000 and numbers.max() <= 9_999_999_999


# --- chunking, practices, missing lists ---


def test_patients_across_block_boundaries_are_consistent(tmp_path, lists, monkeypatch):
    monkeypatch.setattr(generate_module, "BLOCK_PATIENTS", 97)
    generate(SynthOptions(out=tmp_path, patients=300, seed=9, code_lists_dir=lists))
    con = _con(tmp_path)
    ids = [r[0] for r in con.execute("SELECT patient_id FROM patients").fetchall()]
    assert ids == [str(100_000_001 + i) for i in range(300)]
    for table in ("registrations", "clinical_events", "medication_issues", "fit_notes"):
        orphans = con.execute(
            f"SELECT count(*) FROM {table} WHERE patient_id NOT IN (SELECT patient_id FROM patients)"
        )
        assert orphans.fetchone()[0] == 0, table
    event_ids = [int(r[0]) for r in con.execute("SELECT event_id FROM clinical_events").fetchall()]
    assert event_ids == list(range(1, len(event_ids) + 1))
    # Each block's rows are sorted by patient then date, and blocks follow each other.
    order = con.execute("SELECT patient_id::BIGINT, event_date FROM clinical_events").fetchall()
    assert order == sorted(order)
    assert validate_extract(tmp_path).fatal == []


def test_several_practices(tmp_path, lists):
    folders = generate(SynthOptions(out=tmp_path, patients=361, practices=3, seed=2, code_lists_dir=lists))
    assert folders == [tmp_path / f"practice_{k:03d}" for k in (1, 2, 3)]
    metas = [json.loads((f / "extract.json").read_text()) for f in folders]
    assert len({m["practice_id"] for m in metas}) == 3
    ids, nhs = set(), set()
    for folder, meta in zip(folders, metas, strict=True):
        con = _con(folder)
        assert con.execute("SELECT DISTINCT practice_id FROM registrations").fetchall() == [
            (meta["practice_id"],)
        ]
        ids |= {r[0] for r in con.execute("SELECT patient_id FROM patients").fetchall()}
        nhs |= {r[0] for r in con.execute("SELECT nhs_number FROM patients").fetchall()}
    assert len(ids) == len(nhs) == 361  # split 121 + 120 + 120, no identifier or NHS number used twice
    assert [m["synth"]["options"]["practice_patients"] for m in metas] == [121, 120, 120]


def test_missing_code_lists_are_skipped_with_a_warning(tmp_path, lists):
    partial = write_lists(tmp_path / "lists", concepts=("pain_condition", "chronic_pain_condition"))
    warnings: list[str] = []
    generate(SynthOptions(out=tmp_path / "out", patients=200, code_lists_dir=partial), warn=warnings.append)
    assert f"code list opioid/dmd not found in {partial}: no opioid prescribing generated" in warnings
    assert any(w.startswith("code list cancer/snomedct not found") for w in warnings), warnings
    con = _con(tmp_path / "out")
    assert (
        con.execute(
            "SELECT count(*) FROM medication_issues WHERE term LIKE '%patch%' OR term LIKE 'Co-codamol%'"
        ).fetchone()[0]
        == 0
    )
    assert con.execute("SELECT count(*) FROM clinical_events WHERE code = '279039007'").fetchone()[0] > 0
    assert con.execute("SELECT count(*) FROM fit_notes").fetchone()[0] > 0  # the table needs no code list
    assert validate_extract(tmp_path / "out").fatal == []
    meta = json.loads((tmp_path / "out" / "extract.json").read_text())
    assert meta["synth"]["warnings"] == warnings


def test_a_list_added_later_is_picked_up(tmp_path):
    first = write_lists(tmp_path / "v1", concepts=("pain_condition",))
    generate(SynthOptions(out=tmp_path / "a", patients=150, code_lists_dir=first))
    second = write_lists(tmp_path / "v2", concepts=("pain_condition", "opioid"))
    generate(SynthOptions(out=tmp_path / "b", patients=150, code_lists_dir=second))
    count = "SELECT count(*) FROM medication_issues WHERE code = '42009811000001101'"
    assert _con(tmp_path / "a").execute(count).fetchone()[0] == 0
    assert _con(tmp_path / "b").execute(count).fetchone()[0] > 0
    # Adding the opioid list leaves the other parts of the record unchanged (separate random streams).
    assert (tmp_path / "a" / "clinical_events.csv").read_bytes() == (
        tmp_path / "b" / "clinical_events.csv"
    ).read_bytes()


def test_rerun_in_the_other_format_replaces_the_tables(tmp_path, lists):
    generate(SynthOptions(out=tmp_path, patients=50, code_lists_dir=lists))
    generate(SynthOptions(out=tmp_path, patients=50, code_lists_dir=lists, file_format="parquet"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{t}.parquet" for t in TABLE_FILES] + ["extract.json"]
    )


# --- the code tables ---


def test_noise_snomed_and_dmd_codes_carry_valid_check_digits():
    for nc in CLINICAL:
        assert _verhoeff_ok(nc.snomedct), nc
        assert re.fullmatch(r"[A-Za-z0-9.]{5}", nc.readv2) and re.fullmatch(r"[A-Za-z0-9.]{5}", nc.ctv3), nc
    for m in MEDICINES:
        assert _verhoeff_ok(m.dmd), m
        assert re.fullmatch(r"[a-z][A-Za-z0-9.]{4}", m.readv2), m


@pytest.mark.parametrize(
    ("term", "dose", "expected"),
    [
        (
            "Fentanyl 25micrograms/hour transdermal patches",
            (("form", "patch"), ("patch_hours", "72")),
            ("ONE patch to be applied every 72 hours", 10),
        ),
        ("Buprenorphine 5micrograms/hour seven day patches", (), ("ONE patch to be applied every 7 days", 4)),
        ("Morphine 30mg modified-release tablets", (), ("ONE twice a day", 56)),
        ("Pregabalin 75mg capsules", (), ("ONE twice a day", 56)),
        ("Tramadol 50mg capsules", (), ("ONE or TWO up to four times a day when required", 100)),
        (
            "Oramorph 10mg/5ml oral solution",
            (("ingredient", "morphine"),),
            ("2.5ml to 5ml every four hours when required", 300),
        ),
        ("ZAMADOL 24HR 400mg m/r tablets", (("strength_mg", "400"),), ("ONE once a day", 28)),
        ("Zydol XL 200mg tablets", (), ("ONE once a day", 28)),
        ("Tramadol 300mg modified-release tablets", (), ("ONE once a day", 28)),
        ("Tramadol 200mg modified-release tablets", (), ("ONE twice a day", 56)),
        ("MXL 60mg capsules", (("ingredient", "morphine"), ("strength_mg", "60")), ("ONE once a day", 28)),
        (
            "Dolocodon PR 5mg tablets",
            (("ingredient", "oxycodone"), ("strength_mg", "5")),
            ("ONE twice a day", 56),
        ),
        ("Codeine 60mg tablets", (), ("ONE four times a day when required", 112)),
        ("Co-codamol 30mg/500mg tablets", (), ("ONE or TWO four times a day when required", 112)),
    ],
)
def test_products_get_dosage_and_quantity_to_match(term, dose, expected):
    from pain_finder.codelists import CodeEntry

    product = make_product(CodeEntry(code="123456", term=term, dose=dose), "", "opioid")
    assert (product.dosage, product.repeat_quantity) == expected
    assert product.issuable


@pytest.mark.parametrize(
    ("term", "dose", "concept"),
    [
        ("Morphine sulfate 20mg/ml oral solution sugar free", (("strength_mg", "20"),), "opioid"),
        ("Morphine sulfate 100mg/5ml oral solution", (), "opioid"),
        ("Oxycodone 10mg/ml oral solution sugar free", (), "opioid"),
        ("Morphine and Cocaine elixir", (("ingredient", "morphine"),), "opioid"),
        ("Morphine 10mg/1ml solution for injection ampoules", (("strength_mg", "10"),), "opioid"),
        (
            "Gabapentin 300mg capsules/600mg tablets titration pack",
            (("strength_mg", "300"),),
            "gabapentinoid",
        ),
        ("Neurontin titration pack", (("ingredient", "gabapentin"),), "gabapentinoid"),
        ("Oxycodone 80mg modified-release tablets", (("strength_mg", "80"), ("ome_factor", "1.5")), "opioid"),
        ("Methadone 10mg/ml oral solution sugar free", (), "opioid_substitution"),
    ],
)
def test_implausible_products_are_not_issuable(term, dose, concept):
    from pain_finder.codelists import CodeEntry

    assert not make_product(CodeEntry(code="123456", term=term, dose=dose), "", concept).issuable


def test_population_dates_are_consistent_for_many_patients():
    from pain_finder.synth.population import simulate_people

    extract, start = 20_000, 20_000 - 3652
    p = simulate_people(np.random.default_rng(11), 200_000, extract, start)
    ended = p.reg_end >= 0
    assert (p.dob <= extract).all() and (p.reg_start <= extract).all()
    assert (p.reg_start >= p.dob).all()
    assert (p.reg_end[ended] <= extract).all() and (p.reg_end[ended] >= p.reg_start[ended]).all()
    assert (p.reg_end[ended] >= start).all()  # everyone in the extract was registered during the history
    back = p.prev_start >= 0
    assert (p.prev_start[back] < p.prev_end[back]).all() and (p.prev_end[back] < p.reg_start[back]).all()
    dead = p.death >= 0
    assert (p.reg_end[dead] == p.death[dead]).all()
    assert (p.obs_start <= p.obs_end).all() and (p.obs_start >= p.dob).all() and (p.obs_end <= extract).all()


@pytest.mark.parametrize("coding", ["readv2", "ctv3", "snomedct"])
def test_the_packaged_code_lists_give_a_valid_extract(tmp_path, coding):
    from pain_finder.resources import code_lists_dir

    assert any(code_lists_dir().glob("*/*.csv")), "the packaged code lists are missing"
    generate(SynthOptions(out=tmp_path, patients=200, coding=coding, seed=1))
    report = validate_extract(tmp_path)
    assert report.problems == [], [p.describe() for p in report.problems]
    meta = json.loads((tmp_path / "extract.json").read_text())
    assert f"pain_condition/{coding}" in meta["synth"]["code_lists_used"]


# --- clinical plausibility of prescribing and fit notes ---

# Adult maximum a day (BNF), mg of the ingredient; strong opioids are held to a plausible ceiling in mg oral
# morphine a day instead. Written out here rather than imported, so the test checks the generator's constants.
BNF_MAX_MG = {"codeine": 240, "dihydrocodeine": 240, "tramadol": 400, "gabapentin": 3600, "pregabalin": 600}
MAX_OME = 200
_FREQUENCY = (
    ("every four to six hours", 6),
    ("every four hours", 6),
    ("four times", 4),
    ("three times", 3),
    ("twice a day", 2),
    ("once a day", 1),
)
_24_HOUR = re.compile(r"\b(xl|mxl)\b|24 ?-?h(ou)?rs?\b|once[- ]daily", re.IGNORECASE)


def _most_a_day(dosage: str) -> float:
    """Units (tablets, capsules, ml) a day the dosage text allows at most, read from the text itself."""
    per_dose = 5.0 if dosage.startswith("2.5ml to 5ml") else 40.0 if dosage.startswith("40ml") else 1.0
    if dosage.startswith("ONE or TWO"):
        per_dose = 2.0
    times = next(n for phrase, n in _FREQUENCY if phrase in dosage)
    return per_dose * times


def _ingredient_of(dose: dict[str, str], term: str) -> str:
    text = f"{dose.get('ingredient', '')} {term}".lower()
    return next((i for i in ("dihydrocodeine", *BNF_MAX_MG) if i in text), text.split()[0])


def _daily_dose_problems(folder: Path, lists_dir: Path | None, system: str) -> list[tuple]:
    """Every issue of a listed opioid or gabapentinoid whose dose a day, from its dosage text or from its
    quantity over the 28 days it is meant to last, is over the maximum (strength and OME from the list)."""
    from pain_finder import codelists

    lists = codelists.load_all(lists_dir)
    listed = {
        e.code: dict(e.dose) | {"term": e.term}
        for concept in ("opioid", "gabapentinoid")
        if f"{concept}/{system}" in lists
        for e in lists[f"{concept}/{system}"].entries
    }
    issues = _con(folder).execute(
        "SELECT DISTINCT code, term, dosage_text, quantity::INT, prescription_type FROM medication_issues"
    )
    problems = []
    for code, term, dosage, quantity, kind in issues.fetchall():
        dose = listed.get(code)
        if dose is None:
            continue
        if dose.get("form") == "patch":
            ome = float(dose["patch_mcg_per_hour"]) * 24 / 1000 * float(dose.get("ome_factor", 0))
            if ome > MAX_OME:
                problems.append((term, "patch", ome))
            continue
        if "strength_mg" not in dose:
            problems.append((term, "strength unknown: the dose a day cannot be checked"))
            continue
        strength = float(dose["strength_mg"])
        limit = BNF_MAX_MG.get(_ingredient_of(dose, term))
        for how, units in (("dosage text", _most_a_day(dosage)), ("quantity", quantity / 28)):
            if limit is not None and units * strength > limit:
                problems.append((term, dosage, quantity, kind, how, units * strength, limit))
            if "ome_factor" in dose and units * strength * float(dose["ome_factor"]) > MAX_OME:
                problems.append((term, dosage, quantity, kind, how, "OME", units * strength))
        once_a_day = dosage == "ONE once a day" and (kind == "acute" or quantity == 28)
        if _24_HOUR.search(term) and not once_a_day:
            problems.append((term, dosage, quantity, kind, "a 24-hour product is taken once a day"))
    return problems


@pytest.fixture(scope="module")
def tricky(tmp_path_factory) -> tuple[Path, Path]:
    from tests.unit.test_synth_lists import write_tricky_lists

    lists_dir = write_tricky_lists(tmp_path_factory.mktemp("tricky_lists"))
    out = tmp_path_factory.mktemp("tricky")
    generate(SynthOptions(out=out, patients=2500, coding="snomedct", seed=8, code_lists_dir=lists_dir))
    return out, lists_dir


def test_no_issue_is_dosed_over_the_daily_maximum(tricky):
    out, lists_dir = tricky
    assert _daily_dose_problems(out, lists_dir, "dmd") == []


def test_24_hour_products_are_once_daily_and_12_hourly_ones_twice(tricky):
    con = _con(tricky[0])
    twice_daily = ("Tramadol 200mg modified-release tablets", "Morphine 10mg modified-release tablets")
    once_daily = (
        "Zamadol 24hr 400mg modified-release tablets",
        "Tramadol 400mg modified-release tablets",
        "MXL 60mg capsules",
    )
    rows = con.execute(
        "SELECT term, dosage_text, quantity, prescription_type, count(*) FROM medication_issues "
        f"WHERE term IN {twice_daily + once_daily} GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    seen = {(r[0], r[3]): r[1:3] for r in rows}
    assert {t for t, _ in seen} & set(once_daily), rows  # some 24-hour products were issued
    for (term, kind), (dosage, quantity) in seen.items():
        twice = term in twice_daily
        assert dosage == ("ONE twice a day" if twice else "ONE once a day"), (term, dosage)
        if kind == "repeat":
            assert quantity == ("56" if twice else "28"), (term, quantity)


def test_implausible_products_are_never_issued_and_short_course_ones_never_repeated(tricky):
    from tests.unit.test_synth_lists import TRICKY_NOT_ISSUED

    con = _con(tricky[0])
    terms = {r[0] for r in con.execute("SELECT DISTINCT term FROM medication_issues").fetchall()}
    assert terms.isdisjoint(TRICKY_NOT_ISSUED), terms & set(TRICKY_NOT_ISSUED)
    assert "Morphine sulfate 10mg/5ml oral solution" in terms  # the standard oral solution still is
    assert "Codeine 60mg tablets" in terms
    kinds = con.execute(
        "SELECT DISTINCT prescription_type FROM medication_issues WHERE term LIKE '%Dexketoprofen%'"
    ).fetchall()
    assert kinds in ([], [("acute",)])
    liquid = con.execute(
        "SELECT DISTINCT dosage_text, quantity FROM medication_issues "
        "WHERE term LIKE 'Morphine%oral solution%' AND prescription_type = 'repeat'"
    ).fetchall()
    assert liquid in ([], [("2.5ml to 5ml every four hours when required", "300")])  # 21 mg morphine a day


@pytest.mark.parametrize("coding", ["snomedct", "readv2"])
def test_packaged_products_keep_within_daily_maxima(coding):
    """Every product the packaged lists can give, in every pool: dosage and quantity within the maxima."""
    from pain_finder.synth.codebook import CodeBook

    book = CodeBook.load(SynthOptions(out=Path("unused"), patients=1, coding=coding))
    pooled = sorted({int(i) for pool in book.pools.values() for i in pool.index})
    assert len(pooled) > 50
    for i in pooled:
        p = book.products[i]
        assert p.issuable, p.term
        assert not re.search(r"titration|cocaine|injection|concentrate|tincture", p.term, re.I), p.term
        if p.form == "patch":
            continue
        most = _most_a_day(p.dosage)
        assert most == p.max_per_day, (p.term, p.dosage)
        assert p.repeat_quantity <= most * p.interval_days, (p.term, p.dosage, p.repeat_quantity)
        assert p.strength_mg is not None, p.term
        limit = BNF_MAX_MG.get(p.ingredient)
        if limit is not None:
            assert most * p.strength_mg <= limit, (p.term, p.dosage)
        if p.unit_ome is not None:
            assert most * p.unit_ome <= MAX_OME, (p.term, p.dosage)
        if _24_HOUR.search(p.term):
            assert (p.dosage, p.repeat_quantity) == ("ONE once a day", 28), p.term
        elif p.modified_release and p.ingredient in ("morphine", "oxycodone", "tapentadol", "dihydrocodeine"):
            assert p.dosage in ("ONE twice a day", "ONE once a day"), p.term
        if p.form == "oral_liquid" and p.ingredient in ("morphine", "oxycodone"):
            # morphine 10mg/5ml, oxycodone 5mg/5ml: no concentrates
            assert p.strength_mg in (2.0, 1.0), p.term
    repeat_pools = ("weak", "strong", "patch", "gabapentinoid")
    for name in repeat_pools:
        assert not any(book.products[int(i)].acute_only for i in book.pool(name).index), name


@pytest.mark.parametrize("coding", ["snomedct", "readv2"])
def test_packaged_lists_give_issues_within_daily_maxima(tmp_path, coding):
    generate(SynthOptions(out=tmp_path, patients=600, coding=coding, seed=12))
    system = "dmd" if coding == "snomedct" else "readv2"
    assert _daily_dose_problems(tmp_path, None, system) == []


def test_noise_medicines_never_match_a_list_by_code_or_bnf_code(tmp_path):
    from pain_finder import codelists
    from pain_finder.synth.codebook import CodeBook
    from tests.unit.test_synth_lists import write_bnf_list

    lists_dir = write_lists(tmp_path / "lists")
    # BNF lists that cover the routine ibuprofen (1001010J0AAADAD, by prefix) and paracetamol (exactly).
    write_bnf_list(lists_dir, "opioid", [("1001010J0", "Ibuprofen (every product)")])
    write_bnf_list(lists_dir, "gabapentinoid", [("0407010H0AAAMAM", "Paracetamol 500mg tablets")])
    book = CodeBook.load(SynthOptions(out=tmp_path / "out", patients=1, code_lists_dir=lists_dir))
    assert "ibuprofen" not in book.noise_medicines and "paracetamol" not in book.noise_medicines
    assert "amlodipine" in book.noise_medicines
    assert {"opioid/bnf", "gabapentinoid/bnf"} <= set(book.lists_used)
    generate(SynthOptions(out=tmp_path / "out", patients=300, seed=3, code_lists_dir=lists_dir))
    lists = codelists.load_all(lists_dir)
    by_code = [cl for cl in lists.values() if cl.meta.code_system.value == "dmd"]
    by_bnf = [cl for cl in lists.values() if cl.meta.code_system.value == "bnf"]
    listed = {e.code for cl in by_code for e in cl.entries}
    rows = _con(tmp_path / "out").execute("SELECT DISTINCT code, bnf_code FROM medication_issues").fetchall()
    assert rows
    for code, bnf_code in rows:
        if code in listed:
            continue  # drawn from a list on purpose
        assert not any(cl.matches(code) for cl in by_code), code
        assert not (bnf_code and any(cl.matches(bnf_code) for cl in by_bnf)), (code, bnf_code)


@pytest.mark.parametrize("coding", ["snomedct", "readv2"])
def test_packaged_noise_medicines_match_no_list(coding):
    from pain_finder import codelists
    from pain_finder.synth.codebook import CodeBook

    book = CodeBook.load(SynthOptions(out=Path("unused"), patients=1, coding=coding))
    lists = codelists.load_all()
    for key, i in book.noise_medicines.items():
        p = book.products[i]
        for cl in lists.values():
            system = cl.meta.code_system.value
            if system == book.medication_system:
                assert not cl.matches(p.code), (key, cl.name)
            if system == "bnf" and p.bnf_code:
                assert not cl.matches(p.bnf_code), (key, cl.name)


def test_fit_notes_of_a_patient_do_not_overlap(readv2):
    con = _con(readv2)
    row = con.execute("""
        WITH n AS (
            SELECT patient_id, start_date::DATE AS s, end_date::DATE AS e,
                max(end_date::DATE) OVER (PARTITION BY patient_id ORDER BY start_date::DATE, end_date::DATE
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
            FROM fit_notes)
        SELECT count(*), count(before), count(*) FILTER (WHERE s <= before),
            count(*) FILTER (WHERE s = before + 1)
        FROM n""").fetchone()
    notes, follow, overlapping, straight_on = row
    assert notes > 200, row
    assert overlapping == 0, row  # a new note never starts before the previous one ends
    assert straight_on > 0.5 * follow, row  # most follow straight on from the previous note
    most = con.execute(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM fit_notes GROUP BY patient_id, year(start_date::DATE))"
    ).fetchone()[0]
    assert most <= 26, most  # at most a year of back-to-back two-week notes


@pytest.mark.parametrize(("practice", "system"), [("practice_b", "snomedct"), ("practice_c", "ctv3")])
def test_sample_fit_note_codes_agree_with_the_fitness_their_list_states(practice, system):
    """A coded fit note beside a fit_notes row states the same fitness (the list's fitness column)."""
    stated = {e.code: e.fitness for e in load_all()[f"fit_note/{system}"].entries if e.fitness}
    assert stated, system
    con = _con(REPO_ROOT / "sample_data" / practice)
    pairs = con.execute(
        "SELECT e.code, n.fitness FROM clinical_events AS e JOIN fit_notes AS n "
        "ON n.patient_id = e.patient_id AND n.issue_date = e.event_date"
    ).fetchall()
    checked = [(code, fitness) for code, fitness in pairs if code in stated]
    assert len(checked) > 50, len(checked)
    assert [(c, f) for c, f in checked if stated[c] != f] == []
