"""The import formats by name, with what each reads. Cheap to import: the CLI's help text and the batch config
need the names, while the importers themselves are imported only when a conversion runs."""

from __future__ import annotations

# format name -> what it reads. Order = the order shown in help and docs.
FORMAT_DESCRIPTIONS: dict[str, str] = {
    "opensafely": (
        "OpenSAFELY / ehrQL tables as CSV (patients, practice_registrations, clinical_events, medications)"
    ),
    "ukb": (
        "UK Biobank primary care (gp_clinical, gp_scripts, gp_registrations, tab-separated) with a "
        "participants file (eid, year_of_birth, month_of_birth, sex)"
    ),
    "fhir": (
        "FHIR R4 bulk export as NDJSON (Patient, Condition, Observation, MedicationRequest, "
        "MedicationStatement) with UK codings"
    ),
    "report": (
        "a practice's own report CSV files (EMIS Web, SystmOne, ...) described by a TOML mapping file "
        "(--mapping)"
    ),
    "cprd_aurum": (
        "CPRD Aurum (Patient, Observation, DrugIssue, Practice files) with the EMIS dictionaries "
        "CPRDAurumMedical.txt and CPRDAurumProduct.txt (in the source folder or --mapping DIR)"
    ),
    "cprd_gold": (
        "CPRD GOLD (patient, clinical, referral, test, therapy, practice files) with the lookups "
        "medical.txt and product.txt (in the source folder or --mapping DIR)"
    ),
}
