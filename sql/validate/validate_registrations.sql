-- name: validate_registrations
-- returns: one row per registrations row: `_row`, then one column per check named "<check>:<column>" that is
--   NULL when the row passes and, when it fails, the value a message may show ('' when it must not be shown)
-- params: $as_of
-- inputs: raw_registrations, validate_patient_keys, validate_macros
WITH r AS (
    SELECT
        r._row,
        r.patient_id,
        r.practice_id,
        r.start_date,
        r.end_date,
        nullif(trim(r.patient_id), '') IS NULL AS no_patient_id,
        -- a date: the shape YYYY-MM-DD (LIKE, cheap), then a real calendar date (2023-02-30 fails)
        CASE WHEN r.start_date LIKE '____-__-__'
            THEN CAST(try_strptime(r.start_date, '%Y-%m-%d') AS DATE) END AS start_day,
        CASE WHEN r.end_date LIKE '____-__-__'
            THEN CAST(try_strptime(r.end_date, '%Y-%m-%d') AS DATE) END AS end_day,
        k.patient_id IS NOT NULL AS known_patient,
        k.birth_date
    FROM raw_registrations AS r
    LEFT JOIN validate_patient_keys AS k ON k.patient_id = r.patient_id
)
SELECT
    _row,
    -- required values
    CASE WHEN no_patient_id THEN '' END AS "missing_value:patient_id",
    CASE WHEN nullif(trim(practice_id), '') IS NULL THEN '' END AS "missing_value:practice_id",
    CASE WHEN nullif(trim(start_date), '') IS NULL THEN '' END AS "missing_value:start_date",
    -- the patient must be in patients
    CASE WHEN NOT no_patient_id AND NOT known_patient THEN '' END AS "unknown_patient:patient_id",
    -- dates
    CASE WHEN nullif(trim(start_date), '') IS NOT NULL AND start_day IS NULL THEN start_date END
        AS "bad_date:start_date",
    CASE WHEN nullif(trim(end_date), '') IS NOT NULL AND end_day IS NULL THEN end_date END
        AS "bad_date:end_date",
    CASE WHEN start_day > $as_of THEN '' END AS "date_after_extract:start_date",
    CASE WHEN start_day < birth_date THEN '' END AS "date_before_birth:start_date",
    CASE WHEN end_day < start_day THEN '' END AS "end_before_start:end_date",
    -- identifiers mangled by a spreadsheet: scientific notation, or a trailing '.0' on a number
    CASE WHEN spreadsheet_mangled(patient_id, true, false) THEN '' END
        AS "mangled_identifier:patient_id",
    CASE WHEN spreadsheet_mangled(practice_id, true, false)
        THEN practice_id END AS "mangled_identifier:practice_id"
FROM r
