-- name: import_aurum_medication_issues
-- returns: one row per row of the CPRD Aurum DrugIssue files: prodcodeid resolved to dm+d through the EMIS
--   product dictionary (CPRDAurumProduct: ProdCodeId -> DMDID, Term, BNFChapter), in the canonical
--   medication_issues columns, then `_reason`, `_column`, `_note`, `_file`, `_row`
-- params: none
-- inputs: src_aurum_drugissue, src_aurum_product, src_aurum_patient
WITH dict AS (
    SELECT prodcodeid, dmdid, term, bnf
    FROM src_aurum_product
    WHERE prodcodeid IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY prodcodeid ORDER BY _row) = 1
),
acc AS (
    SELECT patid, any_value(acceptable) AS acceptable FROM src_aurum_patient WHERE patid IS NOT NULL GROUP BY patid
),
i AS (
    SELECT
        i.*,
        CAST(try_strptime(i.issuedate, '%d/%m/%Y') AS DATE) AS d,
        dict.prodcodeid IS NOT NULL AS in_dict,
        dict.dmdid,
        dict.term,
        CASE WHEN regexp_full_match(dict.bnf, '[0-9]{2}[0-9A-Z]{0,13}') THEN dict.bnf END AS bnf,
        acc.patid IS NOT NULL AS known,
        acc.acceptable
    FROM src_aurum_drugissue AS i
    LEFT JOIN dict ON dict.prodcodeid = i.prodcodeid
    LEFT JOIN acc ON acc.patid = i.patid
)
SELECT
    patid AS patient_id,
    strftime(d, '%Y-%m-%d') AS issue_date,
    dmdid AS code,
    'dmd' AS code_system,
    term,
    CASE WHEN TRY_CAST(quantity AS DOUBLE) IS NOT NULL THEN quantity END AS quantity,
    bnf AS bnf_code,
    CASE
        WHEN patid IS NULL THEN 'missing_patient_id'
        WHEN NOT known THEN 'unknown_patient'
        WHEN acceptable IS DISTINCT FROM '1' THEN 'patient_not_acceptable'
        WHEN issuedate IS NULL THEN 'missing_date'
        WHEN d IS NULL THEN 'bad_date'
        WHEN prodcodeid IS NULL THEN 'missing_code'
        WHEN NOT in_dict THEN 'prodcodeid_not_in_dictionary'
        WHEN dmdid IS NULL THEN 'no_dmd_for_prodcodeid'
    END AS _reason,
    CASE
        WHEN patid IS NULL OR NOT known OR acceptable IS DISTINCT FROM '1' THEN 'patid'
        WHEN d IS NULL THEN 'issuedate'
        ELSE 'prodcodeid'
    END AS _column,
    _file,
    _row
FROM i
ORDER BY _file, _row
