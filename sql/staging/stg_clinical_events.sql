-- name: stg_clinical_events
-- returns: one row per coded clinical event: event_id (the file row number), patient_id, event_date (DATE),
--   code_system, code (Read v2 7-character codes cut to their 5-character code, `N142.00` -> `N142.`), term
-- params: none
-- inputs: raw_clinical_events
SELECT
    _row AS event_id,
    patient_id,
    CAST(try_strptime(event_date, '%Y-%m-%d') AS DATE) AS event_date,
    code_system,
    CASE WHEN code_system = 'readv2' AND length(trim(code)) = 7 THEN left(trim(code), 5) ELSE trim(code) END
        AS code,
    nullif(trim(term), '') AS term
FROM raw_clinical_events
WHERE nullif(trim(patient_id), '') IS NOT NULL AND nullif(trim(code), '') IS NOT NULL
