-- name: import_ukb_clinical_events
-- returns: one row per row of gp_clinical (eid, data_provider, event_dt, read_2, read_3, value1-3): the
--   canonical clinical_events columns (read_2 -> readv2, read_3 -> ctv3; Read v2 wins when a row has both,
--   noted), then `_reason`, `_column`, `_note`, `_file`, `_row`. Reasons are tested in the order below.
-- params: $placeholders
-- inputs: src_gp_clinical, src_participants
WITH c AS (
    SELECT
        *,
        coalesce(CAST(try_strptime(event_dt, '%d/%m/%Y') AS DATE), CAST(try_strptime(event_dt, '%Y-%m-%d') AS DATE)) AS d,
        CASE WHEN regexp_full_match(read_2, '[A-Za-z0-9.]{5}[0-9]{2}') THEN left(read_2, 5) ELSE read_2 END AS r2,
        eid IN (SELECT eid FROM src_participants WHERE eid IS NOT NULL) AS known
    FROM src_gp_clinical
),
v AS (
    SELECT
        *,
        regexp_full_match(coalesce(r2, ''), '[A-Za-z0-9.]{5}') AS r2_ok,
        regexp_full_match(coalesce(read_3, ''), '[A-Za-z0-9.]{5}') AS r3_ok
    FROM c
)
SELECT
    eid AS patient_id,
    strftime(d, '%Y-%m-%d') AS event_date,
    CASE WHEN r2_ok THEN r2 WHEN r3_ok THEN read_3 END AS code,
    CASE WHEN r2_ok THEN 'readv2' WHEN r3_ok THEN 'ctv3' END AS code_system,
    CASE WHEN TRY_CAST(value1 AS DOUBLE) IS NOT NULL THEN value1 END AS numeric_value,
    CASE
        WHEN eid IS NULL THEN 'missing_patient_id'
        WHEN NOT known THEN 'unknown_participant'
        WHEN event_dt IS NULL THEN 'missing_date'
        WHEN list_contains($placeholders, d) THEN 'placeholder_date'
        WHEN d IS NULL THEN 'bad_date'
        WHEN read_2 IS NULL AND read_3 IS NULL THEN 'missing_code'
        WHEN NOT r2_ok AND NOT r3_ok THEN 'bad_code'
    END AS _reason,
    CASE
        WHEN eid IS NULL OR NOT known THEN 'eid'
        WHEN d IS NULL OR list_contains($placeholders, d) THEN 'event_dt'
        WHEN read_2 IS NOT NULL OR read_3 IS NULL THEN 'read_2'
        ELSE 'read_3'
    END AS _column,
    CASE
        WHEN r2_ok AND r3_ok THEN 'both_read_2_and_read_3_read_2_kept'
        WHEN r2_ok AND length(read_2) = 7 THEN 'read_2_term_suffix_dropped'
        WHEN (r2_ok AND read_3 IS NOT NULL) OR (r3_ok AND read_2 IS NOT NULL) THEN 'bad_second_code_ignored'
    END AS _note,
    _file,
    _row
FROM v
