-- name: stg_registrations
-- returns: one row per registration: patient_id, practice_id, start_date, end_date (DATE, NULL = ongoing)
-- params: none
-- inputs: raw_registrations
SELECT
    patient_id,
    nullif(trim(practice_id), '') AS practice_id,
    CAST(try_strptime(start_date, '%Y-%m-%d') AS DATE) AS start_date,
    CAST(try_strptime(nullif(trim(end_date), ''), '%Y-%m-%d') AS DATE) AS end_date
FROM raw_registrations
WHERE nullif(trim(patient_id), '') IS NOT NULL
