# Views on a logical replica.  A publisher (no incrload) publishes its
# tables; a subscriber with incrload preloaded registers views over the
# replicated tables, and its worker keeps them exact through every step a
# reporting server goes through: the initial table sync (COPY in the
# tablesync worker), replicated INSERT/UPDATE/DELETE/TRUNCATE (row by row
# in the apply worker, which fires no statement trigger), a view registered
# while the subscription streams, the subscription disabled and enabled, a
# table resynchronized, two-phase and streamed transactions, restarts and a
# crash of the subscriber, and the subscriber's own writes, in origin and
# in replica role: every change captured once.  The capture time of a
# replicated change is its commit (or prepare) time on the publisher.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $tables = q{
CREATE TABLE t (id int PRIMARY KEY, g int, v int, note text);
CREATE TABLE d (g int PRIMARY KEY, name text);
CREATE TABLE dup (a int, b text);
ALTER TABLE dup REPLICA IDENTITY FULL;
CREATE TABLE n (id int PRIMARY KEY, v int);
CREATE TABLE big (id int PRIMARY KEY, body text);
};

my %query = (
	v_agg =>
	  'SELECT g, count(*) AS n, sum(v) AS s, max(v) AS m, count(note) AS nn FROM t GROUP BY g',
	v_join =>
	  'SELECT d.name, count(*) AS n, sum(t.v) AS s FROM t JOIN d ON d.g = t.g GROUP BY d.name',
	v_outer => 'SELECT d.g, d.name, t.id, t.v FROM d LEFT JOIN t ON t.g = d.g',
	v_part => 'SELECT k, count(*) AS n, sum(v) AS s FROM p GROUP BY k',
	v_distinct => 'SELECT DISTINCT g, note FROM t',
	v_dup => 'SELECT a, b FROM dup',
	v_new => 'SELECT v % 3 AS r, count(*) AS n FROM n GROUP BY 1',
	v_big =>
	  'SELECT id % 4 AS r, count(*) AS n, sum(length(body)) AS len FROM big GROUP BY 1',
	v_local =>
	  'SELECT d.name, count(*) AS n, sum(l.x) AS s FROM local_only l JOIN d ON d.g = l.g GROUP BY d.name',
);
my @registered;

my $pub = PostgreSQL::Test::Cluster->new('publisher');
$pub->init(allows_streaming => 'logical');
$pub->append_conf(
	'postgresql.conf', q{
max_prepared_transactions = 10
logical_decoding_work_mem = 64kB
track_commit_timestamp = on
});
$pub->start;

my $sub = PostgreSQL::Test::Cluster->new('subscriber');
$sub->init(allows_streaming => 'logical');
$sub->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'incrload'
incrload.launcher_naptime = '200ms'
incrload.naptime = '100ms'
max_prepared_transactions = 10
max_worker_processes = 16
});
$sub->start;

$pub->safe_psql('postgres', $tables . q{
CREATE TABLE p (id int PRIMARY KEY, k int NOT NULL, v int);
ALTER TABLE p REPLICA IDENTITY FULL;
INSERT INTO d SELECT g, 'n' || (g % 3) FROM generate_series(0, 6) g;
INSERT INTO t SELECT i, i % 8, i, CASE WHEN i % 4 = 0 THEN NULL ELSE 'x' || (i % 3) END
  FROM generate_series(1, 2000) i;
INSERT INTO dup SELECT i % 5, 'b' || (i % 2) FROM generate_series(1, 40) i;
INSERT INTO p SELECT i, i % 8, i FROM generate_series(1, 400) i;
INSERT INTO n SELECT i, i FROM generate_series(1, 300) i;
CREATE PUBLICATION pub1 FOR TABLE t, d, dup, p;
CREATE PUBLICATION pub2 FOR TABLE big;
CREATE PROCEDURE churn(base int, cnt int) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1 .. cnt LOOP
    INSERT INTO t VALUES (base + i, i % 7, i, CASE WHEN i % 5 = 0 THEN NULL ELSE 'c' || (i % 3) END);
    UPDATE t SET v = v + 1, g = (g + 1) % 7 WHERE id = base + i - 1;
    IF i % 3 = 0 THEN
      DELETE FROM t WHERE id = base + i - 2;
    END IF;
    INSERT INTO dup VALUES (i % 4, 'c');
    COMMIT;
  END LOOP;
END$$;
});

# The subscriber: the same tables, p partitioned (the apply worker routes
# each row to a leaf, whose row trigger captures it), a table of its own.
$sub->safe_psql('postgres', $tables . q{
CREATE TABLE p (id int, k int NOT NULL, v int, PRIMARY KEY (id, k)) PARTITION BY LIST (k);
CREATE TABLE p_a PARTITION OF p FOR VALUES IN (0, 1);
CREATE TABLE p_b PARTITION OF p FOR VALUES IN (2, 3);
CREATE TABLE p_c PARTITION OF p FOR VALUES IN (4, 5, 6, 7) PARTITION BY LIST (k);
CREATE TABLE p_c1 PARTITION OF p_c FOR VALUES IN (4, 5);
CREATE TABLE p_c2 PARTITION OF p_c FOR VALUES IN (6, 7);
CREATE TABLE p_other PARTITION OF p DEFAULT;
CREATE TABLE local_only (id int PRIMARY KEY, g int, x int);
INSERT INTO local_only SELECT i, i % 7, i FROM generate_series(1, 50) i;
CREATE EXTENSION incrload;
});

sub register
{
	for my $v (@_)
	{
		$sub->safe_psql('postgres',
			"SELECT incrload_register_view('$v', \$q\$$query{$v}\$q\$, refresh_interval => '100 ms')"
		);
		push @registered, $v;
	}
}

sub differing_rows
{
	my ($v) = @_;
	my $q = $query{$v};
	return $sub->safe_psql('postgres',
		"(SELECT 'view', * FROM $v EXCEPT ALL SELECT 'view', * FROM ($q) q) UNION ALL (SELECT 'query', * FROM ($q) q EXCEPT ALL SELECT 'query', * FROM $v)"
	);
}

# Every registered view, maintained by the worker, equals its query.
sub check_views
{
	my ($what) = @_;
	for my $v (@registered)
	{
		my $q = $query{$v};
		my $exact = $sub->poll_query_until(
			'postgres', qq{
			SELECT (SELECT pending_changes FROM incrload_stats WHERE view_name = '$v'::regclass) = 0
			   AND (SELECT count(*) FROM ((SELECT * FROM $v EXCEPT ALL $q)
			                   UNION ALL ($q EXCEPT ALL SELECT * FROM $v)) x) = 0});
		ok($exact, "$what: $v equals its query");
		diag("$v differs:\n" . differing_rows($v)) unless $exact;
	}
}

sub verify_views
{
	my ($what) = @_;
	for my $v (@registered)
	{
		is( $sub->safe_psql('postgres',
				"SELECT missing + extra FROM incrload_verify('$v')"),
			'0',
			"$what: incrload_verify($v) finds nothing");
	}
}

sub catch_up
{
	$pub->wait_for_catchup('s1');
	$pub->wait_for_catchup('s2');
}

# --- the initial sync: views registered over the empty tables first ---
register(qw(v_agg v_join v_outer v_part v_new v_big v_local));
my $pubconn = $pub->connstr . ' dbname=postgres';
$sub->safe_psql('postgres',
	"CREATE SUBSCRIPTION s1 CONNECTION '$pubconn' PUBLICATION pub1");
$sub->safe_psql('postgres',
	"CREATE SUBSCRIPTION s2 CONNECTION '$pubconn' PUBLICATION pub2 WITH (two_phase = on, streaming = on)"
);
$sub->wait_for_subscription_sync($pub, 's1');
$sub->wait_for_subscription_sync($pub, 's2');
check_views('after the initial sync');
is( $sub->safe_psql('postgres',
		"SELECT count(*) FROM t WHERE id <= 2000"),
	'2000',
	'the initial sync copied t');

# the capture triggers, and how each fires
is( $sub->safe_psql(
		'postgres', q{
SELECT string_agg(c.relname || ':' || tgname || ':' || tgenabled::text, ' ' ORDER BY c.relname, tgname)
  FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
 WHERE tgname LIKE 'incrload_capture%' AND c.relname IN ('t', 'p', 'p_c', 'p_c1')}),
	join(' ',
		'p:incrload_capture_del:O p:incrload_capture_ins:O p:incrload_capture_trunc:A p:incrload_capture_upd:O',
		'p_c:incrload_capture_del:O p_c:incrload_capture_ins:O p_c:incrload_capture_trunc:A p_c:incrload_capture_upd:O',
		'p_c1:incrload_capture_del:O p_c1:incrload_capture_ins:O p_c1:incrload_capture_row:R p_c1:incrload_capture_trunc:A p_c1:incrload_capture_upd:O',
		't:incrload_capture_del:O t:incrload_capture_ins:O t:incrload_capture_row:R t:incrload_capture_trunc:A t:incrload_capture_upd:O'
	),
	'statement triggers fire on origin, the row trigger (leaves only) on replica, TRUNCATE always');

# --- replicated INSERT, UPDATE (keys too), DELETE, NULLs, several tables
# in one transaction, a rollback ---
$pub->safe_psql(
	'postgres', q{
INSERT INTO t SELECT i, i % 8, i, NULL FROM generate_series(2001, 2300) i;
UPDATE t SET v = v * 2, note = 'u' WHERE id % 7 = 0;
UPDATE t SET id = id + 100000, g = (g + 3) % 9 WHERE id % 11 = 0;
UPDATE t SET g = NULL WHERE id % 13 = 0;
DELETE FROM t WHERE id % 17 = 0;
BEGIN;
INSERT INTO d VALUES (7, 'n7'), (8, 'n8');
UPDATE d SET name = 'renamed' WHERE g = 1;
DELETE FROM d WHERE g = 2;
INSERT INTO t VALUES (3001, 7, 1, 'seven'), (3002, 8, 2, NULL), (3003, 7, 3, 'seven');
INSERT INTO dup SELECT 9, 'dup' FROM generate_series(1, 3);
DELETE FROM dup WHERE ctid = (SELECT min(ctid) FROM dup WHERE a = 1);
UPDATE dup SET b = 'changed' WHERE ctid = (SELECT min(ctid) FROM dup WHERE a = 2);
UPDATE p SET k = (k + 3) % 9 WHERE id % 5 = 0;
DELETE FROM p WHERE id % 9 = 0;
INSERT INTO p VALUES (1001, 8, 8), (1002, 4, 4);
COMMIT;
BEGIN;
INSERT INTO t VALUES (4001, 1, 1, 'rolled back');
DELETE FROM d;
ROLLBACK;
});
catch_up();
check_views('after replicated writes');

# --- freshness: a replicated change carries the publisher's commit time ---
$sub->safe_psql('postgres', "SELECT incrload_pause('v_agg')");
$pub->safe_psql('postgres', "INSERT INTO t VALUES (5001, 1, 5001, 'fresh')");
my $committed = $pub->safe_psql('postgres',
	"SELECT pg_xact_commit_timestamp(xmin) FROM t WHERE id = 5001");
catch_up();
is( $sub->safe_psql(
		'postgres', qq{
SELECT oldest_pending_change = '$committed'::timestamptz AND pending_changes = 1
  FROM incrload_stats WHERE view_name = 'v_agg'::regclass}),
	't',
	'the capture time of a replicated change is its commit time on the publisher'
);
$sub->safe_psql('postgres', "SELECT incrload_resume('v_agg')");

# --- two-phase: captured at PREPARE, visible at COMMIT PREPARED; values
# stored out of line, a TRUNCATE in the same transaction ---
ok( $sub->poll_query_until(
		'postgres',
		"SELECT subtwophasestate = 'e' FROM pg_subscription WHERE subname = 's2'"),
	'two-phase enabled on s2');
$sub->safe_psql('postgres', "SELECT incrload_pause('v_big')");
$pub->safe_psql(
	'postgres', q{
BEGIN;
INSERT INTO big SELECT i, (SELECT string_agg(md5(i::text || j::text), '') FROM generate_series(1, 100) j)
  FROM generate_series(1, 20) i;
PREPARE TRANSACTION 'p1';
});
my $prepared = $pub->safe_psql('postgres',
	"SELECT prepared FROM pg_prepared_xacts WHERE gid = 'p1'");
catch_up();
is($sub->safe_psql('postgres', 'SELECT count(*) FROM pg_prepared_xacts'),
	'1', 'the subscriber prepared the transaction');
$pub->safe_psql('postgres', "COMMIT PREPARED 'p1'");
catch_up();
is( $sub->safe_psql(
		'postgres', qq{
SELECT oldest_pending_change = '$prepared'::timestamptz AND pending_changes = 20
  FROM incrload_stats WHERE view_name = 'v_big'::regclass}),
	't',
	'a two-phase transaction is captured with its prepare time on the publisher'
);
$sub->safe_psql('postgres', "SELECT incrload_resume('v_big')");
$pub->safe_psql(
	'postgres', q{
BEGIN;
INSERT INTO big SELECT i, (SELECT string_agg(md5(i::text || j::text), '') FROM generate_series(1, 200) j)
  FROM generate_series(21, 40) i;
TRUNCATE big;
INSERT INTO big SELECT i, repeat('z', i) FROM generate_series(41, 45) i;
COMMIT;
BEGIN;
INSERT INTO big SELECT i, (SELECT string_agg(md5(i::text || j::text), '') FROM generate_series(1, 50) j)
  FROM generate_series(100, 400) i;
UPDATE big SET body = body || 'x' WHERE id % 2 = 0;
DELETE FROM big WHERE id % 3 = 0;
COMMIT;
});
catch_up();
check_views('after two-phase, TRUNCATE and streamed transactions');

# --- a view registered while the subscription streams ---
my $bg = $pub->background_psql('postgres');
$bg->query_until(qr/started/, q{
\echo started
CALL churn(10000, 1500);
});
register(qw(v_distinct v_dup));
$bg->query_safe('SELECT 1');
$bg->quit;
catch_up();
check_views('registered while streaming');

# --- the subscription disabled, written to, enabled again ---
$sub->safe_psql('postgres', 'ALTER SUBSCRIPTION s1 DISABLE');
ok( $sub->poll_query_until(
		'postgres',
		"SELECT count(*) = 0 FROM pg_stat_subscription WHERE subname = 's1' AND pid IS NOT NULL"
	),
	's1 stopped');
$pub->safe_psql(
	'postgres', q{
CALL churn(20000, 100);
UPDATE t SET v = v - 1 WHERE id % 5 = 1;
DELETE FROM dup WHERE a = 3;
});
check_views('while disabled');
$sub->safe_psql('postgres', 'ALTER SUBSCRIPTION s1 ENABLE');
catch_up();
check_views('after enabling again');

# --- a table resynchronized: dropped from the publication, emptied on
# the subscriber, added back and copied again; a table added to it ---
$pub->safe_psql('postgres', 'ALTER PUBLICATION pub1 DROP TABLE dup');
$sub->safe_psql('postgres', 'ALTER SUBSCRIPTION s1 REFRESH PUBLICATION');
$sub->safe_psql('postgres', 'TRUNCATE dup');
$pub->safe_psql('postgres',
	"INSERT INTO dup SELECT 7, 'while out' FROM generate_series(1, 4)");
$pub->safe_psql('postgres', 'ALTER PUBLICATION pub1 ADD TABLE dup, n');
$sub->safe_psql('postgres',
	'ALTER SUBSCRIPTION s1 REFRESH PUBLICATION WITH (copy_data = true)');
$sub->wait_for_subscription_sync($pub, 's1');
$pub->safe_psql('postgres',
	"UPDATE n SET v = v + 1 WHERE id % 2 = 0; DELETE FROM dup WHERE a = 7 AND ctid = (SELECT min(ctid) FROM dup WHERE a = 7)"
);
catch_up();
check_views('after a resync and a table added');
is($sub->safe_psql('postgres', 'SELECT count(*) FROM n'),
	'300', 'n was copied');

# --- the subscriber's own writes: another table, the same tables, in a
# session that sets session_replication_role = replica ---
$sub->safe_psql(
	'postgres', q{
INSERT INTO local_only SELECT i, i % 9, i FROM generate_series(51, 80) i;
UPDATE local_only SET x = x + 1 WHERE id % 2 = 0;
DELETE FROM local_only WHERE id % 10 = 0;
INSERT INTO t SELECT i, i % 8, i, 'local' FROM generate_series(1000001, 1000100) i;
UPDATE t SET v = 0 WHERE id BETWEEN 1000001 AND 1000020;
DELETE FROM t WHERE id BETWEEN 1000090 AND 1000100;
});
my $inside = $sub->safe_psql(
	'postgres', qq{
SET session_replication_role = replica;
BEGIN;
INSERT INTO t SELECT i, i % 8, i, 'replica role' FROM generate_series(2000001, 2000050) i;
UPDATE t SET g = 3 WHERE id BETWEEN 2000001 AND 2000010;
SAVEPOINT a;
INSERT INTO t VALUES (2000100, 1, 1, 'rolled back');
ROLLBACK TO a;
COPY t FROM STDIN;
2000200	1	5	copied
2000201	2	\\N	copied
\\.
SAVEPOINT b;
DELETE FROM t WHERE id = 2000002;
SELECT incrload_refresh('v_agg') >= 0;
SELECT count(*) FROM ((SELECT * FROM v_agg EXCEPT ALL $query{v_agg})
                      UNION ALL ($query{v_agg} EXCEPT ALL SELECT * FROM v_agg)) x;
ROLLBACK TO b;
INSERT INTO local_only VALUES (1000, 1, 1000);
TRUNCATE local_only;
INSERT INTO local_only VALUES (1001, 2, 1001);
COMMIT;
});
is($inside, "t\n0",
	'replica role: incrload_refresh in the writing transaction applies its own rows');
check_views("the subscriber's own writes");

# --- the subscriber restarted, then crashed, while the publisher writes ---
$sub->stop('fast');
$pub->safe_psql('postgres', 'CALL churn(30000, 200)');
$sub->start;
catch_up();
check_views('after a restart');
$bg = $pub->background_psql('postgres');
$bg->query_until(qr/started/, q{
\echo started
CALL churn(40000, 1500);
});
$sub->poll_query_until('postgres',
	'SELECT count(*) > 0 FROM t WHERE id > 40000');
$sub->stop('immediate');
$sub->start;
$bg->query_safe('SELECT 1');
$bg->quit;
catch_up();
check_views('after a crash');
verify_views('at the end');

is( $sub->safe_psql(
		'postgres',
		"SELECT count(*) FROM incrload_stats WHERE state <> 'active' OR consecutive_failures > 0"
	),
	'0',
	'every view is active');

done_testing();
