-- name: import_report_medication_issues
-- returns: one row per row of the practice report medication file (columns renamed by the mapping; code
--   columns as code_1 .. code_4 with their systems in $systems): the canonical medication_issues columns,
--   coded with the first code column holding a well-formed code of its system; then `_reason`, `_column`,
--   `_note`, `_file`, `_row`. prescription_type: values starting "repeat" -> repeat, "acute" -> acute.
-- params: $date_formats, $systems
-- inputs: src_report_medication_issues
WITH m AS (
    SELECT
        *,
        CAST(try_strptime(issue_date, $date_formats) AS DATE) AS d,
        list_transform([code_1, code_2, code_3, code_4], lambda c, i: CASE
            WHEN $systems[i] = 'readv2' AND regexp_full_match(c, '[A-Za-z0-9.]{5}[0-9]{2}') THEN left(c, 5)
            WHEN $systems[i] = 'bnf' THEN replace(c, '.', '')
            ELSE c END) AS codes
    FROM src_report_medication_issues
),
v AS (
    SELECT
        *,
        coalesce(list_position(list_transform(codes, lambda c, i: coalesce(CASE $systems[i]
            WHEN 'readv2' THEN regexp_full_match(c, '[A-Za-z0-9.]{5}')
            WHEN 'dmd' THEN regexp_full_match(c, '[1-9][0-9]{5,17}')
            WHEN 'bnf' THEN regexp_full_match(c, '[0-9]{2}[0-9A-Z]{0,13}')
        END, false)), true), 0) AS pick,
        len(list_filter(codes, lambda c: c IS NOT NULL)) AS n_codes
    FROM m
)
SELECT
    patient_id,
    strftime(d, '%Y-%m-%d') AS issue_date,
    codes[pick] AS code,
    $systems[pick] AS code_system,
    term,
    CASE WHEN TRY_CAST(quantity AS DOUBLE) IS NOT NULL THEN quantity END AS quantity,
    dosage_text,
    CASE WHEN lower(prescription_type) LIKE 'repeat%' THEN 'repeat'
        WHEN lower(prescription_type) LIKE 'acute%' THEN 'acute' END AS prescription_type,
    CASE
        WHEN patient_id IS NULL THEN 'missing_patient_id'
        WHEN issue_date IS NULL THEN 'missing_date'
        WHEN d IS NULL THEN 'bad_date'
        WHEN n_codes = 0 THEN 'missing_code'
        WHEN pick = 0 AND len(list_filter(codes, lambda c: regexp_full_match(c, '[0-9.]+[Ee]\+[0-9]+'))) > 0
            THEN 'code_mangled_by_spreadsheet'
        WHEN pick = 0 THEN 'bad_code'
    END AS _reason,
    CASE
        WHEN patient_id IS NULL THEN 'patient_id'
        WHEN d IS NULL THEN 'issue_date'
        ELSE 'code'
    END AS _column,
    CASE
        WHEN quantity IS NOT NULL AND TRY_CAST(quantity AS DOUBLE) IS NULL THEN 'quantity_not_a_number_cleared'
        WHEN pick > 0 AND n_codes > 1 THEN 'first_usable_code_column_kept'
    END AS _note,
    _file,
    _row
FROM v
