#!/usr/bin/env bash
# Runs inside pg_virtualenv (PGHOST, PGPORT, PGUSER, PGDATABASE are set):
# the demo proper.  See scripts/demo.sh.
set -euo pipefail
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "== setting up: a sales table with 200,000 rows, three registered views"
psql_ <<'SQL'
CREATE EXTENSION incrload;
CREATE TABLE region (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO region VALUES (0, 'north'), (1, 'south'), (2, 'east'), (3, 'west');
CREATE TABLE sales (id bigserial PRIMARY KEY, region_id int, amount numeric(12,2), status text);
INSERT INTO sales (region_id, amount, status)
  SELECT g % 4, (g % 1000) / 10.0, CASE WHEN g % 10 = 0 THEN 'void' ELSE 'ok' END
    FROM generate_series(1, 200000) g;
CREATE INDEX ON sales (region_id);

SELECT incrload_register_view('sales_by_region',
  $$SELECT region_id, count(*) AS n, sum(amount) AS total, avg(amount) AS mean, max(amount) AS top
      FROM sales WHERE status <> 'void' GROUP BY region_id$$);
SELECT incrload_register_view('sales_by_region_name',
  $$SELECT r.name, count(*) AS n, sum(s.amount) AS total
      FROM sales s JOIN region r ON r.id = s.region_id GROUP BY r.name$$, refresh_interval => '2 seconds');
SELECT incrload_register_view('big_sales',
  $$SELECT id, region_id, amount FROM sales WHERE amount > 99.5$$);
SQL

echo "== writing in the background for 8 seconds (inserts, updates, deletes)"
(
  end=$((SECONDS + 8))
  while [ $SECONDS -lt $end ]; do
    psql_ -c "INSERT INTO sales (region_id, amount, status)
                SELECT (random() * 4)::int % 4, round((random() * 100)::numeric, 2), 'ok' FROM generate_series(1, 50);
              UPDATE sales SET amount = amount + 1 WHERE id IN (SELECT (random() * 200000)::int FROM generate_series(1, 20));
              DELETE FROM sales WHERE id IN (SELECT (random() * 200000)::int FROM generate_series(1, 10));"
  done
) &
writer=$!

for i in 1 2 3; do
  sleep 2.5
  echo "== incrload_stats while writes run ($i/3)"
  psql_ -c "SELECT view_name, state, refreshes, pending_changes, freshness_lag, changes_applied
              FROM incrload_stats ORDER BY view_name"
done
wait $writer

echo "== writes stopped; waiting for the worker to catch up"
for _ in $(seq 1 50); do
  pending=$(psql_ -At -c "SELECT sum(pending_changes) FROM incrload_stats")
  [ "$pending" = "0" ] && break
  sleep 0.2
done
psql_ -c "SELECT * FROM incrload_stats ORDER BY view_name" -x
echo "== the view, and its query evaluated now: the same rows"
psql_ -c "SELECT * FROM sales_by_region ORDER BY region_id"
psql_ -c "SELECT region_id, count(*) AS n, sum(amount) AS total, avg(amount) AS mean, max(amount) AS top
            FROM sales WHERE status <> 'void' GROUP BY region_id ORDER BY region_id"
psql_ -c "SELECT v AS view, (incrload_verify(v)).* FROM unnest('{sales_by_region,sales_by_region_name,big_sales}'::regclass[]) v"
