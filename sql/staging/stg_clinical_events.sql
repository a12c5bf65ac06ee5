-- name: stg_clinical_events
-- returns: one row per coded clinical event, in the file's order: patient_id, event_date (DATE), code_system,
--   code (Read v2 7-character codes cut to their 5-character code, `N142.00` -> `N142.`), term
-- The record's identifier is the table's rowid (read as event_id by the intermediate layer): DuckDB keeps the
-- file's row order when it materialises a query (preserve_insertion_order, on by default), so rowid numbers
-- the kept rows in file order, the same on every run. Numbering in SQL (row_number() OVER ()) would make
-- DuckDB read the file on one thread; validation numbers rows only to name a bad one.
-- params: none
-- inputs: raw_clinical_events
SELECT
    patient_id,
    CAST(try_strptime(event_date, '%Y-%m-%d') AS DATE) AS event_date,
    code_system,
    CASE WHEN code_system = 'readv2' AND length(trim(code)) = 7 THEN left(trim(code), 5) ELSE trim(code) END
        AS code,
    nullif(trim(term), '') AS term
FROM raw_clinical_events
WHERE nullif(trim(patient_id), '') IS NOT NULL AND nullif(trim(code), '') IS NOT NULL
