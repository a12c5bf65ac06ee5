-- name: validate_fit_notes
-- returns: one row per fit_notes row: `_row`, then one column per check named "<check>:<column>" that is
--   NULL when the row passes and, when it fails, the value a message may show ('' when it must not be shown)
-- params: $as_of, $allowed_fitness
-- inputs: raw_fit_notes, validate_patient_keys, validate_macros
WITH f AS (
    SELECT
        f._row,
        f.patient_id,
        f.issue_date,
        f.start_date,
        f.end_date,
        f.fitness,
        nullif(trim(f.patient_id), '') IS NULL AS no_patient_id,
        -- a date: the shape YYYY-MM-DD (LIKE, cheap), then a real calendar date (2023-02-30 fails)
        CASE WHEN f.issue_date LIKE '____-__-__'
            THEN CAST(try_strptime(f.issue_date, '%Y-%m-%d') AS DATE) END AS issue_day,
        CASE WHEN f.start_date LIKE '____-__-__'
            THEN CAST(try_strptime(f.start_date, '%Y-%m-%d') AS DATE) END AS start_day,
        CASE WHEN f.end_date LIKE '____-__-__'
            THEN CAST(try_strptime(f.end_date, '%Y-%m-%d') AS DATE) END AS end_day,
        k.patient_id IS NOT NULL AS known_patient,
        k.birth_date
    FROM raw_fit_notes AS f
    LEFT JOIN validate_patient_keys AS k ON k.patient_id = f.patient_id
)
SELECT
    _row,
    -- required values
    CASE WHEN no_patient_id THEN '' END AS "missing_value:patient_id",
    CASE WHEN nullif(trim(issue_date), '') IS NULL THEN '' END AS "missing_value:issue_date",
    -- the patient must be in patients
    CASE WHEN NOT no_patient_id AND NOT known_patient THEN '' END AS "unknown_patient:patient_id",
    -- dates (a fit note may run beyond the extract date, so only its issue date is compared with it)
    CASE WHEN nullif(trim(issue_date), '') IS NOT NULL AND issue_day IS NULL THEN issue_date END
        AS "bad_date:issue_date",
    CASE WHEN nullif(trim(start_date), '') IS NOT NULL AND start_day IS NULL THEN start_date END
        AS "bad_date:start_date",
    CASE WHEN nullif(trim(end_date), '') IS NOT NULL AND end_day IS NULL THEN end_date END
        AS "bad_date:end_date",
    CASE WHEN issue_day > $as_of THEN '' END AS "date_after_extract:issue_date",
    CASE WHEN issue_day < birth_date THEN '' END AS "date_before_birth:issue_date",
    CASE WHEN end_day < start_day THEN '' END AS "end_before_start:end_date",
    -- allowed values
    CASE WHEN nullif(trim(fitness), '') IS NOT NULL AND NOT list_contains($allowed_fitness, fitness)
        THEN fitness END AS "bad_value:fitness",
    -- identifiers mangled by a spreadsheet: scientific notation, or a trailing '.0' on a number
    CASE WHEN spreadsheet_mangled(patient_id, true, false) THEN '' END
        AS "mangled_identifier:patient_id"
FROM f
