-- name: import_ukb_registrations
-- returns: one row per row of gp_registrations (eid, data_provider, reg_date, deduct_date): the canonical
--   registrations columns, then `_reason`, `_column`, `_note`, `_file`, `_row`. practice_id is the
--   --practice-id given, else `ukb-provider-<data_provider>`. A placeholder deduct_date is cleared (noted).
-- params: $practice_id, $placeholders
-- inputs: src_gp_registrations
WITH r AS (
    SELECT
        *,
        coalesce(CAST(try_strptime(reg_date, '%d/%m/%Y') AS DATE), CAST(try_strptime(reg_date, '%Y-%m-%d') AS DATE)) AS s,
        coalesce(CAST(try_strptime(deduct_date, '%d/%m/%Y') AS DATE), CAST(try_strptime(deduct_date, '%Y-%m-%d') AS DATE)) AS e
    FROM src_gp_registrations
)
SELECT
    eid AS patient_id,
    coalesce(CAST($practice_id AS VARCHAR), 'ukb-provider-' || coalesce(data_provider, 'unknown')) AS practice_id,
    strftime(s, '%Y-%m-%d') AS start_date,
    CASE WHEN NOT list_contains($placeholders, e) THEN strftime(e, '%Y-%m-%d') END AS end_date,
    CASE
        WHEN eid IS NULL THEN 'missing_patient_id'
        WHEN reg_date IS NULL THEN 'missing_date'
        WHEN list_contains($placeholders, s) THEN 'placeholder_date'
        WHEN s IS NULL THEN 'bad_date'
        WHEN deduct_date IS NOT NULL AND e IS NULL THEN 'bad_date'
    END AS _reason,
    CASE
        WHEN eid IS NULL THEN 'eid'
        WHEN reg_date IS NULL OR s IS NULL OR list_contains($placeholders, s) THEN 'reg_date'
        WHEN deduct_date IS NOT NULL AND e IS NULL THEN 'deduct_date'
    END AS _column,
    CASE WHEN list_contains($placeholders, e) THEN 'placeholder_deduct_date_cleared' END AS _note,
    _file,
    _row
FROM r
