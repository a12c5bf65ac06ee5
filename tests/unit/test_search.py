"""The search end to end on small extracts: each criterion, window edge, exclusion and flag gives exactly the
expected candidates, excluded patients (with all their reasons) and counts.

As-of date 2024-06-30 throughout: the 24-month pain window is 2022-07-01..2024-06-30, the 12-month signal
window 2023-07-01..2024-06-30 (a window of N months starts the day after the as-of date minus N months).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from pain_finder.config import ChronicPainCriteria, FlagCriteria, SearchConfig
from pain_finder.errors import ExtractInvalidError, InputError
from pain_finder.search import run_search
from tests.search_fixtures import (
    AS_OF,
    CHRONIC,
    COCODAMOL,
    CODEINE,
    CONCEPT_CODE,
    FENTANYL,
    METHADONE,
    MORPHINE,
    PAIN,
    PREGABALIN,
    TRAMADOL,
    event,
    fit,
    med,
    outcome,
    patient,
    rows,
    sql_cohort,
    write_codelists,
    write_extract,
)

OXY_BNF_ONLY = ("999999911000001109", "dmd")  # a product in no dm+d list: matched through its bnf_code


def sn(concept: str) -> tuple[str, str]:
    return (CONCEPT_CODE[concept], "snomedct")


def chronic_with_opioid(pid: str, **_: str) -> tuple[list[dict], list[dict]]:
    return [event(pid, "2023-01-10", CHRONIC)], [med(pid, "2024-05-01", CODEINE)]


SCENARIOS: dict[str, dict] = {
    # criterion 2: chronic pain
    "chronic": dict(
        events=[event("chronic", "2023-01-10", CHRONIC)], meds=[med("chronic", "2024-05-01", CODEINE)]
    ),
    "chronic_24m_edge_out": dict(
        events=[event("chronic_24m_edge_out", "2022-06-30", CHRONIC)],
        meds=[med("chronic_24m_edge_out", "2024-05-01", CODEINE)],
    ),
    "chronic_24m_edge_in": dict(
        events=[event("chronic_24m_edge_in", "2022-07-01", CHRONIC)],
        meds=[med("chronic_24m_edge_in", "2024-05-01", CODEINE)],
    ),
    "span_90": dict(
        events=[event("span_90", "2024-01-01", PAIN)], meds=[med("span_90", "2024-03-31", CODEINE)]
    ),
    "span_89": dict(
        events=[event("span_89", "2024-01-02", PAIN)], meds=[med("span_89", "2024-03-31", CODEINE)]
    ),
    "span_medicines_only": dict(
        meds=[
            med("span_medicines_only", "2023-09-01", CODEINE),
            med("span_medicines_only", "2024-01-01", PREGABALIN),
        ]
    ),
    "read_7_and_bnf_column": dict(
        events=[event("read_7_and_bnf_column", "2023-01-01", ("N142.00", "readv2"))],
        meds=[med("read_7_and_bnf_column", "2024-05-01", OXY_BNF_ONLY, bnf_code="0407020Q0AAAAAA")],
    ),
    # criterion 3: signal
    "fit_12m_edge_out": dict(
        events=[event("fit_12m_edge_out", "2024-01-01", CHRONIC)],
        fit_notes=[fit("fit_12m_edge_out", "2023-06-30")],
    ),
    "fit_12m_edge_in": dict(
        events=[event("fit_12m_edge_in", "2024-01-01", CHRONIC)],
        fit_notes=[fit("fit_12m_edge_in", "2023-07-01")],
    ),
    "fit_code_on_as_of": dict(
        events=[
            event("fit_code_on_as_of", "2024-01-01", CHRONIC),
            event("fit_code_on_as_of", "2024-06-30", ("9D11.00", "readv2")),
        ]
    ),
    "issue_day_after": dict(
        events=[event("issue_day_after", "2024-01-01", CHRONIC)],
        meds=[med("issue_day_after", "2024-07-01", CODEINE)],
    ),
    "no_signal": dict(
        events=[event("no_signal", "2024-01-01", CHRONIC)], meds=[med("no_signal", "2023-01-01", CODEINE)]
    ),
    # criterion 1 as exclusions
    "age_65": dict(dob="1959-06-30"),
    "age_18_today": dict(dob="2006-06-30"),
    "age_17": dict(dob="2006-07-01"),
    "died_on_as_of": dict(death="2024-06-30"),
    "left_day_before": dict(reg_end="2024-06-29"),
    # criterion 4: exclusions
    "cancer_4y": dict(extra=[("2020-01-01", "cancer")]),
    "cancer_6y": dict(extra=[("2018-01-01", "cancer")]),
    "dementia": dict(extra=[("2001-01-01", "dementia")]),
    "palliative": dict(extra=[("2001-01-01", "palliative_care")]),
    "dissent": dict(extra=[("2001-01-01", "research_dissent")]),
    "declined": dict(),
    "dependence_code": dict(extra=[("2001-01-01", "opioid_dependence")]),
    "methadone": dict(extra_meds=[med("methadone", "2010-01-01", METHADONE)]),
    "many_reasons": dict(
        dob="1940-01-01", death="2024-01-01", extra=[("2023-01-01", "cancer"), ("2023-01-01", "dementia")]
    ),
    # criterion 5: flags
    "opted_out": dict(extra=[("2015-01-01", "type1_opt_out")]),
    "opted_out_then_withdrew": dict(
        extra=[("2015-01-01", "type1_opt_out"), ("2016-01-01", "type1_opt_out_withdrawn")]
    ),
    "pregnant": dict(extra=[("2024-01-01", "pregnancy")]),
    "pregnant_long_ago": dict(extra=[("2023-09-30", "pregnancy")]),
    "care_home_and_smi": dict(extra=[("2010-01-01", "care_home"), ("2010-01-01", "severe_mental_illness")]),
}

EXPECTED_CANDIDATES = {
    "chronic": [],
    "chronic_24m_edge_in": [],
    "span_90": [],
    "read_7_and_bnf_column": [],
    "fit_12m_edge_in": [],
    "fit_code_on_as_of": [],
    "age_18_today": [],
    "cancer_6y": [],
    "opted_out_then_withdrew": [],
    "pregnant_long_ago": [],
    "opted_out": ["type1_opt_out"],
    "pregnant": ["pregnancy"],
    "care_home_and_smi": ["severe_mental_illness", "care_home"],
}
EXPECTED_EXCLUDED = {
    "age_65": ["age"],
    "age_17": ["age"],
    "died_on_as_of": ["deceased"],
    "left_day_before": ["not_registered"],
    "cancer_4y": ["cancer"],
    "dementia": ["dementia"],
    "palliative": ["palliative_care"],
    "dissent": ["research_dissent"],
    "declined": ["research_dissent"],
    "dependence_code": ["opioid_dependence"],
    "methadone": ["opioid_dependence"],
    "many_reasons": ["age", "deceased", "cancer", "dementia"],
}


def build(folder: Path) -> Path:
    patients, regs, events, meds, fits = [], [], [], [], []
    for pid, sc in SCENARIOS.items():
        patients.append(patient(pid, dob=sc.get("dob", "1980-06-15"), date_of_death=sc.get("death")))
        regs.append(
            {
                "patient_id": pid,
                "practice_id": "P1",
                "start_date": "2000-01-01",
                "end_date": sc.get("reg_end"),
            }
        )
        if "events" in sc or "meds" in sc or "fit_notes" in sc:
            events += sc.get("events", [])
            meds += sc.get("meds", [])
            fits += sc.get("fit_notes", [])
        else:
            e, m = chronic_with_opioid(pid)
            events += e
            meds += m
        events += [event(pid, day, sn(concept)) for day, concept in sc.get("extra", [])]
        meds += sc.get("extra_meds", [])
    return write_extract(
        folder, patients=patients, registrations=regs, events=events, meds=meds, fit_notes=fits
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("search")
    lists = write_codelists(root / "code_lists")
    extract = build(root / "extract")
    declined = root / "declined.csv"
    declined.write_text("patient_id\ndeclined\n", encoding="utf-8")
    config = SearchConfig.model_validate(
        {"code_lists_dir": str(lists), "exclusions": {"declined_patient_ids_file": str(declined)}}
    )
    result = run_search(extract, root / "out", config)
    return {
        "root": root,
        "lists": lists,
        "extract": extract,
        "config": config,
        "result": result,
        "out": root / "out",
    }


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_candidates_are_exactly_the_expected_patients_with_their_flags(world) -> None:
    invitations = read_csv(world["out"] / "invitations.csv")
    got = {r["patient_id"]: r["review_flags"] for r in invitations}
    expected = {pid: ";".join(flags) for pid, flags in EXPECTED_CANDIDATES.items()}
    assert got == expected, invitations


def test_excluded_csv_lists_every_reason_in_order(world) -> None:
    text = (world["out"] / "excluded.csv").read_text(encoding="utf-8")
    expected = ["patient_id,reasons,age,sex"] + [
        f"{pid},{';'.join(reasons)},{dict(age_65=65, age_17=17, many_reasons=84).get(pid, 44)},female"
        for pid, reasons in sorted(EXPECTED_EXCLUDED.items())
    ]
    assert text.splitlines() == expected, text


def test_exact_counts(world) -> None:
    exact = world["result"].exact_counts
    attrition = [(s.key, s.count) for s in exact.attrition]
    # 31 patients: 3 dead or gone (28), 2 outside the age range (26), 3 without chronic pain (23: span_89 and
    # chronic_24m_edge_out, and span_medicines_only, whose prescriptions span 4 months without a pain code), 3
    # without a signal (20), then 7 removed by clinical exclusions: 13 candidates
    assert attrition == [
        ("registered", 28),
        ("working_age", 26),
        ("chronic_pain", 23),
        ("signal", 20),
        ("after_research_dissent", 18),
        ("after_palliative_care", 17),
        ("after_cancer", 16),
        ("after_dementia", 15),
        ("after_opioid_dependence", 13),
        ("candidates", 13),
    ], attrition
    assert len(SCENARIOS) == 31 and len(EXPECTED_CANDIDATES) == 13
    assert exact.removed_by_reason == {
        "age": 3,
        "deceased": 2,
        "not_registered": 1,
        "research_dissent": 2,
        "palliative_care": 1,
        "cancer": 2,
        "dementia": 2,
        "opioid_dependence": 2,
    }, exact.removed_by_reason
    assert exact.flagged_by_flag == {
        "type1_opt_out": 1,
        "severe_mental_illness": 1,
        "learning_disability": 0,
        "pregnancy": 1,
        "substance_misuse": 0,
        "care_home": 1,
        "bereavement": 0,
    }, exact.flagged_by_flag
    assert exact.candidates_by_age_band == {"18-29": 1, "30-39": 0, "40-49": 12, "50-64": 0}
    assert exact.candidates_by_sex == {"female": 13, "male": 0, "unknown": 0}
    assert exact.candidates_by_signal == {
        "opioid_only": 11,
        "gabapentinoid_only": 0,
        "fit_note_only": 2,
        "opioid_and_gabapentinoid": 0,
        "opioid_and_fit_note": 0,
        "gabapentinoid_and_fit_note": 0,
        "all_three": 0,
    }, exact.candidates_by_signal


def test_records_after_the_as_of_date_are_ignored_and_warned_about(world) -> None:
    warnings = world["result"].warnings
    # the validation of the extract (against the same as-of date) reports them; the search ignores them
    assert [w for w in warnings if "after" in w] == [
        "medication_issues.csv, row 10, column 'issue_date': the date is after the extract date (2024-06-30) "
        "[date_after_extract]"
    ], warnings
    assert all("issue_day_after" not in w for w in warnings), warnings


def test_a_promoted_flag_becomes_an_exclusion(world) -> None:
    config = world["config"].model_copy(update={"flags": FlagCriteria(promote_to_exclusion=["pregnancy"])})
    con = sql_cohort(world["extract"], config)
    candidates, excluded = outcome(con)
    assert excluded["pregnant"] == ["pregnancy"], excluded
    assert "pregnant" not in candidates
    assert candidates["opted_out"] == ["type1_opt_out"]


def test_the_as_of_date_option_moves_every_window(world) -> None:
    # a year earlier, 'chronic' (chronic code 2023-01-10, opioid 2024-05-01) has no signal yet
    con = sql_cohort(world["extract"], world["config"], dt.date(2023, 6, 30))
    candidates, _ = outcome(con)
    assert "chronic" not in candidates
    assert "span_medicines_only" not in candidates


def test_manifest_records_the_definition_code_lists_and_inputs(world) -> None:
    manifest = json.loads((world["out"] / "manifest.json").read_text(encoding="utf-8"))
    result = world["result"]
    assert manifest["fingerprint"] == result.fingerprint
    assert manifest["as_of"] == "2024-06-30" and manifest["as_of_source"] == "extract.json"
    assert {c["name"] for c in manifest["code_lists"]} >= {
        "opioid/dmd",
        "opioid/bnf",
        "chronic_pain_condition/snomedct",
    }
    assert [i["table"] for i in manifest["inputs"]] == [
        "clinical_events",
        "fit_notes",
        "medication_issues",
        "patients",
        "registrations",
        "extract_meta",
        "declined_patients",
    ]
    assert manifest["inputs"][3]["rows"] == len(SCENARIOS)
    assert manifest["n_candidates"] == len(EXPECTED_CANDIDATES)
    assert set(manifest["timings"]) >= {
        "validate",
        "code_lists",
        "stg_clinical_events",
        "coh_cohort",
        "ranking",
    }


def test_summary_json_is_written_through_disclosure_control(world) -> None:
    summary = json.loads((world["out"] / "summary.json").read_text(encoding="utf-8"))
    assert summary["fingerprint"] == world["result"].fingerprint
    assert "counts" in summary
    text = json.dumps(summary)
    distinctive = (
        "span_medicines_only",
        "read_7_and_bnf_column",
        "care_home_and_smi",
        "opted_out_then_withdrew",
    )
    assert not [pid for pid in distinctive if pid in text], text
    assert "declined.csv" not in text, text  # a local path is not part of the shared definition


# --- features behind the ranking ------------------------------------------------------------------


def features(tmp_path: Path, meds: list[dict], events: list[dict] = (), fits: list[dict] = ()) -> dict:
    lists = write_codelists(tmp_path / "cl")
    pids = sorted({m["patient_id"] for m in meds} | {e["patient_id"] for e in events})
    ex = write_extract(
        tmp_path / "ex",
        patients=[patient(p) for p in pids],
        events=[*events, *[event(p, "2023-01-01", CHRONIC) for p in pids]],
        meds=meds,
        fit_notes=list(fits),
    )
    con = sql_cohort(ex, SearchConfig(code_lists_dir=lists))
    cols = (
        "patient_id, opioids_12m, opioid_long_term, opioid_current, round(ome_mg_per_day, 2), "
        "gabapentinoids_12m, gabapentinoid_long_term"
    )
    return {r[0]: r[1:] for r in rows(con, f"SELECT {cols} FROM coh_features")}


def test_long_term_use_and_current_daily_dose(tmp_path: Path) -> None:
    got = features(
        tmp_path,
        [
            # 4 issues: long-term; co-codamol-like codeine 28 x 30 mg x 0.1 / 28 days = 3 mg/day, the last
            # (2024-06-05) covering 28 days, to 2024-07-02: current on the as-of date 2024-06-30
            *[med("four", f"2024-0{m}-05", CODEINE) for m in (3, 4, 5, 6)],
            # 3 issues spanning exactly 90 days: long-term; the last covers 2024-03-31..04-27: not current
            med("span90", "2024-01-01", CODEINE),
            med("span90", "2024-02-01", CODEINE),
            med("span90", "2024-03-31", CODEINE),
            # 3 issues spanning 89 days: not
            med("span89", "2024-01-02", CODEINE),
            med("span89", "2024-02-01", CODEINE),
            med("span89", "2024-03-31", CODEINE),
            # 2 issues exactly 90 days apart: not long-term (the span rule needs 3 issues)
            med("two90", "2024-03-01", CODEINE),
            med("two90", "2024-05-30", CODEINE),
            # morphine 56 x 10 mg for 28 days (20 mg/day) and a fentanyl 25 microgram/hour patch (60 mg/day)
            # together: 80 mg/day; an old morphine issue that ran out long before does not add
            med("both", "2024-06-10", MORPHINE, 56),
            med("both", "2024-06-10", FENTANYL, 5),
            med("stopped", "2023-08-01", MORPHINE, 56),
            med("stopped", "2024-06-10", FENTANYL, 5),
            # last issued 2024-06-02, covering 2024-06-02..06-29, the day before the as-of date: still current
            # within the 14 grace days (medication.ome_grace_days), 20 mg/day
            med("late", "2024-06-02", MORPHINE, 56),
            # last issued 2024-05-19: covering 05-19..06-15, grace to 06-29, the day before the as-of date: no
            # current dose (ome_band 'not current')
            med("ran_out", "2024-05-19", MORPHINE, 56),
            # tramadol has no dose data in the list: unknown
            med("unknown", "2024-06-10", TRAMADOL, 100),
            *[med("gaba", f"2024-0{m}-01", PREGABALIN) for m in (1, 2, 3, 4)],
        ],
    )
    assert got == {
        "four": (4, True, True, 3.0, 0, False),
        "span90": (3, True, False, None, 0, False),
        "span89": (3, False, False, None, 0, False),
        "two90": (2, False, True, 3.0, 0, False),  # 05-30 + 28 days + 14 grace days reaches 06-30
        "both": (2, False, True, 80.0, 0, False),
        "stopped": (2, False, True, 60.0, 0, False),  # 2 issues 314 days apart: not long-term
        "late": (1, False, True, 20.0, 0, False),
        "ran_out": (1, False, False, None, 0, False),
        "unknown": (1, False, True, None, 0, False),
        "gaba": (0, False, False, None, 4, True),
    }, got


def test_refuses_a_fatal_invalid_extract(tmp_path: Path) -> None:
    lists = write_codelists(tmp_path / "cl")
    ex = write_extract(tmp_path / "ex", patients=[patient("1", dob="1980-02-30")])
    with pytest.raises(ExtractInvalidError) as info:
        run_search(ex, tmp_path / "out", SearchConfig(code_lists_dir=lists))
    assert info.value.exit_code == 3
    assert "1 fatal problem and cannot be searched: patients.csv, row 2, column 'date_of_birth'" in str(
        info.value
    )
    assert not (tmp_path / "out").exists()


def test_a_missing_declined_file_is_an_input_error(tmp_path: Path) -> None:
    lists = write_codelists(tmp_path / "cl")
    ex = write_extract(tmp_path / "ex", patients=[patient("1")])
    config = SearchConfig.model_validate(
        {
            "code_lists_dir": str(lists),
            "exclusions": {"declined_patient_ids_file": str(tmp_path / "nope.csv")},
        }
    )
    with pytest.raises(InputError, match="nope.csv: the declined patients file does not exist"):
        run_search(ex, tmp_path / "out", config)


@pytest.mark.slow
def test_the_packaged_code_lists_find_candidates_in_a_synthetic_practice(tmp_path: Path) -> None:
    import pain_finder.synth as synth

    [extract] = synth.generate(synth.SynthOptions(out=tmp_path / "synth", patients=400, seed=3))
    result = run_search(extract, tmp_path / "out", SearchConfig())
    attrition = [s.count for s in result.exact_counts.attrition]
    assert attrition == sorted(attrition, reverse=True), attrition  # the funnel only narrows
    assert result.n_candidates > 0, attrition
    assert not [w for w in result.warnings if w.startswith("no code list")], result.warnings
    listed = read_csv(tmp_path / "out" / "invitations.csv")
    assert [int(r["rank"]) for r in listed] == list(range(1, result.n_candidates + 1))
    scores = [float(r["score"]) for r in listed]
    assert scores == sorted(scores, reverse=True)
    bands = {"none", "not current", "<50", "50-89", "90-119", ">=120", "unknown"}
    assert {r["ome_band"] for r in listed} <= bands


# --- one patient's whole row, evidence, progress and practice id ------------------------------------


@pytest.fixture
def one_patient(tmp_path: Path) -> dict:
    lists = write_codelists(tmp_path / "cl")
    pid = "p1"
    extract = write_extract(
        tmp_path / "ex",
        patients=[patient(pid, nhs_number="9990001234")],
        events=[
            event(pid, "2023-01-10", CHRONIC, "Chronic pain"),
            event(pid, "2024-02-01", ("N142.00", "readv2"), "Pain in lumbar spine"),
            event(pid, "2024-06-01", ("9D11.", "readv2"), "Med3 issued"),  # same day as the fit_notes row
            event(pid, "2024-03-01", sn("pregnancy"), "Pregnant"),
        ],
        meds=[
            med(pid, "2024-05-01", COCODAMOL, 100, "Co-codamol 30mg/500mg tablets"),
            med(pid, "2024-05-26", COCODAMOL, 100, "Co-codamol 30mg/500mg tablets"),
            med(pid, "2024-06-10", PREGABALIN, 56, "Pregabalin 75mg capsules"),
        ],
        fit_notes=[
            fit(pid, "2024-06-01", "2024-06-01", "2024-06-28"),
            fit(pid, "2024-03-01", fitness="may_be_fit"),
        ],
    )
    return {"extract": extract, "config": SearchConfig(code_lists_dir=lists), "root": tmp_path}


def test_one_candidate_row_exactly(one_patient) -> None:
    steps: list[str] = []
    result = run_search(
        one_patient["extract"], one_patient["root"] / "out", one_patient["config"], progress=steps.append
    )
    [row] = read_csv(one_patient["root"] / "out" / "invitations.csv")
    # fit notes: 1 not-fit (8) + 1 may-be-fit (4), 28 days (4), last within 3 months (12) = 28
    # opioids: 2 issues (2); the last (2024-05-26) covers 28 days, to 2024-06-22, and with the 14 grace days
    # (a repeat requested late) still counts on the as-of date 2024-06-30: 12 -> 10.7 mg/day (<50: 0) = 2;
    # gabapentinoids: 1 issue = 1
    # pain: chronic code (6) + span 2023-01-10..2024-06-10 = 517 days (5) + 2 consultation days (2) = 13
    assert row == {
        "rank": "1",
        "patient_id": "p1",
        "nhs_number": "9990001234",
        "practice_id": "P1",
        "age": "44",
        "sex": "female",
        "score": "44",
        "score_fit_notes": "28",
        "score_opioids": "2",
        "score_gabapentinoids": "1",
        "score_pain": "13",
        "fit_notes_12m": "2",
        "fit_note_days_12m": "28",
        "last_fit_note_date": "2024-06-01",
        "opioids_12m": "2",
        "opioid_long_term": "no",
        "ome_mg_per_day": "10.7",
        "ome_band": "<50",
        "last_opioid_date": "2024-05-26",
        "last_opioid_product": "Co-codamol 30mg/500mg tablets",
        "gabapentinoids_12m": "1",
        "gabapentinoid_long_term": "no",
        "last_gabapentinoid_date": "2024-06-10",
        "last_gabapentinoid_product": "Pregabalin 75mg capsules",
        "chronic_pain_code": "yes",
        "first_pain_date": "2023-01-10",
        "first_pain_term": "Chronic pain",
        "last_pain_date": "2024-06-10",
        "last_pain_term": "Pregabalin 75mg capsules",
        "pain_consultations_24m": "2",
        "review_flags": "pregnancy",
    }, row
    assert steps[:3] == ["validate", "code_lists", "stg_patients"], steps
    assert steps[-1] == "write_outputs" and "coh_features" in steps, steps
    assert result.n_listed == 1 and result.practice_id == "P1"


def test_evidence_rows_for_a_listed_patient(one_patient) -> None:
    from pain_finder.search import _evidence  # noqa: PLC0415

    con = sql_cohort(one_patient["extract"], one_patient["config"])
    listed = pl.DataFrame({"patient_id": ["p1"], "rank": [1]})
    evidence = _evidence(con, listed, one_patient["config"], AS_OF, "P1")
    assert evidence.drop("rank", "patient_id").rows() == [
        (
            dt.date(2024, 6, 10),
            "medication_issues",
            "gabapentinoid",
            "gabapentinoid/dmd",
            PREGABALIN[0],
            "Pregabalin 75mg capsules",
            "quantity 56",
        ),
        (dt.date(2024, 6, 1), "fit_notes", "fit_note", None, None, "Fit note", "not fit; 28 days"),
        (
            dt.date(2024, 5, 26),
            "medication_issues",
            "opioid",
            "opioid/dmd",
            COCODAMOL[0],
            "Co-codamol 30mg/500mg tablets",
            "quantity 100; 10.7 mg OME/day",
        ),
        (
            dt.date(2024, 5, 1),
            "medication_issues",
            "opioid",
            "opioid/dmd",
            COCODAMOL[0],
            "Co-codamol 30mg/500mg tablets",
            "quantity 100; 12.0 mg OME/day",
        ),
        (
            dt.date(2024, 3, 1),
            "clinical_events",
            "pregnancy",
            "pregnancy/snomedct",
            CONCEPT_CODE["pregnancy"],
            "Pregnant",
            None,
        ),
        (dt.date(2024, 3, 1), "fit_notes", "fit_note", None, None, "Fit note", "may be fit"),
        (
            dt.date(2024, 2, 1),
            "clinical_events",
            "pain_condition",
            "pain_condition/readv2",
            "N142.",
            "Pain in lumbar spine",
            None,
        ),
        (
            dt.date(2023, 1, 10),
            "clinical_events",
            "chronic_pain_condition",
            "chronic_pain_condition/snomedct",
            CHRONIC[0],
            "Chronic pain",
            None,
        ),
    ], evidence


def test_records_without_a_term_and_fit_notes_from_before_the_window_are_shown_for_what_they_are(
    tmp_path: Path,
) -> None:
    """A record with no term of its own shows the code list's term only for an exact match; under a prefix row
    it says so (never the heading's annotation, 'Codeine (drug codes)' here). A fit note issued before the
    12-month window that runs into it adds days to fit_note_days_12m, and the Evidence sheet lists it."""
    from pain_finder.search import _evidence  # noqa: PLC0415

    lists = write_codelists(tmp_path / "cl")
    extract = write_extract(
        tmp_path / "ex",
        patients=[patient("p1")],
        events=[
            event("p1", "2023-01-01", ("N1420", "readv2")),  # under N14.. (pain_condition), no term
            event("p1", "2024-03-01", CHRONIC),  # exact, no term: the list's term
        ],
        meds=[med("p1", "2024-05-01", ("di31.", "readv2"))],  # under di3.. (opioid), no term
        fit_notes=[fit("p1", "2023-06-15", "2023-06-15", "2023-07-14")],  # 14 of its days from 2023-07-01
    )
    config = SearchConfig(code_lists_dir=lists)
    run_search(extract, tmp_path / "out", config)
    [row] = read_csv(tmp_path / "out" / "invitations.csv")
    shown = {
        k: row[k]
        for k in row
        if k.startswith(("fit_note", "last_fit")) or k.endswith(("_pain_term", "_product"))
    }
    assert shown == {
        "fit_notes_12m": "0",
        "fit_note_days_12m": "14",
        "last_fit_note_date": "",
        "last_opioid_product": "(no term in the extract; code under di3..)",
        "last_gabapentinoid_product": "",
        "first_pain_term": "(no term in the extract; code under N14..)",
        "last_pain_term": "(no term in the extract; code under di3..)",
    }, row
    con = sql_cohort(extract, config)
    evidence = _evidence(con, pl.DataFrame({"patient_id": ["p1"], "rank": [1]}), config, AS_OF, "P1")
    assert evidence.select("date", "source", "code", "term", "detail").rows() == [
        (
            dt.date(2024, 5, 1),
            "medication_issues",
            "di31.",
            "(no term in the extract; code under di3..)",
            "quantity 28",
        ),
        (dt.date(2024, 3, 1), "clinical_events", CHRONIC[0], "Chronic pain", None),
        (
            dt.date(2023, 6, 15),
            "fit_notes",
            None,
            "Fit note",
            "not fit; 30 days; issued before the 12-month window, 14 of its days within it",
        ),
        (
            dt.date(2023, 1, 1),
            "clinical_events",
            "N1420",
            "(no term in the extract; code under N14..)",
            None,
        ),
    ], evidence


def test_prescriptions_alone_make_chronic_pain_only_when_configured(world) -> None:
    # span_medicines_only: codeine 2023-09-01 and pregabalin 2024-01-01 (122 days apart), no pain code
    con = sql_cohort(world["extract"], world["config"])
    assert rows(con, "SELECT chronic_pain FROM coh_pain WHERE patient_id = 'span_medicines_only'") == [
        (False,)
    ]
    candidates, excluded = outcome(con)
    assert "span_medicines_only" not in {**candidates, **excluded}
    lenient = world["config"].model_copy(
        update={"chronic_pain": ChronicPainCriteria(require_pain_code=False)}
    )
    candidates, _ = outcome(sql_cohort(world["extract"], lenient))
    assert candidates["span_medicines_only"] == []
    assert "span_89" not in candidates  # a span of 89 days is still too short


def test_the_criteria_lines_say_a_pain_code_is_needed() -> None:
    from pain_finder.criteria import describe  # noqa: PLC0415

    assert describe(SearchConfig())[2] == (
        "2. Chronic pain: in the last 24 months, a code that itself means chronic pain, or at least one pain "
        "code, with the pain codes and opioid or gabapentinoid prescriptions taken together spanning at "
        "least 90 days from the first to the last (prescriptions without a pain code are not enough)."
    )
    lenient = SearchConfig(chronic_pain=ChronicPainCriteria(require_pain_code=False, min_span_days=120))
    assert describe(lenient)[2] == (
        "2. Chronic pain: in the last 24 months, a code that itself means chronic pain, or pain codes and "
        "opioid or gabapentinoid prescriptions taken together spanning at least 120 days from the first to "
        "the last (prescriptions alone can qualify)."
    )


def test_age_bands_count_exactly_the_ages_they_name(tmp_path: Path) -> None:
    # as-of 2024-06-30: born 1959-07-01 is 64, born 1959-06-30 is 65 (a candidate only with max_age 65)
    lists = write_codelists(tmp_path / "cl")
    pids = {"age_64": "1959-07-01", "age_65": "1959-06-30", "age_50": "1974-06-30", "age_49": "1974-07-01"}
    events, meds = [], []
    for pid in pids:
        e, m = chronic_with_opioid(pid)
        events += e
        meds += m
    extract = write_extract(
        tmp_path / "ex",
        patients=[patient(pid, dob=dob) for pid, dob in pids.items()],
        events=events,
        meds=meds,
    )
    config = SearchConfig.model_validate({"code_lists_dir": str(lists), "population": {"max_age": 65}})
    result = run_search(extract, tmp_path / "out", config)
    assert result.n_candidates == 4
    # the 65-year-old is in no band (an unpublished remainder), not in "50-64"
    assert result.exact_counts.candidates_by_age_band == {"18-29": 0, "30-39": 0, "40-49": 1, "50-64": 2}


@pytest.mark.parametrize(
    ("meta", "regs", "expected"),
    [
        ({"practice_id": "FROM_JSON"}, ["R1"], "FROM_JSON"),
        ({}, ["R1", "R1"], "R1"),
        ({}, ["R1", "R2"], "ex"),  # more than one practice in registrations: the folder name
    ],
)
def test_practice_id_resolution(tmp_path: Path, meta: dict, regs: list[str], expected: str) -> None:
    lists = write_codelists(tmp_path / "cl")
    extract = write_extract(
        tmp_path / "ex",
        patients=[patient(f"p{i}") for i in range(len(regs))],
        registrations=[
            {"patient_id": f"p{i}", "practice_id": r, "start_date": "2000-01-01"} for i, r in enumerate(regs)
        ],
        meta={"extract_date": "2024-06-30", **meta},
    )
    result = run_search(extract, tmp_path / "out", SearchConfig(code_lists_dir=lists))
    assert result.practice_id == expected


def test_a_connection_handed_in_cannot_reorder_the_staged_records(tmp_path: Path) -> None:
    """Record ids are the staged tables' rowid, so the search insists on DuckDB keeping the files' row order
    even on a connection (e.g. the batch's) that had turned it off; the outputs are those of a fresh run."""
    import duckdb  # noqa: PLC0415

    sample = Path(__file__).resolve().parents[2] / "sample_data" / "practice_b"
    plain = run_search(sample, tmp_path / "plain", SearchConfig())
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    handed = run_search(sample, tmp_path / "handed", SearchConfig(), con=con)
    # The setting is what protects the record ids: a sample practice is too small for DuckDB to read it in
    # parallel, so the byte comparison below would pass without it (it checks the handed-in run is complete).
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchall() == [(True,)]
    assert handed.n_listed == plain.n_listed > 0
    for name in ("invitations.csv", "excluded.csv", "invitations.xlsx"):
        assert (tmp_path / "handed" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes(), name


@pytest.mark.parametrize(("min_issues", "span_issues"), [(4, 3), (3, 3), (2, 2), (1, 2)])
def test_the_span_rule_default_never_asks_more_than_the_count_rule(min_issues, span_issues) -> None:
    # a definition valid before long_term_span_min_issues existed stays valid, e.g. long_term_min_issues = 2
    config = SearchConfig.model_validate({"medication": {"long_term_min_issues": min_issues}})
    assert config.medication.long_term_span_min_issues == span_issues
