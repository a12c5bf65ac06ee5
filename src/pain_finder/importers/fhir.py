"""FHIR R4 bulk export (NDJSON): Patient, Condition, Observation, MedicationRequest, MedicationStatement.

The source is the export folder: one resource per line, files named by resource type (`Patient.000.ndjson`,
`Patient.ndjson`, ...). Other files (Encounter, the bulk-export log, ...) are listed as ignored.

- Patient -> patients: id, birthDate (a partial date is completed to the 1st of the month, or 1 July; noted),
  gender (other -> unknown), deceasedDateTime, the NHS number (identifier system
  https://fhir.nhs.uk/Id/nhs-number). The resource id is the patient_id every other resource refers to.
- Condition and Observation -> clinical_events: the first coding in the order SNOMED CT
  (http://snomed.info/sct), CTV3 (http://read.info/ctv3), Read v2 (http://read.info/readv2); date = onset,
  recorded, effective or issued; Observation valueQuantity -> numeric_value. Entered-in-error and refuted
  resources are not written.
- MedicationRequest (orders only: a plan is an authorisation, not an issue) and MedicationStatement ->
  medication_issues: dm+d (https://dmd.nhs.uk, or a dm+d id in http://snomed.info/sct), else Read v2.

Codings of other systems (RxNorm, LOINC, ICD-10, ...) are counted per system in `unused_codings`; a resource
with no usable coding is not written (reason `no_usable_coding:<systems>`). FHIR has no registration history,
so registrations is written empty (a warning). The export's transactionTime (from the bulk-export log or
manifest) is the extract date unless --extract-date is given.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from pain_finder.errors import InputError
from pain_finder.importers.common import ImportContext, find_files

RESOURCES = ("Patient", "Condition", "Observation", "MedicationRequest", "MedicationStatement")
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
# Short names for code systems, as shown in reasons and unused_codings.
SYSTEM_NAMES = {
    "http://www.nlm.nih.gov/research/umls/rxnorm": "rxnorm",
    "http://loinc.org": "loinc",
    "http://hl7.org/fhir/sid/icd-10": "icd10",
    "http://hl7.org/fhir/sid/icd-10-cm": "icd10cm",
    "http://hl7.org/fhir/sid/ndc": "ndc",
    "http://snomed.info/sct": "snomedct",
    "https://dmd.nhs.uk": "dmd",
}
LOG_NAMES = ("log*.ndjson", "*manifest*.json", "*log*.json")


def run(ctx: ImportContext, source: Path, mapping: Path | None) -> None:
    if not source.is_dir():
        raise InputError(f"{source} is not a folder: give the FHIR bulk export folder of .ndjson files")
    files = {r: find_files(source, [f"{r}.ndjson", f"{r}.*.ndjson", f"{r}_*.ndjson"]) for r in RESOURCES}
    if not files["Patient"]:
        raise InputError(f"no Patient .ndjson file in {source}: every extract needs the patients")
    used = [p for ps in files.values() for p in ps]
    ctx.report.ignored_files = sorted(p.name for p in source.iterdir() if p.is_file() and p not in used)
    if ctx.extract_date is None:
        ctx.extract_date = transaction_date(source)
    ctx.read_ndjson("src_fhir", used)
    other = ctx.con.execute(
        "SELECT coalesce(json_extract_string(json, '$.resourceType'), '(none)') AS t, count(*) FROM src_fhir "
        "WHERE t NOT IN ('Patient', 'Condition', 'Observation', 'MedicationRequest', 'MedicationStatement') "
        "GROUP BY ALL ORDER BY t"
    ).fetchall()
    for rtype, n in other:
        ctx.report.warnings.append(f"{n:,} lines of resource type {rtype} in the files read were not used")
    names = dict(system_uris=list(SYSTEM_NAMES), system_names=list(SYSTEM_NAMES.values()))
    all_files = ctx.sources("src_fhir")

    def of(*resources: str) -> list[str]:
        wanted = {p.name for r in resources for p in files[r]}
        return [f for f in all_files if f in wanted]

    patients = ctx.stage(
        "import_fhir_patients", practice_id=ctx.practice_id, nhs_number_system=NHS_NUMBER_SYSTEM
    )
    ctx.write("patients", [patients], of("Patient"))
    ctx.write_empty(
        "registrations",
        "FHIR bulk exports carry no registration history: registrations is empty, so nobody counts as "
        "registered at a practice",
    )
    events = ctx.stage("import_fhir_clinical_events", **names)
    ctx.write("clinical_events", [events], of("Condition", "Observation"))
    meds = ctx.stage("import_fhir_medication_issues", **names)
    ctx.write("medication_issues", [meds], of("MedicationRequest", "MedicationStatement"))
    unused = ctx.stage("import_fhir_unused_codings", **names)
    ctx.report.unused_codings = dict(ctx.con.execute(f"SELECT system, codings FROM {unused}").fetchall())


def transaction_date(source: Path) -> dt.date | None:
    """The export's transactionTime (bulk-export log or manifest) as a date, or None if there is none."""
    for path in find_files(source, LOG_NAMES):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for line in [text, *text.splitlines()]:
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(obj, dict):
                continue
            stamp = obj.get("transactionTime") or (obj.get("eventDetail") or {}).get("transactionTime")
            if isinstance(stamp, str):
                try:
                    return dt.date.fromisoformat(stamp[:10])
                except ValueError:
                    continue
    return None
