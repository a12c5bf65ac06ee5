"""CPRD Aurum and CPRD GOLD: tab-separated `dd/mm/yyyy` files, codes resolved through CPRD's dictionaries.

Both formats are read from the folder CPRD delivers (files found by their standard names, e.g.
`*_Extract_Patient_001.txt`, `*_Extract_Observation_002.txt`); the code dictionaries (Aurum:
CPRDAurumMedical.txt and CPRDAurumProduct.txt; GOLD: medical.txt and product.txt) are looked for in the folder
given with --mapping, else in the source folder. Missing values may be empty or `NA` (the public simulated
files write `NA`). Patients CPRD flags as not acceptable (`acceptable` = 0 in Aurum, `accept` = 0 in GOLD) are
not written, and nor are their records (reasons `not_acceptable`, `patient_not_acceptable`). Date of birth =
the 1st of the month of birth (mob) in the year of birth (yob); when mob is missing, as it is for most adults,
1 July (noted): ages are then right to within six months.

Aurum: Patient -> patients and registrations (pracid, regstartdate, regenddate); Observation ->
clinical_events (medcodeid -> SNOMED CT concept); DrugIssue -> medication_issues (prodcodeid -> dm+d, BNF
chapter code kept); Practice -> the extract date (lcd, the last collection date) when the extract has one
practice.

GOLD: patient -> patients (yob is stored as year - 1800 in older releases: 3-digit values get 1800 added) and
registrations (crd, tod); clinical, referral and test -> clinical_events (medcode -> Read v2); therapy ->
medication_issues (prodcode -> dm+d, else BNF code); practice -> the extract date (lcd).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pain_finder.errors import InputError
from pain_finder.importers.common import ImportContext, find_files, read_header

TSV: dict = dict(delimiter="\t", quote="", na_values=("", "NA"))


def _files(source: Path, kind: str) -> list[Path]:
    return find_files(source, [f"*extract_{kind}_*.txt", f"*extract_{kind}.txt"])


def _dictionary(source: Path, lookups: Path | None, names: tuple[str, ...]) -> Path:
    folders = [f for f in (lookups, source) if f is not None]
    for folder in folders:
        if folder.is_file() and folder.name.lower() in [n.lower() for n in names]:
            return folder
        if folder.is_dir() and (found := find_files(folder, list(names))):
            return found[0]
    where = " or ".join(str(f) for f in folders)
    raise InputError(
        f"the CPRD dictionary {names[0]} is not in {where}: give the folder holding it with --mapping"
    )


def _single_practice(ctx: ImportContext, sql: str) -> None:
    """With no --practice-id, an extract whose patients are all at one practice is that practice's."""
    if ctx.practice_id is None:
        ids = ctx.con.execute(sql).fetchall()
        ctx.practice_id = ids[0][0] if len(ids) == 1 else None


def _ignored(ctx: ImportContext, source: Path) -> None:
    used = set(ctx.files)
    ctx.report.ignored_files = sorted(p.name for p in source.iterdir() if p.is_file() and p not in used)


def _practice_date(ctx: ImportContext, practice_files: list[Path]) -> None:
    """The extract date: the practice's last collection date (lcd), when the extract is of one practice."""
    if ctx.extract_date is not None or not practice_files:
        return
    ctx.read_delimited(
        "src_cprd_practice",
        practice_files,
        columns={"pracid": "pracid", "lcd": "lcd"},
        required=("pracid",),
        **TSV,
    )
    rows = ctx.con.execute(
        "SELECT DISTINCT pracid, lcd FROM src_cprd_practice WHERE pracid IS NOT NULL "
        "AND (CAST($p AS VARCHAR) IS NULL OR pracid = $p)",
        {"p": ctx.practice_id},
    ).fetchall()
    if len(rows) == 1 and rows[0][1]:
        try:
            ctx.extract_date = dt.datetime.strptime(rows[0][1], "%d/%m/%Y").date()
        except ValueError:
            ctx.report.warnings.append("the practice file's lcd is not a dd/mm/yyyy date: no extract date")
    elif len(rows) > 1:
        ctx.report.warnings.append(
            f"the practice files list {len(rows)} practices: no extract date taken from them "
            "(use --extract-date)"
        )


def run_aurum(ctx: ImportContext, source: Path, lookups: Path | None) -> None:
    if not source.is_dir():
        raise InputError(f"{source} is not a folder: give the folder holding the CPRD Aurum files")
    patients = _files(source, "patient")
    if not patients:
        raise InputError(f"no CPRD Aurum patient file (*_Extract_Patient_*.txt) in {source}")
    medical = _dictionary(source, lookups, ("CPRDAurumMedical.txt",))
    product = _dictionary(source, lookups, ("CPRDAurumProduct.txt",))
    patient_columns = ("patid", "pracid", "gender", "yob", "mob", "emis_ddate", "regstartdate", "regenddate")
    ctx.read_delimited(
        "src_aurum_patient",
        patients,
        columns={c: c for c in (*patient_columns, "acceptable", "cprd_ddate")},
        required=("patid", "pracid", "yob", "regstartdate", "acceptable"),
        **TSV,
    )
    ctx.read_delimited(
        "src_aurum_observation",
        _files(source, "observation"),
        columns={c: c for c in ("patid", "obsid", "obsdate", "medcodeid", "value")},
        required=("patid", "obsdate", "medcodeid"),
        **TSV,
    )
    ctx.read_delimited(
        "src_aurum_drugissue",
        _files(source, "drugissue"),
        columns={c: c for c in ("patid", "issuedate", "prodcodeid", "quantity")},
        required=("patid", "issuedate", "prodcodeid"),
        **TSV,
    )
    ctx.read_delimited(
        "src_aurum_medical",
        [medical],
        columns={"medcodeid": "MedCodeId", "term": "Term", "snomed": "SnomedCTConceptId"},
        required=("medcodeid", "snomed"),
        **TSV,
    )
    # the product dictionary's term column is "TermfromEMIS" in some releases, "Term from EMIS" in others
    term = (
        "Term from EMIS"
        if "term from emis" in {h.lower() for h in read_header(product, "\t")}
        else "TermfromEMIS"
    )
    ctx.read_delimited(
        "src_aurum_product",
        [product],
        columns={"prodcodeid": "ProdCodeId", "dmdid": "DMDID", "term": term, "bnf": "BNFChapter"},
        required=("prodcodeid", "dmdid"),
        **TSV,
    )
    _single_practice(ctx, "SELECT DISTINCT pracid FROM src_aurum_patient WHERE pracid IS NOT NULL LIMIT 2")
    _practice_date(ctx, _files(source, "practice"))
    ctx.write("patients", [ctx.stage("import_aurum_patients")], ctx.sources("src_aurum_patient"))
    ctx.write("registrations", [ctx.stage("import_aurum_registrations")], ctx.sources("src_aurum_patient"))
    events = ctx.stage("import_aurum_clinical_events")
    ctx.write("clinical_events", [events], ctx.sources("src_aurum_observation"))
    meds = ctx.stage("import_aurum_medication_issues")
    ctx.write("medication_issues", [meds], ctx.sources("src_aurum_drugissue"))
    _ignored(ctx, source)


def run_gold(ctx: ImportContext, source: Path, lookups: Path | None) -> None:
    if not source.is_dir():
        raise InputError(f"{source} is not a folder: give the folder holding the CPRD GOLD files")
    patients = _files(source, "patient")
    if not patients:
        raise InputError(f"no CPRD GOLD patient file (*_Extract_Patient_*.txt) in {source}")
    medical = _dictionary(source, lookups, ("medical.txt",))
    product = _dictionary(source, lookups, ("product.txt",))
    ctx.read_delimited(
        "src_gold_patient",
        patients,
        columns={c: c for c in ("patid", "gender", "yob", "mob", "crd", "tod", "deathdate", "accept")},
        required=("patid", "yob", "crd", "accept"),
        **TSV,
    )
    events = _files(source, "clinical") + _files(source, "referral") + _files(source, "test")
    ctx.read_delimited(
        "src_gold_clinical",
        events,
        columns={c: c for c in ("patid", "eventdate", "medcode")},
        required=("patid", "eventdate", "medcode"),
        **TSV,
    )
    ctx.read_delimited(
        "src_gold_therapy",
        _files(source, "therapy"),
        columns={c: c for c in ("patid", "eventdate", "prodcode", "bnfcode", "qty")},
        required=("patid", "eventdate", "prodcode"),
        **TSV,
    )
    term = "readterm" if "readterm" in [h.lower() for h in read_header(medical, "\t")] else "desc"
    ctx.read_delimited(
        "src_gold_medical",
        [medical],
        columns={"medcode": "medcode", "readcode": "readcode", "term": term},
        required=("medcode", "readcode"),
        **TSV,
    )
    ctx.read_delimited(
        "src_gold_product",
        [product],
        columns={"prodcode": "prodcode", "dmdcode": "dmdcode", "term": "productname", "bnfcode": "bnfcode"},
        required=("prodcode",),
        **TSV,
    )
    # GOLD's patid ends in the 3-digit practice id
    _single_practice(
        ctx, "SELECT DISTINCT right(patid, 3) FROM src_gold_patient WHERE patid IS NOT NULL LIMIT 2"
    )
    _practice_date(ctx, _files(source, "practice"))
    pid = dict(practice_id=ctx.practice_id)
    ctx.write("patients", [ctx.stage("import_gold_patients", **pid)], ctx.sources("src_gold_patient"))
    ctx.write(
        "registrations", [ctx.stage("import_gold_registrations", **pid)], ctx.sources("src_gold_patient")
    )
    events_staged = ctx.stage("import_gold_clinical_events")
    ctx.write("clinical_events", [events_staged], ctx.sources("src_gold_clinical"))
    meds = ctx.stage("import_gold_medication_issues")
    ctx.write("medication_issues", [meds], ctx.sources("src_gold_therapy"))
    _ignored(ctx, source)
