-- name: import_report_registrations
-- returns: one row per row of the practice report registrations file (columns renamed by the mapping): the
--   canonical registrations columns, then `_reason`, `_column`, `_note`, `_file`, `_row`
-- params: $date_formats, $practice_id
-- inputs: src_report_registrations
WITH r AS (
    SELECT
        *,
        CAST(try_strptime(start_date, $date_formats) AS DATE) AS s,
        CAST(try_strptime(end_date, $date_formats) AS DATE) AS e
    FROM src_report_registrations
)
SELECT
    patient_id,
    coalesce(practice_id, CAST($practice_id AS VARCHAR)) AS practice_id,
    strftime(s, '%Y-%m-%d') AS start_date,
    strftime(e, '%Y-%m-%d') AS end_date,
    CASE
        WHEN patient_id IS NULL THEN 'missing_patient_id'
        WHEN coalesce(practice_id, CAST($practice_id AS VARCHAR)) IS NULL THEN 'missing_practice_id'
        WHEN start_date IS NULL THEN 'missing_date'
        WHEN s IS NULL THEN 'bad_date'
        WHEN end_date IS NOT NULL AND e IS NULL THEN 'bad_date'
    END AS _reason,
    CASE
        WHEN patient_id IS NULL THEN 'patient_id'
        WHEN coalesce(practice_id, CAST($practice_id AS VARCHAR)) IS NULL THEN 'practice_id'
        WHEN s IS NULL THEN 'start_date'
        WHEN end_date IS NOT NULL AND e IS NULL THEN 'end_date'
    END AS _column,
    _file,
    _row
FROM r
