-- Rounds of several category lines at once: GraphQL's Category.draws for every category of a
-- page in one statement. {key} {op} {dir} {cast} come from the fixed table of sort orders in
-- api/reads.py (never from user input), as in draws.sql's list_draws; the columns are the view
-- draws_v's, written once.

-- name: draws_of_categories
SELECT d.*
FROM unnest($1::text[]) AS c(slug)
CROSS JOIN LATERAL (
    SELECT *, {key} AS sort_key
    FROM draws_v
    WHERE category_slug = c.slug
      AND ($2::text IS NULL OR ({key}, seq) {op} ($2::{cast}, $3::int))
    ORDER BY {key} {dir}, seq {dir}
    LIMIT $4
) d;

-- name: count_draws_of_categories
SELECT category_slug, count(*) AS draws
FROM draws_v
WHERE category_slug = ANY($1::text[])
GROUP BY category_slug;
