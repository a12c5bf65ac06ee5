-- name: stg_patients
-- returns: one row per patient: patient_id, birth_date, death_date (DATE), sex ('female', 'male' or
--   'unknown'), nhs_number and practice_id (text, NULL when blank); rename and cast only
-- params: none
-- inputs: raw_patients
SELECT
    patient_id,
    CAST(try_strptime(date_of_birth, '%Y-%m-%d') AS DATE) AS birth_date,
    CAST(try_strptime(nullif(trim(date_of_death), ''), '%Y-%m-%d') AS DATE) AS death_date,
    coalesce(nullif(trim(sex), ''), 'unknown') AS sex,
    nullif(trim(nhs_number), '') AS nhs_number,
    nullif(trim(practice_id), '') AS practice_id
FROM raw_patients
WHERE nullif(trim(patient_id), '') IS NOT NULL
