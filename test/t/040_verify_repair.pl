# Scheduled reconciliation: a view with a short verify_interval whose
# storage table a superuser changed behind incrload's back is found out by
# the worker's next verify, logged, recorded in the history and in
# incrload_stats, and repaired by a full refresh; with repair off it is
# found out and left alone.  A failed apply reaches the history too.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('verify');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'incrload'
incrload.naptime = 100
incrload.launcher_naptime = 200
incrload.max_retry_delay = 500
});
$node->start;

my $q = 'SELECT g, count(*) AS n, sum(v) AS s FROM t GROUP BY g';
$node->safe_psql('postgres', qq{
CREATE EXTENSION incrload;
CREATE TABLE t (id int PRIMARY KEY, g int, v int);
INSERT INTO t SELECT i, i % 5, i FROM generate_series(1, 100) i;
SELECT incrload_register_view('rv', '$q', '100 ms', verify_interval => '1 second');
SELECT incrload_register_view('nv', '$q', '100 ms', verify_interval => '1 second');
SELECT incrload_alter_view('nv', repair => false);
});
my $diff = sub {
	my ($v) = @_;
	return $node->safe_psql('postgres', qq{SELECT count(*) FROM ((SELECT * FROM $v EXCEPT ALL $q)
		UNION ALL ($q EXCEPT ALL SELECT * FROM $v)) d});
};

# the scheduled verify runs by itself and finds nothing
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 2 FROM incrload_stats WHERE last_verify IS NOT NULL AND last_verify_mismatches = 0}),
	'scheduled verify ran for both views, no drift');
ok($node->poll_query_until('postgres', q{
	SELECT count(DISTINCT view_name) = 2 FROM incrload_refresh_history
	 WHERE kind = 'verify' AND origin = 'worker' AND outcome = 'ok' AND verify_missing = 0 AND verify_extra = 0}),
	'the history shows the worker verifying');

# a superuser changes the storage tables behind incrload's back (around
# their guard, as around any trigger)
# (checked in the same transaction: the worker may repair rv at once)
my $log_offset = -s $node->logfile;
isnt($node->safe_psql('postgres', qq{
BEGIN;
SET LOCAL session_replication_role = replica;
UPDATE incrload.rv_storage SET n = n + 7 WHERE g = 1;
UPDATE incrload.nv_storage SET n = n + 7 WHERE g = 1;
SELECT count(*) FROM ((SELECT * FROM rv EXCEPT ALL $q) UNION ALL ($q EXCEPT ALL SELECT * FROM rv)) d;
COMMIT;
}), '0', 'rv differs from its query now');

# rv: found and repaired
ok($node->poll_query_until('postgres', q{
	SELECT count(*) > 0 FROM incrload_refresh_history
	 WHERE view_name = 'rv'::regclass AND kind = 'full' AND repaired AND outcome = 'ok'}),
	'the worker repaired rv by a full refresh');
is($diff->('rv'), '0', 'rv equals its query again');
ok($node->safe_psql('postgres', q{
	SELECT count(*) > 0 FROM incrload_refresh_history
	 WHERE view_name = 'rv'::regclass AND kind = 'verify' AND verify_missing + verify_extra = 2}),
	'the history holds the verify that found the drift, with its counts');
ok($node->wait_for_log(qr/incrload view "rv" differs from its query: 1 rows missing, 1 extra/, $log_offset),
	'the drift is logged with the view name and counts');
ok($node->wait_for_log(qr/incrload view "rv" was repaired/, $log_offset),
	'the repair is logged');
ok($node->poll_query_until('postgres', q{
	SELECT full_refreshes >= 2 FROM incrload_stats WHERE view_name = 'rv'::regclass}),
	'incrload_stats counts the repair');

# nv: found, recorded, left alone
ok($node->poll_query_until('postgres', q{
	SELECT last_verify_mismatches = 2 FROM incrload_stats WHERE view_name = 'nv'::regclass}),
	'nv: the drift is recorded in incrload_stats');
isnt($diff->('nv'), '0', 'nv: with repair off, the view is left as it is');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM incrload_refresh_history WHERE view_name = 'nv'::regclass AND repaired}),
	'0', 'nv: no repair');
ok($node->wait_for_log(qr/incrload view "nv" differs from its query: 1 rows missing, 1 extra.*\n.*HINT:.*incrload_full_refresh/, $log_offset),
	'nv: the log hints at the repair');

# writes keep being applied incrementally meanwhile
$node->safe_psql('postgres', 'INSERT INTO t VALUES (1000, 1, 1); DELETE FROM t WHERE id = 2');
ok($node->poll_query_until('postgres', q{
	SELECT pending_changes = 0 FROM incrload_stats WHERE view_name = 'rv'::regclass}),
	'rv applies new writes');
is($diff->('rv'), '0', 'rv still equals its query');

# a failed apply is recorded in the history, although it rolled back
$node->safe_psql('postgres', qq{
CREATE TABLE d (id int, x int);
INSERT INTO d VALUES (1, 1);
SELECT incrload_register_view('dv', 'SELECT id, 10 / x AS q FROM d', '100 ms');
INSERT INTO d VALUES (2, 0);
});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) > 0 FROM incrload_refresh_history
	 WHERE view_name = 'dv'::regclass AND outcome = 'error' AND error ~ 'division by zero'}),
	'a failed apply is in the history with its error');
my ($rate) = $node->safe_psql('postgres', q{
	SELECT success_rate < 1 AND refreshes_failed > 0 FROM incrload_slis('1 hour') WHERE view_name = 'dv'::regclass});
is($rate, 't', 'the SLIs count the failure');
$node->safe_psql('postgres', 'DELETE FROM d WHERE x = 0');
ok($node->poll_query_until('postgres', q{
	SELECT state = 'active' FROM incrload_stats WHERE view_name = 'dv'::regclass}),
	'dv recovers once the bad row is gone');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ((SELECT * FROM dv EXCEPT ALL SELECT id, 10 / x FROM d)
	UNION ALL (SELECT id, 10 / x FROM d EXCEPT ALL SELECT * FROM dv)) z}), '0', 'dv equals its query');

# the history is pruned after incrload.history_retention
$node->safe_psql('postgres', q{
UPDATE incrload.refresh_history SET started_at = started_at - interval '30 days' WHERE view_name = 'nv'::regclass;
ALTER SYSTEM SET incrload.gc_interval = '200ms';
SELECT pg_reload_conf();
});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 0 FROM incrload_refresh_history
	 WHERE view_name = 'nv'::regclass AND started_at < now() - interval '8 days'}),
	'history older than the retention is pruned');

$node->stop;
done_testing();
