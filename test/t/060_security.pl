# Security with the worker (issue 16; the rest is in sql/22_security.sql).
#
# - An apply that fails quotes row values in its error ("invalid input
#   syntax for type integer: ..."): incrload_stats.last_error and
#   incrload_refresh_history.error show it to the view's owner, to
#   pg_monitor and to superusers, NULL to anybody else, who still sees the
#   state and the counts.
# - A view's owner holds no right on the delta tables; after REVOKE SELECT
#   on a base table the worker's next apply fails with a permission error
#   (state failing), as REFRESH MATERIALIZED VIEW would.
# - The worker runs as a superuser: a database search_path that puts
#   somebody's schema (with an = operator and a count() of its own) first
#   must not make it run that code.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('security');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'incrload'
incrload.naptime = 100
incrload.launcher_naptime = 200
incrload.max_retry_delay = 500
});
$node->start;

$node->safe_psql('postgres', q{
CREATE EXTENSION incrload;
CREATE ROLE regress_incrload_alice;
CREATE ROLE regress_incrload_nobody;
CREATE ROLE regress_incrload_monitor IN ROLE pg_monitor;
GRANT EXECUTE ON FUNCTION incrload_register_view(text, text, interval, text, interval)
  TO regress_incrload_alice;
GRANT CREATE ON SCHEMA public TO regress_incrload_alice;
CREATE TABLE t (id int PRIMARY KEY, g int, secret text);
INSERT INTO t VALUES (1, 1, '10'), (2, 2, '20');
GRANT SELECT, TRIGGER ON t TO regress_incrload_alice;
SET ROLE regress_incrload_alice;
SELECT incrload_register_view('v_sum', 'SELECT g, sum(secret::int) AS s FROM t GROUP BY g', '100 ms');
SELECT incrload_register_view('v_cnt', 'SELECT g, count(*) AS n FROM t GROUP BY g', '100 ms');
});

# what a role sees of v_sum: last_error, and the history's error texts
sub seen_by
{
	my ($role) = @_;
	return $node->safe_psql('postgres', qq{
SET ROLE $role;
SELECT (SELECT coalesce(last_error, '<null>') FROM incrload_stats WHERE view_name = 'v_sum'::regclass)
       || ' / ' ||
       (SELECT count(*) FROM incrload_refresh_history
         WHERE view_name = 'v_sum'::regclass AND outcome = 'error' AND error LIKE '%the secret%')});
}

# a row the apply cannot cast: the worker's error quotes its value
$node->safe_psql('postgres', q{INSERT INTO t VALUES (3, 1, 'the secret')});
ok($node->poll_query_until('postgres', q{
	SELECT (SELECT last_error LIKE '%the secret%' FROM incrload_stats WHERE view_name = 'v_sum'::regclass)
	   AND EXISTS (SELECT FROM incrload_refresh_history
	                WHERE view_name = 'v_sum'::regclass AND outcome = 'error')}),
	'the worker failed to apply v_sum, quoting the value');
like(seen_by('regress_incrload_alice'), qr/^invalid input syntax .*the secret.* \/ [1-9]/,
	'the owner sees the error');
like(seen_by('regress_incrload_monitor'), qr/^invalid input syntax .*the secret.* \/ [1-9]/,
	'pg_monitor sees the error');
is(seen_by('regress_incrload_nobody'), '<null> / 0', 'anybody else does not');
is($node->safe_psql('postgres', q{
SET ROLE regress_incrload_nobody;
SELECT state, failures > 0, pending_changes IS NULL FROM incrload_stats WHERE view_name = 'v_sum'::regclass}),
	'needs_full_refresh|t|t', 'but sees the state and the counts, not the pending changes');

# the bad row goes, v_sum recovers
$node->safe_psql('postgres', q{DELETE FROM t WHERE id = 3});
ok($node->poll_query_until('postgres', q{
	SELECT state = 'active' FROM incrload_stats WHERE view_name = 'v_sum'::regclass}),
	'v_sum recomputed once the row is gone');

# no right on the delta table; a REVOKE fails the next apply
is($node->safe_psql('postgres', q{
	SELECT has_table_privilege('regress_incrload_alice', 'incrload.t_delta', 'SELECT')}),
	'f', 'the owner holds no right on the delta table');
$node->safe_psql('postgres', q{
REVOKE SELECT ON t FROM regress_incrload_alice;
INSERT INTO t VALUES (4, 2, '40');
});
ok($node->poll_query_until('postgres', q{
	SELECT state = 'failing' AND last_error LIKE 'permission denied for table t%'
	  FROM incrload_stats WHERE view_name = 'v_cnt'::regclass}),
	'after REVOKE, the worker fails the view with a permission error');
$node->safe_psql('postgres', q{GRANT SELECT ON t TO regress_incrload_alice});
ok($node->poll_query_until('postgres', q{
	SELECT state = 'active' FROM incrload_stats WHERE view_name = 'v_cnt'::regclass}),
	'after GRANT, it recovers');

# somebody's schema first on the database's search_path
$node->safe_psql('postgres', q{
CREATE SCHEMA regress_evil;
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['regclass', 'oid', 'regrole', 'text', 'name', 'bigint', 'integer',
                           'boolean', 'xid8', 'interval', 'timestamptz'] LOOP
    EXECUTE format($f$CREATE FUNCTION regress_evil.trap(%1$s, %1$s) RETURNS boolean
      LANGUAGE plpgsql IMMUTABLE AS 'BEGIN RAISE EXCEPTION ''regress_evil operator on %1$s''; END'$f$, t);
    EXECUTE format('CREATE OPERATOR regress_evil.= (LEFTARG = %1$s, RIGHTARG = %1$s, FUNCTION = regress_evil.trap)', t);
  END LOOP;
END $$;
CREATE FUNCTION regress_evil.trap_agg0(bigint) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS
  'BEGIN RAISE EXCEPTION ''regress_evil aggregate''; END';
CREATE AGGREGATE regress_evil.count(*) (SFUNC = regress_evil.trap_agg0, STYPE = bigint);
ALTER DATABASE postgres SET search_path = regress_evil, pg_catalog, public;
});
# the worker connects again, with that search_path
$node->restart;
my $log_offset = -s $node->logfile;
$node->safe_psql('postgres', q{
SET search_path = pg_catalog, public;
INSERT INTO t VALUES (5, 3, '50');
});
# (the test's own queries qualify what they call: the search_path is theirs too)
ok($node->poll_query_until('postgres', q{
	SELECT pg_catalog.count(*) OPERATOR(pg_catalog.=) 0
	  FROM ((SELECT * FROM v_cnt EXCEPT ALL SELECT g, pg_catalog.count(*) FROM t GROUP BY g)
	        UNION ALL (SELECT g, pg_catalog.count(*) FROM t GROUP BY g EXCEPT ALL SELECT * FROM v_cnt)) d}),
	'the worker keeps the view fresh');
unlike(slurp_file($node->logfile, $log_offset), qr/regress_evil/,
	'without running anything of regress_evil');

$node->stop;
done_testing();
