-- name: import_opensafely_patients
-- returns: one row per row of the ehrQL `patients` table: the canonical patients columns, then `_reason` (NULL
--   when the row is written), `_column`, `_note`, `_file`, `_row`. A repeated patient_id keeps its first row.
-- params: $practice_id
-- inputs: src_patients
WITH p AS (
    SELECT
        *,
        CASE WHEN date_of_birth LIKE '____-__-__%'
            THEN CAST(try_strptime(left(date_of_birth, 10), '%Y-%m-%d') AS DATE) END AS birth,
        CASE WHEN date_of_death LIKE '____-__-__%'
            THEN CAST(try_strptime(left(date_of_death, 10), '%Y-%m-%d') AS DATE) END AS death,
        row_number() OVER (PARTITION BY patient_id ORDER BY _file, _row) AS nth
    FROM src_patients
)
SELECT
    patient_id,
    strftime(birth, '%Y-%m-%d') AS date_of_birth,
    CASE WHEN lower(sex) IN ('female', 'male', 'unknown') THEN lower(sex)
        WHEN sex IS NOT NULL THEN 'unknown' END AS sex,
    CASE WHEN death >= birth THEN strftime(death, '%Y-%m-%d') END AS date_of_death,
    CAST($practice_id AS VARCHAR) AS practice_id,
    CASE
        WHEN patient_id IS NULL THEN 'missing_patient_id'
        WHEN nth > 1 THEN 'duplicate_patient'
        WHEN date_of_birth IS NULL THEN 'missing_date_of_birth'
        WHEN birth IS NULL THEN 'bad_date'
    END AS _reason,
    CASE
        WHEN patient_id IS NULL OR nth > 1 THEN 'patient_id'
        WHEN birth IS NULL THEN 'date_of_birth'
    END AS _column,
    CASE
        WHEN date_of_death IS NOT NULL AND death IS NULL THEN 'bad_date_of_death_cleared'
        WHEN death < birth THEN 'date_of_death_before_birth_cleared'
        WHEN lower(sex) = 'intersex' THEN 'sex_intersex_as_unknown'
        WHEN sex IS NOT NULL AND lower(sex) NOT IN ('female', 'male', 'unknown') THEN 'sex_not_recognised_as_unknown'
    END AS _note,
    _file,
    _row
FROM p
ORDER BY _file, _row
