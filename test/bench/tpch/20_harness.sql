-- TPC-H harness: schema "bench" with the result tables and the
-- procedures test/bench/tpch.sh calls, in a fresh copy of the generated
-- database.  Timing is taken inside the server with clock_timestamp()
-- around one statement; procedures COMMIT between steps, so each write,
-- each incrload_refresh and each REFRESH MATERIALIZED VIEW runs in its own
-- transaction.  Commit time (WAL flush) is excluded from both sides alike.
\set ON_ERROR_STOP 1
\set QUIET on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS incrload;
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;

-- the queries (30_queries.sql) and what registration made of them
CREATE TABLE bench.queries (
	name text PRIMARY KEY,		-- q01 .. q22: the incrload view; mv_<name>: the materialized view
	query text NOT NULL,
	selected boolean NOT NULL DEFAULT true, -- --queries
	status text,				-- accepted | refused
	error text,					-- why refused
	register_ms float8,			-- incrload_register_view (accepted) or the refusal
	create_mv_ms float8			-- CREATE MATERIALIZED VIEW
);

/*
 * One row per timed statement.  round <= 0: warm-up; 1 .. rounds:
 * measured; rounds + 1: the --explain round.  A row is inserted as
 * 'running' and committed before the statement starts, so a statement
 * cancelled by statement_timeout leaves it behind; tpch.sh then marks it
 * 'timeout' (or 'error') with bench.failed.
 */
CREATE TABLE bench.timings (
	id bigserial PRIMARY KEY,
	query text NOT NULL,		-- q01 .. q22, or '-' for the writes
	side text NOT NULL,			-- apply | refresh | rf1 | rf2 | updates
	round int NOT NULL,
	ms float8,
	consumed bigint,			-- apply: delta rows consumed; writes: rows written
	status text NOT NULL,		-- running | ok | timeout | error | skipped
	error text,
	at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- the end check of each query
CREATE TABLE bench.checks (
	query text PRIMARY KEY,
	view_rows bigint,			-- rows of the view (refused: of the materialized view)
	filled_rows bigint,			-- of them, rows with a non-NULL column
	missing bigint,				-- incrload_verify
	extra bigint,
	diff bigint,				-- rows of (view EXCEPT ALL query) UNION ALL (query EXCEPT ALL view)
	ms float8,
	status text NOT NULL,		-- exact | differs | not verified | refused
	error text
);

CREATE FUNCTION bench.ms_since(t0 timestamptz) RETURNS float8
LANGUAGE sql VOLATILE AS
$$ SELECT extract(epoch FROM clock_timestamp() - t0)::float8 * 1000 $$;

/*
 * Register each selected query as an incrload view (refresh_interval
 * 1 day: the worker is off anyway, only incrload_refresh applies) and as
 * a materialized view mv_<name>.  A refusal is recorded with its message.
 */
CREATE PROCEDURE bench.register()
LANGUAGE plpgsql AS $$
DECLARE
	q record;
	t0 timestamptz;
	msg text;
	det text;
BEGIN
	FOR q IN SELECT name, query FROM bench.queries WHERE selected ORDER BY name LOOP
		t0 := clock_timestamp();
		BEGIN
			PERFORM incrload_register_view(q.name, q.query, '1 day');
			UPDATE bench.queries SET status = 'accepted', register_ms = bench.ms_since(t0)
			 WHERE name = q.name;
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
			UPDATE bench.queries SET status = 'refused', register_ms = bench.ms_since(t0),
				   error = msg || coalesce(nullif(' (' || det || ')', ' ()'), '')
			 WHERE name = q.name;
		END;
		COMMIT;
		t0 := clock_timestamp();
		EXECUTE format('CREATE MATERIALIZED VIEW %I AS %s', 'mv_' || q.name, q.query);
		UPDATE bench.queries SET create_mv_ms = bench.ms_since(t0) WHERE name = q.name;
		COMMIT;
	END LOOP;
END $$;

/*
 * The writes of one round, each committed on its own: TPC-H RF1 (0.1% of
 * the orders inserted, new keys continuing the generator's sequence, with
 * their lines), RF2 (the 0.1% of orders with the lowest keys deleted, with
 * their lines), then 20 single-row UPDATEs of columns the queries read.
 * Deterministic for a given round number and seed.
 */
CREATE PROCEDURE bench.writes(p_round int)
LANGUAGE plpgsql AS $$
DECLARE
	g tpchgen.params;
	k bigint;
	lo bigint;
	t0 timestamptz;
	n bigint;
	n2 bigint;
	keys int[];
	j int;
	x bigint;
	salt bigint;
	ok int;
	pk int;
BEGIN
	SELECT * INTO STRICT g FROM tpchgen.params;
	k := greatest(1, round(g.sf * 1500));

	-- RF1
	lo := g.next_order;
	t0 := clock_timestamp();
	INSERT INTO orders
	SELECT o.o_orderkey, o.o_custkey, tpchgen.orderstatus(l.all_f, l.all_o), l.total, o.o_orderdate,
		   o.o_orderpriority, o.o_clerk, o.o_shippriority, left(o.o_comment, 78)
	  FROM tpchgen.orders(g.seed, lo, lo + k - 1, g.ncust, g.nclerk) o
	  JOIN (SELECT l_orderkey, bool_and(l_linestatus = 'F') AS all_f, bool_and(l_linestatus = 'O') AS all_o,
				   sum(round(l_extendedprice * (1 + l_tax) * (1 - l_discount), 2)) AS total
			  FROM tpchgen.lineitems(g.seed, lo, lo + k - 1, g.npart, g.nsupp, g.norders)
			 GROUP BY l_orderkey) l ON l.l_orderkey = o.o_orderkey;
	INSERT INTO lineitem
	SELECT l_orderkey, l_partkey, l_suppkey, l_linenumber, l_quantity, l_extendedprice, l_discount, l_tax,
		   l_returnflag, l_linestatus, l_shipdate, l_commitdate, l_receiptdate, l_shipinstruct, l_shipmode,
		   left(l_comment, 43)
	  FROM tpchgen.lineitems(g.seed, lo, lo + k - 1, g.npart, g.nsupp, g.norders);
	GET DIAGNOSTICS n = ROW_COUNT;
	UPDATE tpchgen.params SET next_order = lo + k;
	INSERT INTO bench.timings (query, side, round, ms, consumed, status)
	VALUES ('-', 'rf1', p_round, bench.ms_since(t0), k + n, 'ok');
	COMMIT;

	-- RF2
	t0 := clock_timestamp();
	keys := ARRAY(SELECT o_orderkey FROM orders ORDER BY o_orderkey LIMIT k);
	DELETE FROM lineitem WHERE l_orderkey = ANY (keys);
	GET DIAGNOSTICS n = ROW_COUNT;
	DELETE FROM orders WHERE o_orderkey = ANY (keys);
	GET DIAGNOSTICS n2 = ROW_COUNT;
	INSERT INTO bench.timings (query, side, round, ms, consumed, status)
	VALUES ('-', 'rf2', p_round, bench.ms_since(t0), n + n2, 'ok');
	COMMIT;

	-- single-row updates
	t0 := clock_timestamp();
	FOR j IN 1 .. 20 LOOP
		x := (p_round + 1000) * 100 + j;
		salt := g.seed * 1000 + 900;
		-- an existing order (and its line 1): the first key at or after a random one
		ok := coalesce((SELECT o_orderkey FROM orders
						 WHERE o_orderkey >= tpchgen.r(x, salt, 1, tpchgen.okey(lo + k - 1))
						 ORDER BY o_orderkey LIMIT 1),
					   (SELECT min(o_orderkey) FROM orders));
		pk := tpchgen.r(x, salt + 1, 1, g.npart);
		CASE
			WHEN j <= 2 THEN
				UPDATE lineitem SET l_quantity = tpchgen.r(x, salt + 2, 1, 50),
					   l_extendedprice = tpchgen.r(x, salt + 2, 1, 50) * tpchgen.retailprice(l_partkey)
				 WHERE l_orderkey = ok AND l_linenumber = 1;
			WHEN j <= 4 THEN
				UPDATE lineitem SET l_extendedprice = round(l_extendedprice * (90 + tpchgen.r(x, salt + 2, 0, 20)) / 100, 2)
				 WHERE l_orderkey = ok AND l_linenumber = 1;
			WHEN j <= 6 THEN
				UPDATE lineitem SET l_discount = tpchgen.r(x, salt + 2, 0, 10) / 100.0
				 WHERE l_orderkey = ok AND l_linenumber = 1;
			WHEN j = 7 THEN
				UPDATE lineitem SET l_shipmode = (ARRAY['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'])[1 + tpchgen.r(x, salt + 2, 0, 6)]
				 WHERE l_orderkey = ok AND l_linenumber = 1;
			WHEN j <= 9 THEN
				UPDATE orders SET o_orderpriority = (ARRAY['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'])[1 + tpchgen.r(x, salt + 2, 0, 4)]
				 WHERE o_orderkey = ok;
			WHEN j = 10 THEN
				UPDATE orders SET o_totalprice = round(o_totalprice * (90 + tpchgen.r(x, salt + 2, 0, 20)) / 100, 2)
				 WHERE o_orderkey = ok;
			WHEN j <= 12 THEN
				UPDATE customer SET c_mktsegment = (ARRAY['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'MACHINERY', 'HOUSEHOLD'])[1 + tpchgen.r(x, salt + 2, 0, 4)]
				 WHERE c_custkey = tpchgen.r(x, salt + 3, 1, g.ncust);
			WHEN j = 13 THEN
				UPDATE customer SET c_acctbal = tpchgen.r(x, salt + 2, -99999, 999999) / 100.0
				 WHERE c_custkey = tpchgen.r(x, salt + 3, 1, g.ncust);
			WHEN j <= 15 THEN
				UPDATE part SET p_type = (ARRAY['STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO'])[1 + tpchgen.r(x, salt + 2, 0, 5)]
						|| ' ' || (ARRAY['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED'])[1 + tpchgen.r(x, salt + 3, 0, 4)]
						|| ' ' || (ARRAY['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER'])[1 + tpchgen.r(x, salt + 4, 0, 4)]
				 WHERE p_partkey = pk;
			WHEN j <= 17 THEN
				UPDATE partsupp SET ps_supplycost = tpchgen.r(x, salt + 2, 100, 100000) / 100.0
				 WHERE ps_partkey = pk AND ps_suppkey = tpchgen.psupp(pk, tpchgen.r(x, salt + 3, 0, 3), g.nsupp);
			WHEN j = 18 THEN
				UPDATE partsupp SET ps_availqty = tpchgen.r(x, salt + 2, 1, 9999)
				 WHERE ps_partkey = pk AND ps_suppkey = tpchgen.psupp(pk, tpchgen.r(x, salt + 3, 0, 3), g.nsupp);
			ELSE
				UPDATE supplier SET s_acctbal = tpchgen.r(x, salt + 2, -99999, 999999) / 100.0
				 WHERE s_suppkey = tpchgen.r(x, salt + 3, 1, g.nsupp);
		END CASE;
		COMMIT;
	END LOOP;
	INSERT INTO bench.timings (query, side, round, ms, consumed, status)
	VALUES ('-', 'updates', p_round, bench.ms_since(t0), 20, 'ok');
	COMMIT;
END $$;

-- whether an earlier round of this query and side timed out or failed:
-- later rounds skip it rather than pile up its backlog
CREATE FUNCTION bench.stopped(p_q text, p_side text) RETURNS boolean
LANGUAGE sql STABLE AS
$$ SELECT EXISTS (SELECT FROM bench.timings WHERE query = p_q AND side = p_side
				   AND status IN ('running', 'timeout', 'error')) $$;

/*
 * One timed incrload_refresh (p_side 'apply') or REFRESH MATERIALIZED VIEW
 * (p_side 'refresh') of query p_q, in its own transaction.  With
 * p_explain, auto_explain (loaded by the caller) logs the statement's plan
 * and those it runs, between two LOG lines tpch.sh cuts the log at.
 */
CREATE PROCEDURE bench.timed(p_q text, p_side text, p_round int, p_explain boolean DEFAULT false)
LANGUAGE plpgsql AS $$
DECLARE
	tid bigint;
	t0 timestamptz;
	took float8;
	c bigint;
BEGIN
	IF bench.stopped(p_q, p_side) THEN
		INSERT INTO bench.timings (query, side, round, status) VALUES (p_q, p_side, p_round, 'skipped');
		COMMIT;
		RETURN;
	END IF;
	INSERT INTO bench.timings (query, side, round, status) VALUES (p_q, p_side, p_round, 'running')
	RETURNING id INTO tid;
	COMMIT;
	IF p_explain THEN
		RAISE LOG 'incrload-tpch: begin % %', p_q, p_side;
		PERFORM set_config('auto_explain.log_min_duration', '0', true);
	END IF;
	t0 := clock_timestamp();
	IF p_side = 'apply' THEN
		c := incrload_refresh(p_q::regclass);
	ELSE
		EXECUTE format('REFRESH MATERIALIZED VIEW %I', 'mv_' || p_q);
	END IF;
	took := bench.ms_since(t0);
	IF p_explain THEN
		PERFORM set_config('auto_explain.log_min_duration', '-1', true);
		RAISE LOG 'incrload-tpch: end % %', p_q, p_side;
	END IF;
	UPDATE bench.timings SET ms = took, consumed = c, status = 'ok' WHERE id = tid;
	COMMIT;
END $$;

-- the statement of bench.timed was cancelled (SQLSTATE 57014: timeout) or failed
CREATE PROCEDURE bench.failed(p_q text, p_side text, p_round int, p_sqlstate text, p_msg text)
LANGUAGE sql AS $$
	UPDATE bench.timings
	   SET status = CASE WHEN p_sqlstate = '57014' THEN 'timeout' ELSE 'error' END,
		   error = p_msg, ms = bench.ms_since(at)
	 WHERE query = p_q AND side = p_side AND round = p_round AND status = 'running'
$$;

/*
 * The end check: incrload_verify (applies what is pending, compares in
 * one snapshot), and independently the view EXCEPT ALL its query both ways
 * in one statement.  Refused queries: the rows of the materialized view.
 */
CREATE PROCEDURE bench.check(p_q text)
LANGUAGE plpgsql AS $$
DECLARE
	q bench.queries;
	t0 timestamptz := clock_timestamp();
	m bigint;
	e bigint;
	d bigint;
	n bigint;
	f bigint;
BEGIN
	SELECT * INTO STRICT q FROM bench.queries WHERE name = p_q;
	DELETE FROM bench.checks WHERE query = p_q;
	IF q.status IS DISTINCT FROM 'accepted' THEN
		EXECUTE format('SELECT count(*), count(*) FILTER (WHERE NOT (v IS NULL)) FROM %I v', 'mv_' || p_q)
			INTO n, f;
		INSERT INTO bench.checks (query, view_rows, filled_rows, status) VALUES (p_q, n, f, 'refused');
		COMMIT;
		RETURN;
	END IF;
	SELECT missing, extra INTO m, e FROM incrload_verify(p_q::regclass);
	COMMIT;
	EXECUTE format('SELECT (SELECT count(*) FROM %I), (SELECT count(*) FROM %I v WHERE NOT (v IS NULL)), '
				   '(SELECT count(*) FROM ((SELECT * FROM %I EXCEPT ALL (%s)) UNION ALL ((%s) EXCEPT ALL SELECT * FROM %I)) x)',
				   p_q, p_q, p_q, q.query, q.query, p_q)
		INTO n, f, d;
	INSERT INTO bench.checks (query, view_rows, filled_rows, missing, extra, diff, ms, status)
	VALUES (p_q, n, f, m, e, d, bench.ms_since(t0),
			CASE WHEN m = 0 AND e = 0 AND d = 0 THEN 'exact' ELSE 'differs' END);
	COMMIT;
END $$;

CREATE PROCEDURE bench.check_failed(p_q text, p_msg text)
LANGUAGE sql AS $$
	INSERT INTO bench.checks (query, status, error) VALUES (p_q, 'not verified', p_msg)
	ON CONFLICT (query) DO UPDATE SET status = 'not verified', error = excluded.error
$$;
