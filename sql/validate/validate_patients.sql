-- name: validate_patients
-- returns: one row per patients row: `_row`, then one column per check named "<check>:<column>" that is
--   NULL when the row passes and, when it fails, the value a message may show ('' when it must not be shown)
-- params: $as_of, $allowed_sex
-- inputs: raw_patients, validate_macros
WITH p AS (
    SELECT
        _row,
        patient_id,
        date_of_birth,
        date_of_death,
        sex,
        practice_id,
        nhs_number,
        nullif(trim(patient_id), '') IS NULL AS no_patient_id,
        -- a date: the shape YYYY-MM-DD (LIKE, cheap), then a real calendar date (2023-02-30 fails)
        CASE WHEN date_of_birth LIKE '____-__-__'
            THEN CAST(try_strptime(date_of_birth, '%Y-%m-%d') AS DATE) END AS birth,
        CASE WHEN date_of_death LIKE '____-__-__'
            THEN CAST(try_strptime(date_of_death, '%Y-%m-%d') AS DATE) END AS death,
        row_number() OVER (PARTITION BY patient_id ORDER BY _row) AS id_seq,
        min(_row) OVER (PARTITION BY patient_id) AS id_first_row
    FROM raw_patients
)
SELECT
    _row,
    -- required values
    CASE WHEN no_patient_id THEN '' END AS "missing_value:patient_id",
    CASE WHEN nullif(trim(date_of_birth), '') IS NULL THEN '' END AS "missing_value:date_of_birth",
    -- one row per patient: the value shown is the row that used the identifier first, never the identifier
    CASE WHEN NOT no_patient_id AND id_seq > 1 THEN CAST(id_first_row AS VARCHAR) END
        AS "duplicate_id:patient_id",
    -- dates
    CASE WHEN nullif(trim(date_of_birth), '') IS NOT NULL AND birth IS NULL THEN date_of_birth END
        AS "bad_date:date_of_birth",
    CASE WHEN nullif(trim(date_of_death), '') IS NOT NULL AND death IS NULL THEN date_of_death END
        AS "bad_date:date_of_death",
    CASE WHEN birth > $as_of THEN '' END AS "date_after_extract:date_of_birth",
    CASE WHEN death > $as_of THEN '' END AS "date_after_extract:date_of_death",
    CASE WHEN death < birth THEN '' END AS "death_before_birth:date_of_death",
    -- allowed values
    CASE WHEN nullif(trim(sex), '') IS NOT NULL AND NOT list_contains($allowed_sex, sex) THEN sex END
        AS "bad_value:sex",
    -- identifiers mangled by a spreadsheet: scientific notation, or a trailing '.0' on a number
    -- (sql/macros/validate_macros.sql)
    CASE WHEN spreadsheet_mangled(patient_id, true, false) THEN '' END AS "mangled_identifier:patient_id",
    CASE WHEN spreadsheet_mangled(nhs_number, true, false) THEN '' END AS "mangled_identifier:nhs_number",
    CASE WHEN spreadsheet_mangled(practice_id, true, false) THEN practice_id END
        AS "mangled_identifier:practice_id"
FROM p
