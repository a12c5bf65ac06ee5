-- name: import_report_patients
-- returns: one row per row of the practice report patients file (columns already renamed by the mapping):
--   the canonical patients columns, then `_reason`, `_column` (the canonical column), `_note`, `_file`, `_row`
-- params: $date_formats, $sex_from, $sex_to, $practice_id
-- inputs: src_report_patients
WITH p AS (
    SELECT
        *,
        CAST(try_strptime(date_of_birth, $date_formats) AS DATE) AS birth,
        CAST(try_strptime(date_of_death, $date_formats) AS DATE) AS death,
        $sex_to[list_position($sex_from, lower(sex))] AS sex_mapped,
        row_number() OVER (PARTITION BY patient_id ORDER BY _file, _row) AS nth
    FROM src_report_patients
)
SELECT
    patient_id,
    strftime(birth, '%Y-%m-%d') AS date_of_birth,
    CASE WHEN sex IS NOT NULL THEN coalesce(sex_mapped, 'unknown') END AS sex,
    CASE WHEN death >= birth THEN strftime(death, '%Y-%m-%d') END AS date_of_death,
    coalesce(practice_id, CAST($practice_id AS VARCHAR)) AS practice_id,
    replace(nhs_number, ' ', '') AS nhs_number,
    CASE
        WHEN patient_id IS NULL THEN 'missing_patient_id'
        WHEN nth > 1 THEN 'duplicate_patient'
        WHEN date_of_birth IS NULL THEN 'missing_date_of_birth'
        WHEN birth IS NULL THEN 'bad_date'
    END AS _reason,
    CASE WHEN patient_id IS NULL OR nth > 1 THEN 'patient_id' WHEN birth IS NULL THEN 'date_of_birth' END AS _column,
    CASE
        WHEN date_of_death IS NOT NULL AND (death IS NULL OR death < birth) THEN 'bad_date_of_death_cleared'
        WHEN sex IS NOT NULL AND sex_mapped IS NULL THEN 'sex_not_recognised_as_unknown'
    END AS _note,
    _file,
    _row
FROM p
ORDER BY _file, _row
