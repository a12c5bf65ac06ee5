-- name: int_medication_matches
-- returns: one row per medication issue on or before the as-of date and concept it matches (an issue matched
--   both by its own code and by its bnf_code counts once): issue_id, patient_id, issue_date, concept,
--   code_system, code, bnf_code, term (the issue's own; without one, the list row's term only for an exact
--   match, else '(no term in the extract; code under <list_code>)': a prefix row's term describes the whole
--   heading, e.g. "Morphine: every product under Read v2 drug heading dj1..", not this product), quantity,
--   list_code, matched_via ('code' or 'bnf_code'), ingredient (the list's, else the list code), form,
--   strength_mg, patch_mcg_per_hour, patch_hours, ome_factor
-- params: $as_of
-- inputs: stg_medication_issues, int_medication_codes
-- When both matches exist, the one carrying dose data wins, then the issue's own code, then the closer match.
-- The issues file is read once: the issues whose code or bnf_code matched are kept (a semi join on each), and
-- both matches are made on that much smaller set.
WITH issues AS MATERIALIZED (
    SELECT rowid AS issue_id, *  -- staging keeps file order: see stg_medication_issues
    FROM stg_medication_issues
    WHERE issue_date <= $as_of
        AND (code_system || ':' || code IN (SELECT code_system || ':' || code FROM int_medication_codes)
            OR bnf_code IN (SELECT code FROM int_medication_codes WHERE code_system = 'bnf'))
),
matched AS (
    SELECT i.*, m.concept, m.list_code, m.list_term, m.ingredient, m.form, m.strength_mg, m.patch_mcg_per_hour,
        m.patch_hours, m.ome_factor, m.match_rank, 'code' AS matched_via, 0 AS via_rank
    FROM issues AS i
    JOIN int_medication_codes AS m ON m.code_system = i.code_system AND m.code = i.code
    UNION ALL
    SELECT i.*, m.concept, m.list_code, m.list_term, m.ingredient, m.form, m.strength_mg, m.patch_mcg_per_hour,
        m.patch_hours, m.ome_factor, m.match_rank, 'bnf_code' AS matched_via, 1 AS via_rank
    FROM issues AS i
    JOIN int_medication_codes AS m ON m.code_system = 'bnf' AND m.code = i.bnf_code
)
SELECT
    issue_id,
    patient_id,
    issue_date,
    concept,
    code_system,
    code,
    bnf_code,
    CASE
        WHEN term IS NOT NULL THEN term
        WHEN match_rank = 0 AND list_term IS NOT NULL THEN list_term
        ELSE '(no term in the extract; code under ' || list_code || ')'
    END AS term,
    quantity,
    list_code,
    matched_via,
    coalesce(ingredient, list_code) AS ingredient,
    form,
    strength_mg,
    patch_mcg_per_hour,
    patch_hours,
    ome_factor
FROM matched
QUALIFY row_number() OVER (
    PARTITION BY issue_id, concept
    ORDER BY (ome_factor IS NULL OR (strength_mg IS NULL AND patch_mcg_per_hour IS NULL)), via_rank, match_rank,
        list_code
) = 1
