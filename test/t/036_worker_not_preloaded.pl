# Without shared_preload_libraries = 'incrload' nothing refreshes in the
# background: registering a view warns so, with a hint, and there is no
# launcher or worker; incrload_refresh(), pause and resume still work.
# With the library preloaded the warning is not given.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $query = 'SELECT k, count(*) AS n FROM t GROUP BY k';

sub setup
{
	my ($node) = @_;
	$node->safe_psql('postgres',
		'CREATE EXTENSION incrload; CREATE TABLE t (k int); INSERT INTO t VALUES (1), (2), (2)'
	);
	my ($ret, $stdout, $stderr) = $node->psql('postgres',
		"SELECT incrload_register_view('v', '$query')");
	is($ret, 0, $node->name . ': registration succeeds');
	return $stderr;
}

my $plain = PostgreSQL::Test::Cluster->new('plain');
$plain->init;
$plain->start;
my $stderr = setup($plain);
like(
	$stderr,
	qr/WARNING:  incrload is not in shared_preload_libraries, so nothing refreshes view "v" in the background/,
	'not preloaded: registration warns');
like(
	$stderr,
	qr/HINT:  Call incrload_refresh\(\) yourself, or add incrload to shared_preload_libraries and restart\./,
	'... with a hint');
is( $plain->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'incrload%'"),
	'0',
	'not preloaded: no launcher, no worker');
$plain->safe_psql('postgres', 'INSERT INTO t VALUES (3), (1)');
is($plain->safe_psql('postgres',
	"SELECT pending_changes FROM incrload_stats WHERE view_name = 'v'::regclass"),
	'2', 'not preloaded: changes wait');
$plain->safe_psql('postgres', "SELECT incrload_pause('v'); SELECT incrload_resume('v')");
is($plain->safe_psql('postgres', "SELECT incrload_refresh('v')"),
	'2', 'not preloaded: incrload_refresh applies them');
is( $plain->safe_psql(
		'postgres',
		"SELECT count(*) FROM ((SELECT * FROM v EXCEPT ALL $query) UNION ALL ($query EXCEPT ALL SELECT * FROM v)) d"
	),
	'0',
	'not preloaded: the view equals its query');
$plain->safe_psql('postgres', 'CREATE DATABASE other');
$plain->safe_psql('postgres', 'DROP DATABASE other');
$plain->stop;

my $preloaded = PostgreSQL::Test::Cluster->new('preloaded');
$preloaded->init;
$preloaded->append_conf('postgresql.conf',
	"shared_preload_libraries = 'incrload'\n");
$preloaded->start;
$stderr = setup($preloaded);
unlike($stderr, qr/shared_preload_libraries/, 'preloaded: no warning');
$preloaded->stop;

done_testing();
