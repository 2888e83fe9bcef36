# One slow view does not starve the other views of its database.  The apply
# of v_slow waits for an advisory lock that another session holds inside the
# view's own query (a function declared immutable takes it), as a slow apply
# would run for minutes; meanwhile v_fast, over another table of the same
# database, keeps being maintained by another apply worker.  Once the lock
# goes, v_slow catches up.  With incrload.max_apply_workers = 0 the
# database's worker applies the views itself, one after another.  Freshness
# is checked by polling, never by timing.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('fairness');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'incrload'
incrload.launcher_naptime = '200ms'
incrload.naptime = '100ms'
});
$node->start;

my %query = (
	v_slow => 'SELECT gate(k) AS k, count(*) AS n FROM slow_t GROUP BY 1',
	v_fast => 'SELECT k, count(*) AS n, sum(v) AS s FROM fast_t GROUP BY k',
	v_next => 'SELECT n, count(*) AS c FROM v_fast GROUP BY n',);

sub sql
{
	return $node->safe_psql('postgres', $_[0]);
}

sub pending
{
	my ($v) = @_;
	return sql(
		"SELECT pending_changes FROM incrload_stats WHERE view_name = '$v'::regclass"
	);
}

sub wait_fresh
{
	my ($v, $what) = @_;
	my $qv = $query{$v};
	ok( $node->poll_query_until(
			'postgres', qq{
		SELECT (SELECT pending_changes FROM incrload_stats WHERE view_name = '$v'::regclass) = 0
		   AND (SELECT count(*) FROM ((SELECT * FROM $v EXCEPT ALL $qv)
		                   UNION ALL ($qv EXCEPT ALL SELECT * FROM $v)) d) = 0}),
		"$what: $v fresh");
}

sql(q{
CREATE EXTENSION incrload;
CREATE TABLE slow_t (k int);
CREATE TABLE fast_t (k int, v int);
-- a lie: it waits for whoever holds advisory lock 42
CREATE FUNCTION gate(int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS $$ BEGIN PERFORM pg_advisory_xact_lock(42); RETURN $1; END $$;
INSERT INTO slow_t VALUES (1), (2);
INSERT INTO fast_t SELECT g % 3, g FROM generate_series(1, 30) g;
});
for my $v (qw(v_slow v_fast v_next))
{
	sql("SELECT incrload_register_view('$v', \$q\$$query{$v}\$q\$, '100ms')");
}

# --- v_slow's apply is stuck inside its own query ------------------------------------
my $locker = $node->background_psql('postgres');
$locker->query_safe('SELECT pg_advisory_lock(42)');
sql('INSERT INTO slow_t VALUES (3)');
ok( $node->poll_query_until(
		'postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity
	 WHERE backend_type LIKE 'incrload%' AND wait_event_type = 'Lock'
	   AND wait_event = 'advisory'}),
	'an apply of v_slow waits for the lock');

# --- the other views of the database stay fresh --------------------------------------
for my $round (1 .. 3)
{
	sql("INSERT INTO fast_t SELECT g % 5, g FROM generate_series(1, $round * 3) g");
	wait_fresh('v_fast', "while v_slow is stuck ($round)");
	wait_fresh('v_next', "while v_slow is stuck ($round)");
}
is(pending('v_slow'), '1', 'v_slow still has its change');
is( sql(
		"SELECT state || ' ' || failures FROM incrload_stats WHERE view_name = 'v_slow'::regclass"
	),
	'active 0',
	'and is neither failing nor skipped for good');
is( sql(
		q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'incrload apply worker'}),
	'2',
	'two apply workers (incrload.max_apply_workers)');

# --- the lock goes: v_slow catches up ------------------------------------------------
$locker->query_safe('SELECT pg_advisory_unlock(42)');
wait_fresh('v_slow', 'lock released');

# --- no apply workers: the database's worker applies every view itself ---------------
$node->append_conf('postgresql.conf', 'incrload.max_apply_workers = 0');
$node->reload;
ok( $node->poll_query_until(
		'postgres', q{
	SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'incrload apply worker'}),
	'the apply workers leave once idle');
sql('INSERT INTO slow_t VALUES (4)');
sql('INSERT INTO fast_t VALUES (9, 9)');
wait_fresh('v_slow', 'without apply workers');
wait_fresh('v_fast', 'without apply workers');
wait_fresh('v_next', 'without apply workers');

$locker->quit;
$node->stop;
done_testing();
