-- name: import_gold_medication_issues
-- returns: one row per row of the CPRD GOLD therapy files: prodcode resolved through product.txt to dm+d
--   (dmdcode), else to BNF (the bnfcode of the therapy row, else of the product; the first of several joined by a
--   slash), in the canonical medication_issues columns, then `_reason`, `_column`, `_note`, `_file`, `_row`
-- params: none
-- inputs: src_gold_therapy, src_gold_product, src_gold_patient
WITH dict AS (
    SELECT prodcode, dmdcode, term, bnfcode
    FROM src_gold_product
    WHERE prodcode IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY prodcode ORDER BY _row) = 1
),
acc AS (
    SELECT patid, any_value(accept) AS accept FROM src_gold_patient WHERE patid IS NOT NULL GROUP BY patid
),
t AS (
    SELECT
        t.*,
        CAST(try_strptime(t.eventdate, '%d/%m/%Y') AS DATE) AS d,
        dict.prodcode IS NOT NULL AS in_dict,
        CASE WHEN regexp_full_match(dict.dmdcode, '[1-9][0-9]{5,17}') THEN dict.dmdcode END AS dmd,
        dict.term,
        list_filter(
            [split_part(t.bnfcode, '/', 1), split_part(dict.bnfcode, '/', 1)],
            lambda b: regexp_full_match(b, '[0-9]{2}[0-9A-Z]{0,13}') AND b NOT LIKE '00%'
        )[1] AS bnf,
        acc.patid IS NOT NULL AS known,
        acc.accept
    FROM src_gold_therapy AS t
    LEFT JOIN dict ON dict.prodcode = t.prodcode
    LEFT JOIN acc ON acc.patid = t.patid
)
SELECT
    patid AS patient_id,
    strftime(d, '%Y-%m-%d') AS issue_date,
    coalesce(dmd, bnf) AS code,
    CASE WHEN dmd IS NOT NULL THEN 'dmd' ELSE 'bnf' END AS code_system,
    term,
    CASE WHEN TRY_CAST(qty AS DOUBLE) IS NOT NULL THEN qty END AS quantity,
    bnf AS bnf_code,
    CASE
        WHEN patid IS NULL THEN 'missing_patient_id'
        WHEN NOT known THEN 'unknown_patient'
        WHEN accept IS DISTINCT FROM '1' THEN 'patient_not_acceptable'
        WHEN eventdate IS NULL THEN 'missing_date'
        WHEN d IS NULL THEN 'bad_date'
        WHEN prodcode IS NULL THEN 'missing_code'
        WHEN NOT in_dict THEN 'prodcode_not_in_dictionary'
        WHEN dmd IS NULL AND bnf IS NULL THEN 'no_dmd_or_bnf_for_prodcode'
    END AS _reason,
    CASE
        WHEN patid IS NULL OR NOT known OR accept IS DISTINCT FROM '1' THEN 'patid'
        WHEN d IS NULL THEN 'eventdate'
        ELSE 'prodcode'
    END AS _column,
    CASE WHEN dmd IS NULL AND bnf IS NOT NULL THEN 'coded_in_bnf_no_dmd' END AS _note,
    _file,
    _row
FROM t
ORDER BY _file, _row
