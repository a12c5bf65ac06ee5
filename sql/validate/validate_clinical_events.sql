-- name: validate_clinical_events
-- returns: one row per clinical_events row: `_row`, then one column per check named "<check>:<column>"
--   that is NULL when the row passes and, when it fails, the value a message may show ('' when it must not
--   be shown); then the text columns that are read but not checked
-- params: $as_of, $code_systems
-- inputs: raw_clinical_events, validate_patient_keys, validate_macros
WITH e AS (
    SELECT
        e._row,
        e.patient_id,
        e.event_date,
        e.code,
        e.code_system,
        e.term,
        e.numeric_value,
        e.event_id,
        nullif(trim(e.patient_id), '') IS NULL AS no_patient_id,
        nullif(trim(e.code), '') IS NULL AS no_code,
        nullif(trim(e.code_system), '') IS NULL AS no_code_system,
        -- a date: the shape YYYY-MM-DD (LIKE, cheap), then a real calendar date (2023-02-30 fails)
        CASE WHEN e.event_date LIKE '____-__-__'
            THEN CAST(try_strptime(e.event_date, '%Y-%m-%d') AS DATE) END AS event_day,
        -- an identifier or code damaged by a spreadsheet (sql/macros/validate_macros.sql)
        spreadsheet_mangled(e.code, e.code_system = 'snomedct', e.code_system = 'snomedct') AS code_mangled,
        k.patient_id IS NOT NULL AS known_patient,
        k.birth_date
    FROM raw_clinical_events AS e
    LEFT JOIN validate_patient_keys AS k ON k.patient_id = e.patient_id
)
SELECT
    _row,
    -- required values
    CASE WHEN no_patient_id THEN '' END AS "missing_value:patient_id",
    CASE WHEN nullif(trim(event_date), '') IS NULL THEN '' END AS "missing_value:event_date",
    CASE WHEN no_code THEN '' END AS "missing_value:code",
    CASE WHEN no_code_system THEN '' END AS "missing_value:code_system",
    -- the patient must be in patients
    CASE WHEN NOT no_patient_id AND NOT known_patient THEN '' END AS "unknown_patient:patient_id",
    -- dates
    CASE WHEN nullif(trim(event_date), '') IS NOT NULL AND event_day IS NULL THEN event_date END
        AS "bad_date:event_date",
    CASE WHEN event_day > $as_of THEN '' END AS "date_after_extract:event_date",
    CASE WHEN event_day < birth_date THEN '' END AS "date_before_birth:event_date",
    -- code systems and codes
    CASE WHEN NOT no_code_system AND NOT list_contains($code_systems, code_system) THEN code_system END
        AS "unknown_code_system:code_system",
    CASE WHEN code_mangled THEN code END AS "mangled_identifier:code",
    CASE WHEN code_system = 'readv2' AND NOT no_code
            AND NOT regexp_full_match(code, '[A-Za-z0-9.]{5}([0-9]{2})?')
        THEN code END AS "read_code_format:code",
    CASE WHEN code_system = 'ctv3' AND NOT no_code AND NOT regexp_full_match(code, '[A-Za-z0-9.]{5}')
        THEN code END AS "ctv3_code_format:code",
    CASE WHEN code_system = 'snomedct' AND NOT no_code AND NOT code_mangled
            AND NOT regexp_full_match(code, '[1-9][0-9]{5,17}')
        THEN code END AS "snomed_code_format:code",
    -- identifiers mangled by a spreadsheet: scientific notation, or a trailing '.0' on a number
    CASE WHEN spreadsheet_mangled(patient_id, true, false) THEN '' END
        AS "mangled_identifier:patient_id",
    CASE WHEN spreadsheet_mangled(event_id, true, false) THEN '' END
        AS "mangled_identifier:event_id",
    -- numbers
    CASE WHEN nullif(trim(numeric_value), '') IS NOT NULL AND TRY_CAST(numeric_value AS DOUBLE) IS NULL
        THEN '' END        AS "bad_number:numeric_value",
    -- text read but not checked: selected so DuckDB decodes it (a byte that is not UTF-8 is found anywhere)
    term
FROM e
