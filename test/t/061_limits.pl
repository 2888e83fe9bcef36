# Limits of what one role's views cost everybody else, with the worker:
#
# * a paused or failing view that holds more than incrload.max_pending_changes
#   unapplied changes forgets them (failing becomes needs_full_refresh, paused
#   stays paused): the garbage collector no longer waits for it, the delta
#   table empties, and its next apply recomputes it;
# * below the limit it keeps them;
# * the changes an apply writes to the storage table of a registered view carry
#   the time of that apply (the statement start of the worker's transaction),
#   not the worker's start, so oldest_pending_change of a view over a view is
#   never older than the write it comes from.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('limits');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'incrload'
incrload.launcher_naptime = '200ms'
incrload.naptime = '100ms'
incrload.gc_interval = '200ms'
incrload.max_retry_delay = '500ms'
incrload.max_pending_changes = 10
});
$node->start;

my %query = (
	v_p => 'SELECT k, count(*) AS n, sum(v) AS s FROM t GROUP BY k',
	v_t => 'SELECT k, max(v) AS m FROM t GROUP BY k',
	v_f => 'SELECT k, count(*) AS n, sum(v) AS s FROM u GROUP BY k',
	v_w => 'SELECT k, count(*) AS n FROM w GROUP BY k',
	vi => 'SELECT k, count(*) AS n FROM t2 GROUP BY k',
	vo => 'SELECT n, count(*) AS c FROM vi GROUP BY n',);

sub sql
{
	return $node->safe_psql('postgres', $_[0]);
}

sub st
{
	my ($v, $col) = @_;
	return sql("SELECT $col FROM incrload_stats WHERE view_name = '$v'::regclass");
}

sub wait_fresh
{
	my ($v, $what) = @_;
	my $qv = $query{$v};
	ok( $node->poll_query_until(
			'postgres', qq{
		SELECT (SELECT pending_changes FROM incrload_stats WHERE view_name = '$v'::regclass) = 0
		   AND (SELECT state FROM incrload_stats WHERE view_name = '$v'::regclass) = 'active'
		   AND (SELECT count(*) FROM ((SELECT * FROM $v EXCEPT ALL $qv)
		                   UNION ALL ($qv EXCEPT ALL SELECT * FROM $v)) d) = 0}),
		"$what: $v exact");
}

sub register
{
	my ($v, $role) = @_;
	sql(  ($role ? "SET ROLE $role; " : '')
		  . "SELECT incrload_register_view('$v', \$q\$$query{$v}\$q\$, '100ms')");
}

sql(q{
CREATE EXTENSION incrload;
CREATE ROLE bob LOGIN;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO bob;
GRANT CREATE ON SCHEMA public TO bob;
CREATE TABLE t (k int, v int);
CREATE TABLE u (k int, v int);
CREATE TABLE w (k int);
CREATE TABLE t2 (k int);
GRANT SELECT, TRIGGER ON t, u TO bob;
INSERT INTO t SELECT g % 3, g FROM generate_series(1, 30) g;
INSERT INTO u SELECT g % 3, g FROM generate_series(1, 30) g;
});
register('v_p', 'bob');
register('v_t', 'bob');
register('v_f', 'bob');
register('v_w');
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'incrload worker'"
	),
	'the worker runs');

# --- a paused view below the limit keeps its changes --------------------------------
sql("SET ROLE bob; SELECT incrload_pause('v_p')");
sql('INSERT INTO t SELECT 1, g FROM generate_series(1, 5) g');
wait_fresh('v_t', 'below the limit');
# a collection that ran after these writes: the one that empties w's delta table
sql('INSERT INTO w VALUES (1)');
ok( $node->poll_query_until(
		'postgres', q{
	SELECT (SELECT pending_changes FROM incrload_stats WHERE view_name = 'v_w'::regclass) = 0
	   AND NOT EXISTS (SELECT FROM incrload.w_delta)}),
	'the garbage collector ran');
is(st('v_p', 'pending_changes'), '5', 'the paused view still has its 5 changes');
cmp_ok(sql('SELECT count(*) FROM incrload.t_delta'), '>=', 5,
	'and the delta table keeps them for it');

# --- above it, the paused view lets them go -----------------------------------------
my $log_offset = -s $node->logfile;
sql('INSERT INTO t SELECT 2, g FROM generate_series(1, 20) g');
ok( $node->poll_query_until(
		'postgres', q{
	SELECT (SELECT watermark IS NULL FROM incrload.view WHERE view_name = 'v_p'::regclass)
	   AND NOT EXISTS (SELECT FROM incrload.t_delta)}),
	'above the limit the paused view forgets its changes and the delta table empties');
is(st('v_p', "state || ' ' || pending_changes"), 'paused 0',
	'it stays paused, holding nothing');
like(
	slurp_file($node->logfile, $log_offset),
	qr/WARNING:  incrload view "v_p" holds 25 unapplied changes, more than incrload.max_pending_changes \(10\)/,
	'the worker says so');
wait_fresh('v_t', 'the other view of the table');
my $full = st('v_p', 'full_refreshes');
sql("SET ROLE bob; SELECT incrload_resume('v_p')");
wait_fresh('v_p', 'resumed');
cmp_ok(st('v_p', 'full_refreshes'), '>', $full, 'v_p was recomputed');

# --- a failing view above the limit: needs_full_refresh -----------------------------
sql('REVOKE SELECT ON u FROM bob');
sql('INSERT INTO u SELECT 1, g FROM generate_series(1, 20) g');
ok( $node->poll_query_until(
		'postgres', q{
	SELECT (SELECT state FROM incrload_stats WHERE view_name = 'v_f'::regclass) = 'needs_full_refresh'
	   AND (SELECT watermark IS NULL FROM incrload.view WHERE view_name = 'v_f'::regclass)
	   AND NOT EXISTS (SELECT FROM incrload.u_delta)}),
	'a failing view above the limit is marked needs_full_refresh and holds nothing');
like(st('v_f', 'last_error'), qr/permission denied for table u/,
	'its error stays');
sql('GRANT SELECT ON u TO bob');
wait_fresh('v_f', 'privilege back');

# --- capture times of a view over a view ---------------------------------------------
register('vi');
register('vo');
sql("SELECT incrload_pause('vo')");
# the write's own time, from its own transaction
my $written = sql(
	"BEGIN; INSERT INTO t2 VALUES (1), (1), (2); SELECT now()::text; COMMIT;");
ok( $node->poll_query_until(
		'postgres', q{
	SELECT (SELECT pending_changes FROM incrload_stats WHERE view_name = 'vi'::regclass) = 0
	   AND (SELECT pending_changes FROM incrload_stats WHERE view_name = 'vo'::regclass) > 0}),
	'the inner view applied the write');
is( sql(
		"SELECT oldest_pending_change >= '$written'::timestamptz FROM incrload_stats WHERE view_name = 'vo'::regclass"
	),
	't',
	'the outer view\'s pending change is not older than the write');
sql("SELECT incrload_resume('vo')");
wait_fresh('vo', 'resumed');
is( sql(
		"SELECT max_change_age <= clock_timestamp() - '$written'::timestamptz FROM incrload_refresh_history "
		  . "WHERE view_name = 'vo'::regclass AND delta_rows > 0 ORDER BY id DESC LIMIT 1"),
	't',
	'the history\'s max_change_age is not longer than the change has existed');

$node->stop;
done_testing();
