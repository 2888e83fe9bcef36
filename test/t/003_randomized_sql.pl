# Randomized test of incremental maintenance of more SQL: outer joins,
# subqueries in expressions, set operations, WITH, subqueries and UNION ALL
# in FROM, views over views, with aggregates on top.
#
# Seven tables: customers pointing to regions, products, orders pointing
# to customers and products, returns (no key: duplicate rows) pointing to
# orders, customers and products, a self-referencing employee tree, and
# flags, a table read only inside subqueries.  Every foreign key is
# nullable and dangles now and then, so that outer joins produce
# NULL-extended rows and IN / NOT IN meet NULLs on both sides.  Two plain
# views over the tables and one view over a view.
#
# Views cover LEFT / RIGHT / FULL joins (chains, mixed with inner joins,
# nested, conditions on either side, OR, IS NOT DISTINCT FROM and
# non-equality conditions, self-joins, the anti-join idiom, constants on
# the nullable side) with every aggregate on top, outer joins inside a
# subquery in FROM, a plain view, a UNION ALL arm and an EXISTS, EXISTS /
# NOT EXISTS correlated by equality, by non-equality and with two outer
# tables, IN / NOT IN (also row-valued, also over GROUP BY ... HAVING),
# ANY / ALL, scalar subqueries with aggregates in the select list, WHERE,
# GROUP BY, FILTER and CASE (also over the outer query's own table), ARRAY
# subqueries, aggregates over subquery results, every set operation
# (nested, over joins, views, outer joins, subqueries), WITH used twice and
# chained, UNION ALL in FROM under an aggregate, HAVING, DISTINCT and
# global aggregates.  Rows that count more than once are put on every side
# of every construct whose rule finds the outer rows a change affects:
# registered views of every kind (plain rows, DISTINCT, GROUP BY, UNION,
# UNION ALL, EXCEPT ALL, a view over a view) and UNION / INTERSECT / EXCEPT,
# GROUP BY and DISTINCT subqueries in FROM, each as the outer and as the
# inner side of LEFT / RIGHT / FULL joins, EXISTS, NOT EXISTS, IN, NOT IN,
# scalar subqueries, a HAVING-filtered aggregate over an outer join, a
# three-input join with an EXISTS, and an uncorrelated EXISTS.
#
# Each round runs random transactions that change all tables at once (join
# key updates on both sides, NULLed and dangling keys, updates that flip
# subquery results, no-op updates, COPY, upserts, writable CTEs, TRUNCATE
# now and then, also of the table read only inside subqueries, rollbacks,
# savepoints, REPEATABLE READ writers), refreshes every view and compares
# it with its query as a multiset.  Some rounds leave a transaction open in
# a second session across a refresh, or refresh inside a transaction that
# wrote first; every fifth round runs incrload_verify on every view.
#
# The run is fixed by its seed.  Defaults: seed 42, 20 rounds.  Another run:
#
#   INCRLOAD_SEED=7 INCRLOAD_ROUNDS=50 INCRLOAD_TEST_ONLY=tap \
#       PROVE_TESTS=test/t/003_randomized_sql.pl bash scripts/test.sh
#   INCRLOAD_SEEDS=1,2,3,4,5 ... (several seeds, one database each)
#
# Every statement a round runs is written to
# tmp_check/log/regress_log_003_randomized_sql, with the seed and round.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my @seeds = grep { $_ ne '' } split /\s*,\s*/,
  ($ENV{INCRLOAD_SEEDS} || $ENV{INCRLOAD_SEED} || '42');
my $rounds = $ENV{INCRLOAD_ROUNDS} || 20;
foreach my $n (@seeds, $rounds)
{
	die "INCRLOAD_SEED(S) and INCRLOAD_ROUNDS must be integers, not '$n'"
	  unless $n =~ /^\d+$/;
}

# Goes to the test's log file only.
sub logmsg { print STDOUT @_, "\n"; }

my $node = PostgreSQL::Test::Cluster->new('randsql');
$node->init;
$node->append_conf(
	'postgresql.conf', qq{
shared_preload_libraries = 'incrload'
incrload.enabled = off
lock_timeout = '60s'
autovacuum = off
});
$node->start;

# ---------------------------------------------------------------------------
# Randomness: one generator seeded per seed; every choice goes through it.

sub rint { my ($lo, $hi) = @_; return $lo + int(rand($hi - $lo + 1)); }
sub chance { return rand() < $_[0]; }
sub pick { return $_[ int(rand(scalar @_)) ]; }

# $v, or undef (NULL) with probability $p
sub nul { my ($p, $v) = @_; return chance($p) ? undef : $v; }

sub lit
{
	my ($s) = @_;
	$s =~ s/'/''/g;
	return "'$s'";
}

# Small domains: duplicates, NULLs and matches across tables are frequent.
# Notes, return reasons, tiers and region names overlap, so that set
# operations across them have common rows.
my @rnames   = ('north', 'south', 'east', 'gold', "O'Neill");
my @names    = ('ann', 'Bob', 'bob', 'cy', '', "O'Hara");
my @tiers    = ('gold', 'silver', 'bronze', 'x');
my @cats     = ('tools', 'toys', 'food', 'Food');
my @statuses = ('ok', 'ok', 'void', 'held');
my @notes    = ('x', 'y', 'late', 'gold', 'X');
my @reasons  = ('late', 'broken', 'x', 'gold');
my @codes    = ('a', 'b', 'x');
my @enames   = ('e1', 'e2', 'e3', 'E1', 'boss');

# Columns of each table: name and whether it is quoted in SQL.
my %cols = (
	region => [ [ 'rid', 0 ], [ 'rname', 1 ], [ 'rzone', 1 ] ],
	cust   => [
		[ 'cid', 0 ], [ 'rid', 0 ], [ 'cname', 1 ], [ 'tier', 1 ],
		[ 'credit', 0 ]
	],
	prod => [
		[ 'pid', 0 ], [ 'cat', 1 ], [ 'price', 0 ], [ 'pname', 1 ],
		[ 'weight', 1 ]
	],
	ord  => [
		[ 'oid', 0 ], [ 'cid', 0 ], [ 'pid', 0 ], [ 'qty', 0 ],
		[ 'amt', 0 ], [ 'status', 1 ], [ 'note', 1 ], [ 'ts', 1 ]
	],
	ret => [
		[ 'oid', 0 ], [ 'cid', 0 ], [ 'pid', 0 ], [ 'amt', 0 ],
		[ 'reason', 1 ]
	],
	emp => [
		[ 'eid', 0 ], [ 'boss_id', 0 ], [ 'rid', 0 ], [ 'ename', 1 ],
		[ 'sal', 0 ]
	],
	flags => [ [ 'cid', 0 ], [ 'code', 1 ] ],);

my @tables = qw(region cust prod ord ret emp flags);

# Fresh order keys: plain INSERT and COPY never collide.  Upserts pick keys
# handed out in earlier rounds.  The second session has a range of its own.
my $next_oid;
my $old_oid;    # keys below this were handed out in earlier rounds
my $next_bg_oid;
my $next_cid;    # fresh customers (COPY), referenced by no order

sub gen_region
{
	return {
		rid   => $_[0] // rint(1, 8),
		rname => nul(0.15, pick(@rnames)),
		rzone => nul(0.5, pick('z1', 'z2'))
	};
}

# rid 9 and 10 name no region; credit is NULL-heavy
sub gen_cust
{
	return {
		cid    => $_[0] // rint(1, 50),
		rid    => nul(0.15, rint(1, 10)),
		cname  => nul(0.15, pick(@names)),
		tier   => nul(0.25, pick(@tiers)),
		credit => nul(0.4, rint(0, 40))
	};
}

sub gen_prod
{
	return {
		pid   => $_[0] // rint(1, 15),
		cat   => nul(0.2, pick(@cats)),
		price => nul(0.2, rint(0, 200) / 2),
		pname => nul(0.2, 'p' . rint(1, 9)),
		# equal values of different scales: 1 = 1.0 = 1.00
		weight => nul(0.2, pick('1', '1.0', '1.00', '1.5', '1.50', '2', '0.5'))
	};
}

# Order keys given; cid 51..55 and pid 16..17 name nothing.
sub gen_ord
{
	my ($oid) = @_;
	return {
		oid    => $oid,
		cid    => nul(0.15, rint(1, 55)),
		pid    => nul(0.15, rint(1, 17)),
		qty    => nul(0.15, rint(-1, 12)),
		amt    => nul(0.15, chance(0.8) ? rint(0, 300) : rint(0, 600) / 2),
		status => nul(0.1, pick(@statuses)),
		note   => nul(0.35, pick(@notes)),
		# around New York's 2024 spring-forward (2024-03-10 07:00 UTC)
		ts => nul(0.15, sprintf('2024-03-%02d %02d:%02d:00+00',
			rint(9, 11), rint(0, 23), pick(0, 15, 30, 45)))
	};
}

# Returns point to orders of this or earlier rounds, or to none.
sub gen_ret
{
	return {
		oid    => nul(0.1, rint(1, $next_oid + 5)),
		cid    => nul(0.15, rint(1, 55)),
		pid    => nul(0.15, rint(1, 17)),
		amt    => nul(0.15, rint(0, 300)),
		reason => nul(0.25, pick(@reasons))
	};
}

# boss_id 31 and 32 name nobody; some employees are their own boss
sub gen_emp
{
	my $eid = $_[0] // rint(1, 30);
	return {
		eid     => $eid,
		boss_id => nul(0.2, chance(0.05) ? $eid : rint(1, 32)),
		rid     => nul(0.1, rint(1, 8)),
		ename   => nul(0.1, pick(@enames)),
		sal     => nul(0.15, rint(0, 100))
	};
}

sub gen_flags
{
	return {
		cid  => nul(0.12, chance(0.5) ? rint(1, 10) : rint(1, 55)),
		code => nul(0.1, pick(@codes))
	};
}

my %gen = (
	region => \&gen_region,
	cust   => \&gen_cust,
	prod   => \&gen_prod,
	ord    => \&gen_ord,
	ret    => \&gen_ret,
	emp    => \&gen_emp,
	flags  => \&gen_flags);

sub row_sql
{
	my ($t, $r) = @_;
	my @v;
	foreach my $c (@{ $cols{$t} })
	{
		my $v = $r->{ $c->[0] };
		push @v, !defined $v ? 'NULL' : $c->[1] ? lit($v) : $v;
	}
	return '(' . join(', ', @v) . ')';
}

sub row_copy
{
	my ($t, $r) = @_;
	return join("\t",
		map { defined $r->{ $_->[0] } ? $r->{ $_->[0] } : '\N' }
		  @{ $cols{$t} });
}

sub col_list { my ($t) = @_; return join(', ', map { $_->[0] } @{ $cols{$t} }); }

# Rows of one table with distinct keys (for upserts, which may not affect a
# row twice).
sub keyed_rows
{
	my ($t, $n, $keygen) = @_;
	my (%seen, @rows);
	for (1 .. $n)
	{
		my @k = $keygen->();
		next if $seen{ join(',', @k) }++;
		push @rows, row_sql($t, $gen{$t}->(@k));
	}
	return join(', ', @rows);
}

sub rows_sql
{
	my ($t, $n) = @_;
	return join(', ', map { row_sql($t, $gen{$t}->()) } 1 .. $n);
}

sub fresh_ords
{
	my ($n) = @_;
	return map { gen_ord($next_oid++) } 1 .. $n;
}

sub wpick
{
	my @c = @_;
	my $total = 0;
	$total += $_->[0] foreach @c;
	my $x = rand($total);
	foreach my $c (@c)
	{
		return $c->[1]->() if $x < $c->[0];
		$x -= $c->[0];
	}
	return $c[0][1]->();
}

# Weight of a DELETE on table $t: rare below $lo rows, frequent above $hi.
my $sizes;    # row counts of every table at the start of the round

sub delw
{
	my ($t, $lo, $hi) = @_;
	my $n = $sizes->{$t} // $lo;
	return $n < $lo ? 0.2 : $n > $hi ? 3 : 1;
}

# Weight of an insert into table $t: high below $lo rows.
sub insw
{
	my ($t, $lo, $hi) = @_;
	my $n = $sizes->{$t} // $lo;
	return $n < $lo ? 6 : $n > $hi ? 1 : 3;
}

# A predicate that chooses a few rows of a keyed table.
sub small_del
{
	my ($key, $max, $pred) = @_;
	return pick("$key = " . rint(1, $max),
		"$key IN (" . rint(1, $max) . ', ' . rint(1, $max) . ')',
		"($pred) AND $key % 4 = " . rint(0, 3));
}

# ---------------------------------------------------------------------------
# Predicates: random subsets of each table.

sub opred_simple
{
	return pick(
		sub { my $m = rint(2, 9); "oid % $m = " . rint(0, $m - 1) },
		sub { 'cid = ' . rint(1, 55) },
		sub { 'cid IS NULL' },
		sub { my $x = rint(1, 50); "cid BETWEEN $x AND " . ($x + 5) },
		sub { 'pid = ' . rint(1, 17) },
		sub { 'pid IS NULL' },
		sub { my $x = rint(-1, 10); "qty BETWEEN $x AND " . ($x + 2) },
		sub { 'amt > ' . rint(0, 300) },
		sub { 'amt IS NULL' },
		sub { 'status = ' . lit(pick(@statuses)) },
		sub { 'status IS NULL' },
		sub { 'note = ' . lit(pick(@notes)) },
		sub { 'note IS NULL' },
		sub { 'cid IN (SELECT cid FROM cust WHERE rid = ' . rint(1, 10) . ')' },
	)->();
}

sub opred
{
	my $p = opred_simple();
	$p = "($p) AND (" . opred_simple() . ')' if chance(0.3);
	return $p;
}

sub cpred
{
	return pick(
		sub { my $m = rint(3, 9); "cid % $m = " . rint(0, $m - 1) },
		sub { 'cid = ' . rint(1, 55) },
		sub { 'rid = ' . rint(1, 10) },
		sub { 'rid IS NULL' },
		sub { 'cname = ' . lit(pick(@names)) },
		sub { 'tier = ' . lit(pick(@tiers)) },
		sub { 'tier IS NULL' },
		sub { 'credit IS NULL' },
		sub { 'credit > ' . rint(0, 40) },
	)->();
}

sub ppred
{
	return pick(
		sub { 'pid = ' . rint(1, 17) },
		sub { 'pid % 3 = ' . rint(0, 2) },
		sub { 'cat = ' . lit(pick(@cats)) },
		sub { 'cat IS NULL' },
		sub { 'price > ' . rint(0, 100) },
		sub { 'price IS NULL' },
	)->();
}

sub rpred
{
	return pick(
		sub { 'rid = ' . rint(1, 10) },
		sub { 'rid % 2 = ' . rint(0, 1) },
		sub { 'rname = ' . lit(pick(@rnames)) },
		sub { 'rzone IS NULL' },
	)->();
}

sub tpred_simple
{
	return pick(
		sub { 'cid = ' . rint(1, 55) },
		sub { 'cid IS NULL' },
		sub { 'cid % 5 = ' . rint(0, 4) },
		sub { 'pid = ' . rint(1, 17) },
		sub { 'oid % 7 = ' . rint(0, 6) },
		sub { 'reason = ' . lit(pick(@reasons)) },
		sub { 'reason IS NULL' },
		sub { my $x = rint(0, 290); "amt BETWEEN $x AND " . ($x + 20) },
		sub { 'amt IS NULL' },
	)->();
}

# Some rows out of sets of duplicates, through ctid.
sub ctid_pick
{
	my ($t, $pred) = @_;
	return "ctid = ANY (ARRAY(SELECT ctid FROM $t WHERE $pred LIMIT "
	  . rint(1, 4) . '))';
}

sub tpred
{
	return chance(0.3) ? ctid_pick('ret', tpred_simple()) : tpred_simple();
}

sub epred
{
	return pick(
		sub { my $m = rint(3, 9); "eid % $m = " . rint(0, $m - 1) },
		sub { 'eid = ' . rint(1, 30) },
		sub { 'boss_id = ' . rint(1, 32) },
		sub { 'boss_id IS NULL' },
		sub { 'rid = ' . rint(1, 8) },
		sub { 'sal > ' . rint(0, 100) },
		sub { 'ename = ' . lit(pick(@enames)) },
	)->();
}

sub fpred_simple
{
	return pick(
		sub { 'cid = ' . rint(1, 55) },
		sub { 'cid IS NULL' },
		sub { 'cid <= ' . rint(1, 12) },
		sub { 'code = ' . lit(pick(@codes)) },
		sub { 'code IS NULL' },
	)->();
}

sub fpred
{
	return chance(0.3) ? ctid_pick('flags', fpred_simple()) : fpred_simple();
}

# ---------------------------------------------------------------------------
# Statements, per table.  Each returns SQL (one or more statements).

sub stmt_ord
{
	my ($insert_only) = @_;
	my @c = (
		[ 4, sub {
			'INSERT INTO ord VALUES '
			  . join(', ', map { row_sql('ord', $_) } fresh_ords(rint(1, 15)))
			  . ';' } ],
		[ 1, sub {
			"COPY ord (" . col_list('ord') . ") FROM STDIN;\n"
			  . join('', map { row_copy('ord', $_) . "\n" } fresh_ords(rint(1, 12)))
			  . "\\.\n" } ],
	);
	push @c, (
		[ 2, sub {
			'INSERT INTO ord VALUES '
			  . keyed_rows('ord', rint(1, 10), sub { rint(1, $old_oid) })
			  . pick(' ON CONFLICT (oid) DO UPDATE SET cid = EXCLUDED.cid, '
				  . 'qty = ord.qty + EXCLUDED.qty, note = EXCLUDED.note',
				' ON CONFLICT (oid) DO UPDATE SET pid = EXCLUDED.pid, '
				  . 'amt = EXCLUDED.amt, status = EXCLUDED.status',
				' ON CONFLICT DO NOTHING')
			  . ';' } ],
		[ 2 * delw('ord', 150, 300), sub { 'DELETE FROM ord WHERE ' . opred() . ';' } ],
		[ 6, sub {
			my $set = pick(
				# join keys: NULL, dangling, moved
				sub { 'cid = ' . (chance(0.2) ? 'NULL' : rint(1, 55)) },
				sub { 'cid = cid % 55 + 1' },
				sub { 'pid = ' . (chance(0.2) ? 'NULL' : rint(1, 17)) },
				sub { 'cid = NULL, pid = NULL' },
				sub { 'cid = (SELECT min(cid) FROM cust WHERE rid = ' . rint(1, 10) . ')' },
				# measures that subqueries compare
				sub { 'amt = amt + ' . rint(1, 100) },
				sub { 'amt = NULL' },
				sub { 'amt = ' . rint(0, 300) },
				sub { 'qty = qty + 1' },
				sub { 'qty = NULL, amt = amt * 2' },
				sub { 'status = ' . (chance(0.2) ? 'NULL' : lit(pick(@statuses))) },
				sub { 'note = ' . (chance(0.2) ? 'NULL' : lit(pick(@notes))) },
				# local days and hours move
				sub { 'ts = ts + interval ' . lit(pick('90 minutes', '5 hours', '-1 day')) },
				sub { 'ts = NULL' },
				# no-op updates
				sub { 'cid = cid' },
				sub { 'qty = qty, note = note, pid = pid' },
				# primary key moves to keys nobody holds
				sub { 'oid = oid + 10000000' },
			);
			my $s = $set->();
			my $w = opred();
			$w .= ' AND oid + 10000000 NOT IN (SELECT oid FROM ord)'
			  if $s =~ /^oid =/;
			$w = "($w) AND oid % 4 = " . rint(0, 3) if $s =~ /^(cid|amt) = \d/;
			"UPDATE ord SET $s WHERE $w;" } ],
	) unless $insert_only;
	return wpick(@c);
}

sub stmt_cust
{
	return wpick(
		[ insw('cust', 35, 50), sub {
			'INSERT INTO cust VALUES '
			  . keyed_rows('cust', rint(1, 6), sub { rint(1, 50) })
			  . pick(' ON CONFLICT (cid) DO UPDATE SET rid = EXCLUDED.rid, '
				  . 'cname = EXCLUDED.cname',
				' ON CONFLICT (cid) DO UPDATE SET tier = EXCLUDED.tier, '
				  . 'credit = EXCLUDED.credit',
				' ON CONFLICT DO NOTHING')
			  . ';' } ],
		[ 1, sub {
			"COPY cust (" . col_list('cust') . ") FROM STDIN;\n"
			  . join('', map { row_copy('cust', gen_cust($next_cid++)) . "\n" } 1 .. rint(1, 3))
			  . "\\.\n" } ],
		[ delw('cust', 35, 50), sub { 'DELETE FROM cust WHERE ' . small_del('cid', 55, cpred()) . ';' } ],
		[ 5, sub {
			my $set = pick(
				sub { 'rid = ' . (chance(0.2) ? 'NULL' : rint(1, 10)) },
				sub { 'rid = rid % 10 + 1' },
				sub { 'cname = ' . (chance(0.2) ? 'NULL' : lit(pick(@names))) },
				sub { 'tier = ' . (chance(0.2) ? 'NULL' : lit(pick(@tiers))) },
				sub { 'credit = ' . (chance(0.3) ? 'NULL' : rint(0, 40)) },
				sub { 'credit = credit + 5, tier = NULL' },
				sub { 'rid = rid, cname = cname' },
				sub { 'cid = cid + 50' },
				sub { 'cid = cid - 50' },
			);
			my $s = $set->();
			my $w = cpred();
			$w .= ' AND cid <= 50 AND cid + 50 NOT IN (SELECT cid FROM cust)'
			  if $s eq 'cid = cid + 50';
			$w = 'cid BETWEEN 51 AND 100 AND cid - 50 NOT IN (SELECT cid FROM cust)'
			  if $s eq 'cid = cid - 50';
			"UPDATE cust SET $s WHERE $w;" } ],
	);
}

sub stmt_prod
{
	return wpick(
		[ insw('prod', 10, 15), sub {
			'INSERT INTO prod VALUES '
			  . keyed_rows('prod', rint(1, 4), sub { rint(1, 15) })
			  . pick(' ON CONFLICT (pid) DO UPDATE SET price = EXCLUDED.price, '
				  . 'cat = EXCLUDED.cat',
				' ON CONFLICT DO NOTHING')
			  . ';' } ],
		[ delw('prod', 10, 15), sub { 'DELETE FROM prod WHERE ' . small_del('pid', 17, ppred()) . ';' } ],
		[ 4, sub {
			my $set = pick(
				sub { 'price = price + ' . rint(1, 30) },
				sub { 'price = NULL' },
				sub { 'price = ' . rint(0, 100) },
				sub { 'cat = ' . (chance(0.2) ? 'NULL' : lit(pick(@cats))) },
				sub { 'price = price, cat = cat' },
				# the same value at another scale
				sub { 'weight = weight + ' . pick('0', '0.0', '0.00') },
				sub { 'weight = round(weight, ' . rint(0, 2) . ')' },
				sub { 'pid = pid + 20' },
				sub { 'pid = pid - 20' },
			);
			my $s = $set->();
			my $w = ppred();
			$w .= ' AND pid <= 20 AND pid + 20 NOT IN (SELECT pid FROM prod)'
			  if $s eq 'pid = pid + 20';
			$w = 'pid > 20 AND pid - 20 NOT IN (SELECT pid FROM prod)'
			  if $s eq 'pid = pid - 20';
			"UPDATE prod SET $s WHERE $w;" } ],
	);
}

sub stmt_region
{
	return wpick(
		[ insw('region', 5, 7), sub {
			'INSERT INTO region VALUES '
			  . keyed_rows('region', rint(1, 3), sub { rint(1, 8) })
			  . pick(' ON CONFLICT (rid) DO UPDATE SET rname = EXCLUDED.rname',
				' ON CONFLICT DO NOTHING')
			  . ';' } ],
		[ delw('region', 5, 7) / 2, sub { 'DELETE FROM region WHERE rid = ' . rint(1, 10) . ';' } ],
		[ 3, sub {
			my $set = pick(
				sub { 'rname = ' . (chance(0.2) ? 'NULL' : lit(pick(@rnames))) },
				sub { 'rzone = ' . lit(pick('z1', 'z2')) },
				sub { 'rname = rname' },
				sub { 'rid = rid + 10' },
				sub { 'rid = rid - 10' },
			);
			my $s = $set->();
			my $w = rpred();
			$w = 'rid = ' . rint(1, 8) if $s =~ /^rname = '/;
			$w .= ' AND rid <= 10 AND rid + 10 NOT IN (SELECT rid FROM region)'
			  if $s eq 'rid = rid + 10';
			$w = 'rid > 10 AND rid - 10 NOT IN (SELECT rid FROM region)'
			  if $s eq 'rid = rid - 10';
			"UPDATE region SET $s WHERE $w;" } ],
	);
}

sub stmt_ret
{
	my ($insert_only) = @_;
	my @c = (
		[ 3, sub { 'INSERT INTO ret VALUES ' . rows_sql('ret', rint(1, 10)) . ';' } ],
		[ 1, sub {
			"COPY ret FROM STDIN;\n"
			  . join('', map { row_copy('ret', gen_ret()) . "\n" } 1 .. rint(1, 8))
			  . "\\.\n" } ],
	);
	push @c, (
		# duplicates of existing rows
		[ 1, sub {
			'INSERT INTO ret SELECT * FROM ret WHERE ' . tpred_simple()
			  . ' LIMIT ' . rint(1, 5) . ';' } ],
		# a return for an existing order, copying its keys
		[ 1, sub {
			'INSERT INTO ret SELECT oid, cid, pid, (amt / 2)::int, '
			  . lit(pick(@reasons)) . ' FROM ord WHERE ' . opred_simple()
			  . ' LIMIT ' . rint(1, 4) . ';' } ],
		[ 2 * delw('ret', 60, 150), sub { 'DELETE FROM ret WHERE ' . tpred() . ';' } ],
		[ 3, sub {
			my $set = pick(
				sub { 'cid = ' . (chance(0.2) ? 'NULL' : rint(1, 55)) },
				sub { 'pid = ' . (chance(0.2) ? 'NULL' : rint(1, 17)) },
				sub { 'oid = ' . (chance(0.2) ? 'NULL' : rint(1, $next_oid)) },
				sub { 'amt = amt + ' . rint(1, 100) },
				sub { 'amt = NULL' },
				sub { 'reason = ' . (chance(0.2) ? 'NULL' : lit(pick(@reasons))) },
				sub { 'cid = cid, amt = amt' },
			);
			'UPDATE ret SET ' . $set->() . ' WHERE ' . tpred() . ';' } ],
	) unless $insert_only;
	return wpick(@c);
}

sub stmt_emp
{
	return wpick(
		[ insw('emp', 20, 30), sub {
			'INSERT INTO emp VALUES '
			  . keyed_rows('emp', rint(1, 5), sub { rint(1, 30) })
			  . pick(' ON CONFLICT (eid) DO UPDATE SET boss_id = EXCLUDED.boss_id, '
				  . 'sal = EXCLUDED.sal',
				' ON CONFLICT (eid) DO UPDATE SET ename = EXCLUDED.ename, rid = EXCLUDED.rid',
				' ON CONFLICT DO NOTHING')
			  . ';' } ],
		[ delw('emp', 20, 30), sub { 'DELETE FROM emp WHERE ' . small_del('eid', 32, epred()) . ';' } ],
		[ 4, sub {
			my $set = pick(
				sub { 'boss_id = ' . (chance(0.2) ? 'NULL' : rint(1, 32)) },
				sub { 'boss_id = eid' },
				sub { 'sal = sal + ' . rint(1, 40) },
				sub { 'sal = NULL' },
				sub { 'rid = ' . rint(1, 8) },
				sub { 'ename = ' . lit(pick(@enames)) },
				sub { 'sal = sal, boss_id = boss_id' },
				sub { 'eid = eid + 100' },
				sub { 'eid = eid - 100' },
			);
			my $s = $set->();
			my $w = epred();
			$w .= ' AND eid <= 100 AND eid + 100 NOT IN (SELECT eid FROM emp)'
			  if $s eq 'eid = eid + 100';
			$w = 'eid > 100 AND eid - 100 NOT IN (SELECT eid FROM emp)'
			  if $s eq 'eid = eid - 100';
			"UPDATE emp SET $s WHERE $w;" } ],
	);
}

sub stmt_flags
{
	return wpick(
		[ insw('flags', 10, 30), sub { 'INSERT INTO flags VALUES ' . rows_sql('flags', rint(1, 5)) . ';' } ],
		[ delw('flags', 10, 30), sub { 'DELETE FROM flags WHERE ' . fpred() . ';' } ],
		[ 3, sub {
			my $set = pick(
				# NOT IN flips between empty and not when a NULL comes and goes
				sub { 'cid = NULL' },
				sub { 'cid = ' . rint(1, 12) },
				sub { 'code = ' . (chance(0.2) ? 'NULL' : lit(pick(@codes))) },
				sub { 'cid = cid + 1' },
				sub { 'code = code' },
			);
			'UPDATE flags SET ' . $set->() . ' WHERE ' . fpred() . ';' } ],
	);
}

# Statements that change two sides of a join (or a subquery and its outer
# query) at once, in one transaction or one statement.
sub stmt_both_sides
{
	my $k  = rint(1, 55);
	my $k2 = rint(1, 55);
	my $r  = rint(1, 10);
	my $r2 = rint(1, 10);
	return pick(
		sub {
			"UPDATE ord SET cid = $k2 WHERE cid = $k;\n"
			  . "DELETE FROM cust WHERE cid = " . pick($k, $k2) . ';';
		},
		sub {
			"DELETE FROM ord WHERE cid = $k AND " . opred_simple() . ";\n"
			  . "UPDATE cust SET cid = cid + 50 WHERE cid = $k AND cid <= 50 "
			  . "AND cid + 50 NOT IN (SELECT cid FROM cust);\n"
			  . "UPDATE ord SET cid = $k + 50 WHERE cid = $k;";
		},
		sub {
			"UPDATE cust SET rid = $r2 WHERE rid = $r;\n"
			  . "DELETE FROM region WHERE rid = " . pick($r, $r2) . ";\n"
			  . "INSERT INTO region VALUES " . row_sql('region', gen_region($r))
			  . ' ON CONFLICT (rid) DO UPDATE SET rname = EXCLUDED.rname;';
		},
		sub {
			"UPDATE emp SET boss_id = $k2 WHERE boss_id = $k;\n"
			  . "DELETE FROM emp WHERE eid = $k;";
		},
		sub {
			# the last order of a customer goes, and one comes back
			"DELETE FROM ord WHERE cid = $k;\n"
			  . 'INSERT INTO ord VALUES '
			  . join(', ', map { $_->{cid} = $k; row_sql('ord', $_) } fresh_ords(1))
			  . ";\n"
			  . "DELETE FROM ret WHERE cid = $k;";
		},
		sub {
			my $p = rint(1, 17);
			"UPDATE ord SET pid = $p WHERE " . opred_simple() . ";\n"
			  . "DELETE FROM prod WHERE pid = $p;\n"
			  . "UPDATE ret SET pid = $p WHERE cid = $k;";
		},
		sub {
			# one statement, two tables
			'WITH d AS (DELETE FROM cust WHERE ' . small_del('cid', 55, cpred())
			  . ' RETURNING cid) UPDATE ord SET cid = NULL '
			  . 'WHERE cid IN (SELECT cid FROM d);';
		},
		sub {
			'WITH u AS (UPDATE ord SET amt = amt + 50 WHERE ' . opred_simple()
			  . " RETURNING oid, cid, pid, amt) INSERT INTO ret SELECT oid, cid, pid, amt::int, 'late' FROM u;";
		},
		sub {
			# a product's weight at another scale, its orders moved
			my $p = rint(1, 15);
			"UPDATE prod SET weight = weight + " . pick('0', '0.0', '0.00') . " WHERE pid = $p;\n"
			  . "UPDATE ord SET pid = $p WHERE cid = $k;";
		},
		sub {
			"UPDATE flags SET cid = $k WHERE " . fpred_simple() . ";\n"
			  . "UPDATE ord SET amt = amt - 20 WHERE cid = $k;";
		},
		sub {
			"DELETE FROM ret WHERE cid = $k;\n"
			  . "INSERT INTO ret SELECT oid, $k, pid, amt, reason FROM ret WHERE cid = $k2 LIMIT 3;\n"
			  . "UPDATE cust SET credit = " . rint(0, 40) . " WHERE cid IN ($k, $k2);";
		})->();
}

# One random statement on any table.  %$size holds the row counts of the
# tables at the start of the round, to keep them in a range.
sub gen_stmt
{
	my ($size, $insert_only) = @_;
	if ($insert_only)
	{
		return chance(0.7) ? stmt_ord(1) : stmt_ret(1);
	}
	my $grow = $size->{ord} < 150;
	return wpick(
		[ 6, sub { $grow && chance(0.5) ? stmt_ord(1) : stmt_ord(0) } ],
		[ 3, \&stmt_cust ],
		[ 1.5, \&stmt_prod ],
		[ 1, \&stmt_region ],
		[ 3, sub { $size->{ret} < 60 && chance(0.5) ? stmt_ret(1) : stmt_ret(0) } ],
		[ 2, \&stmt_emp ],
		[ 2, \&stmt_flags ],
		[ 2, \&stmt_both_sides ],
	);
}

# ---------------------------------------------------------------------------
# The views.  Plain views the queries read:
#
#   live_ord     orders not void (NULL status counts as live)
#   cust_region  customers LEFT JOIN their region (an outer join in a view)
#   big_ord      big live orders: a view over a view

my $schema = q{
CREATE TABLE region (rid int PRIMARY KEY, rname text, rzone text);
CREATE TABLE cust (cid int PRIMARY KEY, rid int, gone int, cname text,
                   tier text, credit int);
ALTER TABLE cust DROP COLUMN gone;
CREATE TABLE prod (pid int PRIMARY KEY, cat text, price numeric(8,2), pname text,
                   weight numeric);
CREATE TABLE ord (oid int PRIMARY KEY, cid int, pid int, qty int,
                  amt numeric(10,2), status text, note text, ts timestamptz);
CREATE INDEX ON ord (cid);
CREATE TABLE ret (oid int, cid int, pid int, amt int, reason text);
CREATE INDEX ON ret (cid);
CREATE TABLE emp (eid int PRIMARY KEY, boss_id int, rid int, ename text, sal int);
CREATE TABLE flags (cid int, code text);
CREATE VIEW live_ord AS
  SELECT oid, cid, pid, qty, amt, note FROM ord WHERE status IS DISTINCT FROM 'void';
CREATE VIEW cust_region AS
  SELECT c.cid, c.cname, c.tier, c.rid, r.rname
    FROM cust c LEFT JOIN region r ON r.rid = c.rid;
CREATE VIEW big_ord AS
  SELECT oid, cid, pid, amt FROM live_ord WHERE amt > 150 OR qty >= 9;
CREATE FUNCTION path_sf(text, text) RETURNS text IMMUTABLE LANGUAGE sql
  AS $$SELECT coalesce($1 || '>', '') || coalesce($2, '-')$$;
CREATE AGGREGATE path(text) (sfunc = path_sf, stype = text);
};

my @view_defs = (
	# --- subqueries in HAVING, subqueries inside subqueries -----------------
	[ 'hv_share',
	  q{SELECT cid, sum(amt) AS s FROM ord GROUP BY cid }
	  . q{HAVING sum(amt) > (SELECT sum(amt) * 0.03 FROM ord WHERE status IS DISTINCT FROM 'void')} ],
	[ 'hv_all_in',
	  q{SELECT pid, count(*) AS n FROM ord GROUP BY pid }
	  . q{HAVING count(*) >= ALL (SELECT count(*) FROM ret GROUP BY pid) OR pid IN (SELECT pid FROM prod WHERE cat = 'toys')} ],
	[ 'hv_null',
	  q{SELECT tier, count(*) AS n FROM cust GROUP BY tier HAVING count(*) > (SELECT max(credit) - 35 FROM cust WHERE rid = 3)} ],
	[ 'nest_in_in',
	  q{SELECT c.cid, c.cname FROM cust c WHERE c.cid IN (SELECT o.cid FROM ord o WHERE o.pid IN }
	  . q{(SELECT pid FROM prod WHERE cat IN ('toys', 'food')) AND o.amt > (SELECT avg(r.amt) FROM ret r WHERE r.cid = o.cid))} ],
	[ 'nest_exists_notin',
	  q{SELECT r.rid, r.rname FROM region r WHERE EXISTS (SELECT 1 FROM cust c WHERE c.tier = 'gold' }
	  . q{AND c.cid NOT IN (SELECT cid FROM flags WHERE cid IS NOT NULL))} ],
	[ 'nest_scalar',
	  q{SELECT p.pid, p.price, (SELECT count(*) FROM ord o WHERE o.pid IN (SELECT pid FROM ret WHERE reason = 'late')) AS n_late }
	  . q{FROM prod p} ],

	# --- GROUPING SETS, ROLLUP, CUBE (a UNION ALL of groupings) ------------
	[ 'gs_rollup',
	  q{SELECT c.tier, o.status, sum(o.amt) AS s, count(*) AS n, GROUPING(c.tier, o.status) AS g }
	  . q{FROM ord o JOIN cust c ON c.cid = o.cid GROUP BY ROLLUP (c.tier, o.status)} ],
	[ 'gs_cube',
	  q{SELECT pid, qty % 3 AS q3, max(amt) AS top, count(DISTINCT cid) AS custs FROM ord }
	  . q{GROUP BY CUBE (pid, qty % 3) HAVING count(*) > 1} ],
	[ 'gs_sets',
	  q{SELECT r.rname, p.cat, avg(r2.amt) AS a, GROUPING(p.cat) AS gc FROM ret r2 }
	  . q{JOIN prod p ON p.pid = r2.pid LEFT JOIN cust c ON c.cid = r2.cid LEFT JOIN region r ON r.rid = c.rid }
	  . q{GROUP BY GROUPING SETS ((r.rname, p.cat), (p.cat), (r.rname), ())} ],

	# --- DISTINCT ON (a GROUP BY of each group's first row) ------------------
	[ 'don_latest',
	  q{SELECT DISTINCT ON (cid) cid, oid, amt, status FROM ord ORDER BY cid, ts DESC NULLS LAST, oid} ],
	[ 'don_join',
	  q{SELECT DISTINCT ON (c.tier, p.cat) c.tier, p.cat, o.amt, o.oid FROM ord o JOIN cust c ON c.cid = o.cid }
	  . q{JOIN prod p ON p.pid = o.pid ORDER BY c.tier, p.cat, o.amt DESC, o.oid} ],
	[ 'don_agg',
	  q{SELECT DISTINCT ON (pid) pid, cid, count(*) AS n FROM ord GROUP BY pid, cid ORDER BY pid, count(*) DESC, cid} ],

	# --- aggregates over whole window partitions (correlated subqueries) ----
	[ 'win_share',
	  q{SELECT oid, cid, amt, sum(amt) OVER (PARTITION BY cid) AS cust_total, count(*) OVER () AS n_all FROM ord} ],
	[ 'win_join',
	  q{SELECT o.oid, p.cat, max(o.qty) OVER (PARTITION BY p.cat) AS top_qty, }
	  . q{avg(o.amt) FILTER (WHERE o.status = 'ok') OVER (PARTITION BY p.cat) AS avg_ok }
	  . q{FROM ord o JOIN prod p ON p.pid = o.pid WHERE o.qty > 0} ],
	[ 'win_grouped',
	  q{SELECT o.status, count(*) AS n, sum(o.amt) / sum(sum(o.amt)) OVER () AS share, }
	  . q{max(count(*)) OVER (PARTITION BY min(o.qty) > 4) AS top_n FROM ord o GROUP BY o.status} ],

	# --- ordered windows (correlated by the order: rows before) -------------
	[ 'win_rank',
	  q{SELECT oid, cid, rank() OVER (PARTITION BY cid ORDER BY amt DESC NULLS LAST) AS r, }
	  . q{sum(qty) OVER (PARTITION BY cid ORDER BY oid) AS running, percent_rank() OVER (ORDER BY qty) AS pr FROM ord} ],
	[ 'win_top',
	  q{SELECT s.oid, s.pid, s.rn FROM (SELECT oid, pid, row_number() OVER (PARTITION BY pid ORDER BY amt DESC NULLS LAST, oid) AS rn }
	  . q{FROM ord) s WHERE s.rn <= 2} ],
	[ 'win_lag',
	  q{SELECT oid, amt - lag(amt) OVER w AS delta, lead(status) OVER w AS next_status, first_value(qty) OVER w AS first_qty }
	  . q{FROM ord WINDOW w AS (PARTITION BY cid ORDER BY ts NULLS FIRST, oid)} ],
	[ 'win_dense',
	  q{SELECT c.tier, o.oid, dense_rank() OVER (PARTITION BY c.tier ORDER BY o.qty) AS dr }
	  . q{FROM ord o JOIN cust c ON c.cid = o.cid} ],

	# --- ordered-set aggregates (changed groups recomputed) ------------------
	[ 'os_pct',
	  q{SELECT c.tier, percentile_cont(0.5) WITHIN GROUP (ORDER BY o.amt) AS med, }
	  . q{mode() WITHIN GROUP (ORDER BY o.status) AS common, percentile_disc(0.9) WITHIN GROUP (ORDER BY o.qty DESC) AS p90 }
	  . q{FROM ord o LEFT JOIN cust c ON c.cid = o.cid GROUP BY c.tier} ],

	# --- top-N: ORDER BY ... LIMIT applied at read (total orders, or WITH TIES) --
	[ 'topn_orders',
	  q{SELECT oid, cid, amt FROM ord ORDER BY amt DESC NULLS LAST, oid LIMIT 10} ],
	[ 'topn_cust',
	  q{SELECT c.cname, sum(o.amt) AS s, count(*) AS n FROM ord o JOIN cust c ON c.cid = o.cid }
	  . q{GROUP BY c.cid, c.cname HAVING count(*) > 1 ORDER BY sum(o.amt) DESC NULLS LAST, c.cid LIMIT 5} ],
	[ 'topn_page',
	  q{SELECT oid, reason FROM ret ORDER BY amt NULLS FIRST, oid, reason, cid, pid OFFSET 3 LIMIT 6} ],
	[ 'topn_ties',
	  q{SELECT pid, cat FROM prod ORDER BY price DESC NULLS LAST FETCH FIRST 3 ROWS WITH TIES} ],
	[ 'topn_don',
	  q{SELECT DISTINCT ON (cid) cid, oid, amt FROM ord ORDER BY cid NULLS FIRST, amt DESC NULLS LAST, oid LIMIT 4} ],
	[ 'topn_rollup',
	  q{SELECT c.tier, o.status, count(*) AS n, sum(o.qty) AS q FROM ord o JOIN cust c ON c.cid = o.cid }
	  . q{GROUP BY ROLLUP (c.tier, o.status) ORDER BY n DESC, q DESC NULLS LAST, c.tier NULLS FIRST, o.status NULLS FIRST LIMIT 3} ],
	[ 'topn_union',
	  q{SELECT cid FROM ord UNION SELECT cid FROM ret ORDER BY 1 DESC NULLS FIRST LIMIT 4} ],
	[ 'topn_lonely',
	  q{SELECT c.cid, c.cname FROM cust c WHERE NOT EXISTS (SELECT 1 FROM ord o WHERE o.cid = c.cid) }
	  . q{ORDER BY c.cname NULLS FIRST, c.cid LIMIT 5} ],

	# --- other aggregates, user-defined ones: changed groups recomputed -----
	[ 'agg_other',
	  q{SELECT o.status, bit_or(o.qty) AS bo, count(DISTINCT (o.cid, o.pid)) AS pairs, }
	  . q{stddev(DISTINCT o.qty) AS sdq, path(o.note ORDER BY o.oid) AS notes, }
	  . q{array_agg(DISTINCT c.tier) AS tiers FROM ord o LEFT JOIN cust c ON c.cid = o.cid GROUP BY o.status} ],

	# --- set-returning functions in FROM: expansions of each row ------------
	[ 'lat_qty',
	  q{SELECT o.oid, g FROM ord o, generate_series(1, least(o.qty, 4)) g WHERE o.status IS DISTINCT FROM 'void'} ],
	[ 'lat_words',
	  q{SELECT w, count(*) AS n, sum(o.qty) AS q FROM ord o }
	  . q{CROSS JOIN LATERAL unnest(string_to_array(o.note || ' ' || coalesce(o.status, '-'), ' ')) AS w GROUP BY w} ],
	[ 'lat_sub',
	  q{SELECT c.cid, x.oid, x.amt FROM cust c, LATERAL (SELECT o.oid, o.amt FROM ord o WHERE o.cid = c.cid AND o.qty > c.credit / 100) x} ],
	[ 'lat_join',
	  q{SELECT c.tier, g, count(*) AS n FROM cust c JOIN ord o ON o.cid = c.cid, }
	  . q{unnest(ARRAY[o.pid, o.qty, NULL]) WITH ORDINALITY AS u(g, pos) WHERE u.pos < 3 GROUP BY c.tier, g} ],

	# --- recursive WITH queries (closures: delete-and-rederive) -------------
	# emp's boss_id makes chains, cycles (some are their own boss) and NULLs
	[ 'rec_reach',
	  q{WITH RECURSIVE r(a, b) AS (SELECT eid, boss_id FROM emp }
	  . q{UNION SELECT r.a, e.boss_id FROM r JOIN emp e ON e.eid = r.b) SELECT * FROM r} ],
	[ 'rec_chain',
	  q{WITH RECURSIVE c(eid, top, d) AS (SELECT eid, eid, 0 FROM emp WHERE boss_id IS NULL OR boss_id > 30 }
	  . q{UNION SELECT e.eid, c.top, c.d + 1 FROM c JOIN emp e ON e.boss_id = c.eid WHERE c.d < 4) }
	  . q{SELECT top, count(*) AS n, max(d) AS deepest FROM c GROUP BY top} ],
	[ 'rec_tier',
	  q{SELECT x.tier, r.b FROM cust x JOIN (WITH RECURSIVE r(a, b, z) AS (SELECT e.eid, e.rid, g.rzone FROM emp e, region g WHERE g.rid = e.rid }
	  . q{UNION SELECT e.eid, r.b, r.z FROM r, emp e, cust c WHERE e.boss_id = r.a AND c.cid = e.eid AND c.tier IS DISTINCT FROM 'gold') }
	  . q{SELECT a, b FROM r) r ON r.a = x.cid} ],
	# UNION ALL: counted, over relations without cycles (ids that grow);
	# ret has duplicate rows, so paths repeat
	[ 'rec_paths',
	  q{WITH RECURSIVE p(a, b, n) AS (SELECT cid, pid, 1 FROM ret WHERE pid > cid }
	  . q{UNION ALL SELECT p.a, r.pid, p.n + 1 FROM p JOIN ret r ON r.cid = p.b AND r.pid > r.cid WHERE p.n < 4) }
	  . q{SELECT a, b, count(*) AS ways, max(n) AS longest FROM p GROUP BY a, b} ],
	[ 'rec_bom',
	  q{WITH RECURSIVE c(eid, top, sal) AS (SELECT e.eid, e.eid, e.sal FROM emp e WHERE e.boss_id IS NULL OR e.boss_id >= e.eid }
	  . q{UNION ALL SELECT e.eid, c.top, c.sal + e.sal FROM c JOIN emp e ON e.boss_id = c.eid AND e.boss_id < e.eid) }
	  . q{SELECT * FROM c} ],
	[ 'rec_from',
	  q{WITH RECURSIVE r(n) AS (SELECT 3 UNION SELECT o.pid FROM r JOIN ord o ON o.cid = r.n WHERE o.status IS DISTINCT FROM 'void') }
	  . q{SELECT n FROM r} ],

	# --- JSON builders (stable: output functions; settings pinned) ----------
	[ 'json_cust',
	  q{SELECT o.cid, jsonb_agg(jsonb_build_object('oid', o.oid, 'amt', o.amt, 'ts', o.ts) ORDER BY o.oid) AS rows, }
	  . q{jsonb_object_agg(o.oid, o.status ORDER BY o.oid) FILTER (WHERE o.status IS NOT NULL) AS st FROM ord o GROUP BY o.cid} ],
	[ 'json_row',
	  q{SELECT p.pid, to_jsonb(p.price) AS pr, jsonb_build_array(p.cat, p.weight) AS a FROM prod p} ],

	# --- settings-dependent expressions (TimeZone, DateStyle) --------------
	# Registered under America/New_York and DateStyle SQL, DMY, applied by
	# sessions and workers under the server's defaults, checked under the
	# registration's settings: each view keeps what it was registered with.
	[ 'tz_by_day',
	  q{SELECT ts::date AS day, count(*) AS n, sum(amt) AS s FROM ord GROUP BY 1} ],
	[ 'tz_hour_tier',
	  q{SELECT c.tier, date_trunc('hour', o.ts) AS h, extract(hour FROM o.ts) AS hr, count(*) AS n }
	  . q{FROM ord o JOIN cust c ON c.cid = o.cid WHERE o.ts >= date '2024-03-10' GROUP BY 1, 2, 3} ],
	[ 'tz_text',
	  q{SELECT oid, to_char(ts, 'YYYY-MM-DD HH24:MI TZ') AS t, ts::text AS tt, ts::timestamp AS local }
	  . q{FROM ord WHERE ts::date = date '2024-03-10' OR ts IS NULL} ],
	[ 'tz_exists',
	  q{SELECT c.cid, c.cname FROM cust c WHERE EXISTS (SELECT 1 FROM ord o }
	  . q{WHERE o.cid = c.cid AND o.ts::date = date '2024-03-10')} ],
	[ 'tz_distinct_days',
	  q{SELECT DISTINCT ts::date AS day, to_char(ts, 'Dy') AS dow FROM ord} ],
	[ 'tz_minmax',
	  q{SELECT cid, min(ts) AS first, max(ts::date) AS last_day, count(DISTINCT ts::date) AS days }
	  . q{FROM ord GROUP BY cid} ],
	[ 'tz_left_days',
	  q{SELECT c.cid, o.ts::date AS day, count(o.oid) AS n FROM cust c }
	  . q{LEFT JOIN ord o ON o.cid = c.cid AND o.ts < timestamp '2024-03-10 12:00' GROUP BY 1, 2} ],

	# --- outer joins, aggregates on top ------------------------------------
	# count(o.oid) is 0 for a customer without orders, count(*) 1
	[ 'oj_left_count',
	  'SELECT c.cid, c.cname, count(o.oid) AS n, count(*) AS nrows, sum(o.amt) AS s, '
	  . 'avg(o.qty) AS aq, min(o.amt) AS mn, max(o.note) AS mx '
	  . 'FROM cust c LEFT JOIN ord o ON o.cid = c.cid GROUP BY c.cid, c.cname' ],
	[ 'oj_right_region',
	  'SELECT r.rid, r.rname, count(c.cid) AS nc, max(c.cname) AS maxc, sum(c.credit) AS cr '
	  . 'FROM cust c RIGHT JOIN region r ON r.rid = c.rid GROUP BY r.rid, r.rname' ],
	[ 'oj_full_proj',
	  'SELECT o.oid, o.cid AS ocid, c.cid AS ccid, c.tier, o.amt '
	  . 'FROM ord o FULL JOIN cust c ON c.cid = o.cid' ],
	[ 'oj_full_agg',
	  "SELECT coalesce(c.tier, o.note, '?') AS k, count(o.oid) AS n, count(c.cid) AS nc, "
	  . 'count(*) AS nrows, sum(o.qty) AS q, max(c.credit) AS mc, min(o.amt) AS mina '
	  . "FROM ord o FULL JOIN cust c ON c.cid = o.cid GROUP BY coalesce(c.tier, o.note, '?')" ],
	# a chain of LEFT JOINs, grouped by columns of the nullable sides
	[ 'oj_chain',
	  'SELECT r.rname, p.cat, count(*) AS n, count(c.cid) AS nc, count(p.pid) AS np, '
	  . 'sum(o.amt) AS s, min(p.price) AS minp, max(c.cname) AS maxc '
	  . 'FROM ord o LEFT JOIN cust c ON c.cid = o.cid LEFT JOIN region r ON r.rid = c.rid '
	  . 'LEFT JOIN prod p ON p.pid = o.pid GROUP BY r.rname, p.cat' ],
	# inner join, LEFT JOIN with a condition on the nullable side, then a
	# RIGHT JOIN whose nullable side is all of that
	[ 'oj_mixed',
	  'SELECT r.rname, c.cname, o.oid, p.cat FROM cust c JOIN ord o ON o.cid = c.cid '
	  . 'LEFT JOIN prod p ON p.pid = o.pid AND p.price > 20 '
	  . 'RIGHT JOIN region r ON r.rid = c.rid' ],
	# nested: the nullable side is itself an outer join
	[ 'oj_nested',
	  'SELECT r.rname, c.cid, o.oid FROM region r LEFT JOIN '
	  . '(cust c LEFT JOIN ord o ON o.cid = c.cid AND o.qty > 2) '
	  . 'ON c.rid = r.rid AND c.tier IS NOT NULL' ],
	# FULL JOIN chain
	[ 'oj_full_chain',
	  'SELECT c.cid, o.oid, t.reason FROM cust c FULL JOIN ord o ON o.cid = c.cid '
	  . 'FULL JOIN ret t ON t.oid = o.oid' ],
	# conditions on the preserved side inside ON
	[ 'oj_cond_preserved',
	  'SELECT c.cid, c.tier, count(o.oid) AS n, sum(o.qty) AS q FROM cust c '
	  . "LEFT JOIN ord o ON o.cid = c.cid AND c.tier = 'gold' AND o.status = 'ok' "
	  . 'GROUP BY c.cid, c.tier' ],
	# non-equality join condition
	[ 'oj_nonequi',
	  'SELECT p.pid, count(o.oid) AS n, max(o.amt) AS mx, min(o.oid) AS mino FROM prod p '
	  . 'LEFT JOIN ord o ON o.amt BETWEEN p.price AND p.price + 10 GROUP BY p.pid' ],
	# the self-referencing table, both ways
	[ 'oj_self',
	  'SELECT e.eid, e.ename, b.ename AS boss, b.sal - e.sal AS gap '
	  . 'FROM emp e LEFT JOIN emp b ON b.eid = e.boss_id' ],
	[ 'oj_self_agg',
	  'SELECT b.eid, count(k.eid) AS kids, sum(k.sal) AS ks, max(k.ename) AS mk '
	  . 'FROM emp b LEFT JOIN emp k ON k.boss_id = b.eid GROUP BY b.eid' ],
	# an outer join inside a subquery in FROM, and inside a plain view
	[ 'oj_in_subquery',
	  'SELECT s.rname, count(*) AS n, sum(s.amt) AS s FROM (SELECT r.rname, o.amt '
	  . 'FROM ord o LEFT JOIN cust c ON c.cid = o.cid LEFT JOIN region r ON r.rid = c.rid '
	  . 'WHERE o.qty > 0) s GROUP BY s.rname' ],
	[ 'oj_view',
	  'SELECT cr.rname, count(*) AS n, count(o.oid) AS no, sum(o.amt) AS s '
	  . 'FROM cust_region cr LEFT JOIN live_ord o ON o.cid = cr.cid GROUP BY cr.rname' ],
	# groups enter and leave through HAVING, on an aggregate not shown
	[ 'oj_having',
	  'SELECT c.rid, count(o.oid) AS n, sum(o.amt) AS s FROM cust c '
	  . 'LEFT JOIN ord o ON o.cid = c.cid GROUP BY c.rid '
	  . 'HAVING count(o.oid) < 8 OR max(o.qty) < 10' ],
	[ 'oj_global',
	  'SELECT count(*) AS n, count(c.cid) AS nc, sum(o.amt) AS s, max(c.cname) AS mc, '
	  . 'min(o.qty) AS mq FROM ord o LEFT JOIN cust c ON c.cid = o.cid' ],
	[ 'oj_distinct',
	  'SELECT DISTINCT c.tier, p.cat FROM cust c LEFT JOIN ord o ON o.cid = c.cid '
	  . 'LEFT JOIN prod p ON p.pid = o.pid' ],

	# OR and IS NOT DISTINCT FROM in ON; a condition on an earlier table
	[ 'oj_or_cond',
	  'SELECT c.cid, o.oid FROM cust c LEFT JOIN ord o '
	  . 'ON o.cid = c.cid OR (o.cid IS NULL AND c.tier IS NULL)' ],
	[ 'oj_notdistinct',
	  'SELECT t.reason, count(o.oid) AS n, count(*) AS nrows FROM ret t LEFT JOIN ord o '
	  . 'ON o.cid IS NOT DISTINCT FROM t.cid AND o.pid IS NOT DISTINCT FROM t.pid '
	  . 'GROUP BY t.reason' ],
	[ 'oj_chain_cond',
	  'SELECT o.oid, c.cname, r.rname FROM ord o LEFT JOIN cust c ON c.cid = o.cid '
	  . 'LEFT JOIN region r ON r.rid = c.rid AND o.qty > 3' ],
	# the anti-join idiom, and NULL-extended duplicates of key-less rows
	[ 'oj_anti',
	  'SELECT c.cid, c.tier FROM cust c LEFT JOIN ord o ON o.cid = c.cid WHERE o.oid IS NULL' ],
	[ 'oj_dups',
	  'SELECT t.cid, t.reason, o.amt FROM ret t LEFT JOIN ord o ON o.oid = t.oid' ],

	# the nullable side a subquery with constants and non-strict expressions:
	# NULL in the unmatched rows, not 1 or 0
	[ 'oj_const_nullable',
	  'SELECT c.cid, o.one, o.a FROM cust c LEFT JOIN '
	  . '(SELECT cid, coalesce(amt, 0) AS a, 1 AS one FROM ord) o ON o.cid = c.cid' ],
	# ON with no condition on the nullable side
	[ 'oj_on_true',
	  'SELECT c.cid, count(p.pid) AS n, max(p.price) AS mp FROM cust c LEFT JOIN prod p ON true GROUP BY c.cid' ],
	[ 'oj_preserved_only',
	  "SELECT c.cid, p.pid FROM cust c LEFT JOIN prod p ON c.tier = 'gold' AND p.cat IS NOT NULL" ],
	# the preserved side a UNION ALL in FROM; WHERE on both sides
	[ 'oj_ua_preserved',
	  'SELECT m.cid, c.cname FROM (SELECT cid FROM ord UNION ALL SELECT cid FROM ret) m '
	  . 'LEFT JOIN cust c ON c.cid = m.cid' ],
	[ 'oj_where_both',
	  'SELECT c.cid, o.oid FROM cust c LEFT JOIN ord o ON o.cid = c.cid '
	  . 'WHERE o.amt IS NULL OR o.amt > c.credit * 5' ],

	# --- subqueries in expressions -----------------------------------------
	[ 'sq_exists',
	  'SELECT c.cid, c.cname FROM cust c WHERE EXISTS '
	  . "(SELECT FROM ord o WHERE o.cid = c.cid AND o.status = 'ok')" ],
	[ 'sq_not_exists_agg',
	  'SELECT c.tier, count(*) AS n, sum(c.credit) AS cr FROM cust c '
	  . 'WHERE NOT EXISTS (SELECT FROM ret t WHERE t.cid = c.cid) GROUP BY c.tier' ],
	# correlated by non-equality only
	[ 'sq_exists_nonequi',
	  'SELECT p.pid, p.price FROM prod p WHERE EXISTS '
	  . '(SELECT FROM ord o WHERE o.pid <> p.pid AND o.amt < p.price AND o.qty > 8)' ],
	[ 'sq_not_exists_nonequi',
	  'SELECT o.oid, o.amt FROM ord o WHERE NOT EXISTS '
	  . '(SELECT FROM ret t WHERE t.cid = o.cid AND t.amt >= o.amt)' ],
	# every column read equated with the outer row (nullable, text): tested
	# once per outer row
	[ 'sq_not_exists_keyed2',
	  'SELECT f.cid, f.code FROM flags f WHERE NOT EXISTS '
	  . '(SELECT FROM ret t WHERE t.reason = f.code AND t.cid = f.cid)' ],
	# conditions on the outer rows that run after the join finding the rows
	# a change in the subquery affects: with a join that repeats them, an
	# outer-only condition that can be NULL, and a second subquery read in
	# its old state
	[ 'sq_join_not_exists_keyed',
	  'SELECT c.cid, o.oid, o.amt FROM cust c JOIN ord o ON o.cid = c.cid '
	  . "WHERE c.credit > 10 AND NOT EXISTS (SELECT FROM ret t WHERE t.cid = c.cid AND c.tier = 'gold')" ],
	[ 'sq_two_old_states',
	  'SELECT o.oid, o.cid FROM ord o WHERE NOT EXISTS (SELECT FROM ret t WHERE t.oid = o.oid) '
	  . 'AND EXISTS (SELECT FROM flags f WHERE f.cid = o.cid)' ],
	# IN and NOT IN with NULLs on both sides; flags is read only here
	[ 'sq_in',
	  "SELECT o.oid, o.cid FROM ord o WHERE o.cid IN (SELECT f.cid FROM flags f WHERE f.code <> 'b')" ],
	[ 'sq_not_in',
	  "SELECT c.cid, c.rid FROM cust c WHERE c.rid NOT IN (SELECT f.cid FROM flags f WHERE f.code = 'b')" ],
	[ 'sq_not_in_corr',
	  'SELECT o.oid, o.pid FROM ord o WHERE o.pid NOT IN (SELECT t.pid FROM ret t WHERE t.cid = o.cid)' ],
	[ 'sq_all',
	  'SELECT o.oid, o.amt FROM ord o WHERE o.amt > ALL (SELECT t.amt FROM ret t WHERE t.cid = o.cid)' ],
	# ANY over the outer query's own table
	[ 'sq_any',
	  'SELECT e.eid, e.sal FROM emp e WHERE e.sal < ANY '
	  . '(SELECT k.sal FROM emp k WHERE k.rid = e.rid AND k.eid <> e.eid)' ],
	[ 'sq_any_eq',
	  'SELECT c.cid, c.credit FROM cust c WHERE c.credit = ANY (SELECT t.amt % 41 FROM ret t WHERE t.pid < 9)' ],
	# scalar subqueries with aggregates, in the select list and in WHERE
	[ 'sq_scalar_select',
	  'SELECT c.cid, (SELECT sum(o.amt) FROM ord o WHERE o.cid = c.cid) AS total, '
	  . '(SELECT count(*) FROM ret t WHERE t.cid = c.cid) AS nret, '
	  . '(SELECT max(o.qty) FROM ord o WHERE o.cid = c.cid) AS mq FROM cust c' ],
	# self-correlation: the subquery reads the outer query's table
	[ 'sq_scalar_where',
	  'SELECT o.oid, o.cid, o.amt FROM ord o WHERE o.amt > '
	  . '(SELECT avg(o2.amt) FROM ord o2 WHERE o2.cid = o.cid)' ],
	[ 'sq_scalar_count_where',
	  'SELECT c.cid FROM cust c WHERE (SELECT count(*) FROM flags f WHERE f.cid = c.cid) >= 1 '
	  . 'AND c.credit < (SELECT max(t.amt) FROM ret t) - 250' ],
	[ 'sq_scalar_uncorr',
	  'SELECT p.pid, p.price - (SELECT max(p2.price) FROM prod p2) AS gap, '
	  . '(SELECT count(*) FROM flags) AS nf FROM prod p' ],
	# a value that equals the old one but shows differently (1.0, 1.00)
	[ 'sq_scale',
	  'SELECT o.oid, (SELECT p.weight FROM prod p WHERE p.pid = o.pid)::text AS w FROM ord o' ],
	[ 'sq_array',
	  'SELECT c.cid, ARRAY(SELECT o.oid FROM ord o WHERE o.cid = c.cid ORDER BY o.oid) AS oids FROM cust c' ],
	# aggregates over subquery results
	[ 'sq_agg_on_top',
	  'SELECT c.tier, count(*) AS n, sum((SELECT count(*) FROM ord o WHERE o.cid = c.cid)) AS norders, '
	  . 'max((SELECT max(t.amt) FROM ret t WHERE t.cid = c.cid)) AS mret '
	  . 'FROM cust c WHERE c.cid IN (SELECT cid FROM ord) GROUP BY c.tier' ],
	[ 'sq_emp_boss',
	  'SELECT e.eid, e.sal FROM emp e WHERE e.sal > (SELECT b.sal FROM emp b WHERE b.eid = e.boss_id)' ],
	[ 'sq_emp_leaf',
	  'SELECT e.rid, count(*) AS n, sum(e.sal) AS s FROM emp e '
	  . 'WHERE NOT EXISTS (SELECT FROM emp k WHERE k.boss_id = e.eid) GROUP BY e.rid' ],
	[ 'sq_global_not_exists',
	  'SELECT count(*) AS n, sum(o.amt) AS s, max(o.oid) AS mo FROM ord o '
	  . 'WHERE NOT EXISTS (SELECT FROM cust c WHERE c.cid = o.cid)' ],
	[ 'sq_in_join',
	  'SELECT r.rname, count(*) AS n FROM cust c JOIN region r ON r.rid = c.rid '
	  . 'WHERE c.cid IN (SELECT o.cid FROM ord o WHERE o.amt > 100) GROUP BY r.rname' ],
	# subqueries over the nullable side of an outer join
	[ 'sq_in_oj',
	  'SELECT c.cid, o.oid FROM cust c LEFT JOIN ord o ON o.cid = c.cid '
	  . 'WHERE o.pid IN (SELECT t.pid FROM ret t) OR c.credit IS NULL' ],
	[ 'sq_scalar_on_nullable',
	  'SELECT c.cid, o.oid, (SELECT count(*) FROM ret t WHERE t.oid = o.oid) AS n '
	  . 'FROM cust c LEFT JOIN ord o ON o.cid = c.cid' ],

	# correlated with two outer tables; two subqueries, one over the outer table
	[ 'sq_two_outer',
	  'SELECT c.cid, o.oid FROM cust c JOIN ord o ON o.cid = c.cid '
	  . 'WHERE EXISTS (SELECT FROM ret t WHERE t.cid = c.cid AND t.oid = o.oid)' ],
	[ 'sq_multi_self',
	  'SELECT o.oid FROM ord o WHERE EXISTS (SELECT FROM ord o2 WHERE o2.cid = o.cid AND o2.oid <> o.oid) '
	  . 'AND NOT EXISTS (SELECT FROM ret t WHERE t.oid = o.oid)' ],
	# TPC-H q21's shape: correlated by an equality and an inequality, an
	# EXISTS and a NOT EXISTS over the outer table itself, joined, grouped
	[ 'sq_q21_shape',
	  'SELECT c.tier, count(*) AS n FROM ord o JOIN cust c ON c.cid = o.cid '
	  . 'WHERE o.qty > 2 AND EXISTS (SELECT FROM ord o2 WHERE o2.cid = o.cid AND o2.pid <> o.pid) '
	  . 'AND NOT EXISTS (SELECT FROM ord o3 WHERE o3.cid = o.cid AND o3.pid <> o.pid AND o3.qty > o.qty) '
	  . 'GROUP BY c.tier' ],
	# equalities with two outer tables, an inequality, NULLs in both
	[ 'sq_mixed_corr',
	  'SELECT o.oid, t.reason FROM ord o LEFT JOIN ret t ON t.oid = o.oid '
	  . 'WHERE NOT EXISTS (SELECT FROM ret r2 WHERE r2.cid = o.cid AND r2.pid = o.pid AND r2.amt >= o.qty * 10 '
	  . 'AND r2.reason IS DISTINCT FROM t.reason)' ],
	# one subquery twice, in the select list and in WHERE
	[ 'sq_twice',
	  'SELECT c.cid, (SELECT count(*) FROM ord o WHERE o.cid = c.cid) AS n FROM cust c '
	  . 'WHERE (SELECT count(*) FROM ord o WHERE o.cid = c.cid) > 1' ],
	# row-valued NOT IN
	[ 'sq_notin_row',
	  'SELECT o.oid FROM ord o WHERE (o.cid, o.pid) NOT IN (SELECT t.cid, t.pid FROM ret t WHERE t.amt > 150)' ],
	# GROUP BY and HAVING inside EXISTS and IN
	[ 'sq_exists_having',
	  'SELECT c.cid FROM cust c WHERE EXISTS '
	  . '(SELECT 1 FROM ord o WHERE o.cid = c.cid GROUP BY o.pid HAVING count(*) > 1)' ],
	[ 'sq_in_agg',
	  'SELECT c.cid, c.cname FROM cust c WHERE c.cid IN '
	  . '(SELECT o.cid FROM ord o GROUP BY o.cid HAVING sum(o.amt) > 300)' ],
	# a scalar subquery as the GROUP BY key; subqueries in FILTER and CASE
	[ 'sq_scalar_group',
	  'SELECT (SELECT count(*) FROM ord o WHERE o.cid = c.cid) AS n, count(*) AS k, '
	  . 'sum(c.credit) AS cr FROM cust c GROUP BY 1' ],
	[ 'sq_filter_case',
	  'SELECT c.tier, count(*) FILTER (WHERE EXISTS (SELECT FROM flags f WHERE f.cid = c.cid)) AS nf, '
	  . 'sum(CASE WHEN c.cid IN (SELECT t.cid FROM ret t) THEN 1 ELSE 0 END) AS nr '
	  . 'FROM cust c GROUP BY c.tier' ],

	# a subquery in DISTINCT and in a global aggregate; an outer join in a
	# plain view read by EXISTS
	[ 'sq_distinct',
	  'SELECT DISTINCT c.tier, (SELECT count(*) FROM ret t WHERE t.cid = c.cid) > 0 AS has_ret FROM cust c' ],
	[ 'sq_global',
	  'SELECT count(*) AS n, sum((SELECT max(o.amt) FROM ord o WHERE o.cid = c.cid)) AS s '
	  . 'FROM cust c WHERE EXISTS (SELECT FROM flags f WHERE f.cid = c.cid)' ],
	# (EXISTS over an outer join that only its NULL-extended rows pass,
	# cr.rname IS NULL, would nest a NOT EXISTS: refused)
	[ 'sq_exists_view_oj',
	  'SELECT o.oid FROM ord o WHERE EXISTS '
	  . '(SELECT FROM cust_region cr WHERE cr.cid = o.cid AND cr.rname > \'m\')' ],
	[ 'sq_exists_view_oj_kept',
	  'SELECT o.oid, o.amt FROM ord o WHERE NOT EXISTS '
	  . '(SELECT FROM cust_region cr WHERE cr.cid = o.cid AND cr.tier = \'gold\')' ],

	# --- set operations ------------------------------------------------------
	[ 'so_union', 'SELECT cid FROM ord UNION SELECT cid FROM ret' ],
	[ 'so_union_all',
	  'SELECT cid, pid FROM ret UNION ALL SELECT cid, pid FROM ord WHERE qty > 5' ],
	[ 'so_intersect', 'SELECT cid, pid FROM ord INTERSECT SELECT cid, pid FROM ret' ],
	[ 'so_intersect_all',
	  'SELECT cid, pid FROM ord INTERSECT ALL SELECT cid, pid FROM ret' ],
	[ 'so_except', 'SELECT cid FROM cust EXCEPT SELECT cid FROM ord' ],
	[ 'so_except_all', 'SELECT cid, pid FROM ret EXCEPT ALL SELECT cid, pid FROM ord' ],
	[ 'so_nested',
	  '(SELECT cid FROM ord UNION ALL SELECT cid FROM ret) EXCEPT ALL '
	  . '(SELECT cid FROM cust INTERSECT ALL SELECT boss_id FROM emp)' ],
	[ 'so_nested2',
	  'SELECT tier FROM cust EXCEPT (SELECT note FROM ord INTERSECT SELECT reason FROM ret) '
	  . 'UNION SELECT rname FROM region' ],
	[ 'so_joins',
	  'SELECT c.cname, r.rname FROM cust c JOIN region r ON r.rid = c.rid '
	  . "UNION SELECT cname, rname FROM cust_region WHERE tier = 'gold'" ],
	[ 'so_views',
	  'SELECT oid, cid FROM big_ord INTERSECT SELECT o.oid, o.cid FROM ord o JOIN cust c ON c.cid = o.cid' ],
	[ 'so_distinct_arm', 'SELECT DISTINCT tier FROM cust UNION ALL SELECT note FROM live_ord' ],
	[ 'so_outer_arm',
	  'SELECT c.cid, o.pid FROM cust c LEFT JOIN ord o ON o.cid = c.cid EXCEPT ALL SELECT cid, pid FROM ret' ],
	[ 'so_sub_arm',
	  'SELECT c.cid FROM cust c WHERE EXISTS (SELECT FROM flags f WHERE f.cid = c.cid) '
	  . 'UNION SELECT t.cid FROM ret t WHERE t.amt > (SELECT avg(t2.amt) FROM ret t2)' ],

	# --- WITH, subqueries and UNION ALL in FROM, views over views -----------
	[ 'cte_twice',
	  'WITH o AS (SELECT oid, cid, amt FROM ord WHERE amt > 0) '
	  . 'SELECT a.cid, count(*) AS pairs, sum(b.amt) AS s FROM o a JOIN o b '
	  . 'ON a.cid = b.cid AND a.oid < b.oid GROUP BY a.cid' ],
	[ 'cte_sub',
	  "WITH g AS (SELECT cid FROM cust WHERE tier = 'gold') "
	  . 'SELECT o.oid FROM ord o JOIN g ON g.cid = o.cid '
	  . 'WHERE EXISTS (SELECT FROM g g2 WHERE g2.cid = o.cid + 1)' ],
	# one WITH reading another, and an outer join between them
	[ 'cte_chain',
	  'WITH a AS (SELECT cid, amt FROM live_ord), '
	  . 'b AS (SELECT a.cid, a.amt FROM a JOIN cust c USING (cid) WHERE c.tier IS NOT NULL) '
	  . 'SELECT b.cid, count(*) AS n, count(a.amt) AS na FROM b LEFT JOIN a ON a.cid = b.cid + 1 '
	  . 'GROUP BY b.cid' ],
	[ 'ua_from_agg',
	  'SELECT m.cid, sum(m.amt) AS net, count(*) AS moves, max(m.amt) AS mx, min(m.kind) AS k '
	  . "FROM (SELECT cid, amt, 'o' AS kind FROM ord WHERE status = 'ok' "
	  . "UNION ALL SELECT cid, (-amt)::numeric(10,2), 'r' FROM ret) m GROUP BY m.cid" ],
	[ 'ua_from_join',
	  'SELECT c.tier, m.kind, count(*) AS n FROM cust c JOIN '
	  . "(SELECT cid, 'o' AS kind FROM ord UNION ALL SELECT cid, 'r' FROM ret) m "
	  . 'ON m.cid = c.cid GROUP BY c.tier, m.kind' ],
	# outer joins inside the arms of a UNION ALL in FROM
	[ 'ua_oj',
	  'SELECT m.k, count(*) AS n, count(m.x) AS nx FROM '
	  . '(SELECT c.cid AS k, o.oid AS x FROM cust c LEFT JOIN ord o ON o.cid = c.cid '
	  . 'UNION ALL SELECT t.cid, o.oid FROM ret t FULL JOIN ord o ON o.oid = t.oid) m GROUP BY m.k' ],
	[ 'vv_agg',
	  'SELECT cid, count(*) AS n, sum(amt) AS s, max(pid) AS mp FROM big_ord GROUP BY cid' ],
	[ 'sub_from',
	  'SELECT s.cid, s.total FROM (SELECT o.cid, o.amt * o.qty AS total FROM live_ord o '
	  . 'JOIN cust c ON c.cid = o.cid WHERE c.tier IS NOT NULL) s WHERE s.total > 100' ],
);

# ---------------------------------------------------------------------------
# Rows that count more than once, on every side of every construct whose
# delta rule finds the outer rows a change affects.  Each source yields
# rows (k, x): a table, registered views of every kind (their storage rows
# count by the view's multiplicity, or once), a view over a registered view,
# and UNION / INTERSECT / EXCEPT, GROUP BY and DISTINCT subqueries in FROM
# (auxiliary views).  Each construct reads every source once as its outer
# side and once as its inner side (a rotation), so every pairing kind is
# covered whatever the seed.

my @counted_sources = (
	[ 'tab',   '(SELECT cid AS k, amt AS x FROM ord)' ],
	[ 'rplain', 'rv_plain' ],
	[ 'rdist',  'rv_distinct' ],
	[ 'rgroup', 'rv_group' ],
	[ 'runion', 'rv_union' ],
	[ 'rua',    'rv_unionall' ],
	[ 'rexc',   'rv_except_all' ],
	[ 'rover',  'rv_over' ],
	[ 'union',
	  '(SELECT cid AS k, pid AS x FROM ord UNION SELECT cid, pid FROM ret)' ],
	[ 'inter',
	  '(SELECT cid AS k, pid AS x FROM ord INTERSECT SELECT cid, pid FROM ret)' ],
	[ 'except',
	  '(SELECT cid AS k, pid AS x FROM ret EXCEPT SELECT cid, pid FROM ord WHERE qty > 5)' ],
	[ 'group', '(SELECT pid AS k, max(amt) AS x FROM ord GROUP BY pid)' ],
	[ 'dist',  '(SELECT DISTINCT rid AS k, credit AS x FROM cust)' ],);

# The registered sources, registered (and refreshed) before the views.
my @counted_registered = (
	[ 'rv_plain',
	  "SELECT cid AS k, amt AS x FROM ord WHERE status IS DISTINCT FROM 'void'" ],
	[ 'rv_distinct', 'SELECT DISTINCT cid AS k, pid AS x FROM ret' ],
	[ 'rv_group',
	  'SELECT cid AS k, sum(amt) AS x, count(*) AS n FROM ord GROUP BY cid' ],
	[ 'rv_union', 'SELECT cid AS k, pid AS x FROM ord UNION SELECT cid, pid FROM ret' ],
	[ 'rv_unionall',
	  'SELECT cid AS k, amt AS x FROM ret UNION ALL SELECT cid, qty FROM ord' ],
	[ 'rv_except_all',
	  'SELECT cid AS k, pid AS x FROM ret EXCEPT ALL SELECT cid, pid FROM ord' ],
	[ 'rv_over', 'SELECT k, x FROM rv_plain WHERE x > 50 OR k IS NULL' ],);

# A for the outer rows, B for the inner ones.
my @counted_constructs = (
	[ 'left',  'SELECT a.k, a.x, b.x AS bx FROM A a LEFT JOIN B b ON b.k = a.k' ],
	[ 'right', 'SELECT a.k, b.k AS bk, b.x AS bx FROM A a RIGHT JOIN B b ON b.k = a.k' ],
	[ 'full',
	  'SELECT a.k, a.x, b.k AS bk, b.x AS bx FROM A a FULL JOIN B b '
	  . 'ON b.k = a.k AND b.x < a.x + 100' ],
	[ 'exists',
	  'SELECT a.k, a.x FROM A a WHERE EXISTS (SELECT FROM B b WHERE b.k = a.k)' ],
	[ 'notexists',
	  'SELECT a.k FROM A a WHERE NOT EXISTS (SELECT FROM B b WHERE b.k = a.k AND b.x > 10)' ],
	[ 'in', 'SELECT a.k, a.x FROM A a WHERE a.k IN (SELECT b.k FROM B b WHERE b.x IS NOT NULL)' ],
	[ 'notin', 'SELECT a.k FROM A a WHERE a.k NOT IN (SELECT b.k FROM B b WHERE b.x > 20)' ],
	[ 'scalar',
	  'SELECT a.k, (SELECT count(*) FROM B b WHERE b.k = a.k) AS n, '
	  . '(SELECT sum(b.x) FROM B b WHERE b.k = a.k) AS s FROM A a' ],
	[ 'having',
	  'SELECT a.k, count(*) AS n, count(b.x) AS nb, sum(b.x) AS s FROM A a '
	  . 'LEFT JOIN B b ON b.k = a.k GROUP BY a.k HAVING count(*) > 1 OR sum(b.x) > 100' ],
	[ 'three',
	  'SELECT b.k, count(*) AS n, max(a.x) AS m FROM A a JOIN B b ON b.k = a.k '
	  . 'WHERE EXISTS (SELECT FROM flags f WHERE f.cid = a.k) GROUP BY b.k' ],
	[ 'uncorr',
	  'SELECT a.k, a.x FROM A a WHERE EXISTS (SELECT FROM B b WHERE b.x > 250)' ],);

push @view_defs, @counted_registered;
{
	my $n = scalar @counted_sources;
	foreach my $ci (0 .. $#counted_constructs)
	{
		my ($cname, $tmpl) = @{ $counted_constructs[$ci] };
		foreach my $i (0 .. $n - 1)
		{
			my $outer = $counted_sources[$i];
			my $inner = $counted_sources[ ($i + $ci + 1) % $n ];
			my $q = $tmpl;
			$q =~ s/\bA a\b/$outer->[1] a/g;
			$q =~ s/\bB b\b/$inner->[1] b/g;
			push @view_defs, [ "cr_${cname}_$outer->[0]_$inner->[0]", $q ];
		}
	}
}

my @views;    # { ident, reg, query, ok }
foreach my $d (@view_defs)
{
	my ($ident, $query) = @$d;
	push @views,
	  {
		ident => $ident,
		reg   => lit($ident) . '::regclass',
		query => $query,
	  };
}

# ---------------------------------------------------------------------------
# A psql session kept open: a transaction left open across refreshes, and
# the checks (so that kept plans are reused across rounds too).

package Session
{
	sub new
	{
		my ($class, $node, $db) = @_;
		my $self = bless { in => '', out => '', err => '', n => 0 }, $class;
		$self->{timer} =
		  IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default);
		$self->{h} = IPC::Run::start(
			[ 'psql', '-XAtq', '-v', 'ON_ERROR_STOP=0', '-d',
				$node->connstr($db), '-f', '-' ],
			'<', \$self->{in}, '>', \$self->{out}, '2>', \$self->{err},
			$self->{timer});
		$self->query('SET client_min_messages = warning');
		return $self;
	}

	# Returns (stdout, stderr) of $sql.
	sub query
	{
		my ($self, $sql) = @_;
		my $mark = 'incrload_session_done_' . ++$self->{n};
		$self->{timer}->start($PostgreSQL::Test::Utils::timeout_default);
		$self->{in} .= "$sql\n;\n\\echo $mark\n\\warn $mark\n";
		$self->{h}->pump
		  until ($self->{out} =~ /^$mark\n/m && $self->{err} =~ /^$mark\n/m)
		  || $self->{timer}->is_expired;
		die "query timed out in second session: $sql"
		  if $self->{timer}->is_expired;
		my ($out, $err) = ($self->{out}, $self->{err});
		$out =~ s/^$mark\n//m;
		$err =~ s/^$mark\n//m;
		$self->{out} = $self->{err} = '';
		chomp $out;
		return ($out, $err);
	}

	sub quit
	{
		my ($self) = @_;
		$self->{in} .= "\\q\n";
		$self->{h}->finish;
	}
}

package main;

# ---------------------------------------------------------------------------

my $db;
my $seed;
my $round;
my @workload_errors;
my $checker;    # Session that runs the checks

# The settings views are registered and checked with; every other session
# (writes, applies) has the server's.
my $view_settings =
  "SET TimeZone = 'America/New_York'; SET DateStyle = 'SQL, DMY';";

# Runs $sql in its own psql; returns (exit code, stdout, stderr).
sub run_sql
{
	my ($sql) = @_;
	logmsg("-- [seed $seed round $round]\n$sql");
	my ($ret, $out, $err) = $node->psql($db, "$sql\n", on_error_stop => 1);
	logmsg("-- error: $err") if $ret != 0;
	return ($ret, $out, $err);
}

# Runs workload SQL; an error is recorded (and fails the round).
sub run_workload
{
	my ($sql) = @_;
	my ($ret, $out, $err) = run_sql($sql);
	push @workload_errors, "$err\n  in: " . substr($sql, 0, 500) if $ret != 0;
}

sub diff_query
{
	my ($v) = @_;
	return
	    "SELECT count(*) FROM ((SELECT * FROM $v->{ident} EXCEPT ALL "
	  . "($v->{query})) UNION ALL (($v->{query}) EXCEPT ALL "
	  . "SELECT * FROM $v->{ident})) d";
}

# Up to 40 rows that differ: "missing|(row)" (in the query only) and
# "extra|(row)" (in the view only).
sub diff_rows_query
{
	my ($v) = @_;
	return
	    "SELECT 'missing' AS side, m::text AS r FROM (($v->{query}) "
	  . "EXCEPT ALL SELECT * FROM $v->{ident}) m "
	  . "UNION ALL SELECT 'extra', e::text FROM (SELECT * FROM "
	  . "$v->{ident} EXCEPT ALL ($v->{query})) e LIMIT 40";
}

sub dump_diff
{
	my ($v, $rows) = @_;
	if (!defined $rows)
	{
		my ($ret, $out, $err) = $node->psql($db, "$view_settings\n" . diff_rows_query($v));
		$rows = $ret == 0 ? $out : $err;
	}
	diag("rows of $v->{ident} that differ from its query "
		  . "(missing = in the query only, extra = in the view only):\n"
		  . $rows);
	logmsg("-- differing rows of $v->{ident}:\n$rows");
}

# A failed view is fully refreshed so that later rounds test the
# incremental path again from a correct state.
sub resync
{
	my ($v) = @_;
	my ($ret, $out, $err) =
	  run_sql("SELECT incrload_full_refresh($v->{reg})");
	diag("incrload_full_refresh($v->{ident}) failed too: $err") if $ret;
}

# Refresh every view, then compare it with its query, in the checking
# session.  One assertion per view.  The second refresh must find nothing
# left to apply; a warning counts as a failure.
sub check_views
{
	my ($label) = @_;
	foreach my $v (@views)
	{
		next unless $v->{ok};
		my $sql =
		    "SELECT incrload_refresh($v->{reg});\n"
		  . "SELECT incrload_refresh($v->{reg});\n"
		  . diff_query($v) . ';';
		logmsg("-- [seed $seed round $round] check:\n$sql");
		my ($out, $err) = $checker->query($sql);
		my $got;
		if ($err ne '')
		{
			logmsg("-- error: $err");
			$got = "error: $err";
		}
		else
		{
			my @l = split /\n/, $out;
			$got = "differing rows: $l[-1], second refresh applied: $l[1]";
		}
		my $pass = is($got, 'differing rows: 0, second refresh applied: 0',
			"seed $seed round $round"
			  . ($label eq '' ? '' : " $label")
			  . ": $v->{ident} equals its query");
		if (!$pass)
		{
			dump_diff($v);
			resync($v);
		}
	}
}

# One random transaction (or a few autocommit statements).
sub gen_transaction
{
	my ($size, $insert_only) = @_;
	my @body = map { gen_stmt($size, $insert_only) } 1 .. rint(1, 5);
	if (chance(0.15))
	{
		return join("\n", @body);    # autocommit
	}
	my $begin =
	  chance(0.2) ? 'BEGIN ISOLATION LEVEL REPEATABLE READ;' : 'BEGIN;';
	my @sql = ($begin, @body);
	if (chance(0.3))
	{
		push @sql, 'SAVEPOINT sp;', map { gen_stmt($size, $insert_only) }
		  1 .. rint(1, 3);
		push @sql,
		  chance(0.6) ? 'ROLLBACK TO SAVEPOINT sp;' : 'RELEASE SAVEPOINT sp;';
		push @sql, gen_stmt($size, $insert_only) if chance(0.5);
	}
	push @sql, chance(0.2) ? 'ROLLBACK;' : 'COMMIT;';
	return join("\n", @sql);
}

sub table_sizes
{
	my ($ret, $out) = run_sql(
		'SELECT ' . join(', ', map { "(SELECT count(*) FROM $_)" } @tables));
	my @n = $ret == 0 ? split(/\|/, $out) : map { 0 } @tables;
	$sizes = { map { $tables[$_] => $n[$_] } 0 .. $#tables };
	return $sizes;
}

# TRUNCATE of one table, most often flags (read only inside subqueries),
# alone or in a transaction that fills the table again.
sub gen_truncate
{
	my $t = pick('flags', 'flags', 'region', 'cust', 'prod', 'emp', 'ret', 'ord');
	return "TRUNCATE $t;" if chance(0.25);
	my $refill;
	if ($t eq 'ord')
	{
		$refill = 'INSERT INTO ord VALUES '
		  . join(', ', map { row_sql('ord', $_) } fresh_ords(rint(50, 150))) . ';';
	}
	elsif ($t eq 'ret' || $t eq 'flags')
	{
		$refill = "INSERT INTO $t VALUES " . rows_sql($t, rint(10, 60)) . ';';
	}
	else
	{
		my $n = { region => 8, cust => 50, prod => 15, emp => 30 }->{$t};
		$refill = "INSERT INTO $t VALUES "
		  . keyed_rows($t, $n, sub { rint(1, $n) }) . ';';
	}
	return "BEGIN;\nTRUNCATE $t;\n$refill\n"
	  . (chance(0.2) ? stmt_ord(0) . "\n" : '')
	  . (chance(0.25) ? 'ROLLBACK;' : 'COMMIT;');
}

# A transaction left open in a second session across a refresh: its writes
# (on several tables) must not be applied while it runs, and must be applied
# once it commits, although transactions that started later committed (and
# were applied) before it.
sub scenario_open_transaction
{
	my $s = Session->new($node, $db);
	my $commit = chance(0.7);
	my @errs;
	my @bg_ords = map { gen_ord($next_bg_oid++) } 1 .. rint(1, 8);
	my @bg = (
		chance(0.3) ? 'BEGIN ISOLATION LEVEL REPEATABLE READ;' : 'BEGIN;',
		'INSERT INTO ord VALUES '
		  . join(', ', map { row_sql('ord', $_) } @bg_ords) . ';',
		'UPDATE ord SET cid = ' . rint(1, 55) . ' WHERE (' . opred()
		  . ') AND oid % 3 = ' . rint(0, 2) . ';',
		'DELETE FROM ord WHERE ' . opred() . ';',
		'UPDATE cust SET rid = ' . rint(1, 10) . ' WHERE ' . cpred() . ';',
		'DELETE FROM cust WHERE ' . small_del('cid', 55, cpred()) . ';',
		'UPDATE emp SET boss_id = ' . rint(1, 32) . ' WHERE ' . epred() . ';',
		'INSERT INTO ret VALUES ' . rows_sql('ret', rint(1, 5)) . ';',
		'UPDATE flags SET cid = ' . rint(1, 12) . ' WHERE ' . fpred_simple() . ';',
		'UPDATE prod SET price = price + 5 WHERE ' . ppred() . ';',
		'UPDATE region SET rname = ' . lit(pick(@rnames)) . ' WHERE ' . rpred() . ';');
	foreach my $q (@bg)
	{
		logmsg("-- [seed $seed round $round] second session:\n$q");
		my ($out, $err) = $s->query($q);
		push @errs, "$err\n  in: $q" if $err ne '';
	}

	# Later transactions commit while the first is still open; they only
	# insert fresh rows, so nothing waits for the second session's locks.
	run_workload(gen_transaction(undef, 1)) for 1 .. rint(1, 3);
	check_views('(transaction open in another session)');

	my $q = 'INSERT INTO ord VALUES '
	  . row_sql('ord', gen_ord($next_bg_oid++)) . ";\n"
	  . 'DELETE FROM ret WHERE ' . tpred_simple() . ";\n"
	  . 'INSERT INTO flags VALUES ' . rows_sql('flags', 2) . ';';
	logmsg("-- [seed $seed round $round] second session:\n$q");
	my ($out, $err) = $s->query($q);
	push @errs, "$err\n  in: $q" if $err ne '';

	$q = $commit ? 'COMMIT;' : 'ROLLBACK;';
	logmsg("-- [seed $seed round $round] second session:\n$q");
	($out, $err) = $s->query($q);
	push @errs, "$err\n  in: $q" if $err ne '';
	$s->quit;
	is(join("\n", @errs), '',
		"seed $seed round $round: second session ran without errors");
	check_views('(after the open transaction '
		  . ($commit ? 'committed' : 'rolled back') . ')');
}

# A refresh inside a transaction that wrote first: the views must show the
# transaction's own writes, inside it; after COMMIT nothing is applied
# twice, after ROLLBACK nothing of it stays.
sub scenario_refresh_in_writing_transaction
{
	my ($size) = @_;
	my $commit = chance(0.6);
	my $rr     = chance(0.3);
	my @active = grep { $_->{ok} } @views;
	my @sql    = ($rr ? 'BEGIN ISOLATION LEVEL REPEATABLE READ;' : 'BEGIN;');
	push @sql, gen_stmt($size, 0) for 1 .. rint(2, 5);
	push @sql, "SELECT incrload_refresh($_->{reg});" foreach @active;
	# applied with the server's settings, compared with the views' own
	(my $local = $view_settings) =~ s/\bSET /SET LOCAL /g;
	push @sql, $local;
	foreach my $i (0 .. $#active)
	{
		push @sql, "SELECT 'diff', $i, (" . diff_query($active[$i]) . ');';
		push @sql, "SELECT 'diffrow', $i, side || '|' || r FROM ("
		  . diff_rows_query($active[$i]) . ') x;';
	}
	# more writes after the refresh, in the same transaction
	push @sql, gen_stmt($size, 0) for 1 .. rint(0, 2);
	push @sql, $commit ? 'COMMIT;' : 'ROLLBACK;';
	my ($ret, $out, $err) = run_sql(join("\n", @sql));
	my (%diff, %rows);
	foreach my $line (split /\n/, $out)
	{
		$diff{$1} = $2 if $line =~ /^diff\|(\d+)\|(\d+)$/;
		$rows{$1} .= "$2\n" if $line =~ /^diffrow\|(\d+)\|(.*)$/;
	}
	foreach my $i (0 .. $#active)
	{
		my $v = $active[$i];
		my $got =
		  defined $diff{$i} ? "differing rows: $diff{$i}" : "error: $err";
		my $pass = is($got, 'differing rows: 0',
			    "seed $seed round $round (refresh inside a "
			  . ($rr ? 'repeatable read ' : '')
			  . "transaction that wrote first): $v->{ident} equals its query");
		dump_diff($v, $rows{$i} // '') if !$pass && defined $diff{$i};
	}
	check_views('(after the writing transaction '
		  . ($commit ? 'committed' : 'rolled back') . ')');
}

# Row counts of the tables and views, for the log: a view that stays empty
# tests little.
sub log_sizes
{
	my @q = map { "SELECT '$_', count(*) FROM $_" }
	  (@tables, map { $_->{ident} } grep { $_->{ok} } @views);
	my ($ret, $out) = run_sql(join("\nUNION ALL ", @q) . ';');
	$out =~ s/\n/, /g;
	logmsg("-- [seed $seed round $round] sizes: $out");
}

sub verify_views
{
	foreach my $v (grep { $_->{ok} } @views)
	{
		my ($ret, $out, $err) = run_sql(
			"SELECT missing || '/' || extra FROM incrload_verify($v->{reg})");
		my $pass = is($ret == 0 ? $out : "error: $err",
			'0/0', "seed $seed round $round: incrload_verify($v->{ident})");
		if (!$pass && $ret == 0)
		{
			dump_diff($v);
			resync($v);
		}
	}
}

sub register_view
{
	my ($v) = @_;
	my ($ret, $out, $err) = run_sql(
		"$view_settings\nSELECT incrload_register_view(" . lit($v->{ident})
		  . ", \$q\$$v->{query}\$q\$)");
	$v->{ok} = ok($ret == 0, "seed $seed: register $v->{ident}");
	diag("incrload_register_view($v->{ident}) failed: $err") if $ret;
	return unless $v->{ok};

	# The view has exactly the query's column names and types.
	my $shape = "SELECT string_agg(quote_ident(attname) || ' ' || "
	  . "format_type(atttypid, atttypmod), ', ' ORDER BY attnum) "
	  . "FROM pg_attribute WHERE attrelid = %s AND attnum > 0 "
	  . "AND NOT attisdropped;";
	($ret, $out, $err) = run_sql(
		"CREATE TEMP VIEW incrload_query_shape AS $v->{query};\n"
		  . sprintf($shape, "'incrload_query_shape'::regclass") . "\n"
		  . sprintf($shape, $v->{reg}));
	my @l = split /\n/, $out;
	is($ret == 0 ? $l[1] : "error: $err",
		$l[0], "seed $seed: $v->{ident} has the query's columns");
}

# ---------------------------------------------------------------------------

foreach my $s (@seeds)
{
	$seed  = $s;
	$round = 0;
	srand($seed);
	$db          = "randsql_$seed";
	$next_oid    = 1;
	$next_bg_oid = 1000000;
	$next_cid    = 1000;
	note("seed $seed, $rounds rounds "
		  . "(rerun: INCRLOAD_SEED=$seed INCRLOAD_ROUNDS=$rounds)");

	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, "CREATE EXTENSION incrload;\n$schema");
	run_workload('INSERT INTO region VALUES '
		  . keyed_rows('region', 30, sub { rint(1, 8) }) . ';');
	run_workload('INSERT INTO cust VALUES '
		  . keyed_rows('cust', 100, sub { rint(1, 50) }) . ';');
	run_workload('INSERT INTO prod VALUES '
		  . keyed_rows('prod', 40, sub { rint(1, 15) }) . ';');
	run_workload('INSERT INTO ord VALUES '
		  . join(', ', map { row_sql('ord', $_) } fresh_ords(220)) . ';');
	run_workload('INSERT INTO ret VALUES ' . rows_sql('ret', 80) . ';');
	run_workload('INSERT INTO ret SELECT * FROM ret WHERE oid % 5 = 0;');
	run_workload('INSERT INTO emp VALUES '
		  . keyed_rows('emp', 60, sub { rint(1, 30) }) . ';');
	run_workload('INSERT INTO flags VALUES ' . rows_sql('flags', 15) . ';');
	is(join("\n", @workload_errors), '', "seed $seed: initial rows loaded");
	@workload_errors = ();

	register_view($_) foreach @views;
	$checker = Session->new($node, $db);
	$checker->query($view_settings);
	log_sizes();
	check_views('(after registration)');

	foreach my $r (1 .. $rounds)
	{
		$round = $r;
		$old_oid = $next_oid - 1;
		@workload_errors = ();
		my $size = table_sizes();
		logmsg("-- [seed $seed round $round] ord has $size->{ord} rows, "
			  . "ret $size->{ret}");
		my @txns = map { gen_transaction($size, 0) } 1 .. rint(3, 7);

		# TRUNCATE of one table about one round in six; the round's last
		# transaction half of the time, so that views over an empty table
		# are checked.
		if (chance(0.15) || $round % 6 == 3)
		{
			my $t = gen_truncate();
			if (chance(0.5)) { push @txns, $t; }
			else { splice @txns, rint(0, $#txns), 0, $t; }
		}

		foreach my $t (@txns)
		{
			run_workload($t);

			# Refresh a view now and then between transactions, so views
			# over the same tables consume different batches.
			if (chance(0.25))
			{
				my $v = pick(grep { $_->{ok} } @views);
				run_workload("SELECT incrload_refresh($v->{reg});") if $v;
			}
		}
		if (chance(0.15))
		{
			my $v = pick(grep { $_->{ok} } @views);
			run_workload("SELECT incrload_full_refresh($v->{reg});") if $v;
		}
		is(join("\n", @workload_errors),
			'', "seed $seed round $round: workload ran without errors");

		scenario_open_transaction()
		  if $round % 4 == 1 || chance(0.15);
		scenario_refresh_in_writing_transaction(table_sizes())
		  if $round % 4 == 2 || chance(0.15);

		# Unregister a view and register it again halfway: capture and
		# delta tables that other views share must survive.
		if ($round == int(($rounds + 1) / 2))
		{
			my ($v) = grep { $_->{ident} eq 'oj_left_count' && $_->{ok} } @views;
			if ($v)
			{
				my ($ret, $out, $err) =
				  run_sql("SELECT incrload_unregister_view($v->{reg})");
				ok($ret == 0, "seed $seed round $round: unregister $v->{ident}")
				  or diag($err);
				register_view($v);
			}
		}

		check_views('');
		log_sizes() if $round % 5 == 0 || $round == $rounds;
		verify_views() if $round % 5 == 0 || $round == $rounds;
	}
	$checker->quit;
}

$node->stop;
done_testing();
