-- Categories: each line of round types, with its published names and versions.
-- Built as JSON by PostgreSQL and decoded straight into msgspec structs.

-- name: categories_json
SELECT coalesce(json_agg(c ORDER BY c.last_draw_date DESC NULLS LAST, c.slug), '[]'::json)
FROM (
    SELECT cat.slug, cat.name, cat.kind,
           (SELECT coalesce(json_agg(a.alias ORDER BY a.alias), '[]'::json)
              FROM category_aliases a WHERE a.category_id = cat.id) AS aliases,
           (SELECT coalesce(json_agg(v ORDER BY v.version NULLS FIRST), '[]'::json)
              FROM (SELECT d.category_version AS version,
                           array_agg(DISTINCT d.name ORDER BY d.name) AS names,
                           count(*) AS draws,
                           min(d.draw_date) AS first_draw_date,
                           max(d.draw_date) AS last_draw_date
                      FROM draws d WHERE d.category_id = cat.id
                     GROUP BY d.category_version) v) AS versions,
           agg.draws, agg.invitations, agg.first_draw_date, agg.last_draw_date,
           (SELECT d.number FROM draws d WHERE d.category_id = cat.id
             ORDER BY d.draw_date, d.seq LIMIT 1) AS first_draw,
           (SELECT d.number FROM draws d WHERE d.category_id = cat.id
             ORDER BY d.draw_date DESC, d.seq DESC LIMIT 1) AS last_draw
    FROM categories cat
    CROSS JOIN LATERAL (
        SELECT count(*) AS draws, coalesce(sum(d.invitations), 0) AS invitations,
               min(d.draw_date) AS first_draw_date, max(d.draw_date) AS last_draw_date
        FROM draws d WHERE d.category_id = cat.id
    ) agg
    WHERE $1::text IS NULL OR cat.slug = $1::text
) c;
