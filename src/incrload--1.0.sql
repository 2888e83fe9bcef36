/* src/incrload--1.0.sql */

\echo Use "CREATE EXTENSION incrload" to load this file. \quit

/*
 * Internal objects live in schema incrload: the catalog tables below, and
 * the storage and delta tables that registration creates.  Users get USAGE
 * on the schema (view owners' generated SQL names storage and delta tables
 * there) but no privilege on any catalog table; the C code reads and writes
 * the catalog as the extension's owner.
 */
CREATE SCHEMA incrload;
REVOKE ALL ON SCHEMA incrload FROM PUBLIC;
GRANT USAGE ON SCHEMA incrload TO PUBLIC;

/*
 * Whether a delta row belongs to a batch (batch.c): the generated
 * statements call it; its support function tells the planner a batch is
 * small.
 */
CREATE FUNCTION incrload.in_batch_support(internal)
RETURNS internal
AS 'MODULE_PATHNAME', 'incrload_in_batch_support'
LANGUAGE C STRICT IMMUTABLE;

CREATE FUNCTION incrload.in_batch(xid pg_catalog.xid8, cid pg_catalog.int8,
	watermark pg_catalog.pg_snapshot, watermark_xid pg_catalog.xid8,
	watermark_cid pg_catalog.int8)
RETURNS boolean
AS 'MODULE_PATHNAME', 'incrload_in_batch'
LANGUAGE C IMMUTABLE PARALLEL SAFE
SUPPORT incrload.in_batch_support;

/*
 * The value of a group's first row in the call's ORDER BY: the columns of a
 * DISTINCT ON view are maintained as these (distinct_on.c).
 */
CREATE FUNCTION incrload.first_step(internal, anyelement)
RETURNS internal
AS 'MODULE_PATHNAME', 'incrload_first_step'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION incrload.first_final(internal, anyelement)
RETURNS anyelement
AS 'MODULE_PATHNAME', 'incrload_first_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE incrload.first(anyelement) (
	SFUNC = incrload.first_step,
	STYPE = internal,
	FINALFUNC = incrload.first_final,
	FINALFUNC_EXTRA
);

/* One row per registered view. */
CREATE TABLE incrload.view (
	view_name regclass PRIMARY KEY,
	storage_table regclass NOT NULL UNIQUE,
	/* the canonical text, every name qualified: shown, and read after a restore */
	query text NOT NULL,
	/*
	 * The analyzed query (nodeToString, as pg_rewrite keeps a view's): it
	 * names objects by OID, so renaming a table or column does not break
	 * it.  Valid only where the watermark was taken (see below), and only
	 * for the major that wrote it (query_tree_major): nodeToString's format
	 * changes between majors, so after pg_upgrade another major reads the
	 * query text again and keeps its own tree.
	 */
	query_tree text,
	query_tree_major integer,
	mode text NOT NULL CHECK (mode IN ('incremental', 'full')),
	refresh_interval interval NOT NULL CHECK (refresh_interval > '0'),
	/* scheduled reconciliation: NULL = off */
	verify_interval interval CHECK (verify_interval > '0'),
	/* repair drift that a scheduled verify finds; NULL = incrload.verify_repair */
	repair boolean,
	/*
	 * How often a storage row shows in the view, as an expression over the
	 * storage row (alias s); NULL: once.  A view reading this one counts
	 * its rows so.
	 */
	multiplicity text,
	/* an auxiliary view: the view whose nested subquery it maintains */
	aux_of regclass,
	state text NOT NULL DEFAULT 'active'
		CHECK (state IN ('active', 'paused', 'failing', 'needs_full_refresh')),
	owner regrole NOT NULL,
	/* the pg_snapshot at which the view was last made exact */
	watermark pg_catalog.pg_snapshot,
	/*
	 * The applying transaction's own top-level xid and the command id at
	 * which it read: its later rows (cid >= watermark_cid) are not applied.
	 */
	watermark_xid xid8,
	watermark_cid bigint,
	/*
	 * Where the watermark was taken: the cluster's system identifier and the
	 * view's OID then.  After pg_dump/pg_restore either differs, xids mean
	 * nothing, and the view is recomputed once.
	 */
	watermark_system bigint,
	watermark_view oid,
	created timestamptz NOT NULL DEFAULT pg_catalog.now(),
	last_refresh timestamptz,
	last_refresh_duration interval,
	last_attempt timestamptz,
	refreshes bigint NOT NULL DEFAULT 0,
	failures bigint NOT NULL DEFAULT 0,
	consecutive_failures integer NOT NULL DEFAULT 0,
	last_error text,
	changes_applied bigint NOT NULL DEFAULT 0,
	full_refreshes bigint NOT NULL DEFAULT 0,
	last_verify timestamptz,
	last_verify_mismatches bigint,
	/*
	 * How a batch is applied: 'auto' chooses between the incremental rules
	 * and a recompute by their measured costs (apply.c), the others force
	 * one.  apply_model: what the incremental applies cost, as moving
	 * averages of their delta rows k and milliseconds t: {k, t, k*k, k*t},
	 * from which a line t = a + b*k is fitted (apply.c); recompute_cost:
	 * milliseconds of a recompute, a moving average; last_choice: what the
	 * last apply did, and why.
	 */
	strategy text NOT NULL DEFAULT 'auto'
		CHECK (strategy IN ('auto', 'incremental', 'full')),
	apply_model double precision[],
	recompute_cost double precision,
	last_choice text,
	/*
	 * Limits of each apply, as the settings of the same name take them:
	 * milliseconds (0: none) and kilobytes (-1: none).  NULL: the server's
	 * incrload.apply_statement_timeout and incrload.apply_temp_file_limit.
	 */
	statement_timeout integer CHECK (statement_timeout >= 0),
	temp_file_limit integer CHECK (temp_file_limit >= -1),
	/*
	 * The settings its query's stable built-ins read (TimeZone, DateStyle,
	 * ...: settings.c), as 'name=value', taken at registration and set for
	 * every apply; NULL when it calls none.
	 */
	settings text[]
);

/* Which base tables each view reads. */
CREATE TABLE incrload.view_base (
	view_name regclass NOT NULL REFERENCES incrload.view ON DELETE CASCADE,
	base_table regclass NOT NULL,
	PRIMARY KEY (view_name, base_table)
);
CREATE INDEX view_base_base_table_idx ON incrload.view_base (base_table);

/* The delta table that serves each captured base table. */
CREATE TABLE incrload.delta (
	base_table regclass PRIMARY KEY,
	delta_table regclass NOT NULL UNIQUE
);

/*
 * Every partition (at any level) of a captured partitioned table, and the
 * table whose delta table its rows go to.
 */
CREATE TABLE incrload.partition (
	partition regclass PRIMARY KEY,
	root regclass NOT NULL
);
CREATE INDEX partition_root_idx ON incrload.partition (root);

/*
 * One row per apply attempt (incrload_refresh_history shows it).  Not
 * dumped: it describes this cluster's past, and is pruned after
 * incrload.history_retention.
 */
CREATE TABLE incrload.refresh_history (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	view_name regclass NOT NULL REFERENCES incrload.view ON DELETE CASCADE,
	kind text NOT NULL CHECK (kind IN ('incremental', 'full', 'verify')),
	origin text NOT NULL CHECK (origin IN ('worker', 'manual')),
	started_at timestamptz NOT NULL,
	duration interval NOT NULL,
	delta_rows bigint,
	rows_inserted bigint,
	rows_deleted bigint,
	rows_updated bigint,
	/* commit minus capture time of the oldest change applied */
	max_change_age interval,
	outcome text NOT NULL CHECK (outcome IN ('ok', 'error', 'cancelled')),
	error text,
	verify_missing bigint,
	verify_extra bigint,
	repaired boolean NOT NULL DEFAULT false,
	/* why the apply was incremental or a recompute */
	reason text
);
CREATE INDEX refresh_history_view_idx ON incrload.refresh_history (view_name, started_at);
CREATE INDEX refresh_history_started_idx ON incrload.refresh_history (started_at);

REVOKE ALL ON incrload.view, incrload.view_base, incrload.delta,
	incrload.partition, incrload.refresh_history FROM PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('incrload.view', '');
SELECT pg_catalog.pg_extension_config_dump('incrload.view_base', '');
SELECT pg_catalog.pg_extension_config_dump('incrload.delta', '');
SELECT pg_catalog.pg_extension_config_dump('incrload.partition', '');

/* Capture: one C trigger function for every captured table and event. */
CREATE FUNCTION @extschema@.incrload_capture()
RETURNS trigger
AS 'MODULE_PATHNAME', 'incrload_capture'
LANGUAGE C;

/*
 * The guard of storage, set and delta tables: refuses every change that
 * is not incrload's own.
 */
CREATE FUNCTION @extschema@.incrload_guard()
RETURNS trigger
AS 'MODULE_PATHNAME', 'incrload_guard'
LANGUAGE C;

CREATE FUNCTION @extschema@.incrload_register_view(
	view_name text,
	query text,
	refresh_interval interval DEFAULT '1 second',
	mode text DEFAULT 'incremental',
	verify_interval interval DEFAULT NULL)
RETURNS regclass
AS 'MODULE_PATHNAME', 'incrload_register_view'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

/*
 * Could a query be maintained incrementally, how, and if not, why and what
 * to do.  Registers nothing.
 */
CREATE FUNCTION @extschema@.incrload_explain(query text,
	show_sql boolean DEFAULT false,
	OUT incremental boolean,
	OUT kind text,
	OUT base_tables regclass[],
	OUT auxiliary_views integer,
	OUT aggregates text[],
	OUT reason text,
	OUT detail text,
	OUT hint text,
	OUT statements text[])
RETURNS record
AS 'MODULE_PATHNAME', 'incrload_explain'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

CREATE FUNCTION @extschema@.incrload_refresh(view regclass)
RETURNS bigint
AS 'MODULE_PATHNAME', 'incrload_refresh'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

/*
 * A refresh that also shows what it ran: each statement of the apply (of
 * the view and of its auxiliary views) with its plan, as EXPLAIN (ANALYZE,
 * BUFFERS) prints it.
 */
CREATE FUNCTION @extschema@.incrload_refresh(view regclass, explain boolean,
	OUT view_name regclass, OUT statement text, OUT plan text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'incrload_refresh_explain'
LANGUAGE C CALLED ON NULL INPUT VOLATILE ROWS 10;

CREATE FUNCTION @extschema@.incrload_full_refresh(view regclass)
RETURNS void
AS 'MODULE_PATHNAME', 'incrload_full_refresh'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

CREATE FUNCTION @extschema@.incrload_verify(view regclass,
	OUT missing bigint, OUT extra bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'incrload_verify'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

CREATE FUNCTION @extschema@.incrload_unregister_view(view regclass,
	drop_table boolean DEFAULT true)
RETURNS void
AS 'MODULE_PATHNAME', 'incrload_unregister_view'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

CREATE FUNCTION @extschema@.incrload_alter_view(view regclass,
	refresh_interval interval DEFAULT NULL,
	verify_interval interval DEFAULT NULL,
	repair boolean DEFAULT NULL,
	strategy text DEFAULT NULL,
	statement_timeout text DEFAULT NULL,
	temp_file_limit text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'incrload_alter_view'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

CREATE FUNCTION @extschema@.incrload_pause(view regclass)
RETURNS void
AS 'MODULE_PATHNAME', 'incrload_pause'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

CREATE FUNCTION @extschema@.incrload_resume(view regclass)
RETURNS void
AS 'MODULE_PATHNAME', 'incrload_resume'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

CREATE FUNCTION @extschema@.incrload_stats_internal(
	OUT view_name regclass,
	OUT storage_table regclass,
	OUT mode text,
	OUT state text,
	OUT refresh_interval interval,
	OUT last_refresh timestamptz,
	OUT last_refresh_duration interval,
	OUT refreshes bigint,
	OUT failures bigint,
	OUT consecutive_failures integer,
	OUT last_error text,
	OUT pending_changes bigint,
	OUT oldest_pending_change timestamptz,
	OUT freshness_lag interval,
	OUT changes_applied bigint,
	OUT full_refreshes bigint,
	OUT last_verify timestamptz,
	OUT last_verify_mismatches bigint,
	OUT verify_interval interval,
	OUT repair boolean,
	OUT strategy text,
	OUT last_choice text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'incrload_stats_internal'
LANGUAGE C STRICT VOLATILE;

CREATE VIEW @extschema@.incrload_stats AS
	SELECT * FROM @extschema@.incrload_stats_internal();

/*
 * The order in which the worker applies views: a view that reads other
 * registered views (their storage tables are its base tables) comes after
 * them, so that their changes reach it in the same round.
 */
CREATE VIEW incrload.apply_order AS
	WITH RECURSIVE reads(view_name, depth) AS (
		SELECT v.view_name, 0 FROM incrload.view v
		UNION ALL
		SELECT b.view_name, r.depth OPERATOR(pg_catalog.+) 1
		  FROM reads r
		  JOIN incrload.view i ON i.view_name OPERATOR(pg_catalog.=) r.view_name
		  JOIN incrload.view_base b ON b.base_table OPERATOR(pg_catalog.=) i.storage_table
	)
	SELECT view_name, pg_catalog.max(depth) AS depth FROM reads GROUP BY view_name;

/* The registered views' names, for the functions below. */
CREATE VIEW incrload.registered AS
	SELECT view_name FROM incrload.view;

/*
 * The history, readable like incrload_stats (the view reads the table with
 * its owner's rights).  An error message can quote row values: it is shown
 * to the view's owner and to members of pg_read_all_stats (pg_monitor is
 * one; superusers have every role's privileges), NULL to others.
 */
CREATE VIEW @extschema@.incrload_refresh_history AS
	SELECT h.id, h.view_name, h.kind, h.origin, h.started_at, h.duration,
		   h.delta_rows, h.rows_inserted, h.rows_deleted, h.rows_updated,
		   h.max_change_age, h.outcome,
		   CASE WHEN pg_catalog.pg_has_role(v.owner::pg_catalog.oid, 'USAGE')
					 OR pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE')
				THEN h.error END AS error,
		   h.verify_missing, h.verify_extra, h.repaired, h.reason
	  FROM incrload.refresh_history h
	  JOIN incrload.view v ON v.view_name OPERATOR(pg_catalog.=) h.view_name;

/*
 * The SLIs of each view over the last window_length: refresh success rate,
 * the freshness readers saw (how old the oldest change an apply brought was
 * when it committed), apply duration, volumes, drift.  One index range scan
 * per view.
 */
CREATE FUNCTION @extschema@.incrload_slis(window_length interval DEFAULT '1 hour')
RETURNS TABLE (
	view_name regclass,
	window_length interval,
	attempts bigint,
	refreshes_ok bigint,
	refreshes_failed bigint,
	success_rate double precision,
	freshness_p50 interval,
	freshness_p95 interval,
	freshness_max interval,
	apply_p95 interval,
	changes_applied bigint,
	full_refreshes bigint,
	verify_runs bigint,
	verify_mismatches bigint)
LANGUAGE sql STABLE STRICT
/*
 * The body is analyzed at each call: with the caller's search_path, a
 * count() or = of somebody else's schema would run as the caller.
 */
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.view_name, $1,
		   pg_catalog.count(h.id) FILTER (WHERE h.kind OPERATOR(pg_catalog.<>) 'verify'),
		   pg_catalog.count(h.id) FILTER (WHERE h.kind OPERATOR(pg_catalog.<>) 'verify'
							   AND h.outcome OPERATOR(pg_catalog.=) 'ok'),
		   pg_catalog.count(h.id) FILTER (WHERE h.kind OPERATOR(pg_catalog.<>) 'verify'
							   AND h.outcome OPERATOR(pg_catalog.<>) 'ok'),
		   (pg_catalog.count(h.id) FILTER (WHERE h.kind OPERATOR(pg_catalog.<>) 'verify'
								AND h.outcome OPERATOR(pg_catalog.=) 'ok'))::pg_catalog.float8
			 OPERATOR(pg_catalog./)
		   NULLIF(pg_catalog.count(h.id) FILTER (WHERE h.kind OPERATOR(pg_catalog.<>) 'verify'), 0),
		   pg_catalog.percentile_cont(0.5) WITHIN GROUP (ORDER BY h.max_change_age)
			 FILTER (WHERE h.outcome OPERATOR(pg_catalog.=) 'ok'),
		   pg_catalog.percentile_cont(0.95) WITHIN GROUP (ORDER BY h.max_change_age)
			 FILTER (WHERE h.outcome OPERATOR(pg_catalog.=) 'ok'),
		   pg_catalog.max(h.max_change_age) FILTER (WHERE h.outcome OPERATOR(pg_catalog.=) 'ok'),
		   pg_catalog.percentile_cont(0.95) WITHIN GROUP (ORDER BY h.duration)
			 FILTER (WHERE h.kind OPERATOR(pg_catalog.<>) 'verify'
					 AND h.outcome OPERATOR(pg_catalog.=) 'ok'),
		   COALESCE(pg_catalog.sum(h.delta_rows) FILTER (WHERE h.kind OPERATOR(pg_catalog.<>) 'verify'
														 AND h.outcome OPERATOR(pg_catalog.=) 'ok'), 0)::pg_catalog.int8,
		   pg_catalog.count(h.id) FILTER (WHERE h.kind OPERATOR(pg_catalog.=) 'full'
							   AND h.outcome OPERATOR(pg_catalog.=) 'ok'),
		   pg_catalog.count(h.id) FILTER (WHERE h.kind OPERATOR(pg_catalog.=) 'verify'
							   AND h.outcome OPERATOR(pg_catalog.=) 'ok'),
		   COALESCE(pg_catalog.sum(h.verify_missing OPERATOR(pg_catalog.+) h.verify_extra)
					  FILTER (WHERE h.kind OPERATOR(pg_catalog.=) 'verify'), 0)::pg_catalog.int8
	  FROM incrload.registered s
	  LEFT JOIN @extschema@.incrload_refresh_history h
		ON h.view_name OPERATOR(pg_catalog.=) s.view_name
	   AND h.started_at OPERATOR(pg_catalog.>=) (pg_catalog.now() OPERATOR(pg_catalog.-) $1)
	 GROUP BY s.view_name
	 ORDER BY s.view_name
$$;

/* Dropping a registered view's relation unregisters it. */
CREATE FUNCTION @extschema@.incrload_on_sql_drop()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'incrload_on_sql_drop'
LANGUAGE C;

CREATE EVENT TRIGGER incrload_sql_drop ON sql_drop
	EXECUTE FUNCTION @extschema@.incrload_on_sql_drop();

/*
 * DDL on base tables: capture follows renames and partitions, refuses what
 * would make it miss changes; query texts follow renames.
 */
CREATE FUNCTION @extschema@.incrload_on_ddl_end()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'incrload_on_ddl_end'
LANGUAGE C;

CREATE EVENT TRIGGER incrload_ddl_end ON ddl_command_end
	WHEN TAG IN ('ALTER TABLE', 'CREATE TABLE', 'CREATE VIEW', 'CREATE FUNCTION',
				 'ALTER SCHEMA', 'ALTER FUNCTION',
				 'ALTER PROCEDURE', 'ALTER ROUTINE', 'ALTER AGGREGATE',
				 'ALTER TYPE', 'ALTER DOMAIN', 'ALTER COLLATION', 'ALTER OPERATOR',
				 'ALTER VIEW', 'ALTER MATERIALIZED VIEW', 'ALTER FOREIGN TABLE')
	EXECUTE FUNCTION @extschema@.incrload_on_ddl_end();

/*
 * DDL that would change what a registered view shows, or what its storage
 * and delta tables hold, is refused before it runs (ddl.c).
 */
CREATE FUNCTION @extschema@.incrload_on_ddl_start()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'incrload_on_ddl_start'
LANGUAGE C;

CREATE EVENT TRIGGER incrload_ddl_start ON ddl_command_start
	WHEN TAG IN ('ALTER TABLE', 'ALTER VIEW', 'ALTER FOREIGN TABLE',
				 'CREATE VIEW', 'CREATE TABLE', 'CREATE FOREIGN TABLE',
				 'CREATE TRIGGER', 'ALTER TRIGGER', 'CREATE RULE',
				 'CREATE POLICY', 'ALTER POLICY')
	EXECUTE FUNCTION @extschema@.incrload_on_ddl_start();

/*
 * Like capture, the event triggers fire whatever session_replication_role
 * says: a partition created in a replica session needs capture too, and a
 * capture trigger disabled there loses changes all the same.
 */
ALTER EVENT TRIGGER incrload_sql_drop ENABLE ALWAYS;
ALTER EVENT TRIGGER incrload_ddl_end ENABLE ALWAYS;
ALTER EVENT TRIGGER incrload_ddl_start ENABLE ALWAYS;

/*
 * State-changing functions are not for PUBLIC: a DBA grants them.  Each
 * also checks that the caller owns the view it acts on.
 */
REVOKE ALL ON FUNCTION @extschema@.incrload_capture() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_guard() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_register_view(text, text, interval, text, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_alter_view(regclass, interval, interval, boolean, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_refresh(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_refresh(regclass, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_explain(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_full_refresh(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_verify(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_unregister_view(regclass, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_pause(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_resume(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_on_sql_drop() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_on_ddl_end() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_on_ddl_start() FROM PUBLIC;
GRANT SELECT ON @extschema@.incrload_stats, @extschema@.incrload_refresh_history,
	incrload.registered TO PUBLIC;
