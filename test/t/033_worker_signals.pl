# Signals.  SIGHUP: incrload.enabled = off (ALTER SYSTEM + pg_reload_conf)
# stops applying, changes pile up as pending, on again resumes.  SIGTERM
# (pg_terminate_backend) ends a database's worker promptly when idle (the
# launcher starts a new one), and an apply worker in the middle of an apply
# (one blocked inside the view's query, one busy with a big batch): the
# apply is rolled back, no failure, the database's worker goes on and hands
# the view to another apply worker, maintenance continues, the view exact.  A launcher that is terminated
# comes back and adopts the running workers instead of starting a second
# one per database.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('signals');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'incrload'
incrload.launcher_naptime = '200ms'
});
$node->start;

my %query = (
	v      => 'SELECT k, count(*) AS n, sum(v) AS s FROM t GROUP BY k',
	v_gate => 'SELECT k, sum(gate(v)) AS s FROM tg GROUP BY k',
	v_big =>
	  'SELECT k, count(*) AS n, sum(v) AS s, avg(v) AS a, max(v) AS m FROM tbig GROUP BY k',
);

sub st
{
	my ($v, $col, $db) = @_;
	return $node->safe_psql($db // 'postgres',
		"SELECT $col FROM incrload_stats WHERE view_name = '$v'::regclass");
}

sub wait_fresh
{
	my ($v, $what, $db) = @_;
	my $q = $query{$v};
	ok( $node->poll_query_until(
			$db // 'postgres', qq{
		SELECT (SELECT pending_changes FROM incrload_stats WHERE view_name = '$v'::regclass) = 0
		   AND (SELECT count(*) FROM ((SELECT * FROM $v EXCEPT ALL $q)
		                   UNION ALL ($q EXCEPT ALL SELECT * FROM $v)) d) = 0}),
		"$what: $v maintained by the worker");
}

sub worker_pid
{
	my ($db) = @_;
	$db //= 'postgres';
	return $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'incrload worker' AND datname = '$db'"
	);
}

sub apply_pid
{
	my ($v) = @_;
	return $node->safe_psql('postgres', qq{
		SELECT pid FROM pg_stat_activity
		 WHERE backend_type = 'incrload apply worker' AND state = 'active'
		   AND query = 'incrload: applying view $v'});
}

sub wait_new_worker
{
	my ($old, $what) = @_;
	ok( $node->poll_query_until(
			'postgres', qq{
		SELECT count(*) = 1 FROM pg_stat_activity
		 WHERE backend_type = 'incrload worker' AND datname = 'postgres' AND pid <> $old}),
		"$what: the launcher started a new worker");
}

sub terminate
{
	my ($pid, $what) = @_;
	is($node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)"),
		't', "$what: SIGTERM sent");
	ok( $node->poll_query_until(
			'postgres',
			"SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $pid"),
		"$what: the process ended");
}

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION incrload;
CREATE TABLE t (k int, v int);
CREATE TABLE tg (k int, v int);
CREATE TABLE tbig (k int, v int);
INSERT INTO t SELECT g % 3, g FROM generate_series(1, 30) g;
INSERT INTO tg SELECT g % 3, g FROM generate_series(1, 30) g;
-- immutable as far as incrload can tell; waits while advisory lock 4242
-- is held exclusively
CREATE FUNCTION gate(x int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS
$$BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN x; END$$;
});
for my $v (sort keys %query)
{
	$node->safe_psql('postgres',
		"SELECT incrload_register_view('$v', \$q\$$query{$v}\$q\$)");
}
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'incrload worker'"
	),
	'the worker runs');
$node->safe_psql('postgres', 'INSERT INTO t VALUES (1, 1), (5, 5)');
wait_fresh('v', 'start');

# --- SIGHUP: incrload.enabled ----------------------------------------------------
my $offset = -s $node->logfile;
$node->safe_psql('postgres',
	'ALTER SYSTEM SET incrload.enabled = off; SELECT pg_reload_conf()');
$offset = $node->wait_for_log(
	qr/incrload worker for database "postgres" applies nothing: incrload\.enabled is off/,
	$offset);
ok(1, 'the worker read incrload.enabled = off');
my $r = st('v', 'refreshes');
$node->safe_psql('postgres', 'INSERT INTO t SELECT g % 5, g FROM generate_series(1, 40) g');
my $deleted = $node->safe_psql('postgres', 'WITH d AS (DELETE FROM t WHERE v < 3 RETURNING 1) SELECT count(*) FROM d');
is(st('v', 'pending_changes'), 40 + $deleted, 'disabled: changes are captured and pending');
is(st('v', 'refreshes'), $r, 'disabled: nothing applied');
$node->safe_psql('postgres', 'INSERT INTO t VALUES (9, 9)');
is(st('v', 'pending_changes'), 41 + $deleted, 'disabled: pending grows');

$node->safe_psql('postgres',
	'ALTER SYSTEM SET incrload.enabled = on; SELECT pg_reload_conf()');
$node->wait_for_log(
	qr/incrload worker for database "postgres" resumes: incrload\.enabled is on/,
	$offset);
wait_fresh('v', 'enabled again');
cmp_ok(st('v', 'refreshes'), '>', $r, 'enabled again: applied by the worker');

# --- SIGTERM, idle -------------------------------------------------------------------
my $pid = worker_pid();
terminate($pid, 'idle worker');
wait_new_worker($pid, 'idle worker terminated');
$node->safe_psql('postgres', 'INSERT INTO t VALUES (2, 20)');
wait_fresh('v', 'after SIGTERM');

# --- SIGTERM in the middle of an apply that waits inside the view's query -----------
my $gatekeeper = $node->background_psql('postgres');
$gatekeeper->query_safe('SELECT pg_advisory_lock(4242)');
$r = st('v_gate', 'refreshes');
$node->safe_psql('postgres', 'INSERT INTO tg SELECT g % 4, g FROM generate_series(1, 50) g');
ok( $node->poll_query_until(
		'postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity
	 WHERE backend_type = 'incrload apply worker' AND wait_event = 'advisory'
	   AND query = 'incrload: applying view v_gate'}),
	'an apply worker is in the middle of applying v_gate');
my $leader = worker_pid();
$pid = apply_pid('v_gate');
terminate($pid, 'apply worker in the middle of an apply');
is(st('v_gate', 'refreshes || \',\' || pending_changes || \',\' || failures'),
	"$r,50,0", 'the interrupted apply left nothing behind and is no failure');
is(worker_pid(), $leader, 'the database\'s worker goes on');
$gatekeeper->query_safe('SELECT pg_advisory_unlock(4242)');
$gatekeeper->quit;
wait_fresh('v_gate', 'after the interrupted apply');
cmp_ok(st('v_gate', 'refreshes'), '>', $r, 'another apply worker applied it');

# --- SIGTERM while busy with a big batch ----------------------------------------------
$r = st('v_big', 'refreshes');
$node->safe_psql('postgres',
	'INSERT INTO tbig SELECT g % 50000, g FROM generate_series(1, 400000) g');
my $seen = $node->poll_query_until(
	'postgres', qq{
	SELECT EXISTS (SELECT FROM pg_stat_activity
	                WHERE backend_type = 'incrload apply worker' AND state = 'active'
	                  AND query = 'incrload: applying view v_big')
	    OR (SELECT refreshes > $r FROM incrload_stats WHERE view_name = 'v_big'::regclass)});
ok($seen, 'the big batch is being applied, or was');
SKIP:
{
	$pid = apply_pid('v_big');
	skip 'the big batch was applied before we could look', 4 if $pid eq '';
	terminate($pid, 'apply worker busy with a big batch');
	is(st('v_big', 'refreshes'), $r, 'the big batch was rolled back');
	is(worker_pid(), $leader, 'the database\'s worker goes on');
}
wait_fresh('v_big', 'after the interrupted big batch');

# --- the launcher is terminated: it comes back and adopts the worker -------------------
$pid = worker_pid();
my $launcher = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'incrload launcher'");
is($node->safe_psql('postgres', "SELECT pg_terminate_backend($launcher)"),
	't', 'launcher terminated');
ok( $node->poll_query_until(
		'postgres', qq{
	SELECT count(*) = 1 FROM pg_stat_activity
	 WHERE backend_type = 'incrload launcher' AND pid <> $launcher}),
	'the launcher is restarted');
# a new database with the extension: its worker proves the new launcher has
# done a round
$node->safe_psql('postgres', 'CREATE DATABASE db2');
$node->safe_psql('db2', 'CREATE EXTENSION incrload');
ok( $node->poll_query_until(
		'postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity
	 WHERE backend_type = 'incrload worker' AND datname = 'db2'}),
	'the new launcher serves a new database');
is($node->safe_psql('postgres',
	"SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE backend_type = 'incrload worker' AND datname = 'postgres'"),
	$pid, 'the running worker was adopted, not doubled');
$node->safe_psql('postgres', 'INSERT INTO t VALUES (3, 30)');
wait_fresh('v', 'after the launcher restart');

$node->stop;
done_testing();
