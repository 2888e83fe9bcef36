# The background worker keeps views fresh with no incrload_refresh() call:
# writes show up in the views, incrload_stats counts the refreshes, pending
# changes go back to zero and freshness_lag is sane.  incrload_pause() stops
# the background maintenance of one view while its changes keep being
# captured; incrload_resume() restarts it.  Garbage collection deletes the
# delta rows every view has applied, keeps those a paused view still needs,
# and keeps delta tables small under sustained writes.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('refresh');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'incrload'
incrload.launcher_naptime = '200ms'
incrload.gc_interval = '500ms'
});
$node->start;

my %query = (
	v_region =>
	  'SELECT region, count(*) AS n, sum(amount) AS total, avg(amount) AS mean, max(amount) AS top FROM sales GROUP BY region',
	v_big   => 'SELECT id, region, amount FROM sales WHERE amount > 50',
	v_other => 'SELECT k, count(*) AS n FROM other GROUP BY k',
	# a recursive query: two statements per apply, plans kept by the worker
	v_chain => '(WITH RECURSIVE r(id, root) AS (SELECT id, id FROM sales WHERE id % 100 = 1 '
	  . 'UNION SELECT s.id, r.root FROM r JOIN sales s ON s.id = r.id + 100 AND s.region = r.id % 5) SELECT * FROM r)',);

# rows in the view and not in its query, plus the reverse (multisets)
sub diff
{
	my ($v) = @_;
	my $q = $query{$v};
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM ((SELECT * FROM $v EXCEPT ALL $q) UNION ALL ($q EXCEPT ALL SELECT * FROM $v)) d"
	);
}

sub st
{
	my ($v, $col) = @_;
	return $node->safe_psql('postgres',
		"SELECT $col FROM incrload_stats WHERE view_name = '$v'::regclass");
}

# the worker brought the view up to date by itself
sub wait_fresh
{
	my ($v, $what) = @_;
	my $q = $query{$v};
	ok( $node->poll_query_until(
			'postgres', qq{
		SELECT (SELECT pending_changes FROM incrload_stats WHERE view_name = '$v'::regclass) = 0
		   AND (SELECT count(*) FROM ((SELECT * FROM $v EXCEPT ALL $q)
		                   UNION ALL ($q EXCEPT ALL SELECT * FROM $v)) d) = 0}),
		"$what: $v brought up to date by the worker");
}

sub delta_rows
{
	my ($base) = @_;
	my $delta = $node->safe_psql('postgres',
		"SELECT delta_table FROM incrload.delta WHERE base_table = '$base'::regclass"
	);
	return $node->safe_psql('postgres', "SELECT count(*) FROM $delta");
}

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION incrload;
CREATE TABLE sales (id serial PRIMARY KEY, region int NOT NULL, amount numeric NOT NULL);
CREATE TABLE other (k int);
INSERT INTO sales (region, amount) SELECT i % 5, i % 97 FROM generate_series(1, 2000) i;
});
for my $v (sort keys %query)
{
	$node->safe_psql('postgres',
		"SELECT incrload_register_view('$v', \$q\$$query{$v}\$q\$)");
}

ok( $node->poll_query_until(
		'postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity
	 WHERE backend_type = 'incrload worker' AND datname = 'postgres'}),
	'a worker serves the database');

# --- 1. writes reach the views by themselves ----------------------------------
my %r0 = map { $_ => st($_, 'refreshes') } qw(v_region v_big);
my $t_write = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
$node->safe_psql(
	'postgres', q{
INSERT INTO sales (region, amount) SELECT i % 7, i % 89 FROM generate_series(1, 1000) i;
UPDATE sales SET amount = amount + 3 WHERE id % 20 = 0;   -- 150 rows
DELETE FROM sales WHERE id % 50 = 1;                        -- 60 rows
});
isnt(diff('v_region'), '0', 'the writes change what v_region must show');
wait_fresh($_, 'writes') for qw(v_region v_big v_chain);

for my $v (qw(v_region v_big))
{
	cmp_ok(st($v, 'refreshes'), '>', $r0{$v}, "$v: refreshes grew");
	is(st($v, 'state'), 'active', "$v: state active");
	# every delta row exactly once: 1000 inserted, 2 x 150 updated, 60 deleted
	is(st($v, 'changes_applied'), '1360', "$v: each change applied once");
	is(st($v, "freshness_lag = '0'::interval AND oldest_pending_change IS NULL"),
		't', "$v: no lag when nothing is pending");
	is(st($v, "last_refresh > '$t_write'::timestamptz AND last_refresh_duration >= '0'"),
		't', "$v: last_refresh after the writes");
	is(st($v, 'failures'), '0', "$v: no failures");
}

# --- 7. pause and resume ------------------------------------------------------
$node->safe_psql('postgres', "SELECT incrload_pause('v_big')");
is(st('v_big', 'state'), 'paused', 'v_big paused');
my $r_paused = st('v_big', 'refreshes');
my $before = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
$node->safe_psql('postgres',
	'INSERT INTO sales (region, amount) SELECT i % 5, 60 + i % 30 FROM generate_series(1, 200) i'
);
my $after = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
# v_region reads the same table: once the worker has applied it, it has
# looked at v_big too and left it alone
wait_fresh('v_region', 'while v_big is paused');
is(st('v_big', 'refreshes'), $r_paused, 'paused view not refreshed');
is(st('v_big', 'pending_changes'), '200', 'paused view: its changes are captured and pending');
isnt(diff('v_big'), '0', 'paused view does not show the new rows');
is( st(
		'v_big', qq{
	oldest_pending_change BETWEEN '$before' AND '$after'
	AND freshness_lag > '0'
	AND freshness_lag <= clock_timestamp() - oldest_pending_change}),
	't',
	'freshness_lag is the age of the oldest pending change');

$node->safe_psql('postgres', "SELECT incrload_resume('v_big')");
wait_fresh('v_big', 'after resume');
is(st('v_big', 'state'), 'active', 'resumed view active');
cmp_ok(st('v_big', 'refreshes'), '>', $r_paused, 'resumed view refreshed by the worker');

# --- 8. garbage collection ------------------------------------------------------
ok( $node->poll_query_until(
		'postgres', q{
	SELECT count(*) = 0 FROM incrload.sales_delta}),
	'delta rows every view applied are deleted');

# a paused view keeps the rows it still needs
$node->safe_psql('postgres', "SELECT incrload_pause('v_big')");
$node->safe_psql('postgres',
	'UPDATE sales SET amount = amount + 1 WHERE id IN (SELECT id FROM sales ORDER BY id LIMIT 150)'
);    # 300 delta rows
wait_fresh('v_region', 'v_big paused again');
# a write to another table, applied and collected: a collection has run
# since v_region applied the update
$node->safe_psql('postgres', 'INSERT INTO other SELECT i % 3 FROM generate_series(1, 10) i');
wait_fresh('v_other', 'other table');
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 0 FROM incrload.other_delta}),
	'other table: delta collected');
is(delta_rows('sales'), '300', 'the paused view holds exactly the rows it needs');
is(st('v_big', 'pending_changes'), '300', 'pending_changes shows how many');
$node->safe_psql('postgres', "SELECT incrload_resume('v_big')");
wait_fresh('v_big', 'resumed after holding rows');
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 0 FROM incrload.sales_delta}),
	'after resume, the held rows are applied and collected');

# sustained writes: the delta table holds a small part of what was captured
my $script = $node->basedir . '/writes.sql';
open my $fh, '>', $script or die;
print $fh q{\set id random(1, 3000)
\set r random(0, 9)
INSERT INTO sales (region, amount) VALUES (:r, :id % 100);
UPDATE sales SET amount = amount + 1 WHERE id = :id;
DELETE FROM sales WHERE id = :id + 1 AND :r = 0;
};
close $fh;
my $captured = q{(SELECT changes_applied + pending_changes FROM incrload_stats WHERE view_name = 'v_region'::regclass)};
my $base = $node->safe_psql('postgres', "SELECT $captured");
my ($out, $err) = ('', '');
# the server log would get every statement pgbench runs
local $ENV{PGOPTIONS} = '-c log_statement=none';
local $ENV{PGAPPNAME} = 'pgbench';
my $pgbench = IPC::Run::start(
	[
		'pgbench', '-n', '-c', '2', '-j', '2', '-R', '200', '-T', '600', '-f', $script,
		'-h', $node->host, '-p', $node->port, 'postgres'
	],
	'>', \$out, '2>', \$err);
ok( $node->poll_query_until(
		'postgres', qq{
	SELECT $captured - $base > 3000
	   AND (SELECT count(*) FROM incrload.sales_delta) < ($captured - $base) / 4
	   AND EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'pgbench')}),
	'under sustained writes the delta table stays small')
  or diag(
	$node->safe_psql(
		'postgres',
		"SELECT $captured - $base, (SELECT count(*) FROM incrload.sales_delta)")
	  . " pgbench: $err");
$pgbench->kill_kill;
$pgbench->finish;
wait_fresh($_, 'after sustained writes') for qw(v_region v_big);
ok( $node->poll_query_until(
		'postgres', q{SELECT count(*) = 0 FROM incrload.sales_delta}),
	'after sustained writes the delta table is emptied');
is($node->safe_psql('postgres', "SELECT incrload_refresh('v_region')"),
	'0', 'a manual refresh finds nothing left to do');
is(st('v_region', 'failures'), '0', 'no failures under sustained writes');

$node->stop;
done_testing();
