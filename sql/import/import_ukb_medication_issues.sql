-- name: import_ukb_medication_issues
-- returns: one row per row of gp_scripts (eid, data_provider, issue_date, read_2, bnf_code, dmd_code,
--   drug_name, quantity): the canonical medication_issues columns, coded in dm+d when dmd_code is a dm+d id,
--   else Read v2 (read_2), else BNF (bnf_code; the dotted form 02.02.01.00.00 becomes 02020100, noted); then
--   `_reason`, `_column`, `_note`, `_file`, `_row`. Reasons are tested in the order below.
-- params: $placeholders
-- inputs: src_gp_scripts, src_participants
WITH s AS (
    SELECT
        *,
        coalesce(CAST(try_strptime(issue_date, '%d/%m/%Y') AS DATE), CAST(try_strptime(issue_date, '%Y-%m-%d') AS DATE)) AS d,
        CASE WHEN regexp_full_match(read_2, '[A-Za-z0-9.]{5}[0-9]{2}') THEN left(read_2, 5) ELSE read_2 END AS r2,
        CASE
            WHEN regexp_full_match(bnf_code, '[0-9]{2}(\.[0-9]{2}){1,5}')
                THEN left(replace(bnf_code, '.', ''), 8)
            WHEN regexp_full_match(bnf_code, '[0-9]{2}[0-9A-Z]{0,13}') THEN bnf_code
        END AS bnf,
        eid IN (SELECT eid FROM src_participants WHERE eid IS NOT NULL) AS known
    FROM src_gp_scripts
),
v AS (
    SELECT
        *,
        regexp_full_match(coalesce(dmd_code, ''), '[1-9][0-9]{5,17}') AS dmd_ok,
        regexp_full_match(coalesce(r2, ''), '[A-Za-z0-9.]{5}') AS r2_ok
    FROM s
)
SELECT
    eid AS patient_id,
    strftime(d, '%Y-%m-%d') AS issue_date,
    CASE WHEN dmd_ok THEN dmd_code WHEN r2_ok THEN r2 ELSE bnf END AS code,
    CASE WHEN dmd_ok THEN 'dmd' WHEN r2_ok THEN 'readv2' WHEN bnf IS NOT NULL THEN 'bnf' END AS code_system,
    drug_name AS term,
    CASE WHEN TRY_CAST(quantity AS DOUBLE) IS NOT NULL THEN quantity END AS quantity,
    bnf AS bnf_code,
    CASE
        WHEN eid IS NULL THEN 'missing_patient_id'
        WHEN NOT known THEN 'unknown_participant'
        WHEN issue_date IS NULL THEN 'missing_date'
        WHEN list_contains($placeholders, d) THEN 'placeholder_date'
        WHEN d IS NULL THEN 'bad_date'
        WHEN dmd_code IS NULL AND read_2 IS NULL AND bnf_code IS NULL THEN 'missing_code'
        WHEN NOT dmd_ok AND NOT r2_ok AND bnf IS NULL THEN 'bad_code'
    END AS _reason,
    CASE
        WHEN eid IS NULL OR NOT known THEN 'eid'
        WHEN d IS NULL OR list_contains($placeholders, d) THEN 'issue_date'
        WHEN dmd_code IS NOT NULL THEN 'dmd_code'
        WHEN read_2 IS NOT NULL THEN 'read_2'
        ELSE 'bnf_code'
    END AS _column,
    CASE
        WHEN dmd_code IS NOT NULL AND NOT dmd_ok THEN 'bad_dmd_code_ignored'
        WHEN read_2 IS NOT NULL AND NOT r2_ok AND NOT dmd_ok THEN 'bad_read_2_ignored'
        WHEN bnf_code IS NOT NULL AND bnf IS NULL THEN 'bad_bnf_code_ignored'
        WHEN bnf_code LIKE '%.%' THEN 'dotted_bnf_normalised'
        WHEN quantity IS NOT NULL AND TRY_CAST(quantity AS DOUBLE) IS NULL THEN 'quantity_not_a_number_cleared'
    END AS _note,
    _file,
    _row
FROM v
