-- name: import_fhir_patients
-- returns: one row per Patient resource: the canonical patients columns (id, birthDate, gender,
--   deceasedDateTime, the NHS number identifier), then `_reason`, `_column`, `_note`, `_file`, `_row`.
--   A birthDate of year and month only becomes the 1st of the month, a year only 1 July (noted).
-- params: $practice_id, $nhs_number_system
-- inputs: src_fhir
WITH p AS (
    SELECT
        json_extract_string(json, '$.id') AS id,
        json_extract_string(json, '$.birthDate') AS birth_text,
        json_extract_string(json, '$.gender') AS gender,
        json_extract_string(json, '$.deceasedDateTime') AS death_text,
        json_extract_string(json, '$.identifier[*].system') AS id_systems,
        json_extract_string(json, '$.identifier[*].value') AS id_values,
        _file,
        _row
    FROM src_fhir
    WHERE json_extract_string(json, '$.resourceType') = 'Patient'
),
d AS (
    SELECT
        *,
        CASE
            WHEN regexp_full_match(birth_text, '[0-9]{4}-[0-9]{2}-[0-9]{2}') THEN CAST(try_strptime(birth_text, '%Y-%m-%d') AS DATE)
            WHEN regexp_full_match(birth_text, '[0-9]{4}-[0-9]{2}') THEN CAST(try_strptime(birth_text || '-01', '%Y-%m-%d') AS DATE)
            WHEN regexp_full_match(birth_text, '[0-9]{4}') THEN CAST(try_strptime(birth_text || '-07-01', '%Y-%m-%d') AS DATE)
        END AS birth,
        CAST(try_strptime(left(death_text, 10), '%Y-%m-%d') AS DATE) AS death,
        row_number() OVER (PARTITION BY id ORDER BY _file, _row) AS nth
    FROM p
)
SELECT
    id AS patient_id,
    strftime(birth, '%Y-%m-%d') AS date_of_birth,
    CASE WHEN gender IN ('female', 'male') THEN gender WHEN gender IS NOT NULL THEN 'unknown' END AS sex,
    CASE WHEN death >= birth THEN strftime(death, '%Y-%m-%d') END AS date_of_death,
    CAST($practice_id AS VARCHAR) AS practice_id,
    id_values[list_position(id_systems, $nhs_number_system)] AS nhs_number,
    CASE
        WHEN id IS NULL THEN 'missing_patient_id'
        WHEN nth > 1 THEN 'duplicate_patient'
        WHEN birth_text IS NULL THEN 'missing_date_of_birth'
        WHEN birth IS NULL THEN 'bad_date'
    END AS _reason,
    CASE WHEN id IS NULL OR nth > 1 THEN 'id' WHEN birth IS NULL THEN 'birthDate' END AS _column,
    CASE
        WHEN length(birth_text) < 10 THEN 'partial_birth_date_completed'
        WHEN death_text IS NOT NULL AND (death IS NULL OR death < birth) THEN 'bad_date_of_death_cleared'
        WHEN gender IS NOT NULL AND gender NOT IN ('female', 'male', 'unknown') THEN 'gender_other_as_unknown'
    END AS _note,
    _file,
    _row
FROM d
ORDER BY _file, _row
