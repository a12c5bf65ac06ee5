"""UK Biobank primary care: `gp_clinical`, `gp_scripts`, `gp_registrations`, and a participants file.

Tab-separated text with a header row, `dd/mm/yyyy` dates (ISO dates are accepted too), empty = missing. Files
are found in the source folder by name: `*gp_clinical*`, `*gp_scripts*`, `*gp_registrations*` (`.txt` or
`.tsv`) and `participants*` (`.tsv`, `.txt` or `.csv`).

- participants (eid, year_of_birth, month_of_birth, sex: Showcase fields 34, 52 and 31) -> patients. The GP
  files carry no date of birth, which every extract needs, so this file is required. Date of birth = the 1st
  of the month of birth (1 July when the month is missing, noted). sex 0/1 -> female/male.
- gp_registrations (eid, data_provider, reg_date, deduct_date) -> registrations; practice_id is --practice-id,
  else `ukb-provider-<data_provider>`. Without the file, registrations is written empty (a warning).
- gp_clinical (eid, data_provider, event_dt, read_2, read_3, value1-3) -> clinical_events: read_2 as Read v2
  (7-character codes cut to 5), read_3 as CTV3; value1 -> numeric_value when it is a number.
- gp_scripts -> medication_issues: dm+d (dmd_code), else Read v2 drug code (read_2), else BNF (bnf_code; the
  dotted form `02.02.01.00.00` of one provider becomes `02020100`, the 8-digit form of the others).

The placeholder dates 01/01/1901, 02/02/1902, 03/03/1903 and 07/07/2037 mean "unknown": a record dated with
one is not written (reason `placeholder_date`); a placeholder deduct_date is cleared (still registered).
Records of an eid not in the participants file are not written (reason `unknown_participant`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pain_finder.errors import InputError
from pain_finder.importers.common import ImportContext, find_files

PLACEHOLDER_DATES = [dt.date(1901, 1, 1), dt.date(1902, 2, 2), dt.date(1903, 3, 3), dt.date(2037, 7, 7)]
TSV: dict = dict(delimiter="\t", quote="")

CLINICAL = ("eid", "data_provider", "event_dt", "read_2", "read_3", "value1", "value2", "value3")
SCRIPTS = ("eid", "data_provider", "issue_date", "read_2", "bnf_code", "dmd_code", "drug_name", "quantity")
REGISTRATIONS = ("eid", "data_provider", "reg_date", "deduct_date")
PARTICIPANTS = ("eid", "year_of_birth", "month_of_birth", "sex")

NO_PARTICIPANTS = (
    "UK Biobank's GP files carry no date of birth, and every extract needs one: add a participants file "
    "(participants.tsv, tab-separated, with columns eid, year_of_birth, month_of_birth, sex: Showcase fields "
    "34, 52 and 31) to the source folder"
)


def run(ctx: ImportContext, source: Path, mapping: Path | None) -> None:
    if not source.is_dir():
        raise InputError(f"{source} is not a folder: give the folder holding the UK Biobank GP files")
    clinical = find_files(source, ["*gp_clinical*.txt", "*gp_clinical*.tsv"])
    scripts = find_files(source, ["*gp_scripts*.txt", "*gp_scripts*.tsv"])
    registrations = find_files(source, ["*gp_registrations*.txt", "*gp_registrations*.tsv"])
    participants = find_files(source, ["participants*.tsv", "participants*.txt", "participants*.csv"])
    if not clinical and not scripts:
        raise InputError(f"no gp_clinical or gp_scripts file (.txt or .tsv) in {source}")
    if not participants:
        raise InputError(NO_PARTICIPANTS)
    if len(participants) > 1:
        raise InputError(f"more than one participants file in {source}: keep one", file=participants[1])
    used = {p.name for p in clinical + scripts + registrations + participants}
    ctx.report.ignored_files = sorted(p.name for p in source.iterdir() if p.is_file() and p.name not in used)

    comma = participants[0].suffix.lower() == ".csv"
    ctx.read_delimited(
        "src_participants",
        participants,
        columns={c: c for c in PARTICIPANTS},
        required=("eid", "year_of_birth"),
        **(dict(delimiter=",") if comma else TSV),
    )
    ctx.read_delimited(
        "src_gp_clinical",
        clinical,
        columns={c: c for c in CLINICAL},
        required=("eid", "event_dt", "read_2", "read_3"),
        **TSV,
    )
    ctx.read_delimited(
        "src_gp_scripts",
        scripts,
        columns={c: c for c in SCRIPTS},
        required=("eid", "issue_date", "read_2", "bnf_code", "dmd_code"),
        **TSV,
    )
    patients = ctx.stage("import_ukb_patients", practice_id=ctx.practice_id)
    ctx.write("patients", [patients], ctx.sources("src_participants"))
    if registrations:
        ctx.read_delimited(
            "src_gp_registrations",
            registrations,
            columns={c: c for c in REGISTRATIONS},
            required=("eid", "reg_date"),
            **TSV,
        )
        staged = ctx.stage(
            "import_ukb_registrations", practice_id=ctx.practice_id, placeholders=PLACEHOLDER_DATES
        )
        ctx.write("registrations", [staged], ctx.sources("src_gp_registrations"))
    else:
        ctx.write_empty(
            "registrations",
            "no gp_registrations file: registrations is empty, so nobody counts as registered at a practice",
        )
    events = ctx.stage("import_ukb_clinical_events", placeholders=PLACEHOLDER_DATES)
    ctx.write("clinical_events", [events], ctx.sources("src_gp_clinical"))
    meds = ctx.stage("import_ukb_medication_issues", placeholders=PLACEHOLDER_DATES)
    ctx.write("medication_issues", [meds], ctx.sources("src_gp_scripts"))
