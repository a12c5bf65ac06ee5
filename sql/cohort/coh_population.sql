-- name: coh_population
-- returns: one row per patient in the extract: patient_id, nhs_number, sex, age (whole years on the as-of
--   date; a 29 February birthday falls on 1 March in other years), alive (no date of death on or before the
--   as-of date), registered (a registration at the practice with start_date <= as_of and end_date NULL or
--   >= as_of), in_age (min_age <= age <= max_age)
-- params: $as_of, $min_age, $max_age, $practice_id
-- inputs: stg_patients, stg_registrations
-- Registrations count when they are at the practice searched; when no registration names that practice (or
-- its identifier is unknown), every registration in the extract counts.
WITH regs AS (
    SELECT *
    FROM stg_registrations
    WHERE practice_id = $practice_id
        OR NOT EXISTS (SELECT 1 FROM stg_registrations WHERE practice_id = $practice_id)
),
registered AS (
    SELECT DISTINCT patient_id
    FROM regs
    WHERE start_date <= $as_of AND (end_date IS NULL OR end_date >= $as_of)
),
aged AS (
    SELECT
        p.*,
        year($as_of) - year(birth_date)
            - CASE WHEN month($as_of) * 100 + day($as_of) < month(birth_date) * 100 + day(birth_date)
                THEN 1 ELSE 0 END AS age
    FROM stg_patients AS p
)
SELECT
    a.patient_id,
    a.nhs_number,
    a.sex,
    a.age,
    a.death_date IS NULL OR a.death_date > $as_of AS alive,
    r.patient_id IS NOT NULL AS registered,
    coalesce(a.age BETWEEN $min_age AND $max_age, false) AS in_age
FROM aged AS a
LEFT JOIN registered AS r ON r.patient_id = a.patient_id
