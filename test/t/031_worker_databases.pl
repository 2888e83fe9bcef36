# One worker per database that has the extension: an extension created
# after start-up is found at once (the launcher's naptime is ten minutes
# here, so only the wake-up at commit can find it), DROP EXTENSION ends that
# database's worker, and a database without the extension is probed once,
# not once per launcher round.  Statements that need a database to
# themselves work while our worker is connected to it: DROP DATABASE (also
# by a non-superuser owner, also WITH (FORCE)), ALTER DATABASE ... RENAME
# (also in a transaction block), ... SET TABLESPACE, CREATE DATABASE ...
# TEMPLATE.  The worker comes back when such a statement fails or is done,
# leaves a database that becomes a template, and is not stopped by someone
# who may not drop the database.
use strict;
use File::Spec;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dbs');
$node->init;
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'incrload'
incrload.launcher_naptime = '10min'
log_min_messages = debug1
});
$node->start;

my $query = 'SELECT k, count(*) AS n, sum(v) AS s FROM t GROUP BY k';
my $creates = 0;    # CREATE EXTENSION incrload commits

sub workers
{
	my ($db) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'incrload worker' AND datname = '$db'"
	);
}

sub worker_pid
{
	my ($db) = @_;
	return $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'incrload worker' AND datname = '$db'"
	);
}

sub wait_worker
{
	my ($db, $what) = @_;
	ok( $node->poll_query_until(
			'postgres', qq{
		SELECT count(*) = 1 FROM pg_stat_activity
		 WHERE backend_type = 'incrload worker' AND datname = '$db'}),
		"$what: a worker serves $db");
}

sub wait_no_worker
{
	my ($db, $what) = @_;
	ok( $node->poll_query_until(
			'postgres', qq{
		SELECT count(*) = 0 FROM pg_stat_activity
		 WHERE backend_type = 'incrload worker' AND datname = '$db'}),
		"$what: no worker in $db");
}

sub setup_db
{
	my ($db) = @_;
	$node->safe_psql(
		$db, qq{
CREATE EXTENSION incrload;
CREATE TABLE t (k int, v int);
INSERT INTO t SELECT i % 3, i FROM generate_series(1, 30) i;
SELECT incrload_register_view('v_t', '$query');
});
	$creates++;
}

# writes in $db reach its view with no manual refresh
sub check_maintained
{
	my ($db, $what) = @_;
	$node->safe_psql($db,
		'INSERT INTO t SELECT i % 4, i FROM generate_series(1, 20) i; DELETE FROM t WHERE v = 7'
	);
	ok( $node->poll_query_until(
			$db, qq{
		SELECT (SELECT pending_changes FROM incrload_stats WHERE view_name = 'v_t'::regclass) = 0
		   AND (SELECT count(*) FROM ((SELECT * FROM v_t EXCEPT ALL $query)
		                   UNION ALL ($query EXCEPT ALL SELECT * FROM v_t)) d) = 0}),
		"$what: view in $db maintained by the worker");
}

ok( $node->poll_query_until(
		'postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'incrload launcher'"
	),
	'the launcher runs');

# --- a database gets the extension after start-up -----------------------------
$node->safe_psql('postgres', 'CREATE DATABASE db2');
setup_db('db2');
wait_worker('db2', 'extension created after start-up');
check_maintained('db2', 'after start-up');
is(workers('postgres'), '0', 'no worker stays in a database without the extension');

# --- DROP EXTENSION ends the worker; CREATE EXTENSION brings it back ------------
my $log_offset = -s $node->logfile;
$node->safe_psql('db2', 'DROP EXTENSION incrload CASCADE');
wait_no_worker('db2', 'DROP EXTENSION');
ok( $node->log_contains(
		qr/incrload worker for database "db2" exits: the extension was dropped/,
		$log_offset),
	'the worker says why it exits');
$node->safe_psql('db2', 'DROP TABLE t');
setup_db('db2');
wait_worker('db2', 'extension created again');
check_maintained('db2', 'extension created again');

# --- someone who may not drop the database does not stop the worker -----------
$node->safe_psql('postgres', 'CREATE ROLE mallory LOGIN');
my $pid = worker_pid('db2');
my ($ret, $stdout, $stderr) = $node->psql('postgres', 'DROP DATABASE db2',
	extra_params => [ '-U', 'mallory' ]);
like($stderr, qr/must be owner of database db2/, 'a non-owner cannot drop it');
is(worker_pid('db2'), $pid, '... and the worker was left alone');

# --- RENAME ---------------------------------------------------------------------
($ret, $stdout, $stderr) =
  $node->psql('postgres', 'ALTER DATABASE db2 RENAME TO db2r');
is($ret, 0, 'ALTER DATABASE RENAME while the worker is connected')
  or diag($stderr);
wait_worker('db2r', 'after RENAME');
check_maintained('db2r', 'after RENAME');

($ret, $stdout, $stderr) = $node->psql('postgres',
	'BEGIN; ALTER DATABASE db2r RENAME TO db2; COMMIT;');
is($ret, 0, 'ALTER DATABASE RENAME in a transaction block') or diag($stderr);
wait_worker('db2', 'after RENAME in a transaction block');
check_maintained('db2', 'after RENAME in a transaction block');

# --- SET TABLESPACE ---------------------------------------------------------------
# absolute: PostgreSQL 17's tempdir() is relative to the test's directory
my $tsdir = File::Spec->rel2abs(PostgreSQL::Test::Utils::tempdir());
$node->safe_psql('postgres', "CREATE TABLESPACE ts LOCATION '$tsdir'");
($ret, $stdout, $stderr) =
  $node->psql('postgres', 'ALTER DATABASE db2 SET TABLESPACE ts');
is($ret, 0, 'ALTER DATABASE SET TABLESPACE while the worker is connected')
  or diag($stderr);
wait_worker('db2', 'after SET TABLESPACE');
check_maintained('db2', 'after SET TABLESPACE');

# --- CREATE DATABASE ... TEMPLATE -------------------------------------------------
($ret, $stdout, $stderr) =
  $node->psql('postgres', 'CREATE DATABASE db3 TEMPLATE db2');
is($ret, 0, 'CREATE DATABASE TEMPLATE a database our worker serves')
  or diag($stderr);
is( $node->safe_psql(
		'db3',
		"SELECT count(*) FROM ((SELECT * FROM v_t EXCEPT ALL $query) UNION ALL ($query EXCEPT ALL SELECT * FROM v_t)) d"
	),
	'0',
	'the copy\'s view equals its query');
wait_worker('db3', 'the copy');
wait_worker('db2', 'the template, after the copy');
check_maintained('db3', 'the copy');
check_maintained('db2', 'the template');

# --- DROP DATABASE ---------------------------------------------------------------
# refused because of a user's session: the error counts that session only,
# and our worker comes back afterwards
my $session = $node->background_psql('db3');
$session->query_safe('SELECT 1');
($ret, $stdout, $stderr) = $node->psql('postgres', 'DROP DATABASE db3');
like(
	$stderr,
	qr/database "db3" is being accessed by other users.*There is 1 other session using the database/s,
	'DROP DATABASE refused for a user session, not for our worker');
$session->quit;
wait_worker('db3', 'after a refused DROP DATABASE');

($ret, $stdout, $stderr) = $node->psql('postgres', 'DROP DATABASE db3');
is($ret, 0, 'DROP DATABASE while the worker is connected') or diag($stderr);
wait_no_worker('db3', 'dropped database');

# by an owner who is not a superuser, plain and WITH (FORCE)
$node->safe_psql('postgres', 'CREATE ROLE alice LOGIN CREATEDB');
for my $db (qw(db4 db5))
{
	$node->safe_psql('postgres', "CREATE DATABASE $db OWNER alice");
	setup_db($db);
	wait_worker($db, 'owned by alice');
}
($ret, $stdout, $stderr) = $node->psql('postgres', 'DROP DATABASE db4',
	extra_params => [ '-U', 'alice' ]);
is($ret, 0, 'DROP DATABASE by its owner, not a superuser') or diag($stderr);
($ret, $stdout, $stderr) = $node->psql('postgres',
	'DROP DATABASE db5 WITH (FORCE)',
	extra_params => [ '-U', 'alice' ]);
is($ret, 0, 'DROP DATABASE WITH (FORCE) by its owner, not a superuser')
  or diag($stderr);
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_database WHERE datname IN ('db4', 'db5')"),
	'0', 'both are gone');

# --- a template gets no worker -----------------------------------------------------
$node->safe_psql('postgres', 'ALTER DATABASE db2 IS_TEMPLATE true');
wait_no_worker('db2', 'database made a template');
$node->safe_psql('postgres', 'ALTER DATABASE db2 IS_TEMPLATE false');
wait_worker('db2', 'no longer a template');
check_maintained('db2', 'no longer a template');

($ret, $stdout, $stderr) = $node->psql('postgres', 'DROP DATABASE db2');
is($ret, 0, 'DROP DATABASE of the last database with the extension')
  or diag($stderr);
wait_no_worker('db2', 'last database dropped');
is( $node->safe_psql(
		'postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'incrload launcher'"
	),
	'1',
	'the launcher still runs');

# --- a database without the extension is probed once per CREATE EXTENSION --------
my $pgoid = $node->safe_psql('postgres',
	"SELECT oid FROM pg_database WHERE datname = 'postgres'");
my $log = slurp_file($node->logfile);
my $probes = () =
  $log =~ /DEBUG:  registering background worker "incrload worker $pgoid"/g;
cmp_ok($probes, '>=', 1, "database postgres was probed ($probes times)");
cmp_ok($probes, '<=', 1 + $creates,
	"... at most once at start-up and once per CREATE EXTENSION ($creates)");
my $refused = () = $log =~ /ERROR:  (source )?database "[^"]*" is being accessed by other users/g;
is($refused, 1, 'no statement but the one refused for a user session failed for other sessions');

$node->stop;
done_testing();
