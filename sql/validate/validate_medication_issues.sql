-- name: validate_medication_issues
-- returns: one row per medication_issues row: `_row`, then one column per check named "<check>:<column>"
--   that is NULL when the row passes and, when it fails, the value a message may show ('' when it must not
--   be shown); then the text columns that are read but not checked
-- params: $as_of, $code_systems, $allowed_prescription_type
-- inputs: raw_medication_issues, validate_patient_keys, validate_macros
WITH m AS (
    SELECT
        m._row,
        m.patient_id,
        m.issue_date,
        m.code,
        m.code_system,
        m.term,
        m.dosage_text,
        m.quantity,
        m.bnf_code,
        m.prescription_type,
        nullif(trim(m.patient_id), '') IS NULL AS no_patient_id,
        nullif(trim(m.code), '') IS NULL AS no_code,
        nullif(trim(m.code_system), '') IS NULL AS no_code_system,
        -- a date: the shape YYYY-MM-DD (LIKE, cheap), then a real calendar date (2023-02-30 fails)
        CASE WHEN m.issue_date LIKE '____-__-__'
            THEN CAST(try_strptime(m.issue_date, '%Y-%m-%d') AS DATE) END AS issue_day,
        -- an identifier or code damaged by a spreadsheet (sql/macros/validate_macros.sql)
        spreadsheet_mangled(m.code, m.code_system IN ('dmd', 'bnf'), m.code_system = 'dmd') AS code_mangled,
        k.patient_id IS NOT NULL AS known_patient,
        k.birth_date
    FROM raw_medication_issues AS m
    LEFT JOIN validate_patient_keys AS k ON k.patient_id = m.patient_id
)
SELECT
    _row,
    -- required values
    CASE WHEN no_patient_id THEN '' END AS "missing_value:patient_id",
    CASE WHEN nullif(trim(issue_date), '') IS NULL THEN '' END AS "missing_value:issue_date",
    CASE WHEN no_code THEN '' END AS "missing_value:code",
    CASE WHEN no_code_system THEN '' END AS "missing_value:code_system",
    -- the patient must be in patients
    CASE WHEN NOT no_patient_id AND NOT known_patient THEN '' END AS "unknown_patient:patient_id",
    -- dates
    CASE WHEN nullif(trim(issue_date), '') IS NOT NULL AND issue_day IS NULL THEN issue_date END
        AS "bad_date:issue_date",
    CASE WHEN issue_day > $as_of THEN '' END AS "date_after_extract:issue_date",
    CASE WHEN issue_day < birth_date THEN '' END AS "date_before_birth:issue_date",
    -- code systems and codes
    CASE WHEN NOT no_code_system AND NOT list_contains($code_systems, code_system) THEN code_system END
        AS "unknown_code_system:code_system",
    CASE WHEN code_mangled THEN code END AS "mangled_identifier:code",
    CASE WHEN code_system = 'readv2' AND NOT no_code
            AND NOT regexp_full_match(code, '[A-Za-z0-9.]{5}([0-9]{2})?')
        THEN code END AS "read_code_format:code",
    CASE WHEN code_system = 'dmd' AND NOT no_code AND NOT code_mangled
            AND NOT regexp_full_match(code, '[1-9][0-9]{5,17}')
        THEN code END AS "snomed_code_format:code",
    CASE WHEN code_system = 'bnf' AND NOT no_code AND NOT code_mangled
            AND NOT regexp_full_match(code, '[0-9]{2}[0-9A-Z]{0,13}')
        THEN code END AS "bnf_code_format:code",
    CASE WHEN spreadsheet_mangled(bnf_code, true, false) THEN bnf_code END
        AS "mangled_identifier:bnf_code",
    CASE WHEN nullif(trim(bnf_code), '') IS NOT NULL
            AND NOT regexp_full_match(bnf_code, '[0-9]+(\.[0-9]+)?[eE][+-][0-9]+|[0-9]+\.0+')
            AND NOT regexp_full_match(bnf_code, '[0-9]{2}[0-9A-Z]{0,13}')
        THEN bnf_code END AS "bnf_code_format:bnf_code",
    -- identifiers mangled by a spreadsheet: scientific notation, or a trailing '.0' on a number
    CASE WHEN spreadsheet_mangled(patient_id, true, false) THEN '' END
        AS "mangled_identifier:patient_id",
    -- allowed values and numbers
    CASE WHEN nullif(trim(prescription_type), '') IS NOT NULL
            AND NOT list_contains($allowed_prescription_type, prescription_type)
        THEN prescription_type END AS "bad_value:prescription_type",
    CASE WHEN nullif(trim(quantity), '') IS NOT NULL AND TRY_CAST(quantity AS DOUBLE) IS NULL THEN '' END
        AS "bad_number:quantity",
    -- text read but not checked: selected so DuckDB decodes it (a byte that is not UTF-8 is found anywhere)
    term, dosage_text
FROM m
