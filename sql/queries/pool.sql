-- Pool snapshots: the CRS distribution of the whole pool on a date. Retracted ones are not served.

-- name: list_pool_snapshots
SELECT snapshot_date, total, source_draw, flags
FROM pool_snapshots
WHERE NOT retracted
  AND ($1::date IS NULL OR snapshot_date >= $1::date)
  AND ($2::date IS NULL OR snapshot_date <= $2::date)
ORDER BY snapshot_date DESC;

-- name: pool_snapshots_with_bands
SELECT s.snapshot_date, s.total, s.source_draw, s.flags,
       array_agg(b.band ORDER BY b.band) AS band,
       array_agg(b.crs_lo ORDER BY b.band) AS crs_lo,
       array_agg(b.crs_hi ORDER BY b.band) AS crs_hi,
       array_agg(b.candidates ORDER BY b.band) AS candidates,
       array_agg(b.is_subtotal ORDER BY b.band) AS is_subtotal
FROM pool_snapshots s
JOIN pool_bands b ON b.snapshot_date = s.snapshot_date
WHERE NOT s.retracted AND s.snapshot_date = ANY($1::date[])
GROUP BY s.snapshot_date
ORDER BY s.snapshot_date DESC;

-- name: latest_pool_snapshot_date
SELECT max(snapshot_date) FROM pool_snapshots WHERE NOT retracted;
