-- name: validate_macros
-- returns: no rows; creates the macros the validation queries share (run with sql_files.run_script):
--   spreadsheet_mangled(code, trailing_zero_is_damage, has_check_digit): true when a spreadsheet has damaged
--   an identifier or code; verhoeff_fails(code): true when an all-digit identifier fails its check digit
-- params: none
-- inputs: none

-- Verhoeff check digit (SNOMED CT and dm+d identifiers carry one): fold the digits right to left through the
-- permutation table (8 rows) and the multiplication table (10 rows), both flattened and 1-based; a valid
-- identifier folds to 0.
CREATE OR REPLACE TEMP MACRO verhoeff_fails(code) AS list_reduce(
    list_reverse(split(code, '')),
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
) <> 0;

-- A spreadsheet writes a long number in scientific notation (1.23457E+17), and pandas adds '.0'. Excel also
-- keeps only 15 significant digits, so a 16-18 digit identifier comes back ending in zeros with a wrong
-- check digit. `trailing_zero_is_damage` is false for codes that may really end in '.0' (Read v2 and CTV3:
-- `1371.00`); `has_check_digit` is true for SNOMED CT and dm+d identifiers. Each test is guarded by a cheap
-- one (a '+', a '.0', 16+ characters ending in 0) in a CASE, which DuckDB evaluates lazily: the regular
-- expressions and the check digit run on few rows.
CREATE OR REPLACE TEMP MACRO spreadsheet_mangled(code, trailing_zero_is_damage, has_check_digit) AS CASE
    WHEN contains(code, '+')
        THEN regexp_full_match(code, '[0-9]+(\.[0-9]+)?[eE][+-][0-9]+')
    WHEN contains(code, '.0')
        THEN trailing_zero_is_damage AND regexp_full_match(code, '[0-9]+\.0+')
    WHEN length(code) >= 16 AND code LIKE '%0' AND has_check_digit AND regexp_full_match(code, '[0-9]{16,18}')
        THEN verhoeff_fails(code)
    ELSE false
END;
