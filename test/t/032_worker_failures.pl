# Failure isolation.  A view whose owner lost SELECT on its base table fails
# in the worker: it is 'failing' in incrload_stats, with failures,
# consecutive_failures and last_error, retried with exponential backoff
# capped by incrload.max_retry_delay, and logged with its name, while
# another view keeps being maintained; once the privilege is back it goes
# back to 'active' by itself and is exact.  A data error in a batch
# (division by zero) marks the view needs_full_refresh: it is recomputed
# once the bad row is gone.  Locks held by others (LOCK TABLE on a base
# table, a user's incrload_refresh in an open transaction) make the worker
# skip that view, not wait: the other views stay fresh.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::Local qw(timegm);

my $node = PostgreSQL::Test::Cluster->new('failures');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'incrload'
incrload.launcher_naptime = '200ms'
incrload.max_retry_delay = '500ms'
});
$node->start;

my %query = (
	v_a => 'SELECT k, count(*) AS n, sum(v) AS s FROM ta GROUP BY k',
	v_b => 'SELECT k, count(*) AS n, sum(v) AS s FROM tb GROUP BY k',
	v_c => 'SELECT k, sum(100 / v) AS s FROM tc GROUP BY k',);

sub st
{
	my ($v, $col) = @_;
	return $node->safe_psql('postgres',
		"SELECT $col FROM incrload_stats WHERE view_name = '$v'::regclass");
}

sub wait_fresh
{
	my ($v, $what) = @_;
	my $q = $query{$v};
	ok( $node->poll_query_until(
			'postgres', qq{
		SELECT (SELECT pending_changes FROM incrload_stats WHERE view_name = '$v'::regclass) = 0
		   AND (SELECT count(*) FROM ((SELECT * FROM $v EXCEPT ALL $q)
		                   UNION ALL ($q EXCEPT ALL SELECT * FROM $v)) d) = 0}),
		"$what: $v maintained by the worker");
}

# a write to ta, then v_a fresh: twice, so that a worker stuck on another
# view since the first write would be caught by the second
sub check_a_alive
{
	my ($what) = @_;
	for my $i (1, 2)
	{
		$node->safe_psql('postgres',
			"INSERT INTO ta SELECT g % 3, g FROM generate_series(1, 5) g");
		wait_fresh('v_a', "$what ($i)");
	}
}

$node->safe_psql(
	'postgres', q{
CREATE EXTENSION incrload;
CREATE ROLE bob LOGIN;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO bob;
GRANT CREATE ON SCHEMA public TO bob;
CREATE TABLE ta (k int, v int);
CREATE TABLE tb (k int, v int);
CREATE TABLE tc (k int, v int);
INSERT INTO ta SELECT g % 3, g FROM generate_series(1, 30) g;
INSERT INTO tb SELECT g % 3, g FROM generate_series(1, 30) g;
INSERT INTO tc SELECT g % 3, g FROM generate_series(1, 30) g;
GRANT SELECT, TRIGGER ON ta, tb, tc TO bob;
});
$node->safe_psql('postgres',
	"SET ROLE bob; SELECT incrload_register_view('v_a', \$q\$$query{v_a}\$q\$)");
$node->safe_psql('postgres',
	"SET ROLE bob; SELECT incrload_register_view('v_b', \$q\$$query{v_b}\$q\$, '100ms')");
$node->safe_psql('postgres',
	"SET ROLE bob; SELECT incrload_register_view('v_c', \$q\$$query{v_c}\$q\$)");
ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'incrload worker'"
	),
	'the worker runs');

# --- a missing privilege -------------------------------------------------------
my $log_offset = -s $node->logfile;
$node->safe_psql('postgres', 'REVOKE SELECT ON tb FROM bob');
$node->safe_psql('postgres', 'INSERT INTO tb VALUES (1, 1000), (7, 7)');
ok( $node->poll_query_until(
		'postgres', q{
	SELECT state = 'failing' AND consecutive_failures >= 8
	  FROM incrload_stats WHERE view_name = 'v_b'::regclass}),
	'v_b fails, again and again');
like(st('v_b', 'last_error'), qr/permission denied for table tb/,
	'last_error names the problem');
is(st('v_b', 'failures >= consecutive_failures AND failures >= 8'),
	't', 'failures counted');
check_a_alive('while v_b fails');
is(st('v_a', 'state || consecutive_failures'), 'active0', 'v_a is not touched');
ok( $node->poll_query_until(
		'postgres', q{
	SELECT consecutive_failures >= 10 FROM incrload_stats WHERE view_name = 'v_b'::regclass}),
	'v_b keeps being retried');

# the attempts, from the log (PostgreSQL 19's test clusters put the process
# type, "incrload apply worker", before the pid): spaced by refresh_interval (100ms) doubled per
# consecutive failure, capped at 500ms
my $log = slurp_file($node->logfile, $log_offset);
ok($log =~ /ERROR:  permission denied for table tb\n(?:[^\n]*DETAIL:[^\n]*\n)?[^\n]*CONTEXT:  incrload maintaining view "v_b"/,
	'the failure is logged with the view\'s name');
my @at;
while ($log =~
	/^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3}) \S+ [^\n]*?\[\d+\] ERROR:  permission denied for table tb$/mg)
{
	push @at, timegm($6, $5, $4, $3, $2 - 1, $1) * 1000 + $7;
}
cmp_ok(scalar(@at), '>=', 10, 'every attempt is logged');
my @gaps = map { $at[$_] - $at[ $_ - 1 ] } 1 .. $#at;
note("gaps between attempts (ms): @gaps");
my $ok_min = 1;
for my $k (1 .. $#gaps + 1)
{
	my $expect = 100 * 2**$k;
	$expect = 500 if $expect > 500;
	# never earlier than the backoff allows (minus the attempt's own time)
	$ok_min = 0 if $gaps[ $k - 1 ] < $expect - 100;
}
ok($ok_min, 'retries wait refresh_interval doubled per consecutive failure');
# uncapped, the gap after 7 failures would be 100ms * 2^7 = 12.8s
cmp_ok($gaps[6], '<', 10000, 'the backoff is capped by incrload.max_retry_delay');

# --- the cause goes away: back to active by itself ------------------------------
my $failures = st('v_b', 'failures');
$node->safe_psql('postgres', 'GRANT SELECT ON tb TO bob');
wait_fresh('v_b', 'privilege back');
is(st('v_b', 'state'), 'active', 'v_b active again');
is(st('v_b', 'consecutive_failures || coalesce(last_error, \'none\')'),
	'0none', 'consecutive_failures and last_error reset');
cmp_ok(st('v_b', 'failures'), '>=', $failures, 'failures keep their total');

# --- a data error: needs_full_refresh, recomputed when the row is gone ------------
my $full = st('v_c', 'full_refreshes');
$node->safe_psql('postgres', 'INSERT INTO tc VALUES (1, 0), (2, 5)');
ok( $node->poll_query_until(
		'postgres', q{
	SELECT state = 'needs_full_refresh' AND consecutive_failures >= 2
	   AND last_error ~ 'division by zero'
	  FROM incrload_stats WHERE view_name = 'v_c'::regclass}),
	'a data error marks the view needs_full_refresh');
check_a_alive('while v_c fails');
$node->safe_psql('postgres', 'DELETE FROM tc WHERE v = 0');
wait_fresh('v_c', 'bad row deleted');
is(st('v_c', 'state'), 'active', 'v_c active again');
cmp_ok(st('v_c', 'full_refreshes'), '>', $full, 'v_c was recomputed');

# --- locks held by others: skip the view, don't wait -----------------------------
# LOCK TABLE on a base table with changes pending
$node->safe_psql('postgres', "SET ROLE bob; SELECT incrload_pause('v_b')");
$node->safe_psql('postgres', 'INSERT INTO tb VALUES (2, 22)');
my $locker = $node->background_psql('postgres');
$locker->query_safe('BEGIN; LOCK TABLE tb IN ACCESS EXCLUSIVE MODE');
$failures = st('v_b', 'failures');
$node->safe_psql('postgres', "SET ROLE bob; SELECT incrload_resume('v_b')");
check_a_alive('while tb is locked');
is(st('v_b', "pending_changes > 0 AND state = 'active'"),
	't', 'v_b waits for its lock, neither applied nor failing');
is(st('v_b', 'failures'), $failures, 'a held lock is not a failure');
$locker->query_safe('COMMIT');
wait_fresh('v_b', 'lock released');

# a user's incrload_refresh in an open transaction holds the view's row
my $refresher = $node->background_psql('postgres');
$refresher->query_safe(
	"SET ROLE bob; BEGIN; SELECT incrload_refresh('v_b')");
$node->safe_psql('postgres', 'INSERT INTO tb VALUES (3, 33)');
check_a_alive('while a refresh of v_b is open');
is(st('v_b', 'pending_changes'), '1', 'v_b waits for the open refresh');
$refresher->query_safe('COMMIT');
$refresher->quit;
$locker->quit;
wait_fresh('v_b', 'open refresh committed');
is(st('v_b', 'failures'), $failures, 'v_b did not fail meanwhile');

$node->stop;
done_testing();
