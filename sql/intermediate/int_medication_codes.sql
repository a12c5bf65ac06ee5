-- name: int_medication_codes
-- returns: one row per distinct medication code (code_system, code) found in medication_issues, either as the
--   issue's own code or as its bnf_code (code_system 'bnf'), and concept it belongs to, with the matching list
--   row's code, term (NULL when the code is itself a heading row: its text describes the heading) and dose columns and match_rank (0 = exact, otherwise 100 - prefix length)
-- params: none
-- inputs: stg_medication_issues, codelist
-- Read v2 drug codes and BNF codes match by prefix where the list row includes descendants (equality on the
-- code's leading characters, one join per prefix length in the lists).
WITH keys AS MATERIALIZED (
    SELECT DISTINCT code_system, code, bnf_code FROM stg_medication_issues
),
codes AS (
    SELECT DISTINCT code_system, code FROM keys
    UNION
    SELECT DISTINCT 'bnf' AS code_system, bnf_code AS code FROM keys WHERE bnf_code IS NOT NULL
),
lists AS (
    SELECT * FROM codelist WHERE domain = 'medication'
),
exact AS (
    SELECT
        c.code_system, c.code, l.concept, l.code AS list_code,
        CASE WHEN l.match_prefix IS NULL THEN l.term END AS list_term, l.ingredient, l.form, l.strength_mg, l.patch_mcg_per_hour, l.patch_hours,
        l.ome_factor, 0 AS match_rank
    FROM codes AS c
    JOIN lists AS l ON l.code_system = c.code_system AND l.code = c.code
),
prefix_lengths AS (
    SELECT DISTINCT length(match_prefix) AS n FROM lists WHERE match_prefix IS NOT NULL
),
prefixes AS (
    SELECT c.code_system, c.code, left(c.code, p.n) AS prefix, p.n
    FROM codes AS c, prefix_lengths AS p
    WHERE length(c.code) >= p.n
),
by_prefix AS (
    SELECT
        p.code_system, p.code, l.concept, l.code AS list_code, l.term AS list_term, l.ingredient, l.form, l.strength_mg, l.patch_mcg_per_hour, l.patch_hours,
        l.ome_factor, 100 - p.n AS match_rank
    FROM prefixes AS p
    JOIN lists AS l ON l.code_system = p.code_system AND l.match_prefix = p.prefix
)
SELECT
    code_system,
    code,
    concept,
    list_code,
    list_term,
    ingredient,
    form,
    strength_mg,
    patch_mcg_per_hour,
    patch_hours,
    ome_factor,
    match_rank
FROM (SELECT * FROM exact UNION ALL SELECT * FROM by_prefix)
QUALIFY row_number() OVER (PARTITION BY code_system, code, concept ORDER BY match_rank, list_code) = 1
