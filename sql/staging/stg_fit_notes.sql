-- name: stg_fit_notes
-- returns: one row per fit note in the fit_notes table, in the file's order: patient_id,
--   issue_date, start_date, end_date (DATE, NULL when blank), fitness ('not_fit', 'may_be_fit' or NULL)
-- The record's identifier is the table's rowid (read as record_id by int_fit_notes): see
--   stg_clinical_events.
-- params: none
-- inputs: raw_fit_notes
SELECT
    patient_id,
    CAST(try_strptime(issue_date, '%Y-%m-%d') AS DATE) AS issue_date,
    CAST(try_strptime(nullif(trim(start_date), ''), '%Y-%m-%d') AS DATE) AS start_date,
    CAST(try_strptime(nullif(trim(end_date), ''), '%Y-%m-%d') AS DATE) AS end_date,
    nullif(trim(fitness), '') AS fitness
FROM raw_fit_notes
WHERE nullif(trim(patient_id), '') IS NOT NULL
