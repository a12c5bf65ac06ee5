-- name: int_clinical_codes
-- returns: one row per distinct (code_system, code) found in clinical_events and concept it belongs to: the
--   code list row that matched (list_code; list_term, NULL when the code is itself a heading row whose text
--   describes the whole heading) and match_rank (0 = exact code, otherwise
--   100 - prefix length, so the longest prefix wins), list_fitness (a fit-note list row's not_fit / may_be_fit,
--   else NULL); codes in no list are absent
-- params: none
-- inputs: stg_clinical_events, codelist
-- Distinct codes are matched first (a practice has far fewer distinct codes than events). Prefix rows
-- (Read v2 include_descendants) are matched by equality on the event code's leading characters, one join per
-- prefix length present in the lists, never by LIKE.
WITH codes AS (
    SELECT DISTINCT code_system, code FROM stg_clinical_events
),
lists AS (
    SELECT * FROM codelist WHERE domain = 'clinical'
),
exact AS (
    SELECT c.code_system, c.code, l.concept, l.code AS list_code,
        CASE WHEN l.match_prefix IS NULL THEN l.term END AS list_term, 0 AS match_rank,
        l.fitness AS list_fitness
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
    SELECT p.code_system, p.code, l.concept, l.code AS list_code, l.term AS list_term, 100 - p.n AS match_rank,
        l.fitness AS list_fitness
    FROM prefixes AS p
    JOIN lists AS l ON l.code_system = p.code_system AND l.match_prefix = p.prefix
)
SELECT code_system, code, concept, list_code, list_term, match_rank, list_fitness
FROM (SELECT * FROM exact UNION ALL SELECT * FROM by_prefix)
QUALIFY row_number() OVER (PARTITION BY code_system, code, concept ORDER BY match_rank, list_code) = 1
