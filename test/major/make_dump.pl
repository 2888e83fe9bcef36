# The PostgreSQL 15 half of the major-version test (scripts/test.sh runs it
# with PG_MAJOR=17|18|19): a cluster of the host's 15 with registered views
# of several kinds, some of them owned by a plain role, changes pending at
# dump time, dumped with pg_dump -Fc to $INCRLOAD_DUMP_OUT.  The other
# major restores it in test/t/021_dump_restore_major.pl.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $out = $ENV{INCRLOAD_DUMP_OUT};
BAIL_OUT('INCRLOAD_DUMP_OUT must name the dump file to write') unless $out;

my $node = PostgreSQL::Test::Cluster->new('pg15');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'incrload'\nincrload.enabled = off\n");
$node->start;
like($node->safe_psql('postgres', 'SHOW server_version_num'), qr/^15/,
	'the dump is made by PostgreSQL 15');

# xids well ahead of a new cluster's
$node->safe_psql('postgres', 'CREATE TABLE burn (i int)');
$node->safe_psql('postgres',
	"DO \$\$BEGIN FOR i IN 1..300 LOOP INSERT INTO burn VALUES (i); COMMIT; END LOOP; END\$\$");
$node->safe_psql('postgres', q{
	CREATE EXTENSION incrload;
	CREATE ROLE major_owner LOGIN;
	CREATE TABLE t (id int PRIMARY KEY, g int, a int, note text);
	CREATE TABLE d (g int PRIMARY KEY, name text);
	CREATE TABLE e (id int PRIMARY KEY, t_id int, v numeric);
	INSERT INTO t SELECT i, i % 5, i, CASE WHEN i % 4 = 0 THEN NULL ELSE 'x' || i END
	  FROM generate_series(1, 200) i;
	INSERT INTO d SELECT i, 'n' || i FROM generate_series(0, 5) i;
	INSERT INTO e SELECT i, i * 3 % 210, i / 7.0 FROM generate_series(1, 120) i;
	CREATE VIEW plain_v AS SELECT id, g, a FROM t WHERE a > 10;
	GRANT SELECT ON t, d, e, plain_v TO major_owner;
	GRANT TRIGGER ON t, d, e TO major_owner;
	GRANT CREATE ON SCHEMA public TO major_owner;
	GRANT EXECUTE ON FUNCTION incrload_register_view(text, text, interval, text, interval),
	  incrload_refresh(regclass) TO major_owner;
});

my %views = (
	v_agg    => [ 'SELECT g, count(*) AS n, sum(a) AS s, max(a) AS m, avg(a) AS av FROM t GROUP BY g', 'incremental' ],
	v_join   => [ 'SELECT d.name, count(*) AS n FROM t JOIN d ON d.g = t.g GROUP BY d.name', 'incremental' ],
	v_proj   => [ 'SELECT id, a, note FROM t WHERE a % 3 = 0', 'incremental' ],
	v_outer  => [ 'SELECT t.id, e.v FROM t LEFT JOIN e ON e.t_id = t.id', 'incremental' ],
	v_exists => [ 'SELECT id FROM t WHERE EXISTS (SELECT FROM e WHERE e.t_id = t.id AND e.v > 3)', 'incremental' ],
	v_union  => [ 'SELECT g FROM t WHERE a < 50 UNION ALL SELECT g FROM d', 'incremental' ],
	v_distinct => [ 'SELECT DISTINCT g FROM plain_v', 'incremental' ],
	v_having => [ 'SELECT g, sum(a) AS s FROM t GROUP BY g HAVING count(*) > 30', 'incremental' ],
	v_full   => [ 'SELECT g, count(*) OVER () AS c FROM d', 'full' ],
);
for my $v (sort keys %views)
{
	my ($q, $mode) = @{ $views{$v} };
	# half of them belong to a plain role
	my $as = $v =~ /^v_(join|outer|distinct)$/ ? 'SET ROLE major_owner;' : '';
	$node->safe_psql('postgres',
		"$as SELECT incrload_register_view('$v', \$q\$$q\$q\$, '7 seconds', '$mode')");
}
# a view over a registered view
$node->safe_psql('postgres',
	"SELECT incrload_register_view('v_nested', 'SELECT count(*) AS groups, sum(n) AS rows FROM v_agg')");

# changes applied, then changes pending at dump time
$node->safe_psql('postgres', q{
	UPDATE t SET g = 4 WHERE id < 20;
	DELETE FROM t WHERE id > 190;
	INSERT INTO e VALUES (500, 7, 9.5);
});
$node->safe_psql('postgres', "SELECT incrload_refresh(view_name) FROM incrload.view ORDER BY view_name::text");
$node->safe_psql('postgres', q{
	UPDATE t SET a = a * 2 WHERE id % 9 = 0;
	INSERT INTO t SELECT 300 + i, i % 5, i, NULL FROM generate_series(1, 15) i;
	DELETE FROM e WHERE id % 10 = 0;
	UPDATE d SET name = 'renamed' WHERE g = 2;
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM incrload_stats WHERE pending_changes > 0') > 0,
	1, 'changes pending at dump time');

$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('postgres'), '-f', $out ],
	'pg_dump of the PostgreSQL 15 cluster');
$node->stop;
done_testing();
