# Randomized test of incremental maintenance of inner joins.
#
# Six related tables: a fact table with nullable (and sometimes dangling)
# foreign keys to two dimensions, one of them with a composite key, a
# region table the customers point to, a table without any key (duplicate
# rows), and a self-referencing tree for self-joins.  Views cover 2- to
# 8-way joins (ON, USING, NATURAL, comma joins, a cross join), equality and
# non-equality conditions, expressions on join columns, self-joins with two
# and three occurrences of one table, GROUP BY with every aggregate, global
# aggregates, DISTINCT, HAVING and projections with duplicate rows.
#
# Each round runs random transactions that change all tables at once (join
# key updates on both sides, rows moving between groups, NULLed foreign
# keys, no-op updates, COPY, upserts, writable CTEs touching two tables,
# TRUNCATE of a dimension now and then, rollbacks, savepoints, REPEATABLE
# READ writers), refreshes every view and compares it with its query as a
# multiset.  Some rounds leave a transaction open in a second session
# across a refresh, or refresh inside a transaction that wrote first.
#
# The run is fixed by its seed.  Defaults: seed 42, 20 rounds.  Another run:
#
#   INCRLOAD_SEED=7 INCRLOAD_ROUNDS=50 INCRLOAD_TEST_ONLY=tap \
#       PROVE_TESTS=test/t/002_randomized_joins.pl bash scripts/test.sh
#   INCRLOAD_SEEDS=1,2,3,4,5 ... (several seeds, one database each)
#
# Every statement a round runs is written to
# tmp_check/log/regress_log_002_randomized_joins, with the seed and round.
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

my $node = PostgreSQL::Test::Cluster->new('randjoin');
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

# Small domains: duplicates, NULLs, group collisions and matches across
# tables are frequent.  Tiers and notes overlap up to case (lower(note) =
# tier); names and labels have duplicates up to case.
my @rnames = ('north', 'south', 'east', 'west', 'North', "O'Neill");
my @names  = ('ann', 'Bob', 'bob', 'cy', '', "O'Hara", 'zed', 'ann');
my @tiers  = ('gold', 'silver', 'bronze', 'Gold');
my @notes  = ('Gold', 'silver', 'BRONZE', 'x', 'gold', 'x y');
my @cats   = ('tools', 'toys', 'food', 'Food');
my @pcodes = ('A', 'B', 'C', 'a');
my @tagset = ('t1', 't2', 'T1', 'hot', 'cold', '');
my @labels = ('root', 'a', 'b', 'c', 'A', 'leaf');


sub rdate
{
	my $d = rint(0, 59);
	my ($m, $day) = $d < 31 ? (1, $d + 1) : (2, $d - 30);
	return sprintf('2024-%02d-%02d', $m, $day);
}

# Columns of each table: name and whether it is quoted in SQL.
my %cols = (
	region => [ [ 'rid', 0 ], [ 'rname', 1 ], [ 'rzone', 1 ] ],
	dim_c  => [
		[ 'cid', 0 ], [ 'rid', 0 ], [ 'cname', 1 ], [ 'tier', 1 ],
		[ 'active', 0 ], [ 'since', 1 ]
	],
	dim_p => [
		[ 'pcode', 1 ], [ 'pver', 0 ], [ 'pname', 1 ], [ 'price', 0 ],
		[ 'cat', 1 ]
	],
	fact => [
		[ 'fid',  0 ], [ 'cid',  0 ], [ 'pcode', 1 ], [ 'pver', 0 ],
		[ 'ref_nid', 0 ], [ 'qty', 0 ], [ 'amt', 0 ], [ 'note', 1 ],
		[ 'odate', 1 ], [ 'flag', 0 ]
	],
	tags => [ [ 'cid', 0 ], [ 'tag', 1 ], [ 'w', 0 ] ],
	node => [
		[ 'nid', 0 ], [ 'parent_id', 0 ], [ 'rid', 0 ], [ 'label', 1 ],
		[ 'val', 0 ]
	],);

sub gen_region
{
	return {
		rid   => $_[0] // rint(1, 8),
		rname => nul(0.1, pick(@rnames)),
		rzone => nul(0.5, pick('z1', 'z2'))
	};
}

sub gen_dim_c
{
	return {
		cid    => $_[0] // rint(1, 60),
		rid    => nul(0.1, rint(1, 9)),
		cname  => nul(0.1, pick(@names)),
		tier   => nul(0.2, pick(@tiers)),
		active => nul(0.2, pick('true', 'false')),
		since  => nul(0.3, rdate())
	};
}

sub gen_dim_p
{
	return {
		pcode => $_[0] // pick(@pcodes),
		pver  => $_[1] // rint(1, 6),
		pname => nul(0.2, 'p' . rint(1, 9)),
		price => nul(0.15, sprintf('%.2f', rint(0, 10000) / 100)),
		cat   => nul(0.2, pick(@cats))
	};
}

# fact rows: $fid given.  Foreign keys are NULL 15% of the time and point
# to no row now and then (cid 61..70, pver 7).
sub gen_fact
{
	my ($fid) = @_;
	my %r = (fid => $fid);
	$r{cid} = nul(0.15, rint(1, 66));
	my $p = rand();
	if ($p < 0.12) { $r{pcode} = $r{pver} = undef; }
	else
	{
		$r{pcode} = $p < 0.16 ? undef : pick(@pcodes);
		$r{pver}  = $p < 0.2  ? undef : rint(1, 7);
	}
	$r{ref_nid} = nul(0.15, rint(1, 62));
	$r{qty}     = nul(0.15, rint(-2, 20));
	$r{amt}     = nul(0.15, sprintf('%.2f', rint(-5000, 50000) / 100));
	$r{note}    = nul(0.3, pick(@notes));
	$r{odate}   = nul(0.2, rdate());
	$r{flag}    = nul(0.2, pick('true', 'false'));
	return \%r;
}

sub gen_tags
{
	return {
		cid => nul(0.1, rint(1, 66)),
		tag => nul(0.1, pick(@tagset)),
		w   => nul(0.2, rint(0, 20))
	};
}

sub gen_node
{
	return {
		nid       => $_[0] // rint(1, 60),
		parent_id => nul(0.2, rint(1, 62)),
		rid       => nul(0.15, rint(1, 10)),
		label     => nul(0.15, pick(@labels)),
		val       => nul(0.15, rint(-10, 100))
	};
}

my %gen = (
	region => \&gen_region,
	dim_c  => \&gen_dim_c,
	dim_p  => \&gen_dim_p,
	fact   => \&gen_fact,
	tags   => \&gen_tags,
	node   => \&gen_node);

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

# Fresh fact keys: plain INSERT and COPY never collide.  Upserts pick keys
# handed out in earlier rounds, so that they conflict (a round's statements
# do not run in the order they are generated).  The second session has a
# range of its own.
my $next_fid;
my $old_fid;    # keys below this were handed out in earlier rounds
my $next_bg_fid;
my $next_cid;    # fresh customers (COPY), never referenced by facts

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

sub fresh_facts
{
	my ($n) = @_;
	return map { gen_fact($next_fid++) } 1 .. $n;
}

# ---------------------------------------------------------------------------
# Predicates: random subsets of each table.

sub fpred_simple
{
	return pick(
		sub { my $m = rint(2, 9); "fid % $m = " . rint(0, $m - 1) },
		sub { 'cid = ' . rint(1, 70) },
		sub { 'cid IS NULL' },
		sub { my $x = rint(1, 65); "cid BETWEEN $x AND " . ($x + 5) },
		sub { 'pcode = ' . lit(pick(@pcodes)) },
		sub { 'pver = ' . rint(1, 7) },
		sub { 'pcode IS NULL' },
		sub { my $x = rint(-2, 18); "qty BETWEEN $x AND " . ($x + 3) },
		sub { 'note IS NULL' },
		sub { 'note = ' . lit(pick(@notes)) },
		sub { pick('flag', 'NOT flag', 'flag IS NULL') },
		sub { 'amt > ' . rint(0, 400) },
		sub { 'odate < ' . lit(rdate()) },
		sub { 'ref_nid = ' . rint(1, 62) },
		sub { 'cid IN (SELECT cid FROM dim_c WHERE rid = ' . rint(1, 10) . ')' },
	)->();
}

sub fpred
{
	my $p = fpred_simple();
	$p = "($p) AND (" . fpred_simple() . ')' if chance(0.3);
	return $p;
}

sub cpred
{
	return pick(
		sub { my $m = rint(3, 9); "cid % $m = " . rint(0, $m - 1) },
		sub { 'cid = ' . rint(1, 70) },
		sub { 'rid = ' . rint(1, 10) },
		sub { 'rid IS NULL' },
		sub { 'cname = ' . lit(pick(@names)) },
		sub { 'tier = ' . lit(pick(@tiers)) },
		sub { pick('active', 'NOT active', 'active IS NULL') },
		sub { 'since > ' . lit(rdate()) },
	)->();
}

sub ppred
{
	return pick(
		sub { 'pcode = ' . lit(pick(@pcodes)) },
		sub { 'pver = ' . rint(1, 7) },
		sub { 'pver % 2 = ' . rint(0, 1) },
		sub { 'cat = ' . lit(pick(@cats)) },
		sub { 'cat IS NULL' },
		sub { 'price > ' . rint(0, 100) },
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
		sub { 'cid = ' . rint(1, 70) },
		sub { 'cid IS NULL' },
		sub { 'cid % 5 = ' . rint(0, 4) },
		sub { 'tag = ' . lit(pick(@tagset)) },
		sub { 'tag IS NULL' },
		sub { my $x = rint(0, 18); "w BETWEEN $x AND " . ($x + 3) },
		sub { 'w IS NULL' },
	)->();
}

sub tpred
{
	return chance(0.3)
	  # some rows out of sets of duplicates
	  ? 'ctid = ANY (ARRAY(SELECT ctid FROM tags WHERE '
	  . tpred_simple()
	  . ' LIMIT '
	  . rint(1, 4) . '))'
	  : tpred_simple();
}

sub npred
{
	return pick(
		sub { my $m = rint(3, 9); "nid % $m = " . rint(0, $m - 1) },
		sub { 'nid = ' . rint(1, 60) },
		sub { 'parent_id = ' . rint(1, 60) },
		sub { 'parent_id IS NULL' },
		sub { 'rid = ' . rint(1, 10) },
		sub { 'label = ' . lit(pick(@labels)) },
		sub { 'val > ' . rint(-10, 100) },
	)->();
}

# ---------------------------------------------------------------------------
# Statements, per table.  Each returns SQL (one or more statements).

sub stmt_fact
{
	my ($insert_only) = @_;
	my @c = (
		[ 4, sub {
			'INSERT INTO fact VALUES '
			  . join(', ', map { row_sql('fact', $_) } fresh_facts(rint(1, 25)))
			  . ';' } ],
		[ 1, sub {
			"COPY fact (" . col_list('fact') . ") FROM STDIN;\n"
			  . join('', map { row_copy('fact', $_) . "\n" } fresh_facts(rint(1, 20)))
			  . "\\.\n" } ],
	);
	push @c, (
		[ 2, sub {
			'INSERT INTO fact VALUES '
			  . keyed_rows('fact', rint(1, 12), sub { rint(1, $old_fid) })
			  . pick(' ON CONFLICT (fid) DO UPDATE SET cid = EXCLUDED.cid, '
				  . 'qty = fact.qty + EXCLUDED.qty, note = EXCLUDED.note',
				' ON CONFLICT (fid) DO UPDATE SET pcode = EXCLUDED.pcode, '
				  . 'pver = EXCLUDED.pver, amt = EXCLUDED.amt',
				' ON CONFLICT DO NOTHING')
			  . ';' } ],
		[ 2 * delw('fact', 250, 550), sub { 'DELETE FROM fact WHERE ' . fpred() . ';' } ],
		[ 6, sub {
			my $set = pick(
				# join keys
				sub { 'cid = ' . (chance(0.2) ? 'NULL' : rint(1, 70)) },
				sub { 'cid = cid % 70 + 1' },
				sub { '(pcode, pver) = (' . lit(pick(@pcodes)) . ', ' . rint(1, 7) . ')' },
				sub { 'pver = pver % 7 + 1' },
				sub { 'pcode = NULL' },
				sub { 'ref_nid = ' . (chance(0.2) ? 'NULL' : rint(1, 62)) },
				sub { 'cid = NULL, ref_nid = NULL' },
				sub { 'cid = (SELECT min(cid) FROM dim_c WHERE rid = ' . rint(1, 10) . ')' },
				# measures and grouped columns
				sub { 'qty = qty + 1, amt = amt * 2' },
				sub { 'note = ' . (chance(0.2) ? 'NULL' : lit(pick(@notes))) },
				sub { 'odate = odate + ' . rint(-5, 5) },
				sub { 'flag = NOT flag, qty = coalesce(qty, 0) - 1' },
				sub { 'amt = NULL, qty = NULL' },
				# no-op updates
				sub { 'cid = cid' },
				sub { 'qty = qty, note = note, pcode = pcode' },
				# primary key moves to keys nobody holds
				sub { 'fid = fid + 10000000' },
			);
			my $s = $set->();
			my $w = fpred();
			$w .= ' AND fid + 10000000 NOT IN (SELECT fid FROM fact)'
			  if $s =~ /^fid =/;
			# a constant key for many rows makes the self-join quadratic
			$w = "($w) AND fid % 4 = " . rint(0, 3) if $s =~ /^cid = \d/;
			"UPDATE fact SET $s WHERE $w;" } ],
	) unless $insert_only;
	return wpick(@c);
}

sub stmt_dim_c
{
	return wpick(
		[ insw('dim_c', 40, 55), sub {
			'INSERT INTO dim_c VALUES '
			  . keyed_rows('dim_c', rint(1, 8), sub { rint(1, 60) })
			  . pick(' ON CONFLICT (cid) DO UPDATE SET rid = EXCLUDED.rid, '
				  . 'cname = EXCLUDED.cname',
				' ON CONFLICT (cid) DO UPDATE SET tier = EXCLUDED.tier, '
				  . 'since = EXCLUDED.since, active = EXCLUDED.active',
				' ON CONFLICT DO NOTHING')
			  . ';' } ],
		[ 1, sub {
			"COPY dim_c (" . col_list('dim_c') . ") FROM STDIN;\n"
			  . join('', map { row_copy('dim_c', gen_dim_c($next_cid++)) . "\n" } 1 .. rint(1, 4))
			  . "\\.\n" } ],
		[ delw('dim_c', 40, 55), sub { 'DELETE FROM dim_c WHERE ' . small_del('cid', 60, cpred()) . ';' } ],
		[ 5, sub {
			my $set = pick(
				sub { 'rid = ' . (chance(0.2) ? 'NULL' : rint(1, 10)) },
				sub { 'rid = rid % 10 + 1' },
				sub { 'cname = ' . (chance(0.2) ? 'NULL' : lit(pick(@names))) },
				sub { 'tier = ' . (chance(0.2) ? 'NULL' : lit(pick(@tiers))) },
				sub { 'active = NOT active, since = since + 7' },
				sub { 'since = NULL' },
				sub { 'rid = rid, cname = cname' },
				sub { 'cid = cid + 60' },
				sub { 'cid = cid - 60' },
			);
			my $s = $set->();
			my $w = cpred();
			$w = "($w) AND cid % 3 = " . rint(0, 2) if $s =~ /^rid = \d/;
			$w .= ' AND cid <= 60 AND cid + 60 NOT IN (SELECT cid FROM dim_c)'
			  if $s eq 'cid = cid + 60';
			$w = 'cid BETWEEN 61 AND 120 AND cid - 60 NOT IN (SELECT cid FROM dim_c)'
			  if $s eq 'cid = cid - 60';
			"UPDATE dim_c SET $s WHERE $w;" } ],
	);
}

sub stmt_dim_p
{
	return wpick(
		[ insw('dim_p', 14, 20), sub {
			'INSERT INTO dim_p VALUES '
			  . keyed_rows('dim_p', rint(1, 6), sub { (pick(@pcodes), rint(1, 6)) })
			  . pick(' ON CONFLICT (pcode, pver) DO UPDATE SET price = EXCLUDED.price, '
				  . 'cat = EXCLUDED.cat',
				' ON CONFLICT DO NOTHING')
			  . ';' } ],
		[ delw('dim_p', 14, 20), sub {
			'DELETE FROM dim_p WHERE '
			  . pick('pcode = ' . lit(pick(@pcodes)) . ' AND pver = ' . rint(1, 6),
				'(' . ppred() . ') AND pver % 3 = ' . rint(0, 2))
			  . ';' } ],
		[ 4, sub {
			my $set = pick(
				sub { 'price = price + 1.5' },
				sub { 'price = NULL' },
				sub { 'cat = ' . (chance(0.2) ? 'NULL' : lit(pick(@cats))) },
				sub { 'pname = ' . lit('p' . rint(1, 9)) },
				sub { 'price = price, cat = cat' },
				sub { 'pver = pver + 10' },
				sub { 'pver = pver - 10' },
				sub { 'pcode = lower(pcode)' },
			);
			my $s = $set->();
			my $w = ppred();
			$w .= ' AND pver < 10 AND NOT EXISTS (SELECT FROM dim_p q WHERE '
			  . 'q.pcode = dim_p.pcode AND q.pver = dim_p.pver + 10)'
			  if $s eq 'pver = pver + 10';
			$w = 'pver > 10 AND NOT EXISTS (SELECT FROM dim_p q WHERE '
			  . 'q.pcode = dim_p.pcode AND q.pver = dim_p.pver - 10)'
			  if $s eq 'pver = pver - 10';
			$w .= ' AND NOT EXISTS (SELECT FROM dim_p q WHERE '
			  . 'q.pcode = lower(dim_p.pcode) AND q.pver = dim_p.pver)'
			  if $s eq 'pcode = lower(pcode)';
			"UPDATE dim_p SET $s WHERE $w;" } ],
	);
}

sub stmt_region
{
	return wpick(
		[ insw('region', 5, 7), sub {
			'INSERT INTO region VALUES '
			  . keyed_rows('region', rint(1, 4), sub { rint(1, 8) })
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

sub stmt_tags
{
	my ($insert_only) = @_;
	my @c = (
		[ 3, sub {
			'INSERT INTO tags VALUES '
			  . join(', ', map { row_sql('tags', gen_tags()) } 1 .. rint(1, 15))
			  . ';' } ],
		[ 1, sub {
			"COPY tags FROM STDIN;\n"
			  . join('', map { row_copy('tags', gen_tags()) . "\n" } 1 .. rint(1, 10))
			  . "\\.\n" } ],
	);
	push @c, (
		[ 1, sub {
			'INSERT INTO tags SELECT * FROM tags WHERE ' . tpred_simple()
			  . ' LIMIT ' . rint(1, 6) . ';' } ],
		[ 2 * delw('tags', 80, 250), sub { 'DELETE FROM tags WHERE ' . tpred() . ';' } ],
		[ 3, sub {
			my $set = pick(
				sub { 'cid = ' . (chance(0.2) ? 'NULL' : rint(1, 70)) },
				sub { 'tag = ' . (chance(0.2) ? 'NULL' : lit(pick(@tagset))) },
				sub { 'w = w + 1' },
				sub { 'w = NULL' },
				sub { 'cid = cid, w = w' },
			);
			'UPDATE tags SET ' . $set->() . ' WHERE ' . tpred() . ';' } ],
	) unless $insert_only;
	return wpick(@c);
}

sub stmt_node
{
	return wpick(
		[ insw('node', 40, 55), sub {
			'INSERT INTO node VALUES '
			  . keyed_rows('node', rint(1, 8), sub { rint(1, 60) })
			  . pick(' ON CONFLICT (nid) DO UPDATE SET parent_id = EXCLUDED.parent_id, '
				  . 'val = EXCLUDED.val',
				' ON CONFLICT (nid) DO UPDATE SET label = EXCLUDED.label, rid = EXCLUDED.rid',
				' ON CONFLICT DO NOTHING')
			  . ';' } ],
		[ delw('node', 40, 55), sub { 'DELETE FROM node WHERE ' . small_del('nid', 60, npred()) . ';' } ],
		[ 4, sub {
			my $set = pick(
				sub { 'parent_id = ' . (chance(0.2) ? 'NULL' : rint(1, 65)) },
				sub { 'parent_id = nid' },
				sub { 'val = val + 3, label = upper(label)' },
				sub { 'label = ' . lit(pick(@labels)) },
				sub { 'rid = ' . rint(1, 10) },
				sub { 'val = val, parent_id = parent_id' },
				sub { 'nid = nid + 100' },
				sub { 'nid = nid - 100' },
			);
			my $s = $set->();
			my $w = npred();
			$w = "($w) AND nid % 3 = " . rint(0, 2) if $s =~ /^parent_id = \d/;
			$w .= ' AND nid <= 100 AND nid + 100 NOT IN (SELECT nid FROM node)'
			  if $s eq 'nid = nid + 100';
			$w = 'nid > 100 AND nid - 100 NOT IN (SELECT nid FROM node)'
			  if $s eq 'nid = nid - 100';
			"UPDATE node SET $s WHERE $w;" } ],
	);
}

# Statements that change two sides of a join at once: a join-key update on
# one side and a delete (or key update) of the matching row on the other,
# in one transaction or one statement.
sub stmt_both_sides
{
	my $k  = rint(1, 70);
	my $k2 = rint(1, 70);
	my $r  = rint(1, 10);
	my $r2 = rint(1, 10);
	return pick(
		sub {
			"UPDATE fact SET cid = $k2 WHERE cid = $k;\n"
			  . "DELETE FROM dim_c WHERE cid = " . pick($k, $k2) . ';';
		},
		sub {
			"DELETE FROM fact WHERE cid = $k AND " . fpred_simple() . ";\n"
			  . "UPDATE dim_c SET cid = cid + 60 WHERE cid = $k AND cid <= 60 "
			  . "AND cid + 60 NOT IN (SELECT cid FROM dim_c);\n"
			  . "UPDATE fact SET cid = $k + 60 WHERE cid = $k;";
		},
		sub {
			"UPDATE dim_c SET rid = $r2 WHERE rid = $r;\n"
			  . "DELETE FROM region WHERE rid = " . pick($r, $r2) . ";\n"
			  . "INSERT INTO region VALUES " . row_sql('region', gen_region($r)) 
			  . ' ON CONFLICT (rid) DO UPDATE SET rname = EXCLUDED.rname;';
		},
		sub {
			"UPDATE node SET parent_id = $k2 WHERE parent_id = $k;\n"
			  . "DELETE FROM node WHERE nid = $k;";
		},
		sub {
			my $p = lit(pick(@pcodes));
			my $v = rint(1, 6);
			"UPDATE fact SET pver = $v WHERE pcode = $p AND " . fpred_simple() . ";\n"
			  . "DELETE FROM dim_p WHERE pcode = $p AND pver = $v;\n"
			  . "UPDATE dim_p SET price = price * 2 WHERE pcode = $p;";
		},
		sub {
			# one statement, two tables
			'WITH d AS (DELETE FROM dim_c WHERE ' . small_del('cid', 60, cpred())
			  . ' RETURNING cid) UPDATE fact SET cid = NULL '
			  . 'WHERE cid IN (SELECT cid FROM d);';
		},
		sub {
			'WITH u AS (UPDATE dim_c SET rid = ' . rint(1, 10) . ' WHERE '
			  . cpred() . " RETURNING cid) INSERT INTO tags SELECT cid, 'moved', 1 FROM u;";
		},
		sub {
			"DELETE FROM tags WHERE cid = $k;\n"
			  . "INSERT INTO tags SELECT $k2, tag, w FROM tags WHERE cid = $k2 LIMIT 3;\n"
			  . "UPDATE dim_c SET tier = " . lit(pick(@tiers)) . " WHERE cid IN ($k, $k2);";
		})->();
}

# Weight of a DELETE on table $t: rare below $lo rows, frequent above $hi.
my $sizes;    # row counts of every table at the start of the round

sub delw
{
	my ($t, $lo, $hi) = @_;
	my $n = $sizes->{$t} // $lo;
	return $n < $lo ? 0.2 : $n > $hi ? 3 : 1;
}

# Weight of an insert (upsert) into table $t: high below $lo rows.
sub insw
{
	my ($t, $lo, $hi) = @_;
	my $n = $sizes->{$t} // $lo;
	return $n < $lo ? 6 : $n > $hi ? 1 : 3;
}

# A predicate that deletes a few rows of a dimension: one key, or a part
# of the rows $pred chooses.
sub small_del
{
	my ($key, $max, $pred) = @_;
	return pick("$key = " . rint(1, $max),
		"$key IN (" . rint(1, $max) . ', ' . rint(1, $max) . ')',
		"($pred) AND $key % 4 = " . rint(0, 3));
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

# One random statement on any table.  %$size holds the row counts of the
# tables at the start of the round, to keep them in a range.
sub gen_stmt
{
	my ($size, $insert_only) = @_;
	if ($insert_only)
	{
		return chance(0.7) ? stmt_fact(1) : stmt_tags(1);
	}
	my $grow = $size->{fact} < 250;
	return wpick(
		[ 6, sub { $grow && chance(0.5) ? stmt_fact(1) : stmt_fact(0) } ],
		[ 3, \&stmt_dim_c ],
		[ 2, \&stmt_dim_p ],
		[ 1, \&stmt_region ],
		[ 2, sub { $size->{tags} < 80 && chance(0.5) ? stmt_tags(1) : stmt_tags(0) } ],
		[ 2, \&stmt_node ],
		[ 2, \&stmt_both_sides ],
	);
}

# ---------------------------------------------------------------------------
# The views.

my $j8 = 'FROM fact f JOIN dim_c c ON c.cid = f.cid '
  . 'JOIN region r ON r.rid = c.rid '
  . 'JOIN dim_p p ON p.pcode = f.pcode AND p.pver = f.pver '
  . 'JOIN node n ON n.nid = f.ref_nid '
  . 'JOIN node np ON np.nid = n.parent_id '
  . 'JOIN region r2 ON r2.rid = n.rid '
  . 'JOIN tags t ON t.cid = c.cid';

my @view_defs = (
	# 2-way projections
	[ 'jv_fact_cust',
	  'SELECT f.fid, c.cname, f.qty, c.since FROM fact f JOIN dim_c c ON c.cid = f.cid' ],
	[ 'jv_fact_prod',
	  'SELECT f.fid, p.pname, f.qty * p.price AS line FROM fact f '
	  . 'JOIN dim_p p ON p.pcode = f.pcode AND p.pver = f.pver' ],
	# projection with duplicates (a key-less table, only some columns)
	[ 'jv_dups',
	  'SELECT c.tier, t.tag FROM dim_c c JOIN tags t ON t.cid = c.cid' ],
	# 3-way with GROUP BY and every aggregate, min/max over text of both sides
	[ 'jv_region_agg',
	  'SELECT r.rname, count(*) AS n, count(f.note) AS nn, sum(f.amt) AS s, '
	  . 'sum(f.qty) AS sq, avg(f.qty) AS aq, avg(f.amt) AS aa, min(f.amt) AS mina, '
	  . 'max(f.amt) AS maxa, min(c.cname) AS minc, max(c.cname) AS maxc, '
	  . 'min(f.note) AS minnote, max(c.since) AS maxsince '
	  . 'FROM fact f JOIN dim_c c ON c.cid = f.cid JOIN region r ON r.rid = c.rid '
	  . 'GROUP BY r.rname' ],
	# 4-way USING, GROUP BY two dimension columns, max over the dimension side
	[ 'jv_using4',
	  'SELECT r.rname, p.cat, count(*) AS n, sum(f.qty) AS q, max(p.price) AS maxp, '
	  . 'min(p.pname) AS minpn '
	  . 'FROM fact f JOIN dim_c c USING (cid) JOIN region r USING (rid) '
	  . 'JOIN dim_p p USING (pcode, pver) GROUP BY r.rname, p.cat' ],
	# 4-way projection with a filter on every side
	[ 'jv_proj4',
	  'SELECT f.fid, c.cname, r.rname, p.pname, f.amt '
	  . 'FROM fact f JOIN dim_c c ON c.cid = f.cid JOIN region r ON r.rid = c.rid '
	  . 'JOIN dim_p p ON p.pcode = f.pcode AND p.pver = f.pver '
	  . "WHERE f.qty > 0 AND c.active IS NOT FALSE AND r.rname <> 'west' AND p.price < 95" ],
	# NATURAL joins (merged columns in the output and in GROUP BY)
	[ 'jv_natural_c',
	  'SELECT rid, rname, count(*) AS n, max(cname) AS maxc, min(since) AS mins '
	  . 'FROM dim_c NATURAL JOIN region GROUP BY rid, rname' ],
	[ 'jv_natural_p',
	  'SELECT pcode, pver, count(*) AS n, sum(qty) AS q, max(cat) AS maxcat '
	  . 'FROM fact NATURAL JOIN dim_p GROUP BY pcode, pver' ],
	# comma join, condition in WHERE, 3 tables
	[ 'jv_comma',
	  'SELECT c.cname, f.amt, p.cat FROM fact f, dim_c c, dim_p p '
	  . 'WHERE c.cid = f.cid AND p.pcode = f.pcode AND p.pver = f.pver '
	  . 'AND f.amt > 10 AND c.active' ],
	# cross join with filters only
	[ 'jv_cross',
	  'SELECT r.rname, p.cat, p.pver FROM region r CROSS JOIN dim_p p '
	  . "WHERE p.price > 50 AND r.rzone = 'z1'" ],
	# self-join with equality and inequality
	[ 'jv_self_pairs',
	  'SELECT a.fid AS a, b.fid AS b, a.cid FROM fact a JOIN fact b '
	  . 'ON a.cid = b.cid AND a.fid < b.fid' ],
	# non-equality joins only: BETWEEN, and a.x < b.y
	[ 'jv_between',
	  'SELECT t.tag, count(*) AS n, sum(f.qty) AS q, min(f.fid) AS minf '
	  . 'FROM fact f JOIN tags t ON f.qty BETWEEN t.w AND t.w + 2 GROUP BY t.tag' ],
	[ 'jv_lt',
	  'SELECT c.cname, f.note FROM dim_c c JOIN fact f '
	  . 'ON f.cid = c.cid AND f.odate < c.since' ],
	# expression on join columns
	[ 'jv_expr',
	  'SELECT c.tier, count(*) AS n, sum(f.amt) AS s FROM fact f '
	  . 'JOIN dim_c c ON lower(f.note) = lower(c.tier) AND c.cid % 7 = f.fid % 7 '
	  . 'GROUP BY c.tier' ],
	# self-joins: two and three occurrences of one table
	[ 'jv_tree2',
	  'SELECT p.nid AS parent, p.label, count(*) AS kids, sum(k.val) AS sv, '
	  . 'min(k.label) AS minl, max(k.val) AS maxv '
	  . 'FROM node p JOIN node k ON k.parent_id = p.nid GROUP BY p.nid, p.label' ],
	[ 'jv_tree3',
	  'SELECT g.label AS gl, k.label AS kl, k.val FROM node g '
	  . 'JOIN node p ON p.parent_id = g.nid JOIN node k ON k.parent_id = p.nid' ],
	# global aggregates over joins
	[ 'jv_global',
	  'SELECT count(*) AS n, sum(f.amt) AS s, avg(f.amt) AS a, min(c.since) AS mins, '
	  . 'max(c.cname) AS maxc, count(c.tier) AS nt, max(f.odate) AS maxd '
	  . 'FROM fact f JOIN dim_c c ON c.cid = f.cid' ],
	[ 'jv_global_self',
	  'SELECT count(*) AS n, sum(k.val) AS s, min(p.label) AS minl '
	  . 'FROM node p, node k WHERE k.parent_id = p.nid AND p.rid = k.rid' ],
	# DISTINCT over joins
	[ 'jv_distinct',
	  'SELECT DISTINCT c.rid, f.pcode FROM fact f JOIN dim_c c ON c.cid = f.cid' ],
	[ 'jv_distinct3',
	  'SELECT DISTINCT r.rname, lower(t.tag) AS ltag FROM region r '
	  . 'JOIN dim_c c ON c.rid = r.rid JOIN tags t ON t.cid = c.cid' ],
	# GROUP BY over expressions and columns of several tables
	[ 'jv_group_expr',
	  "SELECT c.rid % 3 AS r3, coalesce(f.note, '?') AS note, f.flag, count(*) AS n, "
	  . 'sum(f.qty * p.price) AS v, min(f.odate) AS mind, max(p.cat) AS maxcat '
	  . 'FROM fact f JOIN dim_c c ON c.cid = f.cid '
	  . 'JOIN dim_p p ON p.pcode = f.pcode AND p.pver = f.pver '
	  . "GROUP BY c.rid % 3, coalesce(f.note, '?'), f.flag" ],
	[ 'jv_tags_agg',
	  'SELECT t.tag, c.active, count(*) AS n, count(c.tier) AS nt, sum(t.w) AS sw, '
	  . 'max(c.cname) AS maxc, min(t.w) AS minw '
	  . 'FROM tags t JOIN dim_c c ON c.cid = t.cid GROUP BY t.tag, c.active' ],
	# HAVING over a join
	[ 'jv_having',
	  'SELECT c.rid, count(*) AS n, sum(f.qty) AS q FROM fact f '
	  . 'JOIN dim_c c ON c.cid = f.cid GROUP BY c.rid '
	  . 'HAVING count(*) > 3 AND max(f.amt) > 50' ],
	# 8-way join (region and node twice), grouped, and a projection of it
	[ 'jv_j8_agg',
	  'SELECT r.rname, r2.rname AS nrname, count(*) AS n, sum(f.qty) AS q, '
	  . 'max(np.label) AS maxpl, min(t.tag) AS mint, max(p.price) AS maxp '
	  . "$j8 GROUP BY r.rname, r2.rname" ],
	[ 'jv_j8_proj',
	  "SELECT f.fid, c.cname, t.tag, np.val $j8 WHERE n.val > np.val" ],
	# a join with an alias of its own, and column aliases on a table with a
	# dropped column
	[ 'jv_join_alias',
	  'SELECT j.cid, j.qty, j.cname FROM (fact JOIN dim_c USING (cid)) AS j '
	  . 'WHERE j.qty > 5' ],
	[ 'jv_colalias',
	  'SELECT cc.id, cc.region, count(*) AS n, sum(f.qty) AS q '
	  . 'FROM dim_c AS cc(id, region) JOIN fact f ON f.cid = cc.id GROUP BY cc.id, cc.region' ],
	# maintained by recomputation: an outer join, for comparison
	[ 'jv_full_outer',
	  'SELECT c.cid, count(f.fid) AS n FROM dim_c c LEFT JOIN fact f '
	  . 'ON f.cid = c.cid GROUP BY c.cid', 'full' ],
);

my @views;    # { ident, reg, query, mode, ok }
foreach my $d (@view_defs)
{
	my ($ident, $query, $mode) = @$d;
	push @views,
	  {
		ident => $ident,
		reg   => lit($ident) . '::regclass',
		query => $query,
		mode  => $mode // 'incremental',
	  };
}

# ---------------------------------------------------------------------------
# A second session holding a transaction open across refreshes.

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
	  . "$v->{query}) UNION ALL ($v->{query} EXCEPT ALL "
	  . "SELECT * FROM $v->{ident})) d";
}

# Up to 40 rows that differ: "missing|(row)" (in the query only) and
# "extra|(row)" (in the view only).
sub diff_rows_query
{
	my ($v) = @_;
	return
	    "SELECT 'missing' AS side, m::text AS r FROM ($v->{query} "
	  . "EXCEPT ALL SELECT * FROM $v->{ident}) m "
	  . "UNION ALL SELECT 'extra', e::text FROM (SELECT * FROM "
	  . "$v->{ident} EXCEPT ALL $v->{query}) e LIMIT 40";
}

sub dump_diff
{
	my ($v, $rows) = @_;
	if (!defined $rows)
	{
		my ($ret, $out, $err) = $node->psql($db, diff_rows_query($v));
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

# Refresh every view, then compare it with its query.  One assertion per
# view.  The second refresh must find nothing left to apply.
sub check_views
{
	my ($label) = @_;
	foreach my $v (@views)
	{
		next unless $v->{ok};
		my $incr = $v->{mode} eq 'incremental';
		my ($ret, $out, $err) = run_sql(
			"SELECT incrload_refresh($v->{reg});\n"
			  . ($incr ? "SELECT incrload_refresh($v->{reg});\n" : '')
			  . diff_query($v) . ';');
		my $got;
		if ($ret != 0)
		{
			$got = "error: $err";
		}
		else
		{
			my @l = split /\n/, $out;
			$got = "differing rows: $l[-1]";
			$got .= ", second refresh applied: $l[1]" if $incr;
		}
		my $want = 'differing rows: 0'
		  . ($incr ? ', second refresh applied: 0' : '');
		my $pass = is($got, $want,
			"seed $seed round $round"
			  . ($label eq '' ? '' : " $label")
			  . ": $v->{ident} equals its query");
		if (!$pass)
		{
			dump_diff($v) if $ret == 0;
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
	my @t = qw(region dim_c dim_p fact tags node);
	my ($ret, $out) = run_sql(
		'SELECT ' . join(', ', map { "(SELECT count(*) FROM $_)" } @t));
	my @n = $ret == 0 ? split(/\|/, $out) : map { 0 } @t;
	$sizes = { map { $t[$_] => $n[$_] } 0 .. $#t };
	return $sizes;
}

# TRUNCATE of a dimension (or now and then of fact or tags), alone or in a
# transaction that fills the table again.
sub gen_truncate
{
	my $t = pick('region', 'region', 'dim_c', 'dim_p', 'node', 'tags', 'fact');
	return "TRUNCATE $t;" if chance(0.25);
	my $refill;
	if ($t eq 'fact')
	{
		$refill = 'INSERT INTO fact VALUES '
		  . join(', ', map { row_sql('fact', $_) } fresh_facts(rint(50, 150))) . ';';
	}
	elsif ($t eq 'tags')
	{
		$refill = 'INSERT INTO tags VALUES '
		  . join(', ', map { row_sql('tags', gen_tags()) } 1 .. rint(30, 80)) . ';';
	}
	elsif ($t eq 'dim_p')
	{
		$refill = 'INSERT INTO dim_p VALUES '
		  . keyed_rows('dim_p', 30, sub { (pick(@pcodes), rint(1, 6)) }) . ';';
	}
	else
	{
		my $n = $t eq 'region' ? 8 : 60;
		$refill = "INSERT INTO $t VALUES "
		  . keyed_rows($t, $n, sub { rint(1, $n) }) . ';';
	}
	return "BEGIN;\nTRUNCATE $t;\n$refill\n"
	  . (chance(0.2) ? stmt_fact(0) . "\n" : '')
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
	my @bg_facts = map { gen_fact($next_bg_fid++) } 1 .. rint(1, 10);
	my @bg = (
		chance(0.3) ? 'BEGIN ISOLATION LEVEL REPEATABLE READ;' : 'BEGIN;',
		'INSERT INTO fact VALUES '
		  . join(', ', map { row_sql('fact', $_) } @bg_facts) . ';',
		'UPDATE fact SET cid = ' . rint(1, 66) . ' WHERE (' . fpred()
		  . ') AND fid % 3 = ' . rint(0, 2) . ';',
		'DELETE FROM fact WHERE ' . fpred() . ';',
		'UPDATE dim_c SET rid = ' . rint(1, 10) . ' WHERE ' . cpred() . ';',
		'DELETE FROM dim_c WHERE ' . small_del('cid', 60, cpred()) . ';',
		'UPDATE node SET parent_id = ' . rint(1, 60) . ' WHERE ' . npred() . ';',
		'INSERT INTO tags VALUES '
		  . join(', ', map { row_sql('tags', gen_tags()) } 1 .. rint(1, 5)) . ';',
		'UPDATE dim_p SET price = price + 1 WHERE ' . ppred() . ';',
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

	my $q = 'INSERT INTO fact VALUES '
	  . row_sql('fact', gen_fact($next_bg_fid++)) . ";\n"
	  . 'DELETE FROM tags WHERE ' . tpred_simple() . ';';
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
	  (qw(region dim_c dim_p fact tags node),
		map { $_->{ident} } grep { $_->{ok} } @views);
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
	my $mode = $v->{mode} eq 'full' ? ", mode => 'full'" : '';
	my ($ret, $out, $err) = run_sql(
		"SELECT incrload_register_view(" . lit($v->{ident})
		  . ", \$q\$$v->{query}\$q\$$mode)");
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
	$db          = "randjoin_$seed";
	$next_fid    = 1;
	$next_bg_fid = 1000000;
	$next_cid    = 1000;
	note("seed $seed, $rounds rounds "
		  . "(rerun: INCRLOAD_SEED=$seed INCRLOAD_ROUNDS=$rounds)");

	# Indexes on some join columns, not on others (fact.pcode/pver,
	# node.parent_id, tags.cid, dim_c.rid have none).
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql(
		$db, q{
CREATE EXTENSION incrload;
CREATE TABLE region (rid int PRIMARY KEY, rname text, rzone text);
CREATE TABLE dim_c (cid int PRIMARY KEY, rid int, gone int, cname text,
                    tier text, active bool, since date);
ALTER TABLE dim_c DROP COLUMN gone;
CREATE TABLE dim_p (pcode text, pver int, pname text, price numeric(10,2),
                    cat text, PRIMARY KEY (pcode, pver));
CREATE TABLE fact (fid int PRIMARY KEY, cid int, pcode text, pver int,
                   ref_nid int, qty int, amt numeric(12,2), note text,
                   odate date, flag bool);
CREATE INDEX ON fact (cid);
CREATE INDEX ON fact (ref_nid);
CREATE TABLE tags (cid int, tag text, w int);
CREATE TABLE node (nid int PRIMARY KEY, parent_id int, rid int, label text,
                   val int);
});
	run_workload('INSERT INTO region VALUES '
		  . keyed_rows('region', 40, sub { rint(1, 8) }) . ';');
	run_workload('INSERT INTO dim_c VALUES '
		  . keyed_rows('dim_c', 150, sub { rint(1, 60) }) . ';');
	run_workload('INSERT INTO dim_p VALUES '
		  . keyed_rows('dim_p', 40, sub { (pick(@pcodes), rint(1, 6)) }) . ';');
	run_workload('INSERT INTO fact VALUES '
		  . join(', ', map { row_sql('fact', $_) } fresh_facts(400)) . ';');
	run_workload('INSERT INTO tags VALUES '
		  . join(', ', map { row_sql('tags', gen_tags()) } 1 .. 120) . ';');
	run_workload('INSERT INTO node VALUES '
		  . keyed_rows('node', 150, sub { rint(1, 60) }) . ';');
	is(join("\n", @workload_errors), '', "seed $seed: initial rows loaded");
	@workload_errors = ();

	register_view($_) foreach @views;
	log_sizes();
	check_views('(after registration)');

	foreach my $r (1 .. $rounds)
	{
		$round = $r;
		$old_fid = $next_fid - 1;
		@workload_errors = ();
		my $size = table_sizes();
		logmsg("-- [seed $seed round $round] fact has $size->{fact} rows, "
			  . "tags $size->{tags}");
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
			my ($v) = grep { $_->{ident} eq 'jv_region_agg' && $_->{ok} } @views;
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
}

$node->stop;
done_testing();
