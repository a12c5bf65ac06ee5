"""Small, exact fixtures for the search tests: tiny code lists and extracts written into tmp_path.

The tests build on these instead of the packaged code lists (which are still being authored), so each expected
row follows from the few codes below. Codes are real where it helps reading (Read v2 `N142.` pain in lumbar
spine, BNF 040702 opioid analgesics) but the lists are deliberately tiny.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from pain_finder.extract.schema import TABLES

AS_OF = dt.date(2024, 6, 30)

# concept -> system -> rows (code, term, include_descendants, dose...)
DOSE_HEADER = ("ingredient", "form", "strength_mg", "patch_mcg_per_hour", "patch_hours", "ome_factor")
CODELISTS: dict[str, dict[str, list[dict[str, str]]]] = {
    "chronic_pain_condition": {
        "snomedct": [{"code": "82423001", "term": "Chronic pain"}],
        "readv2": [{"code": "1M52.", "term": "Chronic pain"}],
        "ctv3": [{"code": "XE1FL", "term": "Pain, chronic"}],
    },
    "pain_condition": {
        "snomedct": [{"code": "279039007", "term": "Low back pain"}],
        "readv2": [{"code": "N14..", "term": "Back pain (and descendants)", "include_descendants": "true"}],
    },
    "fit_note": {
        "snomedct": [{"code": "751481000000103", "term": "Issue of Med3 fit note"}],
        "readv2": [{"code": "9D11.", "term": "Med3 issued"}],
    },
    "opioid": {
        "dmd": [
            {
                "code": "39720311000001101",
                "term": "Codeine 30mg tablets",
                "ingredient": "codeine",
                "form": "tablet",
                "strength_mg": "30",
                "ome_factor": "0.1",
            },
            {
                "code": "3207411000001108",
                "term": "Co-codamol 30mg/500mg tablets",
                "ingredient": "codeine",
                "form": "tablet",
                "strength_mg": "30",
                "ome_factor": "0.1",
            },
            {
                "code": "4251711000001102",
                "term": "Morphine 10mg MR tablets",
                "ingredient": "morphine",
                "form": "tablet",
                "strength_mg": "10",
                "ome_factor": "1",
            },
            {
                "code": "3210811000001101",
                "term": "Fentanyl 25micrograms/hour patches",
                "ingredient": "fentanyl",
                "form": "patch",
                "patch_mcg_per_hour": "25",
                "patch_hours": "72",
                "ome_factor": "100",
            },
            {
                "code": "4188811000001104",
                "term": "Tramadol 50mg capsules",
                "ingredient": "tramadol",
                "form": "capsule",
            },
        ],
        "bnf": [
            {"code": "040702", "term": "Opioid analgesics", "include_descendants": "true"},
            {"code": "0407010F0", "term": "Co-codamol / codeine", "include_descendants": "true"},
        ],
        "readv2": [{"code": "di3..", "term": "Codeine (drug codes)", "include_descendants": "true"}],
    },
    "gabapentinoid": {
        "dmd": [{"code": "4143511000001106", "term": "Pregabalin 75mg capsules"}],
        "bnf": [
            {"code": "0408010AE", "term": "Pregabalin", "include_descendants": "true"},
            {"code": "0408010G0", "term": "Gabapentin", "include_descendants": "true"},
        ],
    },
    "opioid_substitution": {
        "dmd": [{"code": "3324611000001103", "term": "Methadone 1mg/ml oral solution (dependence)"}],
    },
    "research_dissent": {"snomedct": [{"code": "183946001", "term": "Refused research"}]},
    "palliative_care": {"snomedct": [{"code": "103735009", "term": "Palliative care"}]},
    "cancer": {"snomedct": [{"code": "363346000", "term": "Malignant neoplastic disease"}]},
    "dementia": {"snomedct": [{"code": "52448006", "term": "Dementia"}]},
    "opioid_dependence": {"snomedct": [{"code": "75544000", "term": "Opioid dependence"}]},
    "type1_opt_out": {
        "snomedct": [{"code": "827241000000103", "term": "Dissent from secondary use of GP data"}],
        "readv2": [{"code": "9Nu0.", "term": "Dissent from secondary use of GP data"}],
    },
    "type1_opt_out_withdrawn": {
        "snomedct": [{"code": "827261000000102", "term": "Dissent withdrawn"}],
        "readv2": [{"code": "9Nu1.", "term": "Dissent withdrawn"}],
    },
    "severe_mental_illness": {"snomedct": [{"code": "58214004", "term": "Schizophrenia"}]},
    "learning_disability": {"snomedct": [{"code": "110359009", "term": "Intellectual disability"}]},
    "pregnancy": {"snomedct": [{"code": "77386006", "term": "Pregnant"}]},
    "substance_misuse": {"snomedct": [{"code": "7200002", "term": "Alcoholism"}]},
    "care_home": {"snomedct": [{"code": "160734000", "term": "Lives in nursing home"}]},
    "bereavement": {"snomedct": [{"code": "309018001", "term": "Bereavement"}]},
}
MEDICATION_CONCEPTS = {"opioid", "gabapentinoid", "opioid_substitution"}

# Codes by name, for readable tests.
CHRONIC = ("82423001", "snomedct")
PAIN = ("279039007", "snomedct")
FIT_CODE = ("751481000000103", "snomedct")
CODEINE = ("39720311000001101", "dmd")
COCODAMOL = ("3207411000001108", "dmd")
MORPHINE = ("4251711000001102", "dmd")
FENTANYL = ("3210811000001101", "dmd")
TRAMADOL = ("4188811000001104", "dmd")
PREGABALIN = ("4143511000001106", "dmd")
METHADONE = ("3324611000001103", "dmd")
CONCEPT_CODE = {
    "research_dissent": "183946001",
    "palliative_care": "103735009",
    "cancer": "363346000",
    "dementia": "52448006",
    "opioid_dependence": "75544000",
    "type1_opt_out": "827241000000103",
    "type1_opt_out_withdrawn": "827261000000102",
    "severe_mental_illness": "58214004",
    "learning_disability": "110359009",
    "pregnancy": "77386006",
    "substance_misuse": "7200002",
    "care_home": "160734000",
    "bereavement": "309018001",
}


def write_codelists(root: Path, lists: dict[str, dict[str, list[dict[str, str]]]] = CODELISTS) -> Path:
    """Write code lists (CSV + sidecar) under root; return root."""
    for concept, systems in lists.items():
        for system, rows in systems.items():
            folder = root / concept
            folder.mkdir(parents=True, exist_ok=True)
            header = ["code", "term", "include_descendants"]
            if concept in MEDICATION_CONCEPTS:
                header += list(DOSE_HEADER)
            with open(folder / f"{system}.csv", "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
                writer.writeheader()
                for row in rows:
                    writer.writerow({k: row.get(k, "") for k in header})
            domain = "medication" if concept in MEDICATION_CONCEPTS else "clinical"
            (folder / f"{system}.toml").write_text(
                f'concept = "{concept}"\ncode_system = "{system}"\ndomain = "{domain}"\n'
                f'title = "test {concept}"\n'
                f'captures = "test list"\nversion_date = 2024-01-01\nstatus = "draft"\n\n'
                f'[[sources]]\nname = "test fixture"\nhow_used = "written for tests"\n',
                encoding="utf-8",
            )
    return root


def d(value: str | dt.date) -> str:
    return value.isoformat() if isinstance(value, dt.date) else value


def write_extract(
    folder: Path,
    *,
    patients: list[dict],
    registrations: list[dict] | None = None,
    events: list[dict] = (),
    meds: list[dict] = (),
    fit_notes: list[dict] | None = None,
    meta: dict | None = None,
) -> Path:
    """Write a canonical extract. Registrations default to one open registration per patient (2000-)."""
    folder.mkdir(parents=True, exist_ok=True)
    if registrations is None:
        registrations = [
            {"patient_id": p["patient_id"], "practice_id": "P1", "start_date": "2000-01-01"} for p in patients
        ]
    tables = {
        "patients": patients,
        "registrations": registrations,
        "clinical_events": list(events),
        "medication_issues": list(meds),
    }
    if fit_notes is not None:
        tables["fit_notes"] = fit_notes
    for name, rows in tables.items():
        columns = list(TABLES[name].columns)
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: d(row[k]) if k in row and row[k] is not None else "" for k in columns})
    meta = {"extract_date": AS_OF.isoformat(), "practice_id": "P1"} if meta is None else meta
    (folder / "extract.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


def patient(pid: str, dob: str = "1980-06-15", sex: str = "female", **extra: str) -> dict:
    return {"patient_id": pid, "date_of_birth": dob, "sex": sex, **extra}


def event(pid: str, date: str | dt.date, code: tuple[str, str], term: str | None = None) -> dict:
    return {"patient_id": pid, "event_date": date, "code": code[0], "code_system": code[1], "term": term}


def med(
    pid: str,
    date: str | dt.date,
    code: tuple[str, str],
    quantity: float | None = 28,
    term: str | None = None,
    bnf_code: str | None = None,
) -> dict:
    return {
        "patient_id": pid,
        "issue_date": date,
        "code": code[0],
        "code_system": code[1],
        "quantity": None
        if quantity is None
        else (int(quantity) if float(quantity).is_integer() else quantity),
        "term": term,
        "bnf_code": bnf_code,
    }


def fit(
    pid: str,
    date: str | dt.date,
    start: str | None = None,
    end: str | None = None,
    fitness: str | None = "not_fit",
) -> dict:
    return {"patient_id": pid, "issue_date": date, "start_date": start, "end_date": end, "fitness": fitness}


def sql_cohort(folder: Path, config, as_of: dt.date = AS_OF):
    """Run the SQL steps only (no validation, no outputs) on an extract; return the open connection.

    Tables coh_cohort, coh_features etc. can then be read from it.
    """
    import duckdb  # noqa: PLC0415

    from pain_finder.extract import reader  # noqa: PLC0415
    from pain_finder.extract.validate import validate_extract  # noqa: PLC0415
    from pain_finder.search import build_cohort  # noqa: PLC0415

    con = duckdb.connect()
    report = validate_extract(folder, as_of=as_of, con=con)  # leaves the raw_<table> views, as in a search
    assert not report.fatal, [p.describe() for p in report.fatal]
    build_cohort(con, reader.locate(folder), config, as_of)
    return con


def rows(con, sql: str) -> list[tuple]:
    """All rows of a query (as tuples), fetched completely."""
    con.execute("SELECT 1").fetchall()
    return con.execute(sql).fetchall()


def outcome(con) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(candidates: patient_id -> flags, excluded: patient_id -> reasons) from coh_cohort."""
    cands, excl = {}, {}
    for pid, reasons, flags, is_cand in rows(
        con, "SELECT patient_id, reasons, flags, is_candidate FROM coh_cohort"
    ):
        if is_cand:
            cands[pid] = list(flags)
        else:
            excl[pid] = list(reasons)
    return cands, excl
