# Randomized rounds of writes on a publisher; views of several shapes on a
# logical subscriber, maintained by its worker from what the apply worker
# writes, compared with their queries after every round.
#
# The writes: INSERT (also of existing keys: ON CONFLICT), UPDATE of values,
# of group and join keys and of primary keys, DELETE, NULLs, duplicate rows
# in a table without a key (REPLICA IDENTITY FULL), rows moving between the
# subscriber's partitions, several tables in one transaction, rollbacks and
# savepoints rolled back; and some writes of the subscriber itself, in
# origin and in replica role, to rows the publisher does not have.
#
# The run is fixed by its seed.  Defaults: seed 42, 10 rounds.  Another run:
#
#   INCRLOAD_SEED=7 INCRLOAD_ROUNDS=30 INCRLOAD_TEST_ONLY=tap \
#       PROVE_TESTS=test/t/071_logical_replica_randomized.pl bash scripts/test.sh
#
# Every transaction a round runs is written to
# tmp_check/log/regress_log_071_logical_replica_randomized.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $seed = $ENV{INCRLOAD_SEED} || 42;
my $rounds = $ENV{INCRLOAD_ROUNDS} || 10;
foreach my $n ($seed, $rounds)
{
	die "INCRLOAD_SEED and INCRLOAD_ROUNDS must be integers, not '$n'"
	  unless $n =~ /^\d+$/;
}
srand($seed);

sub logmsg { print STDOUT @_, "\n"; }
sub rint { my ($lo, $hi) = @_; return $lo + int(rand($hi - $lo + 1)); }
sub chance { return rand() < $_[0]; }
sub pick { return $_[ int(rand(scalar @_)) ]; }
sub num_or_null { return chance(0.15) ? 'NULL' : rint(@_); }

sub text_or_null
{
	return chance(0.15) ? 'NULL' : "'" . pick(qw(a b c dd)) . "'";
}

my $tables = q{
CREATE TABLE t (id int PRIMARY KEY, g int, v int, note text);
CREATE TABLE d (g int PRIMARY KEY, name text);
CREATE TABLE dup (a int, b text);
ALTER TABLE dup REPLICA IDENTITY FULL;
CREATE TABLE e (id int PRIMARY KEY, tid int, w int);
};

my %query = (
	r_agg =>
	  'SELECT g, count(*) AS n, sum(v) AS s, min(v) AS mn, max(v) AS mx, avg(v) AS a, count(note) AS nn FROM t GROUP BY g',
	r_join =>
	  'SELECT d.name, t.note, count(*) AS n, sum(t.v) AS s FROM t JOIN d ON d.g = t.g GROUP BY d.name, t.note',
	r_left => 'SELECT d.g, d.name, t.id, t.v FROM d LEFT JOIN t ON t.g = d.g',
	r_full => 'SELECT t.id, t.note, d.name FROM t FULL JOIN d ON d.g = t.g',
	r_distinct => 'SELECT DISTINCT note, g FROM t',
	r_dup => 'SELECT a, b, count(*) AS n FROM dup GROUP BY a, b',
	r_dupbag => 'SELECT a, b FROM dup WHERE a IS DISTINCT FROM 3',
	r_part => 'SELECT k, count(*) AS n, sum(v) AS s FROM p GROUP BY k',
	r_exists =>
	  'SELECT d.g, d.name FROM d WHERE EXISTS (SELECT 1 FROM t WHERE t.g = d.g AND t.v > 50)',
	r_three =>
	  'SELECT d.name, count(*) AS n, sum(e.w) AS w FROM t JOIN e ON e.tid = t.id JOIN d ON d.g = t.g GROUP BY d.name',
);

my $pub = PostgreSQL::Test::Cluster->new('publisher');
$pub->init(allows_streaming => 'logical');
$pub->start;
my $sub = PostgreSQL::Test::Cluster->new('subscriber');
$sub->init(allows_streaming => 'logical');
$sub->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'incrload'
incrload.launcher_naptime = '200ms'
incrload.naptime = '100ms'
});
$sub->start;

$pub->safe_psql('postgres', $tables . q{
CREATE TABLE p (id int PRIMARY KEY, k int NOT NULL, v int);
ALTER TABLE p REPLICA IDENTITY FULL;
INSERT INTO d SELECT g, 'n' || (g % 4) FROM generate_series(0, 7) g;
INSERT INTO t SELECT i, i % 9, i % 100, CASE WHEN i % 5 = 0 THEN NULL ELSE 'a' END
  FROM generate_series(1, 300) i;
INSERT INTO dup SELECT i % 6, 'b' || (i % 2) FROM generate_series(1, 60) i;
INSERT INTO p SELECT i, i % 6, i FROM generate_series(1, 200) i;
INSERT INTO e SELECT i, i % 300 + 1, i FROM generate_series(1, 150) i;
CREATE PUBLICATION pub FOR TABLE t, d, dup, p, e;
});
$sub->safe_psql('postgres', $tables . q{
CREATE TABLE p (id int, k int NOT NULL, v int, PRIMARY KEY (id, k)) PARTITION BY LIST (k);
CREATE TABLE p_low PARTITION OF p FOR VALUES IN (0, 1, 2);
CREATE TABLE p_high PARTITION OF p FOR VALUES IN (3, 4, 5);
CREATE TABLE p_rest PARTITION OF p DEFAULT;
CREATE EXTENSION incrload;
});
my $pubconn = $pub->connstr . ' dbname=postgres';
$sub->safe_psql('postgres',
	"CREATE SUBSCRIPTION s CONNECTION '$pubconn' PUBLICATION pub");
$sub->wait_for_subscription_sync($pub, 's');
for my $v (sort keys %query)
{
	$sub->safe_psql('postgres',
		"SELECT incrload_register_view('$v', \$q\$$query{$v}\$q\$, refresh_interval => '100 ms')"
	);
}

sub check_views
{
	my ($what) = @_;
	for my $v (sort keys %query)
	{
		my $q = $query{$v};
		my $exact = $sub->poll_query_until(
			'postgres', qq{
			SELECT (SELECT pending_changes FROM incrload_stats WHERE view_name = '$v'::regclass) = 0
			   AND (SELECT count(*) FROM ((SELECT * FROM $v EXCEPT ALL $q)
			                   UNION ALL ($q EXCEPT ALL SELECT * FROM $v)) x) = 0});
		ok($exact, "$what: $v equals its query");
		next if $exact;
		diag(
			"$v differs (seed $seed):\n"
			  . $sub->safe_psql('postgres',
				"(SELECT 'view', * FROM $v EXCEPT ALL SELECT 'view', * FROM ($q) q) UNION ALL (SELECT 'query', * FROM ($q) q EXCEPT ALL SELECT 'query', * FROM $v)"
			  ));
	}
}

# One random write on the publisher.
my $next_e = 1000;

sub random_write
{
	my $op = rint(1, 14);
	my $m = rint(2, 9);
	my $r = rint(0, $m - 1);
	if ($op == 1)
	{
		my @rows = map {
			sprintf('(%d, %s, %s, %s)',
				rint(1, 400), num_or_null(0, 10), num_or_null(0, 120), text_or_null())
		} 1 .. rint(1, 6);
		return 'INSERT INTO t VALUES ' . join(', ', @rows) . ' ON CONFLICT (id) DO NOTHING';
	}
	return sprintf('UPDATE t SET v = %s, note = %s WHERE id %% %d = %d',
		num_or_null(0, 120), text_or_null(), $m, $r)
	  if $op == 2;
	return sprintf('UPDATE t SET g = %s WHERE id %% %d = %d AND v %% 3 = %d',
		num_or_null(0, 10), $m, $r, rint(0, 2))
	  if $op == 3;
	if ($op == 4)
	{
		my $id = rint(1, 400);
		return "UPDATE t SET id = id + 1000 WHERE id = $id AND NOT EXISTS (SELECT 1 FROM t WHERE id = $id + 1000)";
	}
	return sprintf('DELETE FROM t WHERE id %% %d = %d AND g IS DISTINCT FROM %d',
		$m * 3, $r, rint(0, 8))
	  if $op == 5;
	return sprintf(
		"INSERT INTO d VALUES (%d, %s) ON CONFLICT (g) DO UPDATE SET name = EXCLUDED.name",
		rint(0, 11), text_or_null())
	  if $op == 6;
	return sprintf('DELETE FROM d WHERE g = %d', rint(0, 11)) if $op == 7;
	return sprintf('INSERT INTO dup SELECT %s, %s FROM generate_series(1, %d)',
		num_or_null(0, 6), text_or_null(), rint(1, 4))
	  if $op == 8;
	return sprintf(
		'DELETE FROM dup WHERE ctid = (SELECT min(ctid) FROM dup WHERE a = %d)',
		rint(0, 6))
	  if $op == 9;
	return sprintf(
		"UPDATE dup SET b = %s WHERE ctid = (SELECT max(ctid) FROM dup WHERE a IS NOT DISTINCT FROM %s)",
		text_or_null(), num_or_null(0, 6))
	  if $op == 10;
	return sprintf(
		'INSERT INTO p VALUES (%d, %d, %s) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v',
		rint(1, 260), rint(0, 7), num_or_null(0, 50))
	  if $op == 11;
	return sprintf('UPDATE p SET k = (k + %d) %% 8 WHERE id %% %d = %d',
		rint(1, 7), $m, $r)
	  if $op == 12;
	return sprintf('DELETE FROM p WHERE id %% %d = %d', $m * 4, $r)
	  if $op == 13;
	if (chance(0.5))
	{
		$next_e++;
		return sprintf('INSERT INTO e VALUES (%d, %d, %s)',
			$next_e, rint(1, 420), num_or_null(0, 30));
	}
	return sprintf('DELETE FROM e WHERE id %% %d = %d', $m * 5, $r);
}

# A random write of the subscriber itself, to rows the publisher never has.
my $next_local = 1000000;

sub local_write
{
	my $role = chance(0.5) ? 'replica' : 'origin';
	my @sql = ("SET session_replication_role = $role", 'BEGIN');
	for (1 .. rint(1, 3))
	{
		my $op = rint(1, 3);
		if ($op == 1)
		{
			$next_local++;
			push @sql,
			  sprintf('INSERT INTO t VALUES (%d, %s, %s, %s)',
				$next_local, num_or_null(0, 10), num_or_null(0, 120), text_or_null());
		}
		elsif ($op == 2)
		{
			push @sql,
			  sprintf('UPDATE t SET v = %s, g = %s WHERE id > 1000000 AND id %% 3 = %d',
				num_or_null(0, 120), num_or_null(0, 10), rint(0, 2));
		}
		else
		{
			push @sql,
			  sprintf('DELETE FROM t WHERE id > 1000000 AND id %% 5 = %d', rint(0, 4));
		}
	}
	push @sql, chance(0.2) ? 'ROLLBACK' : 'COMMIT';
	return join(";\n", @sql) . ";\n";
}

check_views('after the initial sync');
for my $round (1 .. $rounds)
{
	for (1 .. rint(4, 10))
	{
		my @sql = ('BEGIN');
		push @sql, random_write() for 1 .. rint(1, 4);
		if (chance(0.3))
		{
			push @sql, 'SAVEPOINT s', random_write(), 'ROLLBACK TO s';
			push @sql, random_write() if chance(0.5);
		}
		push @sql, chance(0.15) ? 'ROLLBACK' : 'COMMIT';
		my $txn = join(";\n", @sql) . ";\n";
		logmsg("-- seed $seed round $round, publisher:\n$txn");
		$pub->safe_psql('postgres', $txn);
	}
	if (chance(0.5))
	{
		my $txn = local_write();
		logmsg("-- seed $seed round $round, subscriber:\n$txn");
		$sub->safe_psql('postgres', $txn);
	}
	$pub->wait_for_catchup('s');
	check_views("round $round");
	next if $round % 4;
	for my $v (sort keys %query)
	{
		is( $sub->safe_psql('postgres',
				"SELECT missing + extra FROM incrload_verify('$v')"),
			'0',
			"round $round: incrload_verify($v) finds nothing");
	}
}

done_testing();
