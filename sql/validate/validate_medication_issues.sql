-- name: validate_medication_issues
-- returns: one row per medication_issues row: `_row`, then one column per check named "<check>:<column>"
--   that is NULL when the row passes and, when it fails, the value a message may show ('' when it must not
--   be shown); then the text columns that are read but not checked
-- params: $as_of, $code_systems, $allowed_prescription_type
-- inputs: raw_medication_issues, validate_patient_keys
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
        -- A spreadsheet writes a long number in scientific notation (1.23457E+17), and pandas adds '.0'.
        -- Excel also keeps only 15 significant digits, so a 16-18 digit dm+d identifier comes back ending
        -- in zeros with a wrong Verhoeff check digit (computed only for such codes: it is costly).
        -- Read v2 drug codes are never all digits, so the '.0' test does not apply to them.
        -- Each test is guarded by a cheap one (a '+', a trailing '.0', 16+ characters ending in 0) in
        -- a CASE, which DuckDB evaluates lazily: the regular expressions and check digit run on few rows.
        CASE
            WHEN contains(m.code, '+')
                THEN regexp_full_match(m.code, '[0-9]+(\.[0-9]+)?[eE][+-][0-9]+')
            WHEN contains(m.code, '.0')
                THEN m.code_system IN ('dmd', 'bnf') AND regexp_full_match(m.code, '[0-9]+\.0+')
            WHEN length(m.code) >= 16 AND m.code LIKE '%0'
                    AND m.code_system = 'dmd' AND regexp_full_match(m.code, '[0-9]{16,18}')
                THEN list_reduce(
                    -- Verhoeff check digit: fold the digits right to left through the permutation table
                    -- (8 rows) and the multiplication table (10 rows), both flattened and 1-based; a valid
                    -- identifier folds to 0
                    list_reverse(split(m.code, '')),
                    lambda c, digit, i: [
                        0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                        1, 2, 3, 4, 0, 6, 7, 8, 9, 5,
                        2, 3, 4, 0, 1, 7, 8, 9, 5, 6,
                        3, 4, 0, 1, 2, 8, 9, 5, 6, 7,
                        4, 0, 1, 2, 3, 9, 5, 6, 7, 8,
                        5, 9, 8, 7, 6, 0, 4, 3, 2, 1,
                        6, 5, 9, 8, 7, 1, 0, 4, 3, 2,
                        7, 6, 5, 9, 8, 2, 1, 0, 4, 3,
                        8, 7, 6, 5, 9, 3, 2, 1, 0, 4,
                        9, 8, 7, 6, 5, 4, 3, 2, 1, 0
                    ][c * 10 + [
                        0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
                        1, 5, 7, 6, 2, 8, 3, 0, 9, 4,
                        5, 8, 0, 3, 7, 9, 6, 1, 4, 2,
                        8, 9, 1, 6, 0, 4, 3, 5, 2, 7,
                        9, 4, 5, 3, 1, 2, 6, 8, 7, 0,
                        4, 2, 8, 6, 5, 7, 3, 9, 0, 1,
                        2, 7, 9, 3, 8, 0, 6, 4, 1, 5,
                        7, 0, 4, 6, 9, 1, 3, 2, 5, 8
                    ][((i - 1) % 8) * 10 + CAST(digit AS INTEGER) + 1] + 1],
                    0
                ) <> 0
            ELSE false
        END AS code_mangled,
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
    CASE WHEN (contains(bnf_code, '+') OR contains(bnf_code, '.0'))
            AND regexp_full_match(bnf_code, '[0-9]+(\.[0-9]+)?[eE][+-][0-9]+|[0-9]+\.0+') THEN bnf_code END
        AS "mangled_identifier:bnf_code",
    CASE WHEN nullif(trim(bnf_code), '') IS NOT NULL
            AND NOT regexp_full_match(bnf_code, '[0-9]+(\.[0-9]+)?[eE][+-][0-9]+|[0-9]+\.0+')
            AND NOT regexp_full_match(bnf_code, '[0-9]{2}[0-9A-Z]{0,13}')
        THEN bnf_code END AS "bnf_code_format:bnf_code",
    -- identifiers mangled by a spreadsheet: scientific notation, or a trailing '.0' on a number
    CASE WHEN (contains(patient_id, '+') OR contains(patient_id, '.0'))
            AND regexp_full_match(patient_id, '[0-9]+(\.[0-9]+)?[eE][+-][0-9]+|[0-9]+\.0+') THEN '' END
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
