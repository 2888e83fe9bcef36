# A dump of a PostgreSQL 15 cluster (test/major/make_dump.pl) restored into
# this newer major: every registered view survives, is recomputed once
# (the dump's xids and trees belong to the old cluster), then maintained
# incrementally and exactly; its owner's privileges still decide.
# scripts/test.sh runs it with PG_MAJOR=17|18|19, which makes the dump first
# and passes it in INCRLOAD_OLD_DUMP.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $dump = $ENV{INCRLOAD_OLD_DUMP};
my $node = PostgreSQL::Test::Cluster->new('major');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'incrload'\nincrload.enabled = off\n");
$node->start;
my $major = int($node->safe_psql('postgres', 'SHOW server_version_num') / 10000);

if (!defined $dump)
{
	if ($major == 15)
	{
		$node->stop;
		plan skip_all => 'restores a PostgreSQL 15 dump into a newer major: '
		  . 'PG_MAJOR=17|18|19 bash scripts/test.sh runs it';
	}
	# on a newer major the dump must be there
	fail("INCRLOAD_OLD_DUMP names the PostgreSQL 15 dump to restore into $major");
	done_testing();
	exit;
}
cmp_ok($major, '>', 15, "a newer major ($major) restores the PostgreSQL 15 dump");

$node->safe_psql('postgres', 'CREATE ROLE major_owner LOGIN; CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '-d', $node->connstr('restored'), $dump ], 'pg_restore');

my @views = split /\n/, $node->safe_psql('restored',
	'SELECT view_name::text FROM incrload.view WHERE aux_of IS NULL ORDER BY 1');
is(scalar(@views), 10, 'every registered view is restored');

# each view against its own query, as the catalog keeps it
sub check_views
{
	my ($label) = @_;
	for my $v (@views)
	{
		my $q = $node->safe_psql('restored',
			"SELECT query FROM incrload.view WHERE view_name = '$v'::regclass");
		$q =~ s/;\s*$//;
		my $diff = $node->safe_psql('restored',
			"SELECT count(*) FROM ((SELECT * FROM $v EXCEPT ALL ($q)) UNION ALL (($q) EXCEPT ALL SELECT * FROM $v)) x");
		is($diff, '0', "$label: $v equals its query");
	}
}

sub refresh_all
{
	# the nested view after the view it reads
	$node->safe_psql('restored',
		"SELECT incrload_refresh(view_name) FROM incrload.view WHERE aux_of IS NULL "
		  . "ORDER BY view_name::text = 'v_nested', view_name::text");
}

sub full_refreshes
{
	return $node->safe_psql('restored',
		"SELECT sum(full_refreshes) FROM incrload_stats WHERE mode = 'incremental'");
}

# writes in the new cluster, then the first refresh recomputes each view
$node->safe_psql('restored', q{
	INSERT INTO t VALUES (1000, 1, 1000, 'new');
	UPDATE t SET a = a + 1 WHERE id % 7 = 0;
	INSERT INTO e VALUES (1001, 1000, 4.5);
});
refresh_all();
check_views('after the first refresh');
is($node->safe_psql('restored',
	"SELECT count(*) FROM incrload_stats WHERE mode = 'incremental' AND full_refreshes < 2"),
	'0', 'every incremental view was recomputed once after the restore');
is($node->safe_psql('restored',
	"SELECT count(*) FROM incrload.view WHERE query_tree_major IS DISTINCT FROM $major"),
	'0', "every query tree is this major's ($major) now");

for my $round (1 .. 3)
{
	$node->safe_psql('restored', qq{
		INSERT INTO t SELECT 2000 + $round * 100 + i, i % 5, i, 'r$round' FROM generate_series(1, 20) i;
		UPDATE t SET g = (g + 1) % 5 WHERE id % 11 = $round;
		DELETE FROM t WHERE id % 13 = $round;
		UPDATE e SET v = v + 1 WHERE id % 6 = $round;
		UPDATE d SET name = name || 'x' WHERE g = $round;
	});
	my $before = full_refreshes();
	refresh_all();
	is(full_refreshes(), $before, "round $round: applied incrementally");
	check_views("round $round");
}

# the owner's SELECT on every base table is still required, also on a
# table read through a plain view the owner may read
$node->safe_psql('restored', 'REVOKE SELECT ON t FROM major_owner');
$node->safe_psql('restored', 'INSERT INTO t VALUES (5000, 2, 5000, NULL)');
for my $v ('v_distinct', 'v_join', 'v_outer')
{
	my ($ret, $out, $err) = $node->psql('restored', "SELECT incrload_refresh('$v')");
	like($err, qr/permission denied for table t/,
		"$v: the apply fails once its owner may not read t");
}
$node->safe_psql('restored', 'GRANT SELECT ON t TO major_owner');
refresh_all();
check_views('after the grant');

$node->stop;
done_testing();
