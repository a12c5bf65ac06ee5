-- name: import_opensafely_medication_issues
-- returns: one row per row of the ehrQL `medications` table: the canonical medication_issues columns (dm+d),
--   then `_reason` (NULL when written), `_column`, `_note`, `_file`, `_row`
-- params: none
-- inputs: src_medications
WITH m AS (
    SELECT
        *,
        CASE WHEN date LIKE '____-__-__%' THEN CAST(try_strptime(left(date, 10), '%Y-%m-%d') AS DATE) END AS d
    FROM src_medications
)
SELECT
    patient_id,
    strftime(d, '%Y-%m-%d') AS issue_date,
    dmd_code AS code,
    'dmd' AS code_system,
    CASE
        WHEN patient_id IS NULL THEN 'missing_patient_id'
        WHEN date IS NULL THEN 'missing_date'
        WHEN d IS NULL THEN 'bad_date'
        WHEN dmd_code IS NULL THEN 'missing_code'
    END AS _reason,
    CASE
        WHEN patient_id IS NULL THEN 'patient_id'
        WHEN d IS NULL THEN 'date'
        WHEN dmd_code IS NULL THEN 'dmd_code'
    END AS _column,
    _file,
    _row
FROM m
