-- name: import_ukb_patients
-- returns: one row per row of the participants file (eid, year_of_birth, month_of_birth, sex): the canonical
--   patients columns, then `_reason` (NULL when written), `_column`, `_note`, `_file`, `_row`. The date of birth
--   is the 1st of the month of birth; with no month, 1 July of the year of birth (noted).
-- params: $practice_id
-- inputs: src_participants
WITH p AS (
    SELECT
        *,
        TRY_CAST(year_of_birth AS INTEGER) AS y,
        TRY_CAST(month_of_birth AS INTEGER) AS m,
        row_number() OVER (PARTITION BY eid ORDER BY _file, _row) AS nth
    FROM src_participants
)
SELECT
    eid AS patient_id,
    CASE WHEN y BETWEEN 1850 AND 2100 THEN
        strftime(make_date(y, CASE WHEN m BETWEEN 1 AND 12 THEN m ELSE 7 END, 1), '%Y-%m-%d') END AS date_of_birth,
    CASE WHEN lower(sex) IN ('0', 'female', 'f') THEN 'female'
        WHEN lower(sex) IN ('1', 'male', 'm') THEN 'male'
        WHEN sex IS NOT NULL THEN 'unknown' END AS sex,
    CAST($practice_id AS VARCHAR) AS practice_id,
    CASE
        WHEN eid IS NULL THEN 'missing_patient_id'
        WHEN nth > 1 THEN 'duplicate_patient'
        WHEN year_of_birth IS NULL THEN 'missing_date_of_birth'
        WHEN y IS NULL OR y NOT BETWEEN 1850 AND 2100 THEN 'bad_year_of_birth'
    END AS _reason,
    CASE
        WHEN eid IS NULL OR nth > 1 THEN 'eid'
        WHEN y IS NULL OR y NOT BETWEEN 1850 AND 2100 THEN 'year_of_birth'
    END AS _column,
    CASE
        WHEN m IS NULL OR m NOT BETWEEN 1 AND 12 THEN 'month_of_birth_missing_july_1st_used'
        WHEN sex IS NOT NULL AND lower(sex) NOT IN ('0', 'female', 'f', '1', 'male', 'm') THEN 'sex_not_recognised_as_unknown'
    END AS _note,
    _file,
    _row
FROM p
ORDER BY _file, _row
