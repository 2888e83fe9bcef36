# monitoring/alerts.yml: promtool (Debian package prometheus) accepts the
# rules and their unit tests (monitoring/alerts_test.yml) pass; every alert
# is tested firing and not firing, reads only metrics monitoring/queries.yaml
# defines, and links to a section of docs/runbook.md that exists; the
# runbook has a section per incrload_stats state and its own links resolve.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../../monitoring/lib";

use IPC::Run;
use Test::More;
use YAML::XS ();
use IncrloadMonitoring qw(load_queries promql_metrics markdown_anchors read_file);

my $root = "$FindBin::Bin/../..";
my $mon = "$root/monitoring";
my $runbook = "$root/docs/runbook.md";

sub find_tool
{
	my ($name) = @_;
	for my $dir (split /:/, $ENV{PATH} // '')
	{
		return "$dir/$name" if -x "$dir/$name";
	}
	return undef;
}

# --- promtool ------------------------------------------------------------------
my $promtool = $ENV{INCRLOAD_PROMTOOL} // find_tool('promtool');
my $rules = YAML::XS::LoadFile("$mon/alerts.yml");
my @alerts = map { @{ $_->{rules} // [] } } @{ $rules->{groups} // [] };
ok(scalar @alerts, 'alerts.yml has rules');

SKIP:
{
	# the checks below need the tool; without it they are skipped, saying so
	skip 'promtool not found (Debian package prometheus; scripts/setup.sh installs it, '
	  . 'or set INCRLOAD_PROMTOOL): alerts.yml not checked by promtool', 4
	  unless $promtool && -x $promtool;

	# promtool resolves the test file's rule_files from its own directory
	my ($out, $err);
	my $ok = IPC::Run::run([ $promtool, 'check', 'rules', 'alerts.yml' ],
		'<', \undef, '>', \$out, '2>', \$err, init => sub { chdir $mon or die $! });
	ok($ok, 'promtool check rules monitoring/alerts.yml') or diag("$out$err");
	my $n = scalar @alerts;
	like($out, qr/SUCCESS: $n rules found/, "promtool found the $n rules");

	($out, $err) = ('', '');
	$ok = IPC::Run::run([ $promtool, 'test', 'rules', 'alerts_test.yml' ],
		'<', \undef, '>', \$out, '2>', \$err, init => sub { chdir $mon or die $! });
	ok($ok, 'promtool test rules monitoring/alerts_test.yml') or diag("$out$err");
	like($out, qr/SUCCESS/, 'the alert unit tests succeed');
}

# --- the alerts the issue asks for ---------------------------------------------
my %by_name = map { $_->{alert} => $_ } grep { $_->{alert} } @alerts;
for my $want (qw(IncrloadViewStale IncrloadViewFailing IncrloadViewNeedsFullRefresh
	IncrloadViewDrift IncrloadPendingChangesGrowing IncrloadWorkerDown))
{
	ok($by_name{$want}, "alert $want exists");
}

# --- every alert: tested both ways, known metrics, runbook ----------------------
my $tests = YAML::XS::LoadFile("$mon/alerts_test.yml");
my (%fires, %silent);
for my $t (@{ $tests->{tests} // [] })
{
	for my $case (@{ $t->{alert_rule_test} // [] })
	{
		if (@{ $case->{exp_alerts} // [] })
		{
			$fires{ $case->{alertname} }++;
		}
		else
		{
			$silent{ $case->{alertname} }++;
		}
	}
}
my ($defined, $problems) = load_queries("$mon/queries.yaml");
is_deeply($problems, [], 'queries.yaml is well-formed');
my $anchors = markdown_anchors($runbook);

for my $a (@alerts)
{
	my $name = $a->{alert};
	if (!defined $name)
	{
		fail('a rule of alerts.yml is not an alert (a recording rule?)');
		next;
	}
	ok($fires{$name}, "$name: alerts_test.yml has a case where it fires");
	ok($silent{$name}, "$name: alerts_test.yml has a case where it must not fire");
	ok($a->{labels} && $a->{labels}{severity}, "$name: has a severity label");
	for my $ann (qw(summary description runbook))
	{
		ok(defined $a->{annotations}{$ann} && $a->{annotations}{$ann} ne '',
			"$name: has a $ann annotation");
	}
	my $rb = $a->{annotations}{runbook} // '';
	if ($rb =~ m{^docs/runbook\.md#([\w-]+)$})
	{
		ok($anchors->{$1}, "$name: runbook section #$1 exists in docs/runbook.md");
		is($1, lc $name, "$name: its runbook section is named after it");
	}
	else
	{
		fail("$name: runbook annotation is docs/runbook.md#<section> (is '$rb')");
	}
	my @used = promql_metrics($a->{expr});
	ok(scalar @used, "$name: reads metrics (@used)");
	for my $m (@used)
	{
		ok($defined->{$m}, "$name: metric $m is defined by queries.yaml");
	}
}
for my $name (sort keys %fires, keys %silent)
{
	ok($by_name{$name}, "alerts_test.yml tests an alert that exists: $name")
	  unless $by_name{$name};
}

# --- the runbook ----------------------------------------------------------------
for my $state (qw(active paused failing needs_full_refresh))
{
	ok($anchors->{"state-$state"}, "docs/runbook.md has a section 'State: $state'");
}
my $text = read_file($runbook);
my @links = $text =~ /\]\(#([^)]+)\)/g;
ok(scalar @links, 'docs/runbook.md links its sections');
my %seen;
for my $l (grep { !$seen{$_}++ } @links)
{
	ok($anchors->{$l}, "docs/runbook.md: link #$l resolves");
}
# the fixes the issue names, each with its SQL
for my $fix (qw(incrload_pause incrload_resume incrload_full_refresh
	incrload_alter_view incrload_unregister_view GRANT))
{
	like($text, qr/\Q$fix\E/, "docs/runbook.md shows $fix");
}

done_testing();
