-- name: import_gold_patients
-- returns: one row per row of the CPRD GOLD patient files: the canonical patients columns, then `_reason`,
--   `_column`, `_note`, `_file`, `_row`. yob below 1000 is year - 1800 (older releases): 1800 is added
--   (noted). Date of birth = the 1st of mob/yob, 1 July when mob is 0 or missing (noted). gender 1/2 ->
--   male/female, else unknown. Patients with accept other than 1 are not written (`not_acceptable`).
-- params: $practice_id
-- inputs: src_gold_patient
WITH p AS (
    SELECT
        *,
        TRY_CAST(yob AS INTEGER) AS y0,
        TRY_CAST(mob AS INTEGER) AS m,
        CAST(try_strptime(deathdate, '%d/%m/%Y') AS DATE) AS death,
        row_number() OVER (PARTITION BY patid ORDER BY _file, _row) AS nth
    FROM src_gold_patient
),
b AS (
    SELECT
        *,
        CASE WHEN y0 < 1000 THEN y0 + 1800 ELSE y0 END AS y
    FROM p
),
c AS (
    SELECT
        *,
        CASE WHEN y BETWEEN 1850 AND 2100 THEN make_date(y, CASE WHEN m BETWEEN 1 AND 12 THEN m ELSE 7 END, 1) END AS birth
    FROM b
)
SELECT
    patid AS patient_id,
    strftime(birth, '%Y-%m-%d') AS date_of_birth,
    CASE gender WHEN '1' THEN 'male' WHEN '2' THEN 'female' ELSE 'unknown' END AS sex,
    CASE WHEN death >= birth THEN strftime(death, '%Y-%m-%d') END AS date_of_death,
    coalesce(CAST($practice_id AS VARCHAR), right(patid, 3)) AS practice_id,
    CASE
        WHEN patid IS NULL THEN 'missing_patient_id'
        WHEN nth > 1 THEN 'duplicate_patient'
        WHEN accept IS DISTINCT FROM '1' THEN 'not_acceptable'
        WHEN yob IS NULL THEN 'missing_date_of_birth'
        WHEN birth IS NULL THEN 'bad_year_of_birth'
    END AS _reason,
    CASE
        WHEN patid IS NULL OR nth > 1 THEN 'patid'
        WHEN accept IS DISTINCT FROM '1' THEN 'accept'
        ELSE 'yob'
    END AS _column,
    CASE
        WHEN death < birth THEN 'date_of_death_before_birth_cleared'
        WHEN y0 < 1000 THEN 'yob_plus_1800'
        WHEN m IS NULL OR m NOT BETWEEN 1 AND 12 THEN 'month_of_birth_missing_july_1st_used'
    END AS _note,
    _file,
    _row
FROM c
ORDER BY _file, _row
