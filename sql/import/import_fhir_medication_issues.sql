-- name: import_fhir_medication_issues
-- returns: one row per MedicationRequest or MedicationStatement resource: the canonical medication_issues
--   columns, coded with the first usable coding of medicationCodeableConcept in the order dm+d
--   (https://dmd.nhs.uk, or dm+d ids in http://snomed.info/sct), Read v2; then `_reason`, `_column`,
--   `_note`, `_file`, `_row`. A MedicationRequest whose intent is not an order (a plan: the authorisation
--   behind repeat issues) is not written (reason `not_an_issue`).
-- params: $system_uris, $system_names
-- inputs: src_fhir
WITH r AS (
    SELECT
        json_extract_string(json, '$.resourceType') AS rtype,
        regexp_extract(json_extract_string(json, '$.subject.reference'), '[^/:]+$') AS patient_id,
        coalesce(
            json_extract_string(json, '$.authoredOn'), json_extract_string(json, '$.effectiveDateTime'),
            json_extract_string(json, '$.effectivePeriod.start'), json_extract_string(json, '$.dateAsserted')
        ) AS date_text,
        coalesce(json_extract_string(json, '$.medicationCodeableConcept.coding[*].system'), []) AS systems,
        json_extract_string(json, '$.medicationCodeableConcept.coding[*].code') AS codes,
        json_extract_string(json, '$.medicationCodeableConcept.coding[*].display') AS displays,
        json_extract_string(json, '$.medicationCodeableConcept.text') AS code_text,
        json_extract_string(json, '$.medicationReference.reference') AS med_ref,
        json_extract_string(json, '$.status') AS status,
        json_extract_string(json, '$.intent') AS intent,
        json_extract_string(json, '$.dispenseRequest.quantity.value') AS quantity,
        coalesce(json_extract_string(json, '$.dosageInstruction[0].text'), json_extract_string(json, '$.dosage[0].text'))
            AS dosage_text,
        json_extract_string(json, '$.courseOfTherapyType.coding[0].code') AS course,
        _file,
        _row
    FROM src_fhir
    WHERE json_extract_string(json, '$.resourceType') IN ('MedicationRequest', 'MedicationStatement')
),
c AS (
    SELECT
        *,
        CAST(try_strptime(left(date_text, 10), '%Y-%m-%d') AS DATE) AS d,
        coalesce(
            nullif(list_position(systems, 'https://dmd.nhs.uk'), 0),
            nullif(list_position(systems, 'http://snomed.info/sct'), 0),
            nullif(list_position(systems, 'http://read.info/readv2'), 0)
        ) AS pick
    FROM r
)
SELECT
    patient_id,
    strftime(d, '%Y-%m-%d') AS issue_date,
    CASE WHEN systems[pick] = 'http://read.info/readv2' AND length(codes[pick]) = 7 THEN left(codes[pick], 5)
        ELSE codes[pick] END AS code,
    CASE WHEN systems[pick] = 'http://read.info/readv2' THEN 'readv2' WHEN pick IS NOT NULL THEN 'dmd' END AS code_system,
    coalesce(displays[pick], code_text) AS term,
    CASE WHEN TRY_CAST(quantity AS DOUBLE) IS NOT NULL THEN quantity END AS quantity,
    dosage_text,
    CASE WHEN course = 'acute' THEN 'acute' WHEN course IN ('continuous', 'repeat', 'repeat-dispensing') THEN 'repeat' END
        AS prescription_type,
    CASE
        WHEN patient_id IS NULL THEN 'missing_patient_id'
        WHEN status = 'entered-in-error' THEN 'entered_in_error'
        WHEN rtype = 'MedicationRequest' AND intent IN ('plan', 'proposal') THEN 'not_an_issue'
        WHEN date_text IS NULL THEN 'missing_date'
        WHEN d IS NULL OR length(date_text) < 10 THEN 'bad_date'
        WHEN len(systems) = 0 AND med_ref IS NOT NULL THEN 'medication_reference_not_resolved'
        WHEN len(systems) = 0 THEN 'missing_code'
        WHEN pick IS NULL THEN 'no_usable_coding:' || array_to_string(list_sort(list_distinct(list_transform(
            systems, lambda s: coalesce($system_names[list_position($system_uris, s)], s)))), '+')
        WHEN codes[pick] IS NULL THEN 'missing_code'
    END AS _reason,
    CASE
        WHEN patient_id IS NULL THEN 'subject'
        WHEN status = 'entered-in-error' THEN 'status'
        WHEN rtype = 'MedicationRequest' AND intent IN ('plan', 'proposal') THEN 'intent'
        WHEN d IS NULL OR length(date_text) < 10 THEN 'date'
        WHEN len(systems) = 0 AND med_ref IS NOT NULL THEN 'medicationReference'
        ELSE 'medicationCodeableConcept'
    END AS _column,
    CASE WHEN len(list_distinct(systems)) > 1 THEN 'other_codings_not_used' END AS _note,
    _file,
    _row
FROM c
