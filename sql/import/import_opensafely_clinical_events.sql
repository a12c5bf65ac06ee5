-- name: import_opensafely_clinical_events
-- returns: one row per row of the ehrQL `clinical_events` table (never two: a row with both a SNOMED CT and a
--   CTV3 code becomes one event coded in SNOMED CT, noted as `both_codes_snomedct_kept`): the canonical
--   clinical_events columns, then `_reason` (NULL when written), `_column`, `_note`, `_file`, `_row`
-- params: none
-- inputs: src_clinical_events
WITH e AS (
    SELECT
        *,
        CASE WHEN date LIKE '____-__-__%' THEN CAST(try_strptime(left(date, 10), '%Y-%m-%d') AS DATE) END AS d
    FROM src_clinical_events
)
SELECT
    patient_id,
    strftime(d, '%Y-%m-%d') AS event_date,
    coalesce(snomedct_code, ctv3_code) AS code,
    CASE WHEN snomedct_code IS NOT NULL THEN 'snomedct' WHEN ctv3_code IS NOT NULL THEN 'ctv3' END AS code_system,
    CASE WHEN TRY_CAST(numeric_value AS DOUBLE) IS NOT NULL THEN numeric_value END AS numeric_value,
    CASE
        WHEN patient_id IS NULL THEN 'missing_patient_id'
        WHEN date IS NULL THEN 'missing_date'
        WHEN d IS NULL THEN 'bad_date'
        WHEN snomedct_code IS NULL AND ctv3_code IS NULL THEN 'missing_code'
    END AS _reason,
    CASE
        WHEN patient_id IS NULL THEN 'patient_id'
        WHEN d IS NULL THEN 'date'
        WHEN snomedct_code IS NULL AND ctv3_code IS NULL THEN 'snomedct_code'
    END AS _column,
    CASE
        WHEN snomedct_code IS NOT NULL AND ctv3_code IS NOT NULL THEN 'both_codes_snomedct_kept'
        WHEN numeric_value IS NOT NULL AND TRY_CAST(numeric_value AS DOUBLE) IS NULL THEN 'numeric_value_not_a_number_cleared'
    END AS _note,
    _file,
    _row
FROM e
