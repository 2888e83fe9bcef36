# Randomized test of incremental maintenance.
#
# Registers single-table views of every kind incrload maintains, then runs
# rounds of random INSERT / UPDATE / DELETE / TRUNCATE / COPY / upserts /
# writable CTEs in random transactions (NULLs, duplicate rows, updates of
# group keys, no-op updates, rollbacks, savepoints), refreshes every view and
# compares it with its query as a multiset.  Some rounds also leave a
# transaction open in a second session across a refresh and commit it after,
# or refresh inside a transaction that wrote first.
#
# The run is fixed by its seed.  Defaults: seed 42, 20 rounds.  Another run:
#
#   INCRLOAD_SEED=7 INCRLOAD_ROUNDS=200 bash scripts/test.sh
#   INCRLOAD_SEEDS=1,2,3,4 INCRLOAD_ROUNDS=50 INCRLOAD_TEST_ONLY=tap \
#       PROVE_TESTS=test/t/001_randomized.pl bash scripts/test.sh
#
# Every statement a round runs is written to
# tmp_check/log/regress_log_001_randomized, with the seed and round.
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

# Goes to the test's log file only (PostgreSQL::Test::Utils redirects STDOUT
# there; TAP output goes to the original stdout).
sub logmsg { print STDOUT @_, "\n"; }

my $node = PostgreSQL::Test::Cluster->new('rand');
$node->init;
$node->append_conf(
	'postgresql.conf', qq{
shared_preload_libraries = 'incrload'
incrload.enabled = off
# A refresh that blocks on a writer (or the reverse) is a bug: make it an
# error instead of a hang.
lock_timeout = '60s'
# Keeps a seed's run reproducible: rows stay where the same statements put
# them, so "LIMIT n" and ctid picks choose the same rows again.
autovacuum = off
});
$node->start;

# ---------------------------------------------------------------------------
# Randomness: one generator seeded per seed; every choice goes through it.

sub rint { my ($lo, $hi) = @_; return $lo + int(rand($hi - $lo + 1)); }
sub chance { return rand() < $_[0]; }
sub pick { return $_[ int(rand(scalar @_)) ]; }

sub lit
{
	my ($s) = @_;
	$s =~ s/'/''/g;
	return "'$s'";
}

# Column domains are small so that duplicates, NULLs and group collisions
# are frequent.
my @s_domain = ('foo', 'Foo', 'bar', 'BAR', '', 'x y', "O'Brien", 'zeta');

sub gen_row
{
	my %r;
	$r{id}  = chance(0.05) ? undef : rint(1, 200);
	$r{grp} = chance(0.15) ? undef : rint(1, 6);
	$r{sub} = chance(0.15) ? undef : pick('a', 'b', 'c', 'd');
	$r{a}   = chance(0.15) ? undef : rint(-5, 20);
	$r{b} =
	  chance(0.15) ? undef : sprintf('%.2f', rint(-2000, 9999) / 100);
	$r{c} =
	  chance(0.15) ? undef
	  : chance(0.5) ? rint(0, 10)
	  :               rint(100000000, 999999999) * 1000 + rint(0, 999);
	$r{s} = chance(0.15) ? undef : pick(@s_domain);
	$r{f} = chance(0.15) ? undef : pick('true', 'false');
	return \%r;
}

my @t1_cols = qw(id grp sub a b c s f);

sub row_sql
{
	my ($r) = @_;
	my @v;
	foreach my $c (@t1_cols)
	{
		my $v = $r->{$c};
		if (!defined $v) { push @v, 'NULL'; }
		elsif ($c eq 'sub' || $c eq 's') { push @v, lit($v); }
		else { push @v, $v; }
	}
	return '(' . join(', ', @v) . ')';
}

sub row_copy
{
	my ($r) = @_;
	return join("\t",
		map { defined $r->{$_} ? $r->{$_} : '\N' } @t1_cols);
}

# A random subset of t1.
sub pred
{
	my $p = pick(
		sub { my $m = rint(3, 9); "id % $m = " . rint(0, $m - 1) },
		sub { 'grp = ' . rint(1, 6) },
		sub { 'grp IS NULL' },
		sub { 'sub = ' . lit(pick('a', 'b', 'c', 'd')) },
		sub { 'sub IS NULL' },
		sub { my $x = rint(-5, 18); "a BETWEEN $x AND " . ($x + 3) },
		sub { 'a IS NULL' },
		sub { 's = ' . lit(pick(@s_domain)) },
		sub { pick('f', 'NOT f', 'f IS NULL') },
		sub { 'b > ' . rint(0, 99) },
		sub {
			# Some rows out of sets of duplicates.
			'ctid = ANY (ARRAY(SELECT ctid FROM t1 WHERE '
			  . pred_simple() . ' LIMIT '
			  . rint(1, 5) . '))';
		});
	my $sql = $p->();
	$sql = "($sql) AND (" . pred_simple() . ")" if chance(0.2);
	return $sql;
}

sub pred_simple
{
	return pick(
		'id % ' . rint(2, 5) . ' = 0',
		'grp = ' . rint(1, 6),
		'sub = ' . lit(pick('a', 'b', 'c', 'd')),
		'a > ' . rint(-5, 20),
		'f IS NOT TRUE',
		'grp IS NULL');
}

my $mt = '"Mixed Case"."Tab le"';

sub gen_mt_values
{
	my ($lo, $hi, $n) = @_;
	my %seen;
	my @rows;
	for (1 .. $n)
	{
		my $k = rint($lo, $hi);
		next if $seen{$k}++;
		my $v = chance(0.15) ? 'NULL' : rint(-20, 60);
		my $amt =
		  chance(0.15) ? 'NULL' : sprintf('%.2f', rint(-5000, 20000) / 100);
		my $note = chance(0.3) ? 'NULL' : lit(pick('n1', 'n2', 'N 3'));
		push @rows, "($k, $v, $amt, $note)";
	}
	return join(', ', @rows);
}

# One random data-changing statement.  $size is t1's row count at the start
# of the round, to keep it between a few hundred and a few thousand rows.
sub gen_stmt
{
	my ($size, $insert_only) = @_;
	my $ins_w = $size < 1000 ? 6 : $size > 2500 ? 1 : 3;
	my $del_w = $size > 2500 ? 6 : $size < 500 ? 1 : 2;
	my @choices = (
		[ $ins_w, \&stmt_insert ],
		[ 1, \&stmt_insert_dups ],
		[ $insert_only ? 0 : 4, \&stmt_update ],
		[ $insert_only ? 0 : $del_w, \&stmt_delete ],
		[ 1, \&stmt_copy ],
		[ $insert_only ? 0 : 1, \&stmt_cte ],
		[ $insert_only ? 0 : 2, \&stmt_mt ],);
	my $total = 0;
	$total += $_->[0] foreach @choices;
	my $x = rand($total);
	foreach my $c (@choices)
	{
		return $c->[1]->() if $x < $c->[0];
		$x -= $c->[0];
	}
	return $choices[0][1]->();
}

sub stmt_insert
{
	my $n = rint(1, 60);
	return 'INSERT INTO t1 VALUES '
	  . join(', ', map { row_sql(gen_row()) } 1 .. $n) . ';';
}

sub stmt_insert_dups
{
	# Exact copies of existing rows.
	return 'INSERT INTO t1 SELECT * FROM t1 WHERE '
	  . pred() . ' LIMIT '
	  . rint(1, 20) . ';';
}

sub stmt_update
{
	my $set = pick(
		sub { 'grp = ' . (chance(0.2) ? 'NULL' : rint(1, 6)) },
		sub { 'a = a' },
		sub { 'a = a, b = b, s = s' },
		sub { 'a = NULL, s = NULL' },
		sub { 'b = b + 1.25, c = c + 7' },
		sub { 'sub = ' . (chance(0.2) ? 'NULL' : lit(pick('a', 'b', 'c', 'd'))) },
		sub { 'f = NOT f, a = coalesce(a, 0) + 1' },
		sub { 'id = (id * 7) % 200 + 1, grp = grp % 6 + 1' },
		sub { 's = upper(s), b = NULL' },
		sub {
			'(grp, sub, a) = (SELECT ' . rint(1, 6) . ', '
			  . lit(pick('a', 'b', 'c', 'd')) . ', '
			  . rint(-5, 20) . ')';
		});
	return 'UPDATE t1 SET ' . $set->() . ' WHERE ' . pred() . ';';
}

sub stmt_delete
{
	return 'DELETE FROM t1 WHERE ' . pred() . ';';
}

sub stmt_copy
{
	my $n = rint(1, 30);
	return
	    "COPY t1 (" . join(', ', @t1_cols) . ") FROM STDIN;\n"
	  . join('', map { row_copy(gen_row()) . "\n" } 1 .. $n)
	  . "\\.\n";    # the end marker needs its newline, also at the end
}

sub stmt_cte
{
	return pick(
		sub {
			'WITH d AS (DELETE FROM t1 WHERE '
			  . pred()
			  . ' RETURNING *) INSERT INTO t1 '
			  . 'SELECT id, grp % 3 + 1, sub, a, b, c, s, f FROM d;';
		},
		sub {
			'WITH u AS (UPDATE t1 SET a = coalesce(a, 0) + 1 WHERE '
			  . pred()
			  . " RETURNING id, a) INSERT INTO $mt "
			  . '("Key", "Val ue", "Amount") '
			  . 'SELECT DISTINCT ON (id) id + 500, a, 1.00 FROM u '
			  . 'WHERE id IS NOT NULL ORDER BY id '
			  . 'ON CONFLICT ("Key") DO UPDATE SET "Val ue" = EXCLUDED."Val ue";';
		})->();
}

# The table with a primary key and names that need quoting.  Keys 1..150
# and 501..700 belong to the main session, 301..400 to the second session.
sub stmt_mt
{
	return pick(
		sub {
			"INSERT INTO $mt VALUES "
			  . gen_mt_values(1, 150, rint(1, 15))
			  . ' ON CONFLICT ("Key") DO UPDATE SET "Val ue" = EXCLUDED."Val ue", '
			  . '"Amount" = "Tab le"."Amount" + EXCLUDED."Amount";';
		},
		sub {
			"INSERT INTO $mt VALUES "
			  . gen_mt_values(1, 150, rint(1, 15))
			  . ' ON CONFLICT DO NOTHING;';
		},
		sub {
			my $m = rint(3, 9);
			"DELETE FROM $mt WHERE \"Key\" % $m = " . rint(0, $m - 1) . ';';
		},
		sub {
			my $m = rint(2, 5);
			"UPDATE $mt SET \"Val ue\" = \"Val ue\" + 1, \"Note\" = NULL "
			  . "WHERE \"Key\" % $m = "
			  . rint(0, $m - 1) . ';';
		},
		sub { "UPDATE $mt SET \"Val ue\" = \"Val ue\" WHERE \"Key\" < 75;" },
		sub {
			# Primary key updates: negative keys are parked and dropped
			# before the next move, so the move never collides.
			my $m = rint(5, 13);
			"DELETE FROM $mt WHERE \"Key\" < 0; "
			  . "UPDATE $mt SET \"Key\" = -\"Key\" WHERE \"Key\" > 0 "
			  . "AND (\"Key\" < 300 OR \"Key\" > 400) AND \"Key\" % $m = "
			  . rint(0, $m - 1) . ';';
		})->();
}

# ---------------------------------------------------------------------------
# The views.  name: SQL name (as an identifier); query; mode.

my @view_defs = (
	[
		'rv_proj',
		'SELECT id, a + 1 AS a1, lower(s) AS ls FROM t1 WHERE f IS NOT TRUE'
	],
	[ 'rv_dups', 'SELECT grp, s FROM t1' ],
	[ 'rv_star', 'SELECT * FROM t1' ],
	[ 'rv_distinct', 'SELECT DISTINCT grp, sub FROM t1' ],
	[
		'rv_distinct_expr',
		'SELECT DISTINCT lower(s) AS ls, a > 5 AS big FROM t1 WHERE a IS NOT NULL'
	],
	[
		'rv_agg',
		'SELECT grp, count(*) AS n, count(a) AS na, sum(a) AS sa, sum(b) AS sb, '
		  . 'sum(c) AS sc, avg(a) AS aa, avg(b) AS ab, min(a) AS mina, '
		  . 'max(a) AS maxa, min(b) AS minb, max(c) AS maxc, min(s) AS mins, '
		  . 'max(s) AS maxs FROM t1 GROUP BY grp'
	],
	[
		'rv_agg_expr_key',
		"SELECT grp % 3 AS g3, coalesce(sub, '?') AS sub2, count(*) AS n, "
		  . 'sum(b) AS sb, max(c) AS maxc, min(b) AS minb '
		  . "FROM t1 GROUP BY grp % 3, coalesce(sub, '?')"
	],
	[
		'rv_agg_multi',
		'SELECT grp, sub, f, count(*) AS n, sum(a) AS sa, min(id) AS minid, '
		  . 'max(id) AS maxid FROM t1 GROUP BY grp, sub, f'
	],
	[
		'rv_agg_bool',
		'SELECT f, count(*) AS n, min(sub) AS mins, max(sub) AS maxs, '
		  . 'sum(b) AS sb, count(s) AS ns FROM t1 GROUP BY f'
	],
	[
		'rv_agg_filter',
		'SELECT sub, count(*) FILTER (WHERE a > 5) AS n_big, '
		  . 'sum(b) FILTER (WHERE f) AS sb_f, '
		  . 'sum(CASE WHEN a % 2 = 0 THEN a ELSE 0 END) AS s_even, '
		  . 'count(CASE WHEN s IS NULL THEN 1 END) AS n_null_s, '
		  . 'max(a) FILTER (WHERE grp IS NOT NULL) AS maxa '
		  . 'FROM t1 GROUP BY sub'
	],
	[
		'rv_agg_over',
		'SELECT grp, sum(a) * 2 + count(*) AS score, '
		  . 'max(b) - min(b) AS spread, '
		  . 'coalesce(sum(c), 0) + count(c) AS cc FROM t1 GROUP BY grp'
	],
	[
		'rv_agg_where',
		"SELECT sub, count(*) AS n, sum(a) AS sa, avg(b) AS ab FROM t1 "
		  . "WHERE b > 20 AND s <> 'x y' GROUP BY sub"
	],
	[
		'rv_global',
		'SELECT count(*) AS n, count(a) AS na, sum(a) AS sa, sum(b) AS sb, '
		  . 'min(a) AS mina, max(a) AS maxa, avg(a) AS aa, avg(b) AS ab, '
		  . 'min(s) AS mins, max(c) AS maxc FROM t1'
	],
	[
		'rv_global_where',
		'SELECT count(*) AS n, sum(c) AS sc, max(s) AS maxs FROM t1 WHERE grp = 1'
	],
	[
		'rv_global_empty',
		'SELECT count(*) AS n, sum(a) AS sa, max(s) AS maxs, avg(b) AS ab '
		  . 'FROM t1 WHERE a > 1000'
	],
	# bool_and / bool_or / every, DISTINCT aggregates, ordered string_agg
	# and array_agg, the stddev / variance families.  Numeric results are
	# compared as text: the view must show PostgreSQL's scale too.
	[
		'rv_agg_boolagg',
		'SELECT grp, bool_and(f) AS band, bool_or(f) AS bor, every(a > 0) AS ev, '
		  . "bool_or(s = 'foo') FILTER (WHERE sub = 'a') AS borf, count(*) AS n "
		  . 'FROM t1 GROUP BY grp'
	],
	[
		'rv_agg_distinct',
		'SELECT sub, count(DISTINCT a) AS cda, sum(DISTINCT a) AS sda, '
		  . 'avg(DISTINCT a)::text AS ada, count(DISTINCT lower(s)) AS cds, '
		  . 'count(DISTINCT b) FILTER (WHERE f) AS cdbf, sum(DISTINCT b)::text AS sdb, '
		  . 'avg(DISTINCT c)::text AS adc, count(DISTINCT grp) AS cdg '
		  . 'FROM t1 GROUP BY sub'
	],
	[
		'rv_agg_ordered',
		"SELECT grp, string_agg(s, ',' ORDER BY s NULLS FIRST) AS ss, "
		  . 'array_agg(a ORDER BY a DESC NULLS LAST) AS aa, '
		  . "string_agg(DISTINCT sub, '|' ORDER BY sub) AS sds "
		  . 'FROM t1 GROUP BY grp'
	],
	[
		'rv_agg_stats',
		'SELECT grp, stddev(a)::text AS sd_a, variance(b)::text AS var_b, '
		  . 'stddev_pop(c)::text AS sdp_c, var_samp(a)::text AS vs_a, '
		  . 'stddev_samp(b * a)::text AS sds_ba, '
		  . 'var_pop(CASE WHEN f THEN b ELSE c END)::text AS vp_mix, '
		  . 'stddev(a) FILTER (WHERE f)::text AS sd_af FROM t1 GROUP BY grp'
	],
	[
		'rv_agg_scale',
		'SELECT sub, sum(CASE WHEN f THEN b ELSE c END)::text AS s_mix, '
		  . 'avg(CASE WHEN f THEN b ELSE a END)::text AS a_mix, '
		  . 'sum(b / 4)::text AS s_quarter FROM t1 GROUP BY sub'
	],
	[
		'rv_global_moreaggs',
		'SELECT count(DISTINCT s) AS cds, sum(DISTINCT a) AS sda, bool_and(f) AS band, '
		  . 'bool_or(a > 15) AS bor, stddev(b)::text AS sd_b, var_pop(c)::text AS vp_c, '
		  . "string_agg(DISTINCT s, ',' ORDER BY s) AS ss FROM t1"
	],
	[
		'rv_join_moreaggs',
		'SELECT t1.grp, count(DISTINCT m."Val ue") AS cdv, '
		  . 'bool_or(m."Note" IS NULL) AS bnull, stddev(m."Amount")::text AS sd_amt, '
		  . 'array_agg(m."Key" ORDER BY m."Key") AS keys '
		  . "FROM t1 JOIN $mt m ON m.\"Key\" = t1.id GROUP BY t1.grp"
	],
	[
		'rv_join_global_moreaggs',
		'SELECT count(DISTINCT t1.sub) AS cds, var_samp(m."Val ue")::text AS vs, '
		  . 'bool_and(t1.f) AS band '
		  . "FROM t1 JOIN $mt m ON m.\"Key\" = t1.id WHERE t1.a > 3"
	],
	[
		'rv_having_moreaggs',
		'SELECT grp FROM t1 GROUP BY grp '
		  . 'HAVING count(DISTINCT sub) > 2 AND bool_or(f)'
	],
	[
		'rv_full',
		'SELECT sub, count(DISTINCT grp) AS ng, '
		  . "string_agg(DISTINCT s, ',' ORDER BY s) AS ss FROM t1 "
		  . 'GROUP BY sub HAVING count(*) > 1',
		'full'
	],
	[
		'"Mixed Case"."Agg View"',
		'SELECT "Val ue" % 5 AS "Bucket", count(*) AS "N", '
		  . 'sum("Amount") AS "Sum Amt", max("Note") AS "Max Note" '
		  . "FROM $mt GROUP BY \"Val ue\" % 5"
	],
	[
		'"Mixed Case"."Proj View"',
		'SELECT "Key", "Val ue", "Amount" * 2 AS "Dbl" '
		  . "FROM $mt WHERE \"Val ue\" IS NOT NULL"
	],);

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
# A second session holding a transaction open across refreshes, driven with
# IPC::Run (PostgreSQL::Test::BackgroundPsql is not in every 15.x, and keeps
# stderr across queries).

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
	my @body = map { gen_stmt($size, $insert_only) } 1 .. rint(1, 4);
	my $style = rand();
	if ($style < 0.2)
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
		push @sql, chance(0.6) ? 'ROLLBACK TO SAVEPOINT sp;' : 'RELEASE SAVEPOINT sp;';
		push @sql, gen_stmt($size, $insert_only) if chance(0.5);
	}
	push @sql, chance(0.2) ? 'ROLLBACK;' : 'COMMIT;';
	return join("\n", @sql);
}

sub t1_size
{
	my ($ret, $out) = run_sql('SELECT count(*) FROM t1');
	return $ret == 0 ? $out : 0;
}

# A transaction left open in a second session across a refresh: its writes
# must not be applied while it runs, and must be applied once it commits,
# although transactions that started later committed (and were applied)
# before it.
sub scenario_open_transaction
{
	my $s = Session->new($node, $db);
	my $commit = chance(0.75);
	my @errs;
	my @bg = ('BEGIN;', stmt_insert(),
		'UPDATE t1 SET a = coalesce(a, 0) + 100, grp = ' . rint(1, 6)
		  . ' WHERE ' . pred() . ';',
		'DELETE FROM t1 WHERE ' . pred() . ';',
		"INSERT INTO $mt VALUES "
		  . gen_mt_values(301, 400, rint(1, 10))
		  . ' ON CONFLICT ("Key") DO UPDATE SET "Amount" = EXCLUDED."Amount";');
	foreach my $q (@bg)
	{
		logmsg("-- [seed $seed round $round] second session:\n$q");
		my ($out, $err) = $s->query($q);
		push @errs, "$err\n  in: $q" if $err ne '';
	}

	# Later transactions commit while the first is still open; they only
	# insert, so nothing waits for the second session's row locks.
	run_workload(gen_transaction(0, 1)) for 1 .. rint(1, 3);
	check_views('(transaction open in another session)');

	my $q = 'INSERT INTO t1 VALUES ' . row_sql(gen_row()) . ', '
	  . row_sql(gen_row()) . ';';
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
	push @sql, gen_stmt($size, 0) for 1 .. rint(1, 3);
	push @sql, "SELECT incrload_refresh($_->{reg});" foreach @active;
	foreach my $i (0 .. $#active)
	{
		push @sql, "SELECT 'diff', $i, (" . diff_query($active[$i]) . ');';
		# The differing rows too: they are gone after this transaction.
		push @sql, "SELECT 'diffrow', $i, side || '|' || r FROM ("
		  . diff_rows_query($active[$i]) . ') x;';
	}
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

sub verify_views
{
	foreach my $v (grep { $_->{ok} } @views)
	{
		my ($ret, $out, $err) = run_sql(
			"SELECT missing || '/' || extra FROM incrload_verify($v->{reg})");
		is($ret == 0 ? $out : "error: $err",
			'0/0', "seed $seed round $round: incrload_verify($v->{ident})");
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
	$db = "rand_$seed";
	note("seed $seed, $rounds rounds "
		  . "(rerun: INCRLOAD_SEED=$seed INCRLOAD_ROUNDS=$rounds)");

	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql(
		$db, qq{
CREATE EXTENSION incrload;
CREATE TABLE t1 (id int, grp int, sub text, a int, b numeric(12,2),
                 c bigint, s text, f bool);
CREATE SCHEMA "Mixed Case";
CREATE TABLE $mt ("Key" int PRIMARY KEY, "Val ue" int,
                  "Amount" numeric(10,2), "Note" text);
});
	my @init = map { row_sql(gen_row()) } 1 .. 1000;
	run_workload('INSERT INTO t1 VALUES ' . join(', ', @init) . ';');
	run_workload("INSERT INTO $mt VALUES " . gen_mt_values(1, 150, 80) . ';');

	register_view($_) foreach @views;
	check_views('(after registration)');

	foreach my $r (1 .. $rounds)
	{
		$round = $r;    # a plain variable: the subs above read it
		@workload_errors = ();
		my $size = t1_size();
		logmsg("-- [seed $seed round $round] t1 has $size rows");
		my @txns = map { gen_transaction($size, 0) } 1 .. rint(3, 7);

		# TRUNCATE, about one round in eight; as the round's last
		# transaction half of the time, so that views over an empty
		# table are checked.
		if (chance(0.125) || $round % 8 == 4)
		{
			my $t = chance(0.3)
			  ? "BEGIN;\nTRUNCATE t1;\n" . stmt_insert() . "\n"
			  . (chance(0.3) ? 'ROLLBACK;' : 'COMMIT;')
			  : 'TRUNCATE t1;';
			if (chance(0.5)) { push @txns, $t; }
			else { splice @txns, rint(0, $#txns), 0, $t; }
		}

		foreach my $t (@txns)
		{
			run_workload($t);

			# Refresh a view now and then between transactions, so views
			# over the same table consume different batches.
			if (chance(0.2))
			{
				my $v = pick(grep { $_->{ok} } @views);
				run_workload("SELECT incrload_refresh($v->{reg});") if $v;
			}
		}
		if (chance(0.2))
		{
			my $v = pick(grep { $_->{ok} } @views);
			run_workload("SELECT incrload_full_refresh($v->{reg});") if $v;
		}
		is(join("\n", @workload_errors),
			'', "seed $seed round $round: workload ran without errors");

		scenario_open_transaction()
		  if $round % 4 == 1 || chance(0.15);
		scenario_refresh_in_writing_transaction(t1_size())
		  if $round % 4 == 2 || chance(0.15);

		# Unregister a view and register it again halfway: capture and
		# delta tables that other views share must survive.
		if ($round == int(($rounds + 1) / 2))
		{
			my ($v) = grep { $_->{ident} eq 'rv_dups' && $_->{ok} } @views;
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
		verify_views() if $round % 5 == 0 || $round == $rounds;
	}
}

$node->stop;
done_testing();
