# A streaming standby with incrload preloaded applies nothing (no launcher,
# no worker) and logs no incrload errors; the views replicate and are
# readable there, and so is incrload_stats.  After promotion, its worker
# maintains the views from the watermarks in the catalog: a backlog left
# on the old primary and new writes on the promoted node appear, exact.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my %query = (
	v_sum  => 'SELECT g, count(*) AS n, sum(v) AS s, max(v) AS m FROM t GROUP BY g',
	v_join => 'SELECT d.name, count(*) AS n FROM t JOIN d ON d.g = t.g GROUP BY d.name',
	v_proj => 'SELECT id, v FROM t WHERE v % 4 = 0',);

sub diff
{
	my ($node, $v) = @_;
	my $q = $query{$v};
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM ((SELECT * FROM $v EXCEPT ALL $q) UNION ALL ($q EXCEPT ALL SELECT * FROM $v)) x"
	);
}

sub wait_all_fresh
{
	my ($node, $what) = @_;
	for my $v (sort keys %query)
	{
		my $q = $query{$v};
		ok( $node->poll_query_until(
				'postgres', qq{
			SELECT (SELECT pending_changes FROM incrload_stats WHERE view_name = '$v'::regclass) = 0
			   AND (SELECT count(*) FROM ((SELECT * FROM $v EXCEPT ALL $q)
			                   UNION ALL ($q EXCEPT ALL SELECT * FROM $v)) x) = 0}),
			"$what: $v exact, maintained by the worker");
	}
}

sub incrload_processes
{
	my ($node) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'incrload%'"
	);
}

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'incrload'
incrload.launcher_naptime = '200ms'
});
$primary->start;
$primary->safe_psql(
	'postgres', q{
CREATE EXTENSION incrload;
CREATE TABLE t (id serial PRIMARY KEY, g int NOT NULL, v int NOT NULL);
CREATE TABLE d (g int PRIMARY KEY, name text NOT NULL);
INSERT INTO d SELECT g, 'n' || (g % 3) FROM generate_series(0, 9) g;
INSERT INTO t (g, v) SELECT i % 10, i FROM generate_series(1, 500) i;
});
for my $v (sort keys %query)
{
	$primary->safe_psql('postgres',
		"SELECT incrload_register_view('$v', \$q\$$query{$v}\$q\$)");
}
$primary->safe_psql('postgres', 'UPDATE t SET v = v + 1 WHERE id % 3 = 0');
wait_all_fresh($primary, 'primary');

$primary->backup('bkp');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bkp', has_streaming => 1);
$standby->start;

$primary->safe_psql('postgres',
	'INSERT INTO t (g, v) SELECT i % 10, i FROM generate_series(1, 200) i; DELETE FROM t WHERE id % 11 = 0'
);
wait_all_fresh($primary, 'primary, standby attached');
$primary->wait_for_catchup($standby);

# --- the standby ---------------------------------------------------------------
is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');
is(incrload_processes($standby), '0', 'no incrload launcher or worker on the standby');
for my $v (sort keys %query)
{
	is(diff($standby, $v), '0', "standby: $v replicated, readable, exact");
}
is( $standby->safe_psql(
		'postgres', 'SELECT count(*), sum(pending_changes) FROM incrload_stats'),
	'3|0',
	'standby: incrload_stats readable');
my ($ret, $stdout, $stderr) =
  $standby->psql('postgres', "SELECT incrload_refresh('v_sum')");
like($stderr, qr/cannot refresh a view during recovery/,
	'standby: incrload_refresh is refused');

# a backlog: the old primary stops applying (ALTER SYSTEM is not replicated)
my $offset = -s $primary->logfile;
$primary->safe_psql('postgres',
	'ALTER SYSTEM SET incrload.enabled = off; SELECT pg_reload_conf()');
$primary->wait_for_log(
	qr/incrload worker for database "postgres" applies nothing: incrload\.enabled is off/,
	$offset);
$primary->safe_psql('postgres',
	'INSERT INTO t (g, v) SELECT i % 12, i FROM generate_series(1, 100) i; UPDATE t SET v = v * 2 WHERE id % 5 = 0; UPDATE d SET name = name || \'!\' WHERE g = 2'
);
$primary->wait_for_catchup($standby);
cmp_ok(
	$standby->safe_psql(
		'postgres',
		"SELECT pending_changes FROM incrload_stats WHERE view_name = 'v_sum'::regclass"
	),
	'>', 0,
	'standby: the backlog shows as pending');
isnt(diff($standby, 'v_sum'), '0', 'standby: the backlog is not applied');
is(incrload_processes($standby), '0', 'still no incrload process on the standby');

# --- promotion -------------------------------------------------------------------
$primary->stop;
$standby->promote;
is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	'f', 'promoted');
ok( $standby->poll_query_until(
		'postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'incrload worker'"
	),
	'promoted: a worker runs');
wait_all_fresh($standby, 'promoted, the backlog');
$standby->safe_psql('postgres',
	'INSERT INTO t (g, v) SELECT i % 10, i FROM generate_series(1, 100) i; DELETE FROM t WHERE id % 13 = 0'
);
wait_all_fresh($standby, 'promoted, new writes');
for my $v (sort keys %query)
{
	is($standby->safe_psql('postgres', "SELECT incrload_refresh('$v')"),
		'0', "promoted: incrload_refresh('$v') has nothing left");
	is($standby->safe_psql('postgres', "SELECT * FROM incrload_verify('$v')"),
		'0|0', "promoted: incrload_verify('$v') finds no difference");
}
is( $standby->safe_psql(
		'postgres', 'SELECT sum(failures) FROM incrload_stats'),
	'0',
	'promoted: no failures');

# --- logs --------------------------------------------------------------------------
my $log = slurp_file($standby->logfile);
my @errors = grep { /(ERROR|FATAL|WARNING|PANIC):/ && !/cannot refresh a view during recovery/ }
  split /\n/, $log;
my @incrload_errors = grep { /incrload/ } @errors;
is(scalar(@incrload_errors), 0, 'the standby logged no incrload error')
  or diag(join("\n", @incrload_errors));
my @other = grep { !/terminating background worker|terminating walreceiver|could not connect to the primary server|could not send end-of-streaming message to primary|FATAL:  terminating connection due to administrator command/ } @errors;
is(scalar(@other), 0, 'the standby logged no other error either')
  or diag(join("\n", @other));

$standby->stop;
done_testing();
