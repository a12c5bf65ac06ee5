-- name: stg_medication_issues
-- returns: one row per medication issue, in the file's order: patient_id, issue_date (DATE),
--   code_system, code (Read v2 drug codes cut to 5 characters like clinical Read codes), bnf_code (NULL when
--   blank), term, quantity (DOUBLE, NULL when blank or not a number)
-- The record's identifier is the table's rowid (read as issue_id by the intermediate layer): see
--   stg_clinical_events.
-- params: none
-- inputs: raw_medication_issues
SELECT
    patient_id,
    CAST(try_strptime(issue_date, '%Y-%m-%d') AS DATE) AS issue_date,
    code_system,
    CASE WHEN code_system = 'readv2' AND length(trim(code)) = 7 THEN left(trim(code), 5) ELSE trim(code) END
        AS code,
    nullif(trim(bnf_code), '') AS bnf_code,
    nullif(trim(term), '') AS term,
    TRY_CAST(nullif(trim(quantity), '') AS DOUBLE) AS quantity
FROM raw_medication_issues
WHERE nullif(trim(patient_id), '') IS NOT NULL AND nullif(trim(code), '') IS NOT NULL
