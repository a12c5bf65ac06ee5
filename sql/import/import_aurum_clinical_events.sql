-- name: import_aurum_clinical_events
-- returns: one row per row of the CPRD Aurum Observation files: medcodeid resolved to SNOMED CT through the
--   EMIS medical dictionary (CPRDAurumMedical: MedCodeId -> SnomedCTConceptId, Term), in the canonical
--   clinical_events columns, then `_reason`, `_column`, `_note`, `_file`, `_row`
-- params: none
-- inputs: src_aurum_observation, src_aurum_medical, src_aurum_patient
WITH dict AS (
    SELECT medcodeid, snomed, term
    FROM src_aurum_medical
    WHERE medcodeid IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY medcodeid ORDER BY _row) = 1
),
acc AS (
    SELECT patid, any_value(acceptable) AS acceptable FROM src_aurum_patient WHERE patid IS NOT NULL GROUP BY patid
),
o AS (
    SELECT
        o.*,
        CAST(try_strptime(o.obsdate, '%d/%m/%Y') AS DATE) AS d,
        dict.medcodeid IS NOT NULL AS in_dict,
        dict.snomed,
        dict.term,
        acc.patid IS NOT NULL AS known,
        acc.acceptable
    FROM src_aurum_observation AS o
    LEFT JOIN dict ON dict.medcodeid = o.medcodeid
    LEFT JOIN acc ON acc.patid = o.patid
)
SELECT
    patid AS patient_id,
    strftime(d, '%Y-%m-%d') AS event_date,
    snomed AS code,
    'snomedct' AS code_system,
    term,
    CASE WHEN TRY_CAST(value AS DOUBLE) IS NOT NULL THEN value END AS numeric_value,
    obsid AS event_id,
    CASE
        WHEN patid IS NULL THEN 'missing_patient_id'
        WHEN NOT known THEN 'unknown_patient'
        WHEN acceptable IS DISTINCT FROM '1' THEN 'patient_not_acceptable'
        WHEN obsdate IS NULL THEN 'missing_date'
        WHEN d IS NULL THEN 'bad_date'
        WHEN medcodeid IS NULL THEN 'missing_code'
        WHEN NOT in_dict THEN 'medcodeid_not_in_dictionary'
        WHEN snomed IS NULL THEN 'no_snomed_for_medcodeid'
    END AS _reason,
    CASE
        WHEN patid IS NULL OR NOT known OR acceptable IS DISTINCT FROM '1' THEN 'patid'
        WHEN d IS NULL THEN 'obsdate'
        ELSE 'medcodeid'
    END AS _column,
    _file,
    _row
FROM o
ORDER BY _file, _row
