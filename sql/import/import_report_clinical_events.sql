-- name: import_report_clinical_events
-- returns: one row per row of the practice report events file (columns renamed by the mapping; code columns
--   as code_1 .. code_4 with their systems in $systems): the canonical clinical_events columns, coded with
--   the first code column holding a well-formed code of its system; then `_reason`, `_column`, `_note`,
--   `_file`, `_row`. A code like 1.23457E+17 was turned into a number by a spreadsheet: its digits are lost
--   (reason `code_mangled_by_spreadsheet` when no other column of the row has a usable code)
-- params: $date_formats, $systems
-- inputs: src_report_clinical_events
WITH e AS (
    SELECT
        *,
        CAST(try_strptime(event_date, $date_formats) AS DATE) AS d,
        list_transform([code_1, code_2, code_3, code_4], lambda c, i: CASE
            WHEN $systems[i] = 'readv2' AND regexp_full_match(c, '[A-Za-z0-9.]{5}[0-9]{2}') THEN left(c, 5)
            ELSE c END) AS codes
    FROM src_report_clinical_events
),
v AS (
    SELECT
        *,
        coalesce(list_position(list_transform(codes, lambda c, i: coalesce(CASE $systems[i]
            WHEN 'readv2' THEN regexp_full_match(c, '[A-Za-z0-9.]{5}')
            WHEN 'ctv3' THEN regexp_full_match(c, '[A-Za-z0-9.]{5}')
            WHEN 'snomedct' THEN regexp_full_match(c, '[1-9][0-9]{5,17}')
        END, false)), true), 0) AS pick,
        len(list_filter(codes, lambda c: c IS NOT NULL)) AS n_codes
    FROM e
)
SELECT
    patient_id,
    strftime(d, '%Y-%m-%d') AS event_date,
    codes[pick] AS code,
    $systems[pick] AS code_system,
    term,
    CASE WHEN TRY_CAST(numeric_value AS DOUBLE) IS NOT NULL THEN numeric_value END AS numeric_value,
    CASE
        WHEN patient_id IS NULL THEN 'missing_patient_id'
        WHEN event_date IS NULL THEN 'missing_date'
        WHEN d IS NULL THEN 'bad_date'
        WHEN n_codes = 0 THEN 'missing_code'
        WHEN pick = 0 AND len(list_filter(codes, lambda c: regexp_full_match(c, '[0-9.]+[Ee]\+[0-9]+'))) > 0
            THEN 'code_mangled_by_spreadsheet'
        WHEN pick = 0 THEN 'bad_code'
    END AS _reason,
    CASE
        WHEN patient_id IS NULL THEN 'patient_id'
        WHEN d IS NULL THEN 'event_date'
        ELSE 'code'
    END AS _column,
    CASE WHEN pick > 0 AND n_codes > 1 THEN 'first_usable_code_column_kept' END AS _note,
    _file,
    _row
FROM v
