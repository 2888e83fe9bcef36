# monitoring/queries.yaml against the real exporter: postgres_exporter from
# the Debian package (prometheus-postgres-exporter) on loopback, scraping a
# throwaway cluster with incrload preloaded, three views in known states
# (active, paused, failing) in database "app" and no extension in database
# "postgres"; its /metrics page must show every incrload metric of every view
# with the values incrload_stats, incrload_slis() and incrload_refresh_history
# give.  The exporter logs in as a role with only what monitoring/README.md
# tells a DBA to grant.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../../monitoring/lib";

use HTTP::Tiny;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use YAML::XS ();
use IncrloadMonitoring qw(load_queries read_file);

my $root = "$FindBin::Bin/../..";
my $queries_file = "$root/monitoring/queries.yaml";

# --- the exporter must be there: a missing tool is a failure, not a skip ---
my $exporter = $ENV{INCRLOAD_POSTGRES_EXPORTER};
if (!defined $exporter)
{
	for my $dir (split /:/, $ENV{PATH} // '')
	{
		if (-x "$dir/prometheus-postgres-exporter")
		{
			$exporter = "$dir/prometheus-postgres-exporter";
			last;
		}
	}
}
if (!defined $exporter || !-x $exporter)
{
	fail('prometheus-postgres-exporter is installed (Debian package '
		  . 'prometheus-postgres-exporter; scripts/setup.sh installs it)');
	done_testing();
	exit 0;
}
pass("postgres_exporter found: $exporter");

my ($defined, $problems) = load_queries($queries_file);
is_deeply($problems, [], 'queries.yaml is well-formed');

# --- a cluster with three views in known states ---------------------------
my $node = PostgreSQL::Test::Cluster->new('monitoring');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'incrload'
incrload.naptime = 100ms
incrload.launcher_naptime = 200ms
});
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE app');
$node->safe_psql('app', q{
CREATE EXTENSION incrload;
CREATE SCHEMA app;
CREATE ROLE alice;
GRANT CREATE, USAGE ON SCHEMA public, app TO alice;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO alice;
CREATE TABLE t_active (k int, v int);
CREATE TABLE t_paused (k int PRIMARY KEY, v int);
CREATE TABLE t_failing (k int, v int);
GRANT SELECT, TRIGGER ON t_active, t_paused, t_failing TO alice;
INSERT INTO t_paused SELECT i, i * 10 FROM generate_series(1, 4) i;
SET ROLE alice;
SELECT incrload_register_view('public.v_active',
    'SELECT k, count(*) AS n, sum(v) AS s FROM t_active GROUP BY k', '1 second');
SELECT incrload_register_view('app."Paused View"',
    'SELECT k, v FROM t_paused', '1 minute');
SELECT incrload_register_view('public.v_failing',
    'SELECT k, count(*) AS n FROM t_failing GROUP BY k', '1 second');
RESET ROLE;
-- the role postgres_exporter logs in as (monitoring/README.md)
CREATE ROLE incrload_monitor LOGIN;
GRANT pg_monitor TO incrload_monitor;
});

# active: five changes, applied by the worker
$node->safe_psql('app',
	'INSERT INTO t_active VALUES (1, 1), (1, 2), (2, 3), (3, 4), (3, 5)');
ok( $node->poll_query_until('app', q{
	SELECT pending_changes = 0 AND changes_applied = 5
	  FROM incrload_stats WHERE view_name = 'public.v_active'::regclass}),
	'the worker applied the five changes of v_active');
is_deeply(
	[ split /\|/, $node->safe_psql('app', q{SELECT * FROM incrload_verify('public.v_active')}) ],
	[ 0, 0 ], 'v_active verified exact');

# paused: one storage row lost behind incrload's back and found by a verify,
# then three changes that wait
$node->safe_psql('app', q{SELECT incrload_pause('app."Paused View"')});
my $paused_storage = $node->safe_psql('app',
	q{SET search_path = ''; SELECT storage_table::text FROM public.incrload_stats
	   WHERE view_name = 'app."Paused View"'::regclass});
$node->safe_psql('app',
	"SET session_replication_role = replica; "
	  . "DELETE FROM $paused_storage WHERE ctid = (SELECT min(ctid) FROM $paused_storage)");
is_deeply(
	[ split /\|/, $node->safe_psql('app', q{SELECT * FROM incrload_verify('app."Paused View"')}) ],
	[ 1, 0 ], 'the verify of the paused view finds the lost row');
$node->safe_psql('app', 'INSERT INTO t_paused VALUES (5, 50), (6, 60), (7, 70)');

# failing: its owner lost SELECT on the base table
$node->safe_psql('app', q{
REVOKE SELECT ON t_failing FROM alice;
INSERT INTO t_failing VALUES (1, 1);
});
ok( $node->poll_query_until('app', q{
	SELECT state = 'failing' AND consecutive_failures > 0
	  FROM incrload_stats WHERE view_name = 'public.v_failing'::regclass}),
	'v_failing fails in the background');
ok( $node->poll_query_until('app', q{
	SELECT count(*) > 0 FROM incrload_refresh_history
	 WHERE view_name = 'public.v_failing'::regclass AND outcome <> 'ok'}),
	'the worker wrote the failed attempts into the history');

# --- issue 8's SQL side: settings, history, SLIs --------------------------
# (each a statement of its own: until it lands these fail and say so)
for my $step (
	[ q{SELECT incrload_alter_view('public.v_active', verify_interval => '1 hour')},
		'incrload_alter_view sets a verify_interval' ],
	[ q{SELECT incrload_alter_view('app."Paused View"', repair => false)},
		'incrload_alter_view turns repair off' ],
	[ q{GRANT EXECUTE ON FUNCTION incrload_slis(interval) TO incrload_monitor},
		'incrload_slis(interval) can be granted to the monitoring role' ],)
{
	my ($ret, $out, $err) = $node->psql('app', $step->[0]);
	is($ret, 0, $step->[1]) or diag($err);
}

# --- start the exporter -------------------------------------------------------
my $port = PostgreSQL::Test::Cluster::get_free_port();
# named so that scripts/test.sh shows its end when the test fails
my $exporter_log = "$PostgreSQL::Test::Utils::log_path/050_monitoring_exporter_postgres_exporter.log";
my $exporter_h;
{
	local $ENV{DATA_SOURCE_NAME} = sprintf(
		'host=%s port=%d user=incrload_monitor dbname=postgres sslmode=disable',
		$node->host, $node->port);
	# every database: "app" has the extension, "postgres" and "template1"
	# do not, and must give no incrload series and no error
	$exporter_h = IPC::Run::start(
		[
			$exporter, "--extend.query-path=$queries_file",
			"--web.listen-address=127.0.0.1:$port",
			'--auto-discover-databases', '--disable-settings-metrics',
			'--log.level=info'
		],
		'<', \undef, '>', $exporter_log, '2>&1');
}
END
{
	if ($exporter_h)
	{
		$exporter_h->signal('TERM');
		$exporter_h->finish;
	}
}

my $http = HTTP::Tiny->new(timeout => 10);
my $url = "http://127.0.0.1:$port/metrics";

sub scrape
{
	my $res = $http->get($url);
	return undef unless $res->{success};
	return parse_metrics($res->{content});
}

# The text exposition format: { name => [ { labels => {...}, value => '...' } ] }
sub parse_metrics
{
	my ($text) = @_;
	my %m;
	for my $line (split /\n/, $text)
	{
		if ($line =~ /^# TYPE (\S+) (\S+)/)
		{
			$m{'# TYPE'}{$1} = $2;
			next;
		}
		next if $line =~ /^#/ || $line !~ /\S/;
		$line =~ /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/
		  or die "cannot parse metrics line: $line";
		my ($name, $lab, $value) = ($1, $2 // '', $3);
		my %labels;
		while ($lab =~ /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)
		{
			my ($k, $v) = ($1, $2);
			$v =~ s/\\n/\n/g;
			$v =~ s/\\(["\\])/$1/g;
			$labels{$k} = $v;
		}
		push @{ $m{$name} }, { labels => \%labels, value => $value };
	}
	return \%m;
}

my $metrics;
my $deadline = time() + $PostgreSQL::Test::Utils::timeout_default;
while (time() < $deadline)
{
	$metrics = scrape();
	last if $metrics && $metrics->{incrload_worker_up};
	usleep(100_000);
}
ok($metrics && $metrics->{incrload_worker_up}, "the exporter serves incrload metrics on $url")
  or diag(read_file($exporter_log));

# --- what the views are in SQL, read around a scrape until nothing moved ---
my @views = ('public.v_active', 'app."Paused View"', 'public.v_failing');
my $stats_sql = q{
SELECT view_name::text, storage_table::text, mode, state,
       extract(epoch FROM refresh_interval),
       coalesce(extract(epoch FROM last_refresh), 0),
       coalesce(extract(epoch FROM last_refresh_duration), 0),
       refreshes, failures, consecutive_failures, coalesce(last_error, ''),
       pending_changes,
       coalesce(extract(epoch FROM oldest_pending_change), 0),
       changes_applied, full_refreshes,
       coalesce(extract(epoch FROM last_verify), 0),
       coalesce(last_verify_mismatches, 0),
       strategy, coalesce((last_choice ~ '\mrecomputed\M')::int, 0)
  FROM public.incrload_stats ORDER BY 1};
my @stats_cols = qw(view storage_table mode state refresh_interval_seconds
  last_refresh_timestamp_seconds last_refresh_duration_seconds refreshes_total
  failures_total consecutive_failures last_error pending_changes
  oldest_pending_change_timestamp_seconds changes_applied_total
  full_refreshes_total last_verify_timestamp_seconds last_verify_mismatches
  strategy last_apply_recomputed);
# with an empty search_path regclass prints every name schema-qualified
my $qualify = q{SET search_path = ''; };
my $history_sql = q{
SELECT view_name::text, count(*) FILTER (WHERE kind <> 'verify'),
       count(*) FILTER (WHERE kind <> 'verify' AND outcome = 'ok'),
       count(*) FILTER (WHERE kind <> 'verify' AND outcome <> 'ok'),
       count(*) FILTER (WHERE kind = 'verify' AND outcome = 'ok'),
       coalesce(sum(delta_rows) FILTER (WHERE kind <> 'verify' AND outcome = 'ok'), 0)
  FROM public.incrload_refresh_history
 WHERE started_at > pg_catalog.now() - interval '1 hour'
 GROUP BY 1 ORDER BY 1};

sub sql_state
{
	my $stats = $node->safe_psql('app', $qualify . $stats_sql);
	my ($ret, $history, $err) = $node->psql('app', $qualify . $history_sql);
	return ($stats, $ret == 0 ? $history : "error: $err");
}

my ($stats_text, $history_text);
for my $try (1 .. 50)
{
	my ($s1, $h1) = sql_state();
	$metrics = scrape();
	my ($s2, $h2) = sql_state();
	($stats_text, $history_text) = ($s2, $h2);
	last if $metrics && $s1 eq $s2 && $h1 eq $h2;
}
ok($metrics, 'scraped while incrload_stats did not change');

my %stats;
for my $line (split /\n/, $stats_text)
{
	my @f = split /\|/, $line, -1;
	my %row;
	@row{@stats_cols} = @f;
	$stats{ $row{view} } = \%row;
}
is_deeply([ sort keys %stats ], [ sort @views ], 'incrload_stats has the three views');

# --- helpers ----------------------------------------------------------------
# The value of the one series of $name whose labels include %want; undef
# (and a diagnostic) when there is not exactly one.
sub series
{
	my ($name, %want) = @_;
	my @found = grep {
		my $l = $_->{labels};
		!grep { !defined $l->{$_} || $l->{$_} ne $want{$_} } keys %want
	} @{ $metrics->{$name} // [] };
	return $found[0]{value} if @found == 1;
	diag(sprintf('want one series %s{%s}, found %d', $name,
		join(',', map { "$_=\"$want{$_}\"" } sort keys %want), scalar @found));
	return undef;
}

my $NUM = qr/^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)$/;

sub num_is
{
	my ($got, $want, $name) = @_;
	if (!defined $got || $got !~ $NUM || !defined $want || $want !~ $NUM)
	{
		fail($name);
		diag('got ' . ($got // 'no series') . ', want ' . ($want // 'nothing'));
		return;
	}
	# the exporter prints float64s exactly enough: microseconds of a unix time
	ok(abs($got - $want) <= 1e-5 + 1e-12 * abs($want), $name)
	  or diag("got $got, want $want");
}

sub num_ok
{
	my ($got, $test, $name) = @_;
	my $is_num = defined $got && $got =~ $NUM;
	ok($is_num && $test->($got + 0), $name) or diag('got ' . ($got // 'no series'));
}

# --- every column of incrload_stats is exported ---------------------------
my $queries_text = read_file($queries_file);
for my $col (split /\n/, $node->safe_psql('app', q{
	SELECT attname FROM pg_attribute
	 WHERE attrelid = 'incrload_stats'::regclass AND attnum > 0 AND NOT attisdropped
	 ORDER BY attnum}))
{
	ok($queries_text =~ /\bs\.\Q$col\E\b/, "queries.yaml reads incrload_stats.$col");
}

# --- every metric queries.yaml defines is on the page ------------------------
for my $name (sort keys %$defined)
{
	ok($metrics->{$name}, "exported: $name");
	is($metrics->{'# TYPE'}{$name} // 'none', lc $defined->{$name}{usage},
		"$name is a $defined->{$name}{usage}");
}

# --- no series for databases without the extension --------------------------
for my $name (sort grep { /^incrload_/ } keys %$metrics)
{
	my @other = grep { ($_->{labels}{datname} // '') ne 'app' } @{ $metrics->{$name} };
	is(scalar @other, 0, "$name: series only for database app");
}

# --- per view: incrload_stats ------------------------------------------------
my %db = (datname => 'app');
for my $v (@views)
{
	my $s = $stats{$v};
	if (!$s)
	{
		fail("$v is in incrload_stats");
		next;
	}
	my %l = (%db, view => $v);
	for my $col (qw(refresh_interval_seconds last_refresh_timestamp_seconds
		last_refresh_duration_seconds refreshes_total failures_total
		consecutive_failures pending_changes oldest_pending_change_timestamp_seconds
		changes_applied_total full_refreshes_total last_verify_timestamp_seconds
		last_verify_mismatches last_apply_recomputed))
	{
		num_is(series("incrload_view_$col", %l), $s->{$col},
			"$v: incrload_view_$col = incrload_stats ($s->{$col})");
	}
	num_ok(series('incrload_view_freshness_lag_seconds', %l),
		$s->{pending_changes} > 0 ? sub { $_[0] > 0 } : sub { $_[0] == 0 },
		"$v: incrload_view_freshness_lag_seconds "
		  . ($s->{pending_changes} > 0 ? '> 0 (changes wait)' : '= 0 (nothing pending)'));
	for my $st (qw(active paused failing needs_full_refresh))
	{
		num_is(series('incrload_view_state', %l, state => $st),
			$st eq $s->{state} ? 1 : 0, "$v: incrload_view_state{state=\"$st\"}");
	}
	num_is(series('incrload_view_storage_info', %l,
			storage_table => $s->{storage_table}, mode => $s->{mode},
			strategy => $s->{strategy}),
		1, "$v: incrload_view_storage_info{storage_table=\"$s->{storage_table}\",mode=\"$s->{mode}\",strategy=\"$s->{strategy}\"}");
	my @errors = grep { $_->{labels}{view} eq $v } @{ $metrics->{incrload_view_last_error_info} // [] };
	if ($s->{last_error} eq '')
	{
		is(scalar @errors, 0, "$v: no incrload_view_last_error_info");
	}
	else
	{
		is(scalar @errors, 1, "$v: one incrload_view_last_error_info");
		(my $folded = $s->{last_error}) =~ s/\s+/ /g;
		is($errors[0]{labels}{error}, substr($folded, 0, 200),
			"$v: incrload_view_last_error_info{error} is last_error");
	}
}

# --- per view: what the test made them --------------------------------------
my %active = (%db, view => 'public.v_active');
my %paused = (%db, view => 'app."Paused View"');
my %failing = (%db, view => 'public.v_failing');

num_is(series('incrload_view_state', %active, state => 'active'), 1, 'v_active is active');
num_is(series('incrload_view_refresh_interval_seconds', %active), 1, 'v_active: interval 1 s');
num_is(series('incrload_view_changes_applied_total', %active), 5, 'v_active: 5 changes applied');
num_is(series('incrload_view_pending_changes', %active), 0, 'v_active: nothing pending');
num_is(series('incrload_view_failures_total', %active), 0, 'v_active: no failure');
num_ok(series('incrload_view_last_verify_timestamp_seconds', %active),
	sub { $_[0] > 0 }, 'v_active: verified');
num_is(series('incrload_view_last_verify_mismatches', %active), 0, 'v_active: exact');

num_is(series('incrload_view_state', %paused, state => 'paused'), 1, 'the paused view is paused');
num_is(series('incrload_view_refresh_interval_seconds', %paused), 60, 'paused view: interval 60 s');
num_is(series('incrload_view_pending_changes', %paused), 3, 'paused view: 3 changes pending');
num_ok(series('incrload_view_oldest_pending_change_timestamp_seconds', %paused),
	sub { $_[0] > 1e9 }, 'paused view: oldest pending change has a time');
num_is(series('incrload_view_last_verify_mismatches', %paused), 1, 'paused view: 1 mismatch found');

num_is(series('incrload_view_state', %failing, state => 'failing'), 1, 'v_failing is failing');
num_is(series('incrload_view_pending_changes', %failing), 1, 'v_failing: 1 change pending');
num_ok(series('incrload_view_consecutive_failures', %failing), sub { $_[0] >= 1 },
	'v_failing: consecutive failures');
num_is(series('incrload_view_failures_total', %failing),
	series('incrload_view_consecutive_failures', %failing) // 'none',
	'v_failing: every failure is consecutive (it never succeeded since)');
my ($failing_error) = map { $_->{labels}{error} }
  grep { $_->{labels}{view} eq 'public.v_failing' } @{ $metrics->{incrload_view_last_error_info} // [] };
like($failing_error // '', qr/^permission denied for table t_failing/,
	'v_failing: incrload_view_last_error_info{error} says why');

# --- the worker ---------------------------------------------------------------
num_is(series('incrload_worker_up', %db), 1, 'incrload_worker_up = 1');
num_is(series('incrload_worker_launcher_up', %db), 1, 'incrload_worker_launcher_up = 1');
num_is(series('incrload_worker_enabled', %db), 1, 'incrload_worker_enabled = 1');
num_is(series('incrload_worker_preloaded', %db), 1, 'incrload_worker_preloaded = 1');
num_is(series('incrload_worker_in_recovery', %db), 0, 'incrload_worker_in_recovery = 0');
num_is(series('incrload_worker_activity_visible', %db), 1,
	'incrload_worker_activity_visible = 1 (pg_monitor)');

# --- verify settings (incrload_stats.verify_interval, repair) ----------------
num_is(series('incrload_view_verify_interval_seconds', %active), 3600, 'v_active: verify every hour');
num_is(series('incrload_view_verify_repair', %active), 1, 'v_active: repair on (the default)');
num_is(series('incrload_view_verify_interval_seconds', %paused), 0, 'paused view: no scheduled verify');
num_is(series('incrload_view_verify_repair', %paused), 0, 'paused view: repair off');
num_is(series('incrload_view_verify_interval_seconds', %failing), 0, 'v_failing: no scheduled verify');

# --- SLIs (incrload_slis) against the history ------------------------------
my %history;
if ($history_text =~ /^error: (.*)/s)
{
	fail('incrload_refresh_history is readable');
	diag($1);
}
else
{
	pass('incrload_refresh_history is readable');
	for my $line (split /\n/, $history_text)
	{
		my ($v, @n) = split /\|/, $line;
		$history{$v} = \@n;
	}
}
for my $w ([ '5m', 300 ], [ '1h', 3600 ])
{
	for my $v (@views)
	{
		num_is(series('incrload_sli_window_seconds', %db, view => $v, window => $w->[0]),
			$w->[1], "$v: incrload_sli_window_seconds{window=\"$w->[0]\"}");
	}
}
for my $v (@views)
{
	my %l = (%db, view => $v, window => '1h');
	my $h = $history{$v} // [ 'none', 'none', 'none', 'none', 'none' ];
	num_is(series('incrload_sli_attempts', %l), $h->[0], "$v: 1h attempts = history rows");
	num_is(series('incrload_sli_refreshes_ok', %l), $h->[1], "$v: 1h ok = history ok rows");
	num_is(series('incrload_sli_refreshes_failed', %l), $h->[2], "$v: 1h failed = history failed rows");
	num_is(series('incrload_sli_verify_runs', %l), $h->[3], "$v: 1h verify runs = history verify rows");
	num_is(series('incrload_sli_changes_applied', %l), $h->[4], "$v: 1h changes applied = history delta rows of ok attempts");
}
{
	my %l = (%active, window => '1h');
	num_is(series('incrload_sli_success_rate', %l), 1, 'v_active: success rate 1');
	num_is(series('incrload_sli_changes_applied', %l), 5, 'v_active: 5 changes applied in the hour');
	num_is(series('incrload_sli_verify_mismatches', %l), 0, 'v_active: no mismatch in the hour');
	num_ok(series('incrload_sli_verify_runs', %l), sub { $_[0] >= 1 }, 'v_active: verified in the hour');
	my @f = map { series("incrload_sli_freshness_${_}_seconds", %l) } qw(p50 p95 max);
	num_ok($f[0], sub { $_[0] >= 0 }, 'v_active: freshness p50 is a duration');
	ok( !grep({ !defined $_ || $_ !~ $NUM } @f)
		  && $f[0] <= $f[1] && $f[1] <= $f[2],
		'v_active: freshness p50 <= p95 <= max')
	  or diag('got ' . join(', ', map { $_ // 'none' } @f));
	num_ok(series('incrload_sli_apply_p95_seconds', %l), sub { $_[0] >= 0 },
		'v_active: apply p95 is a duration');
}
{
	my %l = (%paused, window => '1h');
	num_is(series('incrload_sli_verify_mismatches', %l), 1, 'paused view: 1 mismatch in the hour');
	num_is(series('incrload_sli_changes_applied', %l), 0, 'paused view: no change applied');
	is(series('incrload_sli_freshness_max_seconds', %l), 'NaN',
		'paused view: no freshness figure (nothing applied)');
}
{
	my %l = (%failing, window => '1h');
	num_ok(series('incrload_sli_refreshes_failed', %l), sub { $_[0] >= 1 },
		'v_failing: failed attempts in the hour');
	num_ok(series('incrload_sli_success_rate', %l), sub { $_[0] >= 0 && $_[0] < 1 },
		'v_failing: success rate below 1');
}

# --- no query failed ---------------------------------------------------------
is(series('pg_exporter_last_scrape_error'), '0', 'pg_exporter_last_scrape_error = 0')
  or diag(join("\n", grep { /level=(?:error|warn)|err=/ } split /\n/, read_file($exporter_log)));

# --- each query by itself, as the monitoring role ----------------------------
# where the extension is: rows; where it is not: no rows and no error
my $doc = YAML::XS::LoadFile($queries_file);
for my $ns (sort keys %$doc)
{
	for my $dbname ('app', 'postgres')
	{
		my ($ret, $out, $err) = $node->psql($dbname,
			"SET ROLE incrload_monitor; SELECT count(*) FROM ($doc->{$ns}{query}) q");
		if ($dbname eq 'app')
		{
			ok($ret == 0 && $out > 0, "$ns: rows in a database with incrload")
			  or diag($err);
		}
		else
		{
			ok($ret == 0 && $out eq '0', "$ns: no rows, no error in a database without incrload")
			  or diag($err);
		}
	}
}

$exporter_h->signal('TERM');
$exporter_h->finish;
undef $exporter_h;
$node->stop;
done_testing();
