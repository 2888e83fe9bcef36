-- incrload benchmark: schema "bench" with the result tables and the
-- procedures every other file calls.  Run once, in a fresh database, by
-- test/bench/run.sh (psql -v ON_ERROR_STOP=1).
--
-- Timing is taken inside the server with clock_timestamp() around single
-- statements; procedures COMMIT between steps, so a write, each apply and
-- each REFRESH run in their own transactions, as they would in production.
-- Commit time (WAL flush) is excluded from every figure alike.

CREATE EXTENSION IF NOT EXISTS incrload;
CREATE SCHEMA bench;

-- one row per timed statement; rep <= 0 are warm-up rounds (not reported)
CREATE TABLE bench.results (
	fig text NOT NULL,			-- section, e.g. 'apply', 'bulk', 'register'
	what text NOT NULL,			-- e.g. 'write_cap', 'apply_agg', 'mv_join'
	n bigint,					-- rows in the fact table
	k bigint,					-- rows changed by the write
	rep int NOT NULL,
	ms float8 NOT NULL,
	consumed bigint,			-- incrload_refresh's return value
	at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- single measured values (pgbench TPS, memory, ...)
CREATE TABLE bench.metrics (
	what text NOT NULL,
	rep int NOT NULL DEFAULT 1,
	value float8 NOT NULL,
	note text
);

-- registered views and their queries, for the final equality check
CREATE TABLE bench.views (
	name text PRIMARY KEY,
	query text NOT NULL
);

-- mismatches NULL: not verified (note says why, e.g. the apply timed out)
CREATE TABLE bench.checks (
	name text NOT NULL,
	phase text,
	view_rows bigint,
	mismatches bigint,
	ms float8,
	note text,
	at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE bench.lag_samples (
	at timestamptz NOT NULL,
	view_name text NOT NULL,
	lag_s float8,
	pending bigint,
	delta_bytes bigint,
	delta_rows_est bigint
);

CREATE FUNCTION bench.ms_since(t0 timestamptz) RETURNS float8
LANGUAGE sql VOLATILE AS
$$ SELECT extract(epoch FROM clock_timestamp() - t0)::float8 * 1000 $$;

-- the two view shapes of the issue, over fact table f
CREATE FUNCTION bench.agg_query(f text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT format('SELECT g, count(*) AS n, sum(v) AS total, avg(v) AS mean, min(v) AS lo, max(v) AS hi FROM %I GROUP BY g', f) $$;

CREATE FUNCTION bench.join_query(f text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT format('SELECT d.cat, count(*) AS n, sum(f.v) AS total FROM %I f JOIN dim d ON d.id = f.g GROUP BY d.cat', f) $$;

-- every category, also those whose dimension rows have no facts (dim id 0
-- never has any): the NULL-extended rows of an outer join (issue 9)
CREATE FUNCTION bench.outer_query(f text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT format('SELECT d.cat, count(f.id) AS n, sum(f.v) AS total FROM dim d LEFT JOIN %I f ON f.g = d.id GROUP BY d.cat', f) $$;

CREATE FUNCTION bench.view_query(kind text, f text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE kind WHEN 'agg' THEN bench.agg_query(f) WHEN 'join' THEN bench.join_query(f)
				   WHEN 'outer' THEN bench.outer_query(f) END $$;

-- the kinds of view registered over fact_<tag>, in a fixed order
CREATE FUNCTION bench.kinds(p_tag text) RETURNS text[] LANGUAGE sql STABLE AS
$$ SELECT coalesce(array_agg(k ORDER BY o), '{}') FROM unnest(ARRAY['agg', 'join', 'outer']) WITH ORDINALITY u(k, o)
	WHERE to_regclass(k || '_' || p_tag) IS NOT NULL $$;

-- the dimension: 10,001 rows, 100 categories, primary key on id
CREATE TABLE dim (id int PRIMARY KEY, cat int NOT NULL, name text NOT NULL);
INSERT INTO dim SELECT i, i % 100, 'dim ' || i FROM generate_series(0, 10000) i;
VACUUM (ANALYZE) dim;

/*
 * A fact table of n rows over 10,000 groups g (1..10000), value v
 * (0..999), primary key id (1..n), index on g.  Deterministic: two tables
 * made with the same n hold the same rows.
 */
CREATE PROCEDURE bench.make_fact(p_name text, p_n bigint)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('DROP TABLE IF EXISTS %I', p_name);
	EXECUTE format('CREATE TABLE %I (id bigint NOT NULL, g int NOT NULL, v int NOT NULL)', p_name);
	EXECUTE format('INSERT INTO %I SELECT i, 1 + (hashint8(i) & 2147483647) %% 10000, '
				   '(hashint8(-i) & 2147483647) %% 1000 FROM generate_series(1, %s) i',
				   p_name, p_n);
	EXECUTE format('ALTER TABLE %I ADD PRIMARY KEY (id)', p_name);
	EXECUTE format('CREATE INDEX ON %I (g)', p_name);
END $$;

/*
 * Registration vs CREATE MATERIALIZED VIEW (figure 6), also the set-up of
 * the views of figures 1-3: for fact_<tag>, the incrload views <kind>_<tag>
 * (agg, join, outer; refresh_interval 1 day: only incrload_refresh applies
 * them) and the materialized views mv_<kind>_<tag> of the same queries.
 * Each repetition drops and creates every kind again; the order alternates.
 */
CREATE PROCEDURE bench.register(p_tag text, p_reps int, p_kinds text[] DEFAULT ARRAY['agg', 'join', 'outer'])
LANGUAGE plpgsql AS $$
DECLARE
	f text := 'fact_' || p_tag;
	kinds text[] := p_kinds;
	kind text;
	q text;
	t0 timestamptz;
	ms float8;
	r int;
	n bigint;
BEGIN
	EXECUTE format('SELECT count(*) FROM %I', f) INTO n;
	COMMIT;
	FOR r IN 1 .. p_reps LOOP
		FOREACH kind IN ARRAY kinds LOOP
			IF to_regclass(format('%s_%s', kind, p_tag)) IS NOT NULL THEN
				PERFORM incrload_unregister_view(format('%s_%s', kind, p_tag)::regclass);
			END IF;
			EXECUTE format('DROP MATERIALIZED VIEW IF EXISTS %I', format('mv_%s_%s', kind, p_tag));
			COMMIT;
		END LOOP;
		FOREACH kind IN ARRAY kinds LOOP
			q := bench.view_query(kind, f);
			IF r % 2 = 1 THEN
				t0 := clock_timestamp();
				EXECUTE format('CREATE MATERIALIZED VIEW %I AS %s', format('mv_%s_%s', kind, p_tag), q);
				ms := bench.ms_since(t0);
				INSERT INTO bench.results (fig, what, n, rep, ms)
				VALUES ('register', 'create_mv_' || kind, n, r, ms);
				COMMIT;
			END IF;
			t0 := clock_timestamp();
			PERFORM incrload_register_view(format('%s_%s', kind, p_tag), q, '1 day');
			ms := bench.ms_since(t0);
			INSERT INTO bench.results (fig, what, n, rep, ms) VALUES ('register', 'register_' || kind, n, r, ms);
			COMMIT;
			IF r % 2 = 0 THEN
				t0 := clock_timestamp();
				EXECUTE format('CREATE MATERIALIZED VIEW %I AS %s', format('mv_%s_%s', kind, p_tag), q);
				ms := bench.ms_since(t0);
				INSERT INTO bench.results (fig, what, n, rep, ms) VALUES ('register', 'create_mv_' || kind, n, r, ms);
				COMMIT;
			END IF;
			INSERT INTO bench.views VALUES (format('%s_%s', kind, p_tag), q)
			ON CONFLICT (name) DO UPDATE SET query = excluded.query;
			COMMIT;
		END LOOP;
	END LOOP;
END $$;

/*
 * The K-row write of figures 1-4: rows id = 1 + ((off + i * 7919) mod n),
 * i < k, spread over the whole table, each moved to another group
 * (g -> 1 + (g + r) mod 10000 with r in 0..9998 never maps g to itself)
 * and given a new value.
 */
CREATE FUNCTION bench.update_sql(f text) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT format('UPDATE %I SET g = 1 + (g + (random() * 9998)::int) %% 10000, '
				 'v = (random() * 999)::int WHERE id = ANY ($1)', f) $$;

/*
 * Rounds of figures 1-4a over fact_<tag> (n rows): per round a fresh
 * K-row UPDATE of fact_<tag> (captured) and, with p_nocap, the same
 * UPDATE of fact_<tag>_w (captured, never applied) and of fact_<tag>_nocap
 * (uncaptured; the order of these two alternates), then incrload_refresh of each view over
 * fact_<tag> (agg_<tag>, join_<tag>, outer_<tag> where registered), then
 * (with p_mv) REFRESH MATERIALIZED VIEW of the matching mv_<kind>_<tag>;
 * p_kinds, if given, limits the views to those kinds.  Each step is its own transaction.  Rounds
 * 1 - p_warmups .. 0 are warm-ups (kept plans built and past the
 * plan cache's first five custom plans, as in a long-running worker).
 */
CREATE PROCEDURE bench.rounds(p_tag text, p_k int, p_reps int, p_warmups int,
							  p_mv boolean, p_nocap boolean, p_kinds text[] DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
	f text := 'fact_' || p_tag;
	fnocap text := 'fact_' || p_tag || '_nocap';
	fw text := 'fact_' || p_tag || '_w';
	n bigint;
	ids bigint[];
	off bigint;
	t0 timestamptz;
	ms float8;
	c bigint;
	r int;
	t text;
	kind text;
	kinds text[] := ARRAY(SELECT k FROM unnest(bench.kinds(p_tag)) k
						  WHERE p_kinds IS NULL OR k = ANY (p_kinds));
BEGIN
	EXECUTE format('SELECT count(*) FROM %I', f) INTO n;
	FOR r IN 1 - p_warmups .. p_reps LOOP
		off := (random() * n)::bigint;
		ids := ARRAY(SELECT 1 + ((off + i::bigint * 7919) % n) FROM generate_series(0, p_k - 1) i);
		COMMIT;
		t0 := clock_timestamp();
		EXECUTE bench.update_sql(f) USING ids;
		GET DIAGNOSTICS c = ROW_COUNT;
		ms := bench.ms_since(t0);
		INSERT INTO bench.results (fig, what, n, k, rep, ms, consumed)
		VALUES ('apply', 'write_cap', n, p_k, r, ms, c);
		COMMIT;
		/*
		 * Figure 4a: the same UPDATE of two tables nobody reads, one
		 * captured, one not (alternating), so that neither gets its pages
		 * pruned by the readers of the other (the applies read fact_<tag>).
		 */
		IF p_nocap THEN
			FOREACH t IN ARRAY CASE WHEN r % 2 = 0 THEN ARRAY[fw, fnocap] ELSE ARRAY[fnocap, fw] END LOOP
				t0 := clock_timestamp();
				EXECUTE bench.update_sql(t) USING ids;
				GET DIAGNOSTICS c = ROW_COUNT;
				ms := bench.ms_since(t0);
				INSERT INTO bench.results (fig, what, n, k, rep, ms, consumed)
				VALUES ('apply', CASE t WHEN fw THEN 'write_w' ELSE 'write_nocap' END, n, p_k, r, ms, c);
				COMMIT;
			END LOOP;
		END IF;
		FOREACH kind IN ARRAY kinds LOOP
			t0 := clock_timestamp();
			c := incrload_refresh(format('%s_%s', kind, p_tag)::regclass);
			ms := bench.ms_since(t0);
			INSERT INTO bench.results (fig, what, n, k, rep, ms, consumed)
			VALUES ('apply', 'apply_' || kind, n, p_k, r, ms, c);
			COMMIT;
		END LOOP;
		IF p_mv AND r >= 1 THEN
			FOREACH kind IN ARRAY kinds LOOP
				t0 := clock_timestamp();
				EXECUTE format('REFRESH MATERIALIZED VIEW %I', format('mv_%s_%s', kind, p_tag));
				ms := bench.ms_since(t0);
				INSERT INTO bench.results (fig, what, n, k, rep, ms)
				VALUES ('apply', 'mv_' || kind, n, p_k, r, ms);
				COMMIT;
			END LOOP;
		END IF;
	END LOOP;
END $$;

/*
 * Figure 5: one INSERT ... SELECT of p_rows rows, then one UPDATE of all
 * of them, into bulk_cap (captured: a view is registered over it) and
 * into bulk_nocap (identical, uncaptured); fresh tables per repetition,
 * the order alternates.  CHECKPOINT before each timed statement.
 */
CREATE PROCEDURE bench.bulk_round(p_rows bigint, p_rep int, p_check boolean)
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
	ms float8;
	tabs text[];
	t text;
	stmt text;
	q text := 'SELECT g, count(*) AS n, sum(v) AS total FROM bulk_cap GROUP BY g';
BEGIN
	IF to_regclass('agg_bulk') IS NOT NULL THEN
		PERFORM incrload_unregister_view('agg_bulk');
	END IF;
	DROP TABLE IF EXISTS bulk_cap, bulk_nocap;
	CREATE TABLE bulk_cap (id bigint PRIMARY KEY, g int NOT NULL, v int NOT NULL);
	CREATE INDEX ON bulk_cap (g);
	CREATE TABLE bulk_nocap (id bigint PRIMARY KEY, g int NOT NULL, v int NOT NULL);
	CREATE INDEX ON bulk_nocap (g);
	PERFORM incrload_register_view('agg_bulk', q, '1 day');
	INSERT INTO bench.views VALUES ('agg_bulk', q)
	ON CONFLICT (name) DO UPDATE SET query = excluded.query;
	COMMIT;
	tabs := CASE WHEN p_rep % 2 = 1 THEN ARRAY['bulk_cap', 'bulk_nocap']
			ELSE ARRAY['bulk_nocap', 'bulk_cap'] END;
	FOREACH stmt IN ARRAY ARRAY['insert', 'update'] LOOP
		FOREACH t IN ARRAY tabs LOOP
			CHECKPOINT;
			COMMIT;
			t0 := clock_timestamp();
			IF stmt = 'insert' THEN
				EXECUTE format('INSERT INTO %I SELECT i, 1 + (hashint8(i) & 2147483647) %% 10000, '
							   '(hashint8(-i) & 2147483647) %% 1000 FROM generate_series(1, %s) i',
							   t, p_rows);
			ELSE
				EXECUTE format('UPDATE %I SET v = v + 1', t);
			END IF;
			ms := bench.ms_since(t0);
			INSERT INTO bench.results (fig, what, n, k, rep, ms)
			VALUES ('bulk', stmt || '_' || CASE t WHEN 'bulk_cap' THEN 'cap' ELSE 'nocap' END,
					p_rows, p_rows, p_rep, ms);
			COMMIT;
		END LOOP;
	END LOOP;
	IF p_check THEN
		-- apply the 3 * p_rows delta rows once (timed, for information)
		t0 := clock_timestamp();
		PERFORM incrload_refresh('agg_bulk');
		ms := bench.ms_since(t0);
		INSERT INTO bench.results (fig, what, n, k, rep, ms)
		VALUES ('bulk', 'apply_bulk', p_rows, 3 * p_rows, p_rep, ms);
		COMMIT;
		CALL bench.check_view('agg_bulk', 'bulk');
	END IF;
END $$;

/*
 * The view equals its query: refresh, then EXCEPT ALL both ways in one
 * statement (one snapshot).  Mismatches are recorded; run.sh fails on any.
 */
CREATE PROCEDURE bench.check_view(p_view text, p_phase text DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
	q text;
	diff bigint;
	nrows bigint;
	t0 timestamptz := clock_timestamp();
BEGIN
	SELECT query INTO STRICT q FROM bench.views WHERE name = p_view;
	PERFORM incrload_refresh(p_view::regclass);
	EXECUTE format('SELECT (SELECT count(*) FROM %I), (SELECT count(*) FROM '
				   '((SELECT * FROM %I EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL SELECT * FROM %I)) x)',
				   p_view, p_view, q, q, p_view)
		INTO nrows, diff;
	INSERT INTO bench.checks (name, phase, view_rows, mismatches, ms)
	VALUES (p_view, p_phase, nrows, diff, bench.ms_since(t0));
	COMMIT;
END $$;

/*
 * Figure 7: sample incrload_stats of the pgbench views every second for
 * p_seconds, with the size of their delta tables.
 */
CREATE PROCEDURE bench.sample_lag(p_seconds int)
LANGUAGE plpgsql AS $$
DECLARE
	t_end timestamptz := clock_timestamp() + make_interval(secs => p_seconds);
	t0 timestamptz;
	bytes bigint;
	rows_est bigint;
BEGIN
	WHILE clock_timestamp() < t_end LOOP
		t0 := clock_timestamp();
		SELECT sum(pg_total_relation_size(d.delta_table)),
			   sum(greatest(c.reltuples, 0))::bigint
		  INTO bytes, rows_est
		  FROM incrload.delta d JOIN pg_class c ON c.oid = d.delta_table
		 WHERE d.base_table::text LIKE 'pgbench%';
		INSERT INTO bench.lag_samples
		SELECT t0, s.view_name::text, extract(epoch FROM s.freshness_lag),
			   s.pending_changes, bytes, rows_est
		  FROM incrload_stats s
		 WHERE s.view_name::text LIKE 'pgb%';
		COMMIT;
		PERFORM pg_sleep(greatest(0.0, 1.0 - extract(epoch FROM clock_timestamp() - t0)));
	END LOOP;
END $$;

/* median of the measured (rep >= 1) rounds */
CREATE FUNCTION bench.med(p_fig text, p_what text, p_n bigint DEFAULT NULL,
						  p_k bigint DEFAULT NULL) RETURNS float8
LANGUAGE sql STABLE AS $$
	SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)
	  FROM bench.results
	 WHERE fig = p_fig AND what = p_what AND rep >= 1
	   AND (p_n IS NULL OR n = p_n) AND (p_k IS NULL OR k = p_k)
$$;

/* the K-row write of bench.rounds, alone (figure 8's batches) */
CREATE PROCEDURE bench.write_k(p_table text, p_k bigint)
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
	ids bigint[];
BEGIN
	EXECUTE format('SELECT count(*) FROM %I', p_table) INTO n;
	ids := ARRAY(SELECT 1 + ((i::bigint * 7919) % n) FROM generate_series(0, p_k - 1) i);
	EXECUTE bench.update_sql(p_table) USING ids;
END $$;

/* one timed incrload_refresh, recorded under fig/what */
CREATE PROCEDURE bench.timed_refresh(p_view text, p_fig text, p_what text, p_k bigint)
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
	c bigint;
	ms float8;
BEGIN
	c := incrload_refresh(p_view::regclass);
	ms := bench.ms_since(t0);
	INSERT INTO bench.results (fig, what, k, rep, ms, consumed)
	VALUES (p_fig, p_what, p_k, 1, ms, c);
END $$;

/* rows and bytes of the delta tables of the pgbench tables */
CREATE PROCEDURE bench.delta_sizes(p_label text)
LANGUAGE plpgsql AS $$
DECLARE
	b regclass;
	d regclass;
	nrows bigint;
BEGIN
	FOR b, d IN SELECT base_table, delta_table FROM incrload.delta
				 WHERE base_table::text LIKE 'pgbench%' ORDER BY 1 LOOP
		EXECUTE format('SELECT count(*) FROM %s', d) INTO nrows;
		INSERT INTO bench.metrics (what, value, note)
		VALUES (p_label || '_rows', nrows, b::text),
			   (p_label || '_bytes', pg_total_relation_size(d), b::text);
	END LOOP;
END $$;
