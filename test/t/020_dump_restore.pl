# pg_dump from one cluster, pg_restore into another (where xids mean
# nothing): registered views, their queries and settings survive; each view
# is recomputed once, then maintained incrementally.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

sub new_node
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = 'incrload'\nincrload.enabled = off\n");
	$node->start;
	return $node;
}

my %views = (
	v_agg   => 'SELECT g, count(*) AS n, sum(a) AS s, max(a) AS m FROM t GROUP BY g',
	v_join  => 'SELECT d.name, count(*) AS n FROM t JOIN d ON d.g = t.g GROUP BY d.name',
	v_proj  => 'SELECT id, a FROM t WHERE a % 3 = 0',
	v_full  => 'SELECT g, count(*) OVER () AS c FROM d',
	# rewritten before registration: the catalog keeps the rewritten
	# query (auxiliary views, incrload.first), which must restore
	v_rollup => 'SELECT g, a % 2 AS odd, sum(a) AS s, GROUPING(g, a % 2) AS gg FROM t GROUP BY ROLLUP (g, a % 2)',
	v_don    => 'SELECT DISTINCT ON (g) g, id, a FROM t ORDER BY g, a DESC, id',
	v_win    => 'SELECT id, sum(a) OVER (PARTITION BY g) AS ga FROM t',
	# read through an index of the storage table; expansions; JSON with
	# pinned settings
	v_top    => 'SELECT id, a FROM t ORDER BY a DESC, id LIMIT 7',
	v_lat    => 'SELECT t.id, x FROM t, generate_series(t.g, 2) x',
	v_json   => 'SELECT g, jsonb_agg(a ORDER BY id) AS arr FROM t GROUP BY g',
	# a recursive WITH query: its terms are SQL made from the tree at apply
	v_rec    => 'WITH RECURSIVE r(a, b) AS (SELECT id, g FROM t WHERE id < 40 UNION SELECT r.a, d.g FROM r JOIN d ON d.g = r.b + 1) SELECT * FROM r',
);

sub check_views
{
	my ($node, $db, $label) = @_;
	for my $v (sort keys %views)
	{
		my $q = $views{$v};
		my $diff = $node->safe_psql($db,
			"SELECT count(*) FROM ((SELECT * FROM $v EXCEPT ALL ($q)) UNION ALL (($q) EXCEPT ALL SELECT * FROM $v)) x");
		is($diff, '0', "$label: $v equals its query");
	}
}

my $src = new_node('src');
# push the source's xids well ahead, so restored xids are "in the future"
# of the target cluster
$src->safe_psql('postgres', 'CREATE TABLE burn (i int)');
$src->safe_psql('postgres', "DO \$\$BEGIN FOR i IN 1..300 LOOP INSERT INTO burn VALUES (i); COMMIT; END LOOP; END\$\$");
$src->safe_psql('postgres', q{
	CREATE EXTENSION incrload;
	CREATE TABLE t (id int PRIMARY KEY, g int, a int);
	CREATE TABLE d (g int PRIMARY KEY, name text);
	INSERT INTO t SELECT i, i % 5, i FROM generate_series(1, 200) i;
	INSERT INTO d SELECT i, 'n' || i FROM generate_series(0, 4) i;
});
for my $v (sort keys %views)
{
	my $mode = $v eq 'v_full' ? 'full' : 'incremental';
	$src->safe_psql('postgres',
		"SELECT incrload_register_view('$v', \$q\$$views{$v}\$q\$, '7 seconds', '$mode')");
}
# pending changes at dump time
$src->safe_psql('postgres', 'UPDATE t SET g = 4 WHERE id < 20; DELETE FROM t WHERE id > 190');

my $dump = $src->basedir . '/src.dump';
$src->command_ok([ 'pg_dump', '-Fc', '-d', $src->connstr('postgres'), '-f', $dump ], 'pg_dump');

my $dst = new_node('dst');
$dst->safe_psql('postgres', 'CREATE DATABASE restored');
$dst->command_ok([ 'pg_restore', '-d', $dst->connstr('restored'), $dump ], 'pg_restore');

# every view, auxiliary ones included, with its mode and interval
my $listing = "SELECT string_agg(view_name::text || ':' || mode || ':' || refresh_interval, ',' ORDER BY view_name::text) FROM incrload_stats";
my $listed = $src->safe_psql('postgres', $listing);
like($listed, qr/^incrload\.v_rollup_sub:incremental:00:00:07,.*v_agg:incremental:00:00:07,v_don:incremental:00:00:07,v_full:full:00:00:07,v_join:incremental:00:00:07,v_json:incremental:00:00:07,v_lat:incremental:00:00:07,v_proj:incremental:00:00:07,v_rec:incremental:00:00:07,v_rollup:incremental:00:00:07,v_top:incremental:00:00:07,v_win:incremental:00:00:07$/,
	'every view listed before the dump');
is($dst->safe_psql('restored', $listing), $listed, 'views and settings survive');
is($dst->safe_psql('restored', "SELECT count(*) FROM pg_indexes WHERE tablename = 'v_top_storage'"),
	'2', 'the index a top-N view is read through survives');

# writes in the new cluster, then the first refresh recomputes
$dst->safe_psql('restored', 'INSERT INTO t VALUES (1000, 1, 1000); UPDATE t SET a = a + 1 WHERE id % 7 = 0');
for my $v (sort keys %views)
{
	$dst->safe_psql('restored', "SELECT incrload_refresh('$v')");
}
check_views($dst, 'restored', 'after first refresh');
is($dst->safe_psql('restored',
	"SELECT count(*) FROM incrload_stats WHERE mode = 'incremental' AND full_refreshes < 2"),
	'0', 'every incremental view was recomputed after the restore');

# then incremental again: several rounds
for my $round (1 .. 3)
{
	$dst->safe_psql('restored', qq{
		INSERT INTO t SELECT 2000 + $round * 100 + i, i % 5, i FROM generate_series(1, 20) i;
		UPDATE t SET g = (g + 1) % 5 WHERE id % 11 = $round;
		DELETE FROM t WHERE id % 13 = $round;
		UPDATE d SET name = name || 'x' WHERE g = $round;
	});
	my $before = $dst->safe_psql('restored', "SELECT sum(full_refreshes) FROM incrload_stats WHERE mode = 'incremental'");
	for my $v (sort keys %views)
	{
		$dst->safe_psql('restored', "SELECT incrload_refresh('$v')");
	}
	my $after = $dst->safe_psql('restored', "SELECT sum(full_refreshes) FROM incrload_stats WHERE mode = 'incremental'");
	is($after, $before, "round $round: applied incrementally");
	check_views($dst, 'restored', "round $round");
	is($dst->safe_psql('restored', "SELECT count(*) FROM incrload_stats WHERE pending_changes > 0"),
		'0', "round $round: nothing pending");
}

# After the first apply the restored views protect what they read again,
# and follow renames
my ($ret, $out, $err) = $dst->psql('restored', 'DROP TABLE d');
isnt($ret, 0, 'DROP TABLE of a base table is refused after the restore');
like($err, qr/view v_join depends on table d/, 'the refusal names the view');
($ret, $out, $err) = $dst->psql('restored', 'ALTER TABLE t DROP COLUMN a');
like($err, qr/depends on column a of table t/, 'dropping a used column is refused');
$dst->safe_psql('restored', q{
	ALTER TABLE t RENAME TO t2;
	ALTER TABLE t2 RENAME COLUMN g TO grp;
	INSERT INTO t2 VALUES (5000, 2, 5000);
});
%views = (
	v_agg   => 'SELECT grp AS g, count(*) AS n, sum(a) AS s, max(a) AS m FROM t2 GROUP BY grp',
	v_join  => 'SELECT d.name, count(*) AS n FROM t2 JOIN d ON d.g = t2.grp GROUP BY d.name',
	v_proj  => 'SELECT id, a FROM t2 WHERE a % 3 = 0',
	v_full  => 'SELECT g, count(*) OVER () AS c FROM d',
	v_rollup => 'SELECT grp AS g, a % 2 AS odd, sum(a) AS s, GROUPING(grp, a % 2) AS gg FROM t2 GROUP BY ROLLUP (grp, a % 2)',
	v_don    => 'SELECT DISTINCT ON (grp) grp AS g, id, a FROM t2 ORDER BY grp, a DESC, id',
	v_win    => 'SELECT id, sum(a) OVER (PARTITION BY grp) AS ga FROM t2',
	v_top    => 'SELECT id, a FROM t2 ORDER BY a DESC, id LIMIT 7',
	v_lat    => 'SELECT t2.id, x FROM t2, generate_series(t2.grp, 2) x',
	v_rec    => 'WITH RECURSIVE r(a, b) AS (SELECT id, grp FROM t2 WHERE id < 40 UNION SELECT r.a, d.g FROM r JOIN d ON d.g = r.b + 1) SELECT * FROM r',
	v_json   => 'SELECT grp AS g, jsonb_agg(a ORDER BY id) AS arr FROM t2 GROUP BY grp',
);
for my $v (sort keys %views)
{
	$dst->safe_psql('restored', "SELECT incrload_refresh('$v')");
}
check_views($dst, 'restored', 'after renames');
like($dst->safe_psql('restored', "SELECT query FROM incrload.view WHERE view_name = 'v_agg'::regclass"),
	qr/FROM public\.t2/, 'the query text follows the rename');

$src->stop;
$dst->stop;
done_testing();
