# Static checks of the files in monitoring/, used by test/t/050_monitoring_*.pl:
# which metrics queries.yaml defines, which metrics a PromQL expression
# references, the expressions of a Grafana dashboard, the anchors of a
# Markdown file.
package IncrloadMonitoring;

use strict;
use warnings;

use Exporter 'import';
use JSON::PP ();
use YAML::XS ();

our @EXPORT_OK = qw(load_queries promql_metrics dashboard_exprs
  markdown_anchors read_file);

sub read_file
{
	my ($path) = @_;
	open(my $fh, '<', $path) or die "cannot read $path: $!";
	local $/;
	my $text = <$fh>;
	close($fh);
	return $text;
}

# Parses a postgres_exporter queries file.  Returns (\%metrics, \@problems):
# %metrics maps each exported metric name (<namespace>_<column>) to
# { namespace, column, usage, labels => [label columns] }.
sub load_queries
{
	my ($path) = @_;
	my $doc = YAML::XS::LoadFile($path);
	my (%metrics, @problems);

	ref($doc) eq 'HASH' or return ({}, ["$path: not a mapping of namespaces"]);
	for my $ns (sort keys %$doc)
	{
		my $q = $doc->{$ns};
		if (ref($q) ne 'HASH' || !defined $q->{query} || ref($q->{metrics}) ne 'ARRAY')
		{
			push @problems, "$ns: needs a query and a list of metrics";
			next;
		}
		push @problems, "$ns: namespace is not a valid metric name prefix"
		  unless $ns =~ /^[a-zA-Z_][a-zA-Z0-9_]*$/;
		my (@labels, @values);
		for my $m (@{ $q->{metrics} })
		{
			if (ref($m) ne 'HASH' || keys(%$m) != 1)
			{
				push @problems, "$ns: each metric entry must be one column";
				next;
			}
			my ($col) = keys %$m;
			my $usage = $m->{$col}{usage} // '';
			push @problems, "$ns.$col: no description"
			  unless defined $m->{$col}{description} && $m->{$col}{description} ne '';
			if ($usage eq 'LABEL')
			{
				push @labels, $col;
			}
			elsif ($usage eq 'GAUGE' || $usage eq 'COUNTER')
			{
				push @values, [ $col, $usage ];
			}
			else
			{
				push @problems, "$ns.$col: usage '$usage' (this file uses LABEL, GAUGE, COUNTER only)";
			}
		}
		push @problems, "$ns: no value column" unless @values;
		for my $v (@values)
		{
			my $name = "${ns}_$v->[0]";
			push @problems, "$name: defined twice" if exists $metrics{$name};
			push @problems, "$name: a COUNTER should end in _total"
			  if $v->[1] eq 'COUNTER' && $name !~ /_total$/;
			$metrics{$name} = {
				namespace => $ns,
				column => $v->[0],
				usage => $v->[1],
				labels => [@labels],
			};
		}
	}
	return (\%metrics, \@problems);
}

my %PROMQL_KEYWORDS = map { $_ => 1 } qw(and or unless by without on ignoring
  group_left group_right bool offset inf nan);

# The metric names a PromQL expression reads (Grafana variables allowed).
sub promql_metrics
{
	my ($expr) = @_;
	my $e = $expr;
	$e =~ s/#[^\n]*//g;                        # comments
	$e =~ s/"(?:[^"\\]|\\.)*"//g;              # string literals
	$e =~ s/'(?:[^'\\]|\\.)*'//g;
	$e =~ s/`[^`]*`//g;
	$e =~ s/\$\{[^}]*\}|\$\w+/0/g;             # Grafana variables
	$e =~ s/\{[^}]*\}//g;                      # label matchers
	$e =~ s/\[[^\]]*\]//g;                     # ranges, subqueries
	# label lists of grouping and matching modifiers
	$e =~ s/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)//g;
	my %seen;
	my @names;
	while ($e =~ /(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)
	{
		my ($name, $call) = ($1, $2);
		next if $call;                          # a function
		next if $PROMQL_KEYWORDS{ lc $name };
		push @names, $name unless $seen{$name}++;
	}
	return @names;
}

# Every query of a Grafana dashboard: ([where, expr], ...) for the targets of
# every panel (rows' nested panels too), and the metrics of the template
# variables' label_values() queries as [where, metric].
sub dashboard_exprs
{
	my ($dash) = @_;
	my @exprs;
	my $walk;
	$walk = sub {
		my ($panels) = @_;
		for my $p (@{ $panels // [] })
		{
			my $title = $p->{title} // '(untitled)';
			for my $t (@{ $p->{targets} // [] })
			{
				push @exprs, [ "panel '$title' target $t->{refId}", $t->{expr} ]
				  if defined $t->{expr};
			}
			$walk->($p->{panels}) if $p->{panels};
		}
	};
	$walk->($dash->{panels});

	for my $v (@{ $dash->{templating}{list} // [] })
	{
		next unless ($v->{type} // '') eq 'query';
		my $q = ref($v->{query}) eq 'HASH' ? $v->{query}{query} : $v->{query};
		next unless defined $q;
		if ($q =~ /^\s*label_values\(\s*(.*),\s*\w+\s*\)\s*$/s)
		{
			push @exprs, [ "variable $v->{name}", $1 ];
		}
		elsif ($q =~ /^\s*query_result\((.*)\)\s*$/s)
		{
			push @exprs, [ "variable $v->{name}", $1 ];
		}
		else
		{
			push @exprs, [ "variable $v->{name}", $q ];
		}
	}
	return @exprs;
}

# The anchors GitHub gives a Markdown file's headings.
sub markdown_anchors
{
	my ($path) = @_;
	my (%anchors, %count);
	my $in_code = 0;
	for my $line (split /\n/, read_file($path))
	{
		if ($line =~ /^```/)
		{
			$in_code = !$in_code;
			next;
		}
		next if $in_code;
		next unless $line =~ /^#{1,6}\s+(.*?)\s*#*\s*$/;
		my $slug = lc $1;
		$slug =~ s/`//g;
		$slug =~ s/[^\w\- ]//g;
		$slug =~ s/ /-/g;
		my $n = $count{$slug}++ ? "$slug-" . ($count{$slug} - 1) : $slug;
		$anchors{$n} = 1;
	}
	return \%anchors;
}

1;
