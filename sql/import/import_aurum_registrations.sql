-- name: import_aurum_registrations
-- returns: one row per row of the CPRD Aurum Patient files: the registration (pracid, regstartdate,
--   regenddate) in the canonical registrations columns, then `_reason`, `_column`, `_note`, `_file`, `_row`.
--   Patients not acceptable are not written (reason `not_acceptable`), as in patients.
-- params: none
-- inputs: src_aurum_patient
WITH r AS (
    SELECT
        *,
        CAST(try_strptime(regstartdate, '%d/%m/%Y') AS DATE) AS s,
        CAST(try_strptime(regenddate, '%d/%m/%Y') AS DATE) AS e,
        row_number() OVER (PARTITION BY patid ORDER BY _file, _row) AS nth
    FROM src_aurum_patient
)
SELECT
    patid AS patient_id,
    pracid AS practice_id,
    strftime(s, '%Y-%m-%d') AS start_date,
    strftime(e, '%Y-%m-%d') AS end_date,
    CASE
        WHEN patid IS NULL THEN 'missing_patient_id'
        WHEN nth > 1 THEN 'duplicate_patient'
        WHEN acceptable IS DISTINCT FROM '1' THEN 'not_acceptable'
        WHEN pracid IS NULL THEN 'missing_practice_id'
        WHEN regstartdate IS NULL THEN 'missing_date'
        WHEN s IS NULL THEN 'bad_date'
        WHEN regenddate IS NOT NULL AND e IS NULL THEN 'bad_date'
    END AS _reason,
    CASE
        WHEN patid IS NULL OR nth > 1 THEN 'patid'
        WHEN acceptable IS DISTINCT FROM '1' THEN 'acceptable'
        WHEN pracid IS NULL THEN 'pracid'
        WHEN s IS NULL THEN 'regstartdate'
        ELSE 'regenddate'
    END AS _column,
    _file,
    _row
FROM r
ORDER BY _file, _row
