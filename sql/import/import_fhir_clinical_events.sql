-- name: import_fhir_clinical_events
-- returns: one row per Condition or Observation resource: the canonical clinical_events columns, coded with
--   the first usable coding in the order SNOMED CT, CTV3, Read v2; then `_reason`, `_column`, `_note`,
--   `_file`, `_row`. A resource with codings from other systems only (ICD-10, LOINC, ...) is not written:
--   its reason is `no_usable_coding:<systems>`.
-- params: $system_uris, $system_names
-- inputs: src_fhir
WITH r AS (
    SELECT
        json_extract_string(json, '$.resourceType') AS rtype,
        json_extract_string(json, '$.id') AS id,
        regexp_extract(json_extract_string(json, '$.subject.reference'), '[^/:]+$') AS patient_id,
        coalesce(
            json_extract_string(json, '$.onsetDateTime'), json_extract_string(json, '$.onsetPeriod.start'),
            json_extract_string(json, '$.recordedDate'), json_extract_string(json, '$.effectiveDateTime'),
            json_extract_string(json, '$.effectivePeriod.start'), json_extract_string(json, '$.effectiveInstant'),
            json_extract_string(json, '$.issued')
        ) AS date_text,
        coalesce(json_extract_string(json, '$.code.coding[*].system'), []) AS systems,
        json_extract_string(json, '$.code.coding[*].code') AS codes,
        json_extract_string(json, '$.code.coding[*].display') AS displays,
        json_extract_string(json, '$.code.text') AS code_text,
        coalesce(json_extract_string(json, '$.verificationStatus.coding[0].code'), json_extract_string(json, '$.status')) AS status,
        json_extract_string(json, '$.valueQuantity.value') AS value,
        _file,
        _row
    FROM src_fhir
    WHERE json_extract_string(json, '$.resourceType') IN ('Condition', 'Observation')
),
c AS (
    SELECT
        *,
        CAST(try_strptime(left(date_text, 10), '%Y-%m-%d') AS DATE) AS d,
        coalesce(
            nullif(list_position(systems, 'http://snomed.info/sct'), 0),
            nullif(list_position(systems, 'http://read.info/ctv3'), 0),
            nullif(list_position(systems, 'http://read.info/readv2'), 0)
        ) AS pick
    FROM r
)
SELECT
    patient_id,
    strftime(d, '%Y-%m-%d') AS event_date,
    CASE WHEN systems[pick] = 'http://read.info/readv2' AND length(codes[pick]) = 7 THEN left(codes[pick], 5)
        ELSE codes[pick] END AS code,
    CASE systems[pick] WHEN 'http://snomed.info/sct' THEN 'snomedct' WHEN 'http://read.info/ctv3' THEN 'ctv3'
        WHEN 'http://read.info/readv2' THEN 'readv2' END AS code_system,
    coalesce(displays[pick], code_text) AS term,
    CASE WHEN TRY_CAST(value AS DOUBLE) IS NOT NULL THEN value END AS numeric_value,
    id AS event_id,
    CASE
        WHEN patient_id IS NULL THEN 'missing_patient_id'
        WHEN status IN ('entered-in-error', 'refuted') THEN replace(status, '-', '_')
        WHEN date_text IS NULL THEN 'missing_date'
        WHEN d IS NULL OR length(date_text) < 10 THEN 'bad_date'
        WHEN len(systems) = 0 THEN 'missing_code'
        WHEN pick IS NULL THEN 'no_usable_coding:' || array_to_string(list_sort(list_distinct(list_transform(
            systems, lambda s: coalesce($system_names[list_position($system_uris, s)], s)))), '+')
        WHEN codes[pick] IS NULL THEN 'missing_code'
    END AS _reason,
    CASE
        WHEN patient_id IS NULL THEN 'subject'
        WHEN status IN ('entered-in-error', 'refuted') THEN 'status'
        WHEN d IS NULL OR length(date_text) < 10 THEN 'date'
        ELSE 'code'
    END AS _column,
    CASE WHEN len(systems) > 1 AND len(list_distinct(systems)) > 1 THEN 'other_codings_not_used' END AS _note,
    _file,
    _row
FROM c
