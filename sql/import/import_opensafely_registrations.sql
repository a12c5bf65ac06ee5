-- name: import_opensafely_registrations
-- returns: one row per row of the ehrQL `practice_registrations` table: the canonical registrations columns,
--   then `_reason` (NULL when written), `_column`, `_note`, `_file`, `_row`
-- params: none
-- inputs: src_practice_registrations
WITH r AS (
    SELECT
        *,
        CASE WHEN start_date LIKE '____-__-__%'
            THEN CAST(try_strptime(left(start_date, 10), '%Y-%m-%d') AS DATE) END AS s,
        CASE WHEN end_date LIKE '____-__-__%'
            THEN CAST(try_strptime(left(end_date, 10), '%Y-%m-%d') AS DATE) END AS e
    FROM src_practice_registrations
)
SELECT
    patient_id,
    practice_id,
    strftime(s, '%Y-%m-%d') AS start_date,
    strftime(e, '%Y-%m-%d') AS end_date,
    CASE
        WHEN patient_id IS NULL THEN 'missing_patient_id'
        WHEN practice_id IS NULL THEN 'missing_practice_id'
        WHEN start_date IS NULL THEN 'missing_date'
        WHEN s IS NULL THEN 'bad_date'
        WHEN end_date IS NOT NULL AND e IS NULL THEN 'bad_date'
    END AS _reason,
    CASE
        WHEN patient_id IS NULL THEN 'patient_id'
        WHEN practice_id IS NULL THEN 'practice_pseudo_id'
        WHEN s IS NULL THEN 'start_date'
        WHEN end_date IS NOT NULL AND e IS NULL THEN 'end_date'
    END AS _column,
    _file,
    _row
FROM r
