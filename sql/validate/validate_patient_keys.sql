-- name: validate_patient_keys
-- returns: one row per distinct patient_id in raw_patients with the earliest valid date of birth, so the
--   other tables' checks can find unknown patients and dates before birth with one hash join
-- params: none
-- inputs: raw_patients
SELECT
    patient_id,
    min(CAST(try_strptime(date_of_birth, '%Y-%m-%d') AS DATE))
        FILTER (WHERE date_of_birth LIKE '____-__-__') AS birth_date
FROM raw_patients
WHERE nullif(trim(patient_id), '') IS NOT NULL
GROUP BY patient_id
