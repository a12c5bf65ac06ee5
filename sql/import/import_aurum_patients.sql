-- name: import_aurum_patients
-- returns: one row per row of the CPRD Aurum Patient files: the canonical patients columns, then `_reason`,
--   `_column`, `_note`, `_file`, `_row`. Date of birth = the 1st of mob/yob (1 July when mob is missing,
--   noted); gender 1/2/3/4 -> male/female/unknown/unknown; date of death = cprd_ddate, else emis_ddate.
--   Patients CPRD flags as not acceptable (acceptable = 0) are not written (reason `not_acceptable`).
-- params: none
-- inputs: src_aurum_patient
WITH p AS (
    SELECT
        *,
        TRY_CAST(yob AS INTEGER) AS y,
        TRY_CAST(mob AS INTEGER) AS m,
        CAST(coalesce(try_strptime(cprd_ddate, '%d/%m/%Y'), try_strptime(emis_ddate, '%d/%m/%Y')) AS DATE) AS death,
        row_number() OVER (PARTITION BY patid ORDER BY _file, _row) AS nth
    FROM src_aurum_patient
),
b AS (
    SELECT
        *,
        CASE WHEN y BETWEEN 1850 AND 2100 THEN make_date(y, CASE WHEN m BETWEEN 1 AND 12 THEN m ELSE 7 END, 1) END AS birth
    FROM p
)
SELECT
    patid AS patient_id,
    strftime(birth, '%Y-%m-%d') AS date_of_birth,
    CASE gender WHEN '1' THEN 'male' WHEN '2' THEN 'female' WHEN '3' THEN 'unknown' WHEN '4' THEN 'unknown' END AS sex,
    CASE WHEN death >= birth THEN strftime(death, '%Y-%m-%d') END AS date_of_death,
    pracid AS practice_id,
    CASE
        WHEN patid IS NULL THEN 'missing_patient_id'
        WHEN nth > 1 THEN 'duplicate_patient'
        WHEN acceptable IS DISTINCT FROM '1' THEN 'not_acceptable'
        WHEN yob IS NULL THEN 'missing_date_of_birth'
        WHEN birth IS NULL THEN 'bad_year_of_birth'
    END AS _reason,
    CASE
        WHEN patid IS NULL OR nth > 1 THEN 'patid'
        WHEN acceptable IS DISTINCT FROM '1' THEN 'acceptable'
        ELSE 'yob'
    END AS _column,
    CASE
        WHEN death < birth THEN 'date_of_death_before_birth_cleared'
        WHEN m IS NULL OR m NOT BETWEEN 1 AND 12 THEN 'month_of_birth_missing_july_1st_used'
    END AS _note,
    _file,
    _row
FROM b
ORDER BY _file, _row
