# Crashes.  pg_ctl stop -m immediate while several sessions write
# concurrently and the worker applies; after the restart every view equals
# its query (no change lost or applied twice), first by the worker alone,
# then incrload_refresh() has nothing left (returns 0) and incrload_verify()
# finds no difference.  Then a backend killed with SIGKILL in the middle of
# an apply (a user's incrload_refresh, then an apply worker): the postmaster
# restarts everything, and the views are exact again.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'incrload'
incrload.launcher_naptime = '200ms'
restart_after_crash = on
});
$node->start;

my %query = (
	v_sum =>
	  'SELECT g, count(*) AS n, sum(v) AS s, min(v) AS mn, max(v) AS mx FROM acc GROUP BY g',
	v_join =>
	  'SELECT grp.name, count(*) AS n, sum(acc.v) AS s FROM acc JOIN grp ON grp.g = acc.g GROUP BY grp.name',
	v_proj  => 'SELECT id, v FROM acc WHERE v % 3 = 0',
	v_total => 'SELECT count(*) AS n, sum(v) AS s FROM acc',
	v_gate  => 'SELECT k, sum(gate(v)) AS s FROM tg GROUP BY k',);

sub wait_all_fresh
{
	my ($what) = @_;
	for my $v (sort keys %query)
	{
		my $q = $query{$v};
		ok( $node->poll_query_until(
				'postgres', qq{
			SELECT (SELECT pending_changes FROM incrload_stats WHERE view_name = '$v'::regclass) = 0
			   AND (SELECT count(*) FROM ((SELECT * FROM $v EXCEPT ALL $q)
			                   UNION ALL ($q EXCEPT ALL SELECT * FROM $v)) d) = 0}),
			"$what: $v exact, maintained by the worker");
	}
}

sub check_all_exact
{
	my ($what) = @_;
	for my $v (sort keys %query)
	{
		my $q = $query{$v};
		is($node->safe_psql('postgres', "SELECT incrload_refresh('$v')"),
			'0', "$what: incrload_refresh('$v') has nothing left");
		is($node->safe_psql('postgres', "SELECT * FROM incrload_verify('$v')"),
			'0|0', "$what: incrload_verify('$v') finds no difference");
		is( $node->safe_psql(
				'postgres',
				"SELECT count(*) FROM ((SELECT * FROM $v EXCEPT ALL $q) UNION ALL ($q EXCEPT ALL SELECT * FROM $v)) d"
			),
			'0',
			"$what: $v equals its query");
	}
}

sub wait_crash_restart
{
	my ($offset, $what) = @_;
	$node->wait_for_log(qr/all server processes terminated; reinitializing/,
		$offset);
	ok($node->poll_query_until('postgres', 'SELECT true'),
		"$what: the server restarted after the crash");
	ok( $node->poll_query_until(
			'postgres',
			"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'incrload worker'"
		),
		"$what: a worker runs again");
}

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION incrload;
CREATE TABLE acc (id int PRIMARY KEY, g int NOT NULL, v int NOT NULL);
CREATE TABLE grp (g int PRIMARY KEY, name text NOT NULL);
CREATE TABLE tg (k int, v int);
INSERT INTO grp SELECT g, 'group ' || (g % 7) FROM generate_series(1, 20) g;
INSERT INTO acc SELECT i, 1 + i % 20, i % 100 FROM generate_series(1, 3000) i;
INSERT INTO tg SELECT g % 3, g FROM generate_series(1, 30) g;
CREATE FUNCTION gate(x int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS
$$BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN x; END$$;
});
for my $v (sort keys %query)
{
	$node->safe_psql('postgres',
		"SELECT incrload_register_view('$v', \$q\$$query{$v}\$q\$, '200ms')");
}
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'incrload worker'"
	),
	'the worker runs');

# --- pg_ctl stop -m immediate under concurrent writes ---------------------------
my $script = $node->basedir . '/writes.sql';
open my $fh, '>', $script or die;
print $fh q{\set id random(1, 5000)
\set other random(1, 5000)
\set g random(1, 20)
\set d random(-5, 5)
BEGIN;
INSERT INTO acc VALUES (:id, :g, :d) ON CONFLICT (id) DO UPDATE SET v = acc.v + :d, g = :g;
UPDATE grp SET name = 'group ' || (:d + 5) WHERE g = :g;
END;
DELETE FROM acc WHERE id = :other AND :d < 0;
BEGIN;
UPDATE acc SET v = v + 1 WHERE id = :other;
SAVEPOINT s;
INSERT INTO acc VALUES (:other + 5000, :g, :d);
ROLLBACK TO s;
END;
};
close $fh;
my ($out, $err) = ('', '');
my $pgbench;
{
	local $ENV{PGOPTIONS} = '-c log_statement=none';
	local $ENV{PGAPPNAME} = 'pgbench';
	$pgbench = IPC::Run::start(
		[
			'pgbench', '-n', '-c', '4', '-j', '2', '-R', '300', '-T', '600',
			'-f', $script, '-h', $node->host, '-p', $node->port, 'postgres'
		],
		'>', \$out, '2>', \$err);
}
my $refreshes = $node->safe_psql('postgres',
	"SELECT sum(refreshes) FROM incrload_stats WHERE view_name <> 'v_gate'::regclass");
ok( $node->poll_query_until(
		'postgres', qq{
	SELECT (SELECT sum(refreshes) FROM incrload_stats WHERE view_name <> 'v_gate'::regclass) > $refreshes + 200
	   AND (SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgbench') = 4}),
	'the worker applies while four sessions write');
$node->stop('immediate');
$pgbench->kill_kill;
$pgbench->finish;
$node->start;
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'incrload worker'"
	),
	'after the restart a worker runs');
wait_all_fresh('after pg_ctl stop -m immediate');
check_all_exact('after pg_ctl stop -m immediate');

# --- SIGKILL of a user's backend in the middle of incrload_refresh ------------------
$node->safe_psql('postgres', "SELECT incrload_pause('v_gate')");
$node->safe_psql('postgres',
	'INSERT INTO tg SELECT g % 4, g FROM generate_series(1, 50) g; UPDATE acc SET v = v + 1 WHERE id % 10 = 0'
);
my $gatekeeper = $node->background_psql('postgres');
$gatekeeper->query_safe('SELECT pg_advisory_lock(4242)');
my $refresher = $node->background_psql('postgres');
$refresher->query_until(qr/refreshing/,
	"\\echo refreshing\nSELECT incrload_refresh('v_gate');\n");
ok( $node->poll_query_until(
		'postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity
	 WHERE wait_event = 'advisory' AND query LIKE '%incrload_refresh(''v_gate'')%'}),
	'a backend is in the middle of incrload_refresh');
my $pid = $node->safe_psql('postgres', q{
	SELECT pid FROM pg_stat_activity
	 WHERE wait_event = 'advisory' AND query LIKE '%incrload_refresh(''v_gate'')%'});
my $offset = -s $node->logfile;
ok(kill('KILL', $pid), 'SIGKILL the refreshing backend');
wait_crash_restart($offset, 'refreshing backend killed');
# their server process died with the crash
eval { $gatekeeper->quit };
eval { $refresher->quit };
$node->safe_psql('postgres', "SELECT incrload_resume('v_gate')");
wait_all_fresh('after SIGKILL of a refreshing backend');
check_all_exact('after SIGKILL of a refreshing backend');

# --- SIGKILL of the worker in the middle of an apply ----------------------------------
$gatekeeper = $node->background_psql('postgres');
$gatekeeper->query_safe('SELECT pg_advisory_lock(4242)');
$node->safe_psql('postgres',
	'INSERT INTO tg SELECT g % 5, g FROM generate_series(1, 40) g; DELETE FROM acc WHERE id % 17 = 0'
);
ok( $node->poll_query_until(
		'postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity
	 WHERE backend_type = 'incrload apply worker' AND wait_event = 'advisory'
	   AND query = 'incrload: applying view v_gate'}),
	'an apply worker is in the middle of applying v_gate');
$pid = $node->safe_psql('postgres', q{
	SELECT pid FROM pg_stat_activity
	 WHERE backend_type = 'incrload apply worker' AND wait_event = 'advisory'
	   AND query = 'incrload: applying view v_gate'});
$offset = -s $node->logfile;
ok(kill('KILL', $pid), 'SIGKILL the apply worker');
wait_crash_restart($offset, 'worker killed');
eval { $gatekeeper->quit };
wait_all_fresh('after SIGKILL of the worker');
check_all_exact('after SIGKILL of the worker');

$node->stop;
done_testing();
