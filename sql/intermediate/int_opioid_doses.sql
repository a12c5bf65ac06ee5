-- name: int_opioid_doses
-- returns: one row per opioid issue in the signal window (issue_date > as_of - signal_months, <= as_of):
--   issue_id, patient_id, issue_date, code_system, code, term, ingredient, quantity, days_covered and
--   ome_mg_per_day (estimated mg oral morphine per day; NULL when the product has no dose data)
-- params: $as_of, $signal_months, $default_days, $min_days, $max_days
-- inputs: int_medication_matches
-- Days an issue covers: the days to the next issue of the same product (same code) for the patient, clamped to
-- [min_days, max_days]; the last issue of a product covers default_days. Tablets, capsules, liquids and
-- suppositories: quantity x strength_mg x ome_factor / days_covered. Patches: patch_mcg_per_hour x 24 / 1000 x
-- ome_factor per day while worn (worn continuously), whatever the quantity.
WITH issues AS (
    SELECT
        *,
        lead(issue_date) OVER (PARTITION BY patient_id, code_system, code ORDER BY issue_date, issue_id)
            AS next_date
    FROM int_medication_matches
    WHERE concept = 'opioid'
),
covered AS (
    SELECT
        *,
        CASE
            WHEN next_date IS NULL THEN CAST($default_days AS INTEGER)
            ELSE CAST(least(greatest(date_diff('day', issue_date, next_date), $min_days), $max_days) AS INTEGER)
        END AS days_covered
    FROM issues
)
SELECT
    issue_id,
    patient_id,
    issue_date,
    code_system,
    code,
    term,
    ingredient,
    quantity,
    days_covered,
    CASE
        WHEN patch_mcg_per_hour IS NOT NULL
            THEN patch_mcg_per_hour * 24 / 1000 * ome_factor
        WHEN coalesce(form, '') <> 'patch'
            THEN quantity * strength_mg * ome_factor / days_covered
    END AS ome_mg_per_day
FROM covered
WHERE issue_date > CAST($as_of - to_months($signal_months) AS DATE) AND issue_date <= $as_of
