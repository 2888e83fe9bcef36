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

/* One row per registered view. */
CREATE TABLE incrload.view (
	view_name regclass PRIMARY KEY,
	storage_table regclass NOT NULL UNIQUE,
	/* the canonical text, every name qualified: shown, and read after a restore */
	query text NOT NULL,
	/*
	 * The analyzed query (nodeToString, as pg_rewrite keeps a view's): it
	 * names objects by OID, so renaming a table or column does not break
	 * it.  Valid only where the watermark was taken (see below).
	 */
	query_tree text,
	mode text NOT NULL CHECK (mode IN ('incremental', 'full')),
	refresh_interval interval NOT NULL CHECK (refresh_interval > '0'),
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
	last_verify_mismatches bigint
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

REVOKE ALL ON incrload.view, incrload.view_base, incrload.delta,
	incrload.partition FROM PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('incrload.view', '');
SELECT pg_catalog.pg_extension_config_dump('incrload.view_base', '');
SELECT pg_catalog.pg_extension_config_dump('incrload.delta', '');
SELECT pg_catalog.pg_extension_config_dump('incrload.partition', '');

/* Capture: one C trigger function for every captured table and event. */
CREATE FUNCTION @extschema@.incrload_capture()
RETURNS trigger
AS 'MODULE_PATHNAME', 'incrload_capture'
LANGUAGE C;

CREATE FUNCTION @extschema@.incrload_register_view(
	view_name text,
	query text,
	refresh_interval interval DEFAULT '1 second',
	mode text DEFAULT 'incremental')
RETURNS regclass
AS 'MODULE_PATHNAME', 'incrload_register_view'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

CREATE FUNCTION @extschema@.incrload_refresh(view regclass)
RETURNS bigint
AS 'MODULE_PATHNAME', 'incrload_refresh'
LANGUAGE C CALLED ON NULL INPUT VOLATILE;

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
	OUT last_verify_mismatches bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'incrload_stats_internal'
LANGUAGE C STRICT VOLATILE;

CREATE VIEW @extschema@.incrload_stats AS
	SELECT * FROM @extschema@.incrload_stats_internal();

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
	WHEN TAG IN ('ALTER TABLE', 'CREATE TABLE', 'ALTER SCHEMA', 'ALTER FUNCTION',
				 'ALTER PROCEDURE', 'ALTER ROUTINE', 'ALTER AGGREGATE',
				 'ALTER TYPE', 'ALTER DOMAIN', 'ALTER COLLATION', 'ALTER OPERATOR',
				 'ALTER VIEW', 'ALTER MATERIALIZED VIEW', 'ALTER FOREIGN TABLE')
	EXECUTE FUNCTION @extschema@.incrload_on_ddl_end();

/*
 * State-changing functions are not for PUBLIC: a DBA grants them.  Each
 * also checks that the caller owns the view it acts on.
 */
REVOKE ALL ON FUNCTION @extschema@.incrload_capture() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_register_view(text, text, interval, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_refresh(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_full_refresh(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_verify(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_unregister_view(regclass, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_pause(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_resume(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_on_sql_drop() FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.incrload_on_ddl_end() FROM PUBLIC;
GRANT SELECT ON @extschema@.incrload_stats TO PUBLIC;
