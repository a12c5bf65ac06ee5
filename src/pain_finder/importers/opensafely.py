"""OpenSAFELY / ehrQL tables as CSV: `patients`, `practice_registrations`, `clinical_events`, `medications`.

The layout of ehrQL's dummy and example tables: one CSV per table named `<table>.csv`, a `patient_id` column,
ISO dates, an empty field for a missing value.

- patients.csv (patient_id, date_of_birth, sex, date_of_death) -> patients. ehrQL sex `intersex` and any value
  other than female/male/unknown become `unknown` (noted). A date of death before the date of birth is
  cleared (noted).
- practice_registrations.csv (patient_id, start_date, end_date, practice_pseudo_id) -> registrations.
- clinical_events.csv (patient_id, date, snomedct_code and/or ctv3_code, numeric_value) -> clinical_events. A
  row carrying both codes is one event: it is written once, coded in SNOMED CT (noted
  `both_codes_snomedct_kept`).
- medications.csv (patient_id, date, dmd_code) -> medication_issues coded in dm+d.

Other files (ons_deaths.csv, apcs.csv, ...) are listed in the report as ignored.
"""

from __future__ import annotations

from pathlib import Path

from pain_finder.errors import InputError
from pain_finder.importers.common import ImportContext, read_header

FILES = {
    "patients": ("patients.csv", True),
    "practice_registrations": ("practice_registrations.csv", True),
    "clinical_events": ("clinical_events.csv", True),
    "medications": ("medications.csv", False),
}


def run(ctx: ImportContext, source: Path, mapping: Path | None) -> None:
    if not source.is_dir():
        raise InputError(f"{source} is not a folder: give the folder holding the ehrQL table CSV files")
    paths: dict[str, list[Path]] = {}
    for table, (name, required) in FILES.items():
        path = source / name
        if not path.is_file():
            if required:
                raise InputError(f"required table file {name} is missing from {source}")
            paths[table] = []
        else:
            paths[table] = [path]
    used = {p.name for ps in paths.values() for p in ps}
    ctx.report.ignored_files = sorted(p.name for p in source.iterdir() if p.is_file() and p.name not in used)

    ctx.read_delimited(
        "src_patients",
        paths["patients"],
        columns={c: c for c in ("patient_id", "date_of_birth", "sex", "date_of_death")},
        required=("patient_id", "date_of_birth"),
    )
    ctx.read_delimited(
        "src_practice_registrations",
        paths["practice_registrations"],
        columns={
            "patient_id": "patient_id",
            "start_date": "start_date",
            "end_date": "end_date",
            "practice_id": "practice_pseudo_id",
        },
        required=("patient_id", "start_date", "practice_id"),
    )
    events = paths["clinical_events"]
    header = read_header(events[0], ",")
    if "snomedct_code" not in header and "ctv3_code" not in header:
        raise InputError(
            "the header has neither 'snomedct_code' nor 'ctv3_code': one of them is required",
            file=events[0],
            row=1,
            column="snomedct_code",
        )
    ctx.read_delimited(
        "src_clinical_events",
        events,
        columns={c: c for c in ("patient_id", "date", "snomedct_code", "ctv3_code", "numeric_value")},
        required=("patient_id", "date"),
    )
    ctx.read_delimited(
        "src_medications",
        paths["medications"],
        columns={c: c for c in ("patient_id", "date", "dmd_code")},
        required=("patient_id", "date", "dmd_code"),
    )
    registrations = ctx.stage("import_opensafely_registrations")
    if ctx.practice_id is None:  # one practice in the registrations: that is the extract's practice
        ids = ctx.con.execute(
            f"SELECT DISTINCT practice_id FROM {registrations} WHERE _reason IS NULL LIMIT 2"
        ).fetchall()
        ctx.practice_id = ids[0][0] if len(ids) == 1 else None
    patients = ctx.stage("import_opensafely_patients", practice_id=ctx.practice_id)
    ctx.write("patients", [patients], ctx.sources("src_patients"))
    ctx.write("registrations", [registrations], ctx.sources("src_practice_registrations"))
    events_staged = ctx.stage("import_opensafely_clinical_events")
    ctx.write("clinical_events", [events_staged], ctx.sources("src_clinical_events"))
    meds = ctx.stage("import_opensafely_medication_issues")
    ctx.write("medication_issues", [meds], ctx.sources("src_medications"))
