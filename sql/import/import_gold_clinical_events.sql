-- name: import_gold_clinical_events
-- returns: one row per row of the CPRD GOLD clinical, referral and test files: medcode resolved to Read v2
--   through medical.txt (medcode -> readcode, cut to 5 characters; readterm/desc as the term), in the
--   canonical clinical_events columns, then `_reason`, `_column`, `_note`, `_file`, `_row`
-- params: none
-- inputs: src_gold_clinical, src_gold_medical, src_gold_patient
WITH dict AS (
    SELECT medcode, readcode, term
    FROM src_gold_medical
    WHERE medcode IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY medcode ORDER BY _row) = 1
),
acc AS (
    SELECT patid, any_value(accept) AS accept FROM src_gold_patient WHERE patid IS NOT NULL GROUP BY patid
),
c AS (
    SELECT
        c.*,
        CAST(try_strptime(c.eventdate, '%d/%m/%Y') AS DATE) AS d,
        dict.medcode IS NOT NULL AS in_dict,
        CASE WHEN length(dict.readcode) = 7 THEN left(dict.readcode, 5) ELSE dict.readcode END AS readcode,
        dict.term,
        acc.patid IS NOT NULL AS known,
        acc.accept
    FROM src_gold_clinical AS c
    LEFT JOIN dict ON dict.medcode = c.medcode
    LEFT JOIN acc ON acc.patid = c.patid
)
SELECT
    patid AS patient_id,
    strftime(d, '%Y-%m-%d') AS event_date,
    readcode AS code,
    'readv2' AS code_system,
    term,
    CASE
        WHEN patid IS NULL THEN 'missing_patient_id'
        WHEN NOT known THEN 'unknown_patient'
        WHEN accept IS DISTINCT FROM '1' THEN 'patient_not_acceptable'
        WHEN eventdate IS NULL THEN 'missing_date'
        WHEN d IS NULL THEN 'bad_date'
        WHEN medcode IS NULL THEN 'missing_code'
        WHEN NOT in_dict THEN 'medcode_not_in_dictionary'
        WHEN readcode IS NULL THEN 'no_read_code_for_medcode'
    END AS _reason,
    CASE
        WHEN patid IS NULL OR NOT known OR accept IS DISTINCT FROM '1' THEN 'patid'
        WHEN d IS NULL THEN 'eventdate'
        ELSE 'medcode'
    END AS _column,
    _file,
    _row
FROM c
ORDER BY _file, _row
