# Smoke test of the TAP harness: one node with incrload preloaded, one view,
# one insert, one refresh.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('smoke');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'incrload'
incrload.enabled = off
});
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION incrload');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_extension WHERE extname = 'incrload'"),
	'1', 'extension created');

$node->safe_psql('postgres', q{
CREATE TABLE smoke (k int, v int);
INSERT INTO smoke VALUES (1, 10), (1, 20), (2, NULL);
SELECT incrload_register_view('smoke_v',
    'SELECT k, count(*) AS n, sum(v) AS s FROM smoke GROUP BY k');
});

my $query = 'SELECT k, count(*) AS n, sum(v) AS s FROM smoke GROUP BY k';
is($node->safe_psql('postgres', 'SELECT * FROM smoke_v ORDER BY k'),
	"1|2|30\n2|1|", 'view filled at registration');

$node->safe_psql('postgres',
	'INSERT INTO smoke VALUES (2, 5), (3, 7); DELETE FROM smoke WHERE v = 10');
my $applied =
  $node->safe_psql('postgres', "SELECT incrload_refresh('smoke_v')");
ok($applied =~ /^\d+$/, "incrload_refresh returns a count ($applied)");

is($node->safe_psql('postgres', 'SELECT * FROM smoke_v ORDER BY k'),
	"1|1|20\n2|2|5\n3|1|7", 'view after refresh');
is( $node->safe_psql(
		'postgres', "SELECT count(*) FROM (
		(SELECT * FROM smoke_v EXCEPT ALL $query)
		UNION ALL ($query EXCEPT ALL SELECT * FROM smoke_v)) d"),
	'0',
	'view equals its query');

$node->stop;
done_testing();
