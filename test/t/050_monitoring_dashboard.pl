# monitoring/grafana-dashboard.json: valid JSON, a Grafana dashboard whose
# every query is valid PromQL (promtool parses it) and references only
# metrics that monitoring/queries.yaml defines, and that shows what the issue
# asks for: freshness per view, pending changes, refresh rate and errors,
# apply duration, SLIs.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../../monitoring/lib";

use File::Temp ();
use IPC::Run;
use JSON::PP ();
use Test::More;
use YAML::XS ();
use IncrloadMonitoring qw(load_queries promql_metrics dashboard_exprs read_file);

my $root = "$FindBin::Bin/../..";
my $mon = "$root/monitoring";

my $dash = eval { JSON::PP->new->decode(read_file("$mon/grafana-dashboard.json")) };
ok($dash, 'grafana-dashboard.json is valid JSON') or diag($@);
$dash //= {};
ok(ref($dash->{panels}) eq 'ARRAY' && @{ $dash->{panels} }, 'it has panels');
ok(defined $dash->{title} && defined $dash->{schemaVersion}, 'it has a title and a schemaVersion');

# panels: unique ids, a place, queries on the datasource variable
my (%ids, @leaves);
my $walk;
$walk = sub {
	for my $p (@{ $_[0] // [] })
	{
		$ids{ $p->{id} // 'none' }++;
		push @leaves, $p unless ($p->{type} // '') eq 'row';
		$walk->($p->{panels}) if $p->{panels};
	}
};
$walk->($dash->{panels});
is(scalar(grep { $_ ne 'none' && $ids{$_} == 1 } keys %ids), scalar keys %ids,
	'every panel has an id of its own');
my %vars = map { $_->{name} => $_ } @{ $dash->{templating}{list} // [] };
ok($vars{datasource} && $vars{datasource}{type} eq 'datasource',
	'a datasource variable, so the dashboard imports into any Grafana');
for my $p (@leaves)
{
	my $t = $p->{title} // '(untitled)';
	ok($p->{gridPos} && defined $p->{gridPos}{w} && defined $p->{gridPos}{h}, "panel '$t' has a place");
	ok(@{ $p->{targets} // [] } && !grep({ !defined $_->{expr} } @{ $p->{targets} }),
		"panel '$t' has queries");
	ok(!grep({ ($_->{datasource}{uid} // '') ne '${datasource}' } @{ $p->{targets} // [] })
		  && ($p->{datasource}{uid} // '') eq '${datasource}',
		"panel '$t' queries the datasource variable");
}

# every query: known metrics only
my ($defined, $problems) = load_queries("$mon/queries.yaml");
is_deeply($problems, [], 'queries.yaml is well-formed');
my @exprs = dashboard_exprs($dash);
ok(scalar @exprs, 'the dashboard has queries');
my %used;
for my $e (@exprs)
{
	my ($where, $expr) = @$e;
	my @m = promql_metrics($expr);
	ok(scalar @m, "$where reads a metric");
	for my $m (@m)
	{
		$used{$m}++;
		ok($defined->{$m}, "$where: $m is defined by queries.yaml");
	}
}

# what the issue asks the dashboard to show
for my $m (qw(incrload_view_freshness_lag_seconds incrload_view_pending_changes
	incrload_view_refreshes_total incrload_view_failures_total
	incrload_view_last_refresh_duration_seconds incrload_sli_apply_p95_seconds
	incrload_sli_success_rate incrload_sli_freshness_p95_seconds
	incrload_view_state incrload_worker_up))
{
	ok($used{$m}, "the dashboard shows $m");
}

# every query parses as PromQL: promtool checks them as recording rules
my $promtool = $ENV{INCRLOAD_PROMTOOL};
if (!defined $promtool)
{
	for my $dir (split /:/, $ENV{PATH} // '')
	{
		if (-x "$dir/promtool")
		{
			$promtool = "$dir/promtool";
			last;
		}
	}
}
SKIP:
{
	skip 'promtool not found (Debian package prometheus; scripts/setup.sh installs it, '
	  . 'or set INCRLOAD_PROMTOOL): the dashboard\'s PromQL not checked', 1
	  unless $promtool && -x $promtool;

	my @rules;
	my $i = 0;
	for my $e (@exprs)
	{
		my $expr = $e->[1];
		# Grafana's variables, as Grafana would fill them in
		$expr =~ s/\$__rate_interval|\$__interval|\$__range/5m/g;
		$expr =~ s/\$\{?\w+\}?/.*/g;
		push @rules, { record => 'dashboard:query_' . $i++, expr => $expr };
	}
	my $tmp = File::Temp->new(SUFFIX => '.yml');
	print $tmp YAML::XS::Dump({ groups => [ { name => 'dashboard', rules => \@rules } ] });
	close($tmp);
	my ($out, $err);
	my $ok = IPC::Run::run([ $promtool, 'check', 'rules', $tmp->filename ],
		'<', \undef, '>', \$out, '2>', \$err);
	ok($ok, 'promtool parses every query of the dashboard') or diag("$out$err");
}

done_testing();
