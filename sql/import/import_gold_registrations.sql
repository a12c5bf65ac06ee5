-- name: import_gold_registrations
-- returns: one row per row of the CPRD GOLD patient files: the registration (crd = current registration
--   date, tod = transfer out date) in the canonical registrations columns, then `_reason`, `_column`, `_note`,
--   `_file`, `_row`. practice_id is --practice-id, else the last 3 digits of patid (the GOLD practice id).
-- params: $practice_id
-- inputs: src_gold_patient
WITH r AS (
    SELECT
        *,
        CAST(try_strptime(crd, '%d/%m/%Y') AS DATE) AS s,
        CAST(try_strptime(tod, '%d/%m/%Y') AS DATE) AS e,
        row_number() OVER (PARTITION BY patid ORDER BY _file, _row) AS nth
    FROM src_gold_patient
)
SELECT
    patid AS patient_id,
    coalesce(CAST($practice_id AS VARCHAR), right(patid, 3)) AS practice_id,
    strftime(s, '%Y-%m-%d') AS start_date,
    strftime(e, '%Y-%m-%d') AS end_date,
    CASE
        WHEN patid IS NULL THEN 'missing_patient_id'
        WHEN nth > 1 THEN 'duplicate_patient'
        WHEN accept IS DISTINCT FROM '1' THEN 'not_acceptable'
        WHEN crd IS NULL THEN 'missing_date'
        WHEN s IS NULL THEN 'bad_date'
        WHEN tod IS NOT NULL AND e IS NULL THEN 'bad_date'
    END AS _reason,
    CASE
        WHEN patid IS NULL OR nth > 1 THEN 'patid'
        WHEN accept IS DISTINCT FROM '1' THEN 'accept'
        WHEN s IS NULL THEN 'crd'
        ELSE 'tod'
    END AS _column,
    _file,
    _row
FROM r
ORDER BY _file, _row
