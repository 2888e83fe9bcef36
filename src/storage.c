/*-------------------------------------------------------------------------
 *
 * storage.c
 *	  A view's storage table: its columns (the row key, the hidden
 *	  multiplicity, each aggregate's state), its DDL, the user-facing view
 *	  over it, and the statements that fold a weighted pre relation (from
 *	  delta.c) into it.
 *
 * Storage rows are keyed by a unique index on the row key (NULLS NOT
 * DISTINCT), so a batch is applied with one INSERT ... ON CONFLICT DO
 * UPDATE: O(|batch| log N).  Groups whose count reaches zero are deleted
 * by ctid; groups that lost their extreme (min/max) or keep a float sum
 * are recomputed one by one from the base tables in the same snapshot.
 *
 * Aggregates over distinct values (count(DISTINCT x), sum(DISTINCT x) ...)
 * read a "set": an auxiliary table <storage>_d<n> holding, per group, how
 * many input rows carry each value.  The same statement that applies a
 * batch upserts the set's counts first (a data-modifying CTE) and feeds
 * the values whose count went from 0 to 1 (+1) or from 1 to 0 (-1) to the
 * aggregates, as rows of weight 0 with the value and its own weight in
 * extra columns: a distinct aggregate is an ordinary one over those.  The
 * scale of numeric inputs (which decides the scale of PostgreSQL's sum,
 * avg and variance) is kept the same way, as the largest value of the set
 * of the inputs' scales.
 *
 * Nothing here runs SQL; apply.c prepares and runs what this builds.
 *
 * IDENTIFICATION
 *	  src/storage.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteManip.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "catalog.h"
#include "delta.h"
#include "settings.h"
#include "recursive.h"
#include "storage.h"
#include "top_n.h"

/* What a storage column holds. */
typedef enum ColRole
{
	COL_KEY,					/* part of the row key */
	COL_COUNT,					/* hidden multiplicity of the row or group */
	COL_AGG_COUNT,				/* count(*) or count(x) */
	COL_SUM,					/* running sum of an input */
	COL_NN,						/* hidden count of inputs meeting a condition */
	COL_GENERATED,				/* generated from the columns above: the
								 * visible sum, avg, bool_and, stddev ... */
	COL_EXTREME,				/* min or max */
	COL_DELETED_EXTREME,		/* scratch: extreme of the batch's deleted rows */
	COL_RECOMPUTE,				/* recomputed per group */
	COL_LEAF_COUNT,				/* SETOP: the row's count in one arm */
	COL_OUTPUT					/* FULL views: a column of the query */
} ColRole;

/* Which input values a COL_NN counts (and which ones a COL_SUM adds). */
typedef enum ValCond
{
	VC_ALL,
	VC_NOTNULL,
	VC_TRUE,
	VC_FALSE,
	VC_NAN,
	VC_PINF,
	VC_NINF,
	VC_FINITE,					/* numeric: not NULL, NaN or infinite */
	VC_NONFINITE				/* numeric: NaN or infinite */
} ValCond;

/*
 * A set: per group, the number of input rows carrying each value, kept in
 * the auxiliary table <storage>_d<no> (the row key, __incrload_v,
 * __incrload_count).  In the upsert, the values entering or leaving the
 * set are the pre relation's columns __dv<no> and __dw<no>.
 */
typedef struct StorageSet
{
	int			no;
	char	   *value;			/* SQL over the pre relation p */
	Oid			type;
	int32		typmod;
	Oid			coll;
	char	   *filter;			/* SQL over p: the rows that count, or NULL */
} StorageSet;

typedef struct StorageCol
{
	ColRole		role;
	char	   *name;
	Oid			type;
	int32		typmod;
	Oid			coll;
	int			keyno;			/* COL_KEY: 1-based pre column; LEAF_COUNT: arm */
	int			armcol;			/* LEAF_COUNT: pre column of the arm's number */
	IncrloadAgg *agg;
	struct StorageCol *partner; /* EXTREME: its DELETED_EXTREME */

	/* aggregating roles: what they aggregate */
	char	   *input;			/* SQL over p, NULL for count(*) */
	Oid			inputtype;
	char	   *rowcond;		/* SQL over p: FILTER (WHERE ...), or NULL */
	ValCond		valcond;		/* which input values count */
	StorageSet *set;			/* over the distinct values of this set */
	bool		is_min;			/* EXTREME */
	char	   *expr;			/* GENERATED: the expression; RECOMPUTE: the
								 * aggregate call */
} StorageCol;

#define AUX_VALUE_NAME INCRLOAD_HIDDEN_PREFIX "v"

static List *storage_columns(IncrloadQuery *q, List **sets);
static char *pre_col(int n);
static char *nonnull_test(const char *expr, Oid type);
static char *filter_clause(IncrloadAgg *agg, const char *extra);
static char *col_state(StorageCol *col, bool delta);
static char *col_combine(StorageCol *col, const char *o, const char *n);
static char *col_flag(StorageCol *col, const char *alias);
static char *storage_qualname(Oid storage);
static char *setop_count(IncrloadQuery *q, Node *op);
static char *aux_relname(const char *storage_relname, int no);
static char *recompute_call(IncrloadAgg *agg);
static char *view_sql(IncrloadQuery *q, Oid storage, bool cut);
static bool distinct_type_ok(Oid type);
static bool recomputable(Aggref *aggref, const char *fname);
static bool order_sensitive(const char *fname);
static bool variance_family(const char *fname, bool *stddev, bool *sample);


/*
 * The aggregates whose result depends on the order of their input:
 * recomputed per changed group.  Without an ORDER BY inside the call the
 * order of the elements is the order the recompute reads the group's rows
 * in, one of the answers PostgreSQL may give, not necessarily the one a
 * run of the query gives.  (json_agg and jsonb_agg are stable, not
 * immutable: analyze.c refuses them before they get here.)
 */
static bool
order_sensitive(const char *fname)
{
	return strcmp(fname, "string_agg") == 0 || strcmp(fname, "array_agg") == 0;
}

static bool
variance_family(const char *fname, bool *stddev, bool *sample)
{
	static const char *const names[] = {"stddev", "stddev_samp", "stddev_pop",
	"variance", "var_samp", "var_pop"};

	for (int i = 0; i < lengthof(names); i++)
	{
		if (strcmp(fname, names[i]) == 0)
		{
			*stddev = i < 3;
			*sample = i % 3 != 2;
			return true;
		}
	}
	return false;
}

/* The values of a set become a column of its auxiliary table and a key. */
static bool
distinct_type_ok(Oid type)
{
	TypeCacheEntry *tc = lookup_type_cache(type, TYPECACHE_EQ_OPR |
										   TYPECACHE_BTREE_OPFAMILY);

	return type != RECORDOID && OidIsValid(tc->eq_opr) && OidIsValid(tc->btree_opf);
}

/*
 * Can a changed group be recomputed with the aggregate itself?  When it
 * runs only immutable functions: its transition and final functions (the
 * volatility of the aggregate's own pg_proc row is the default for
 * CREATE AGGREGATE, which says nothing; a built-in one's may).
 */
static bool
recomputable(Aggref *aggref, const char *fname)
{
	HeapTuple	tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggref->aggfnoid));
	Form_pg_aggregate aggform;
	Oid			fns[2];

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for aggregate %u", aggref->aggfnoid);
	aggform = (Form_pg_aggregate) GETSTRUCT(tup);
	fns[0] = aggform->aggtransfn;
	fns[1] = aggform->aggfinalfn;
	ReleaseSysCache(tup);
	/* json_agg and the like over values whose JSON form reads only settings */
	if (il_settings_json_call((Node *) aggref))
		return true;
	if (func_volatile(aggref->aggfnoid) != PROVOLATILE_IMMUTABLE)
		return false;
	for (int i = 0; i < lengthof(fns); i++)
	{
		if (OidIsValid(fns[i]) && func_volatile(fns[i]) != PROVOLATILE_IMMUTABLE)
			ereport(ERROR,
					errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					errmsg("aggregate %s() is not supported in incremental mode", fname),
					errdetail("Its %s function %s() is not immutable, so a group recomputed later might not get what the query gives.",
							  i == 0 ? "transition" : "final", get_func_name(fns[i])),
					errhint("Use mode => 'full' to maintain this view by recomputation."));
	}
	return true;
}

/*
 * How an aggregate of the query is kept: which state its storage columns
 * hold.  One that cannot be kept incrementally is refused, naming it.
 */
IncrloadAgg *
il_storage_describe_agg(IncrloadQuery *q, Aggref *aggref)
{
	IncrloadAgg *agg = palloc0(sizeof(IncrloadAgg));
	char	   *fname = get_func_name(aggref->aggfnoid);
	Oid			fnsp = get_func_namespace(aggref->aggfnoid);
	Oid			argtype = InvalidOid;
	Node	   *arg = NULL;
	int			nargs = 0;
	bool		distinct = aggref->aggdistinct != NIL;
	bool		stddev;
	bool		sample;
	ListCell   *lc;

	agg->aggref = aggref;
	agg->restype = aggref->aggtype;
	agg->rescoll = aggref->aggcollid;
	agg->scale = -1;

	/*
	 * Ordered-set and hypothetical-set aggregates (percentile_cont, mode,
	 * rank(x) WITHIN GROUP ...) read their group sorted: a changed group
	 * is recomputed.  Their direct arguments are written into that
	 * recompute as they are: constants only.
	 */
	if (aggref->aggkind != AGGKIND_NORMAL)
	{
		if (fnsp != PG_CATALOG_NAMESPACE || contain_var_clause((Node *) aggref->aggdirectargs) ||
			checkExprHasSubLink((Node *) aggref->aggdirectargs))
			ereport(ERROR,
					errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					errmsg("ordered-set aggregate %s() is not supported in incremental mode", fname),
					errdetail("Only built-in ordered-set aggregates whose direct arguments are constants are maintained."),
					errhint("Use mode => 'full' to maintain this view by recomputation."));
		agg->kind = IL_AGG_RECOMPUTE;
		goto columns;
	}

	/* the arguments proper; ORDER BY expressions are resjunk entries */
	foreach(lc, aggref->args)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		if (tle->resjunk)
			continue;
		if (nargs++ == 0)
			arg = (Node *) tle->expr;
	}
	if (arg != NULL)
		argtype = agg->argtype = exprType(arg);

	/*
	 * Ours (the first row's value, of DISTINCT ON: distinct_on.c), the
	 * order-sensitive ones, and any aggregate not named below, built-in or
	 * user-defined, with one argument or several: recomputed per changed
	 * group.
	 */
	if (fnsp == il_catalog_namespace() && strcmp(fname, "first") == 0)
		agg->kind = IL_AGG_RECOMPUTE;
	else if (fnsp != PG_CATALOG_NAMESPACE || order_sensitive(fname) || nargs > 1)
		goto recompute;
	else if (strcmp(fname, "count") == 0)
	{
		agg->kind = arg == NULL ? IL_AGG_COUNT_STAR : IL_AGG_COUNT;
		if (distinct && arg != NULL)
		{
			if (!distinct_type_ok(argtype))
				goto recompute;
			agg->distinct = true;
		}
	}
	else if (strcmp(fname, "sum") == 0 || strcmp(fname, "avg") == 0)
	{
		bool		is_avg = fname[0] == 'a';

		switch (argtype)
		{
			case INT2OID:
			case INT4OID:
			case INT8OID:
			case NUMERICOID:
				agg->kind = is_avg ? IL_AGG_AVG : IL_AGG_SUM;
				agg->sumtype = is_avg ? NUMERICOID : aggref->aggtype;
				break;
			case INTERVALOID:
				agg->kind = is_avg ? IL_AGG_AVG : IL_AGG_SUM;
				agg->sumtype = INTERVALOID;
				break;
			case CASHOID:
				if (is_avg)
					goto recompute;
				agg->kind = IL_AGG_SUM;
				agg->sumtype = CASHOID;
				break;
			case FLOAT4OID:
			case FLOAT8OID:

				/*
				 * Floating-point addition does not invert: adding and then
				 * subtracting a large value loses the small ones.  Changed
				 * groups are recomputed instead.
				 */
				agg->kind = IL_AGG_RECOMPUTE;
				break;
			default:
				goto recompute;
		}
		if (distinct && agg->kind != IL_AGG_RECOMPUTE)
		{
			if (!distinct_type_ok(argtype))
				goto recompute;
			agg->distinct = true;
		}
	}
	else if (strcmp(fname, "min") == 0 || strcmp(fname, "max") == 0)
	{
		TypeCacheEntry *tc = lookup_type_cache(argtype, TYPECACHE_LT_OPR);

		/* DISTINCT changes nothing here */
		if (!OidIsValid(tc->lt_opr))
			goto recompute;
		agg->kind = fname[1] == 'i' ? IL_AGG_MIN : IL_AGG_MAX;
	}
	else if (strcmp(fname, "bool_and") == 0 || strcmp(fname, "every") == 0)
		agg->kind = IL_AGG_BOOL_AND;
	else if (strcmp(fname, "bool_or") == 0)
		agg->kind = IL_AGG_BOOL_OR;
	else if (variance_family(fname, &stddev, &sample))
	{
		/* over distinct values, sums of squares would need a set each */
		if (distinct)
			goto recompute;
		switch (argtype)
		{
			case INT2OID:
			case INT4OID:
			case INT8OID:
			case NUMERICOID:
				agg->kind = IL_AGG_VARIANCE;
				agg->stddev = stddev;
				agg->sample = sample;
				break;
			case FLOAT4OID:
			case FLOAT8OID:
				/* float8_accum's running sums do not invert either */
				agg->kind = IL_AGG_RECOMPUTE;
				break;
			default:
				goto recompute;
		}
	}
	else
		goto recompute;

	/*
	 * A numeric column or cast with a typmod rounds every value to its
	 * scale; otherwise the scale of the result follows the largest scale
	 * among the inputs, which a set keeps.
	 */
	if (argtype == NUMERICOID && exprTypmod(arg) >= (int32) VARHDRSZ)
	{
		int32		tm = exprTypmod(arg) - VARHDRSZ;

		/* numeric(p, s), s possibly negative (then values have scale 0) */
		agg->scale = Max((((tm & 0x7ff) ^ 1024) - 1024), 0);
	}

columns:
	if (agg->kind == IL_AGG_RECOMPUTE)
	{
		foreach(lc, aggref->args)
			agg->argcols = lappend_int(agg->argcols,
									   il_analyze_add_pre_expr(q, (Node *) lfirst_node(TargetEntry, lc)->expr));
	}
	else if (arg != NULL)
		agg->argcol = il_analyze_add_pre_expr(q, arg);
	if (aggref->aggfilter)
		agg->filtercol = il_analyze_add_pre_expr(q, (Node *) aggref->aggfilter);
	return agg;

recompute:
	if (!recomputable(aggref, fname))
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("aggregate function %s(%s) is not supported in incremental mode",
					   fname, OidIsValid(argtype) ? format_type_be(argtype) : "*"),
				errdetail("It is not immutable, so a group recomputed later might not get what the query gives."),
				errhint("Use mode => 'full' to maintain this view by recomputation."));
	agg->kind = IL_AGG_RECOMPUTE;
	agg->distinct = false;
	goto columns;
}

static char *
pre_col(int n)
{
	return psprintf("p.e%d", n);
}

/* count(x) counts x unless it is the null value, also for a composite x */
static char *
nonnull_test(const char *expr, Oid type)
{
	if (type_is_rowtype(type))
		return psprintf("pg_catalog.num_nulls(%s) OPERATOR(pg_catalog.=) 0", expr);
	return psprintf("%s IS NOT NULL", expr);
}

/* SQL for "the value counts", or NULL when every row counts */
static char *
valcond_sql(ValCond vc, const char *in, Oid type)
{
	switch (vc)
	{
		case VC_ALL:
			return NULL;
		case VC_NOTNULL:
			return nonnull_test(in, type);
		case VC_TRUE:
			return psprintf("(%s) IS TRUE", in);
		case VC_FALSE:
			return psprintf("(%s) IS FALSE", in);
		case VC_NAN:
			return psprintf("(%s) OPERATOR(pg_catalog.=) 'NaN'::pg_catalog.numeric", in);
		case VC_PINF:
			return psprintf("(%s) OPERATOR(pg_catalog.=) 'Infinity'::pg_catalog.numeric", in);
		case VC_NINF:
			return psprintf("(%s) OPERATOR(pg_catalog.=) '-Infinity'::pg_catalog.numeric", in);

			/*
			 * NaN sorts above every number, so the absolute value of a
			 * finite number is the only one below infinity.
			 */
		case VC_FINITE:
			return psprintf("pg_catalog.abs(%s) OPERATOR(pg_catalog.<) 'Infinity'::pg_catalog.numeric", in);
		case VC_NONFINITE:
			return psprintf("pg_catalog.abs(%s) OPERATOR(pg_catalog.>=) 'Infinity'::pg_catalog.numeric", in);
	}
	return NULL;
}

static char *
and_cond(const char *a, const char *b)
{
	if (a == NULL)
		return (char *) b;
	if (b == NULL)
		return (char *) a;
	return psprintf("%s AND %s", a, b);
}

static StorageCol *
new_col(List **cols, ColRole role, const char *name, Oid type, int32 typmod,
		Oid coll, IncrloadAgg *agg)
{
	StorageCol *col = palloc0(sizeof(StorageCol));

	col->role = role;
	col->name = pstrdup(name);
	col->type = type;
	col->typmod = typmod;
	col->coll = coll;
	col->agg = agg;
	*cols = lappend(*cols, col);
	return col;
}

/* A column aggregating input of the query's rows (or of a set's values). */
static StorageCol *
agg_col(List **cols, ColRole role, const char *name, Oid type, IncrloadAgg *agg,
		const char *input, Oid inputtype, ValCond vc, StorageSet *set)
{
	StorageCol *col = new_col(cols, role, name, type, -1, InvalidOid, agg);

	col->input = (char *) input;
	col->inputtype = inputtype;
	col->valcond = vc;
	col->set = set;
	if (set != NULL)
		col->rowcond = set->filter;
	else if (agg->filtercol)
		col->rowcond = pre_col(agg->filtercol);
	return col;
}

/* The set of these values over these rows, shared by equal definitions. */
static StorageSet *
get_set(List **sets, const char *value, Oid type, int32 typmod, Oid coll,
		const char *filter)
{
	ListCell   *lc;
	StorageSet *set;

	foreach(lc, *sets)
	{
		set = lfirst(lc);
		if (strcmp(set->value, value) == 0 && set->type == type &&
			((set->filter == NULL && filter == NULL) ||
			 (set->filter && filter && strcmp(set->filter, filter) == 0)))
			return set;
	}
	set = palloc0(sizeof(StorageSet));
	set->no = list_length(*sets) + 1;
	set->value = pstrdup(value);
	set->type = type;
	set->typmod = typmod;
	set->coll = coll;
	set->filter = filter ? pstrdup(filter) : NULL;
	*sets = lappend(*sets, set);
	return set;
}

static char *
qc(StorageCol *col)
{
	return (char *) quote_identifier(col->name);
}

/*
 * The largest scale among an aggregate's finite numeric inputs, kept as
 * the maximum of the set of their scales: recomputed only when the last
 * input with that scale leaves the group.
 */
static StorageCol *
scale_col(List **cols, List **sets, IncrloadAgg *agg, const char *hidden)
{
	char	   *arg = pre_col(agg->argcol);
	StorageSet *set;
	StorageCol *a;
	StorageCol *b;

	set = get_set(sets, psprintf("pg_catalog.scale(%s)", arg), INT4OID, -1,
				  InvalidOid,
				  and_cond(agg->filtercol ? pre_col(agg->filtercol) : NULL,
						   valcond_sql(VC_FINITE, arg, NUMERICOID)));
	a = agg_col(cols, COL_EXTREME, psprintf("%s_scale", hidden), INT4OID, agg,
				set->value, INT4OID, VC_ALL, set);
	b = agg_col(cols, COL_DELETED_EXTREME, psprintf("%s_scale_dx", hidden),
				INT4OID, agg, set->value, INT4OID, VC_ALL, set);
	a->partner = b;
	b->partner = a;
	return a;
}

/*
 * The visible value of a numeric sum or average: as numeric_sum and
 * numeric_avg compute it, NaN and infinities included, with the scale of
 * the largest scale among the inputs (the running sum may hold more
 * after inputs with a larger scale left).
 */
static char *
numeric_result(StorageCol *sum, StorageCol *nn, StorageCol *nan,
			   StorageCol *pinf, StorageCol *ninf, StorageCol *scale,
			   bool is_avg)
{
	char	   *s = scale ? psprintf("pg_catalog.round(%s, %s)", qc(sum), qc(scale)) :
		qc(sum);
	char	   *inf;

	if (pinf != NULL)
		inf = psprintf("OR (%s OPERATOR(pg_catalog.>) 0 AND %s OPERATOR(pg_catalog.>) 0) "
					   "THEN 'NaN'::pg_catalog.numeric "
					   "WHEN %s OPERATOR(pg_catalog.>) 0 THEN 'Infinity'::pg_catalog.numeric "
					   "WHEN %s OPERATOR(pg_catalog.>) 0 THEN '-Infinity'::pg_catalog.numeric ",
					   qc(pinf), qc(ninf), qc(pinf), qc(ninf));
	else
		inf = "THEN 'NaN'::pg_catalog.numeric ";
	return psprintf("CASE WHEN %s OPERATOR(pg_catalog.=) 0 THEN NULL "
					"WHEN %s OPERATOR(pg_catalog.>) 0 %s"
					"ELSE %s%s%s%s END",
					qc(nn), qc(nan), inf,
					is_avg ? "(" : "", s,
					is_avg ? " OPERATOR(pg_catalog./) " : "",
					is_avg ? psprintf("%s::pg_catalog.numeric)", qc(nn)) : "");
}

/*
 * The square root of v (a numeric), rounded to the scale of v as
 * sqrt_var() rounds it: half up from the exact root.  sqrt() rounds to a
 * scale that may be larger, and rounding that again can round up from
 * exactly half a unit below (0.1249996 -> 0.12500 -> 0.13): such a result
 * is one unit too big, which the exact comparison of its lower half-unit
 * bound with v finds.
 */
static char *
exact_sqrt(const char *v)
{
	char	   *r = psprintf("pg_catalog.scale(%s)", v);
	char	   *c0 = psprintf("pg_catalog.round(pg_catalog.sqrt(%s), %s)", v, r);
	char	   *half = psprintf("('5e-'::pg_catalog.text OPERATOR(pg_catalog.||) "
								"(%s OPERATOR(pg_catalog.+) 1)::pg_catalog.text)::pg_catalog.numeric",
								r);
	char	   *lo = psprintf("(%s OPERATOR(pg_catalog.-) %s)", c0, half);

	return psprintf("CASE WHEN %s OPERATOR(pg_catalog.>) 0 AND "
					"(%s OPERATOR(pg_catalog.*) %s) OPERATOR(pg_catalog.>) %s "
					"THEN pg_catalog.trunc(%s, %s) ELSE %s END",
					lo, lo, lo, v, lo, r, c0);
}

/*
 * The visible value of a stddev or variance over integers or numeric,
 * exactly as numeric_stddev_internal() computes it from N, sum(X) and
 * sum(X*X):
 *
 *	 numerator = N * sum(X*X) - sum(X)^2, with scale 2 * max(scale(X))
 *	 (exact products at that scale: sum(X) has the largest input scale,
 *	 sum(X*X) twice it);
 *	 zero if numerator <= 0, else numerator / (N * (N - 1)), or N * N for
 *	 the population variants, divided with numeric division's own scale
 *	 choice (select_div_scale) and rounding, which the SQL division
 *	 operator is;
 *	 the stddevs: the square root rounded to that same scale.
 *
 * NULL below two inputs (one for the population variants), NaN when an
 * input is NaN or infinite.
 */
static char *
variance_result(IncrloadAgg *agg, StorageCol *nn, StorageCol *nsp,
				StorageCol *sum, StorageCol *sq, StorageCol *scale)
{
	char	   *n = qc(nn);
	char	   *s = scale ? psprintf("pg_catalog.round(%s, %s)", qc(sum), qc(scale)) :
		qc(sum);
	char	   *sq2 = scale ? psprintf("pg_catalog.round(%s, %s OPERATOR(pg_catalog.*) 2)",
									   qc(sq), qc(scale)) : qc(sq);
	char	   *num;
	char	   *den;
	char	   *v;

	num = psprintf("((%s::pg_catalog.numeric OPERATOR(pg_catalog.*) %s) OPERATOR(pg_catalog.-) "
				   "(%s OPERATOR(pg_catalog.*) %s))", n, sq2, s, s);
	if (agg->sample)
		den = psprintf("(%s::pg_catalog.numeric OPERATOR(pg_catalog.*) "
					   "(%s OPERATOR(pg_catalog.-) 1)::pg_catalog.numeric)", n, n);
	else
		den = psprintf("(%s::pg_catalog.numeric OPERATOR(pg_catalog.*) %s::pg_catalog.numeric)",
					   n, n);
	v = psprintf("(%s OPERATOR(pg_catalog./) %s)", num, den);
	return psprintf("CASE WHEN %s OPERATOR(pg_catalog.<=) %d THEN NULL %s"
					"WHEN %s OPERATOR(pg_catalog.<=) 0 THEN 0::pg_catalog.numeric "
					"ELSE %s END",
					n, agg->sample ? 1 : 0,
					nsp ? psprintf("WHEN %s OPERATOR(pg_catalog.>) 0 THEN 'NaN'::pg_catalog.numeric ",
								   qc(nsp)) : "",
					num, agg->stddev ? exact_sqrt(v) : v);
}

/*
 * The storage table's columns, in order, and the sets they read.
 * Deterministic: registration creates the tables from these lists, and
 * every backend regenerates the statements that read and write them from
 * the same lists.
 */
static List *
storage_columns(IncrloadQuery *q, List **sets_out)
{
	List	   *cols = NIL;
	List	   *sets = NIL;
	ListCell   *lc;
	int			i;

	if (sets_out)
		*sets_out = NIL;
	if (q->kind == IL_VIEW_FULL)
	{
		foreach(lc, q->outputs)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, lc);

			new_col(&cols, COL_OUTPUT, tle->resname, exprType((Node *) tle->expr),
					exprTypmod((Node *) tle->expr),
					exprCollation((Node *) tle->expr), NULL);
		}
		return cols;
	}

	i = 0;
	foreach(lc, q->pre_exprs)
	{
		Node	   *expr = lfirst(lc);
		StorageCol *col;

		if (++i > q->nkeys)
			break;
		col = new_col(&cols, COL_KEY, list_nth(q->key_names, i - 1),
					  exprType(expr), exprTypmod(expr), exprCollation(expr),
					  NULL);
		col->keyno = i;
	}
	new_col(&cols, COL_COUNT, INCRLOAD_COUNT_NAME, INT8OID, -1, InvalidOid,
			NULL);

	for (i = 1; i <= q->nleaves; i++)
	{
		StorageCol *c = new_col(&cols, COL_LEAF_COUNT,
								psprintf(INCRLOAD_HIDDEN_PREFIX "c%d", i),
								INT8OID, -1, InvalidOid, NULL);

		c->keyno = i;
		c->armcol = q->nkeys + 1;
	}

	i = 0;
	foreach(lc, q->aggs)
	{
		IncrloadAgg *agg = lfirst(lc);
		char	   *hidden = psprintf(INCRLOAD_HIDDEN_PREFIX "a%d", ++i);
		char	   *arg = agg->argcol ? pre_col(agg->argcol) : NULL;
		Node	   *argexpr = agg->argcol ? list_nth(q->pre_exprs, agg->argcol - 1) : NULL;
		bool		numeric = agg->argtype == NUMERICOID;
		StorageSet *set = NULL;
		StorageCol *a;
		StorageCol *b;
		StorageCol *nn;
		StorageCol *nan = NULL;
		StorageCol *pinf = NULL;
		StorageCol *ninf = NULL;
		StorageCol *scale = NULL;
		StorageCol *gen;

		if (agg->distinct)
			set = get_set(&sets, arg, agg->argtype, exprTypmod(argexpr),
						  exprCollation(argexpr),
						  and_cond(agg->filtercol ? pre_col(agg->filtercol) : NULL,
								   nonnull_test(arg, agg->argtype)));

		switch (agg->kind)
		{
			case IL_AGG_COUNT_STAR:
			case IL_AGG_COUNT:
				agg_col(&cols, COL_AGG_COUNT, agg->name, INT8OID, agg, arg,
						agg->argtype, arg ? VC_NOTNULL : VC_ALL, set);
				break;
			case IL_AGG_SUM:
			case IL_AGG_AVG:
				a = agg_col(&cols, COL_SUM, psprintf("%s_sum", hidden),
							agg->sumtype, agg, arg, agg->argtype,
							numeric ? VC_FINITE : VC_ALL, set);
				nn = agg_col(&cols, COL_NN, psprintf("%s_nn", hidden), INT8OID,
							 agg, arg, agg->argtype, VC_NOTNULL, set);
				if (numeric)
				{
					nan = agg_col(&cols, COL_NN, psprintf("%s_nan", hidden),
								  INT8OID, agg, arg, agg->argtype, VC_NAN, set);

					/* numeric(p, s) holds NaN but no infinity */
					if (agg->scale < 0)
					{
						pinf = agg_col(&cols, COL_NN, psprintf("%s_pinf", hidden),
									   INT8OID, agg, arg, agg->argtype, VC_PINF, set);
						ninf = agg_col(&cols, COL_NN, psprintf("%s_ninf", hidden),
									   INT8OID, agg, arg, agg->argtype, VC_NINF, set);
					}

					/*
					 * Over distinct values too, the largest scale of the
					 * rows: PostgreSQL keeps one of equal values (1.0, 1.00)
					 * and which one is not defined, but where equal values
					 * are written alike the two agree.
					 */
					if (agg->scale < 0)
						scale = scale_col(&cols, &sets, agg, hidden);
				}

				/*
				 * The visible value is generated from the columns above: a
				 * sum of no non-null values is NULL, whatever the running
				 * sum holds after values came and went.
				 */
				gen = new_col(&cols, COL_GENERATED, agg->name, agg->restype, -1,
							  InvalidOid, agg);
				if (numeric)
					gen->expr = numeric_result(a, nn, nan, pinf, ninf, scale,
											   agg->kind == IL_AGG_AVG);
				else if (agg->kind == IL_AGG_SUM)
					gen->expr = psprintf("CASE WHEN %s OPERATOR(pg_catalog.=) 0 THEN NULL "
										 "ELSE %s END", qc(nn), qc(a));
				else
					gen->expr = psprintf("CASE WHEN %s OPERATOR(pg_catalog.=) 0 THEN NULL "
										 "ELSE %s OPERATOR(pg_catalog./) %s::%s END",
										 qc(nn), qc(a), qc(nn),
										 agg->sumtype == INTERVALOID ?
										 "pg_catalog.float8" : "pg_catalog.numeric");
				break;
			case IL_AGG_BOOL_AND:
			case IL_AGG_BOOL_OR:
				nn = agg_col(&cols, COL_NN, psprintf("%s_nn", hidden), INT8OID,
							 agg, arg, agg->argtype, VC_NOTNULL, NULL);
				a = agg_col(&cols, COL_NN,
							psprintf("%s_%s", hidden,
									 agg->kind == IL_AGG_BOOL_AND ? "nf" : "nt"),
							INT8OID, agg, arg, agg->argtype,
							agg->kind == IL_AGG_BOOL_AND ? VC_FALSE : VC_TRUE, NULL);
				gen = new_col(&cols, COL_GENERATED, agg->name, agg->restype, -1,
							  InvalidOid, agg);
				gen->expr = psprintf("CASE WHEN %s OPERATOR(pg_catalog.=) 0 THEN NULL "
									 "ELSE %s OPERATOR(pg_catalog.%s) 0 END",
									 qc(nn), qc(a),
									 agg->kind == IL_AGG_BOOL_AND ? "=" : ">");
				break;
			case IL_AGG_VARIANCE:
				{
					StorageCol *nsp = NULL;
					StorageCol *sq;

					nn = agg_col(&cols, COL_NN, psprintf("%s_nn", hidden),
								 INT8OID, agg, arg, agg->argtype, VC_NOTNULL, NULL);
					if (numeric)
						nsp = agg_col(&cols, COL_NN, psprintf("%s_nsp", hidden),
									  INT8OID, agg, arg, agg->argtype,
									  VC_NONFINITE, NULL);
					a = agg_col(&cols, COL_SUM, psprintf("%s_sum", hidden),
								NUMERICOID, agg,
								psprintf("(%s)::pg_catalog.numeric", arg),
								NUMERICOID, numeric ? VC_FINITE : VC_ALL, NULL);
					sq = agg_col(&cols, COL_SUM, psprintf("%s_sq", hidden),
								 NUMERICOID, agg,
								 psprintf("((%s)::pg_catalog.numeric OPERATOR(pg_catalog.*) (%s)::pg_catalog.numeric)",
										  arg, arg),
								 NUMERICOID, numeric ? VC_FINITE : VC_ALL, NULL);
					if (numeric && agg->scale < 0)
						scale = scale_col(&cols, &sets, agg, hidden);
					gen = new_col(&cols, COL_GENERATED, agg->name, agg->restype,
								  -1, InvalidOid, agg);
					gen->expr = variance_result(agg, nn, nsp, a, sq, scale);
					break;
				}
			case IL_AGG_MIN:
			case IL_AGG_MAX:
				a = agg_col(&cols, COL_EXTREME, agg->name, agg->restype, agg,
							arg, agg->argtype, VC_ALL, NULL);
				a->coll = agg->rescoll;
				a->is_min = agg->kind == IL_AGG_MIN;
				b = agg_col(&cols, COL_DELETED_EXTREME, psprintf("%s_dx", hidden),
							agg->restype, agg, arg, agg->argtype, VC_ALL, NULL);
				b->coll = agg->rescoll;
				b->is_min = a->is_min;
				a->partner = b;
				b->partner = a;
				break;
			case IL_AGG_RECOMPUTE:
				a = new_col(&cols, COL_RECOMPUTE, agg->name, agg->restype, -1,
							agg->rescoll, agg);
				a->expr = recompute_call(agg);
				break;
		}
	}
	if (sets_out)
		*sets_out = sets;
	return cols;
}

/*
 * The aggregate call as the query writes it, over the pre relation:
 * DISTINCT, every argument, ORDER BY, FILTER.
 */
/* Where in an aggregate's arguments one is */
static int
arg_position(List *args, TargetEntry *tle)
{
	ListCell   *lc;

	foreach(lc, args)
	{
		if (lfirst(lc) == tle)
			return foreach_current_index(lc);
	}
	elog(ERROR, "incrload: an aggregate's ORDER BY item is not among its arguments");
	return -1;
}

static char *
recompute_call(IncrloadAgg *agg)
{
	Aggref	   *aggref = agg->aggref;
	StringInfoData buf;
	const char *order_by = " ORDER BY ";
	ListCell   *lc;
	bool		first = true;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s(%s",
					 quote_qualified_identifier(get_namespace_name(get_func_namespace(aggref->aggfnoid)),
												get_func_name(aggref->aggfnoid)),
					 aggref->aggdistinct ? "DISTINCT " : "");
	if (AGGKIND_IS_ORDERED_SET(aggref->aggkind))
	{
		/*
		 * fn(direct arguments) WITHIN GROUP (ORDER BY the aggregated ones):
		 * the direct arguments are constants (analysis saw to it).
		 */
		foreach(lc, aggref->aggdirectargs)
			appendStringInfo(&buf, "%s%s", foreach_current_index(lc) ? ", " : "",
							 deparse_expression(lfirst(lc), NIL, false, false));
		appendStringInfoChar(&buf, ')');
		order_by = " WITHIN GROUP (ORDER BY ";
	}
	else
	{
		foreach(lc, aggref->args)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, lc);

			if (tle->resjunk)
				continue;
			appendStringInfo(&buf, "%s%s", first ? "" : ", ",
							 pre_col(list_nth_int(agg->argcols, foreach_current_index(lc))));
			first = false;
		}
		if (aggref->args == NIL)
			appendStringInfoChar(&buf, '*');
	}
	first = true;
	foreach(lc, aggref->aggorder)
	{
		SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
		TargetEntry *tle = get_sortgroupclause_tle(sgc, aggref->args);

		appendStringInfo(&buf, "%s%s", first ? order_by : ", ",
						 pre_col(list_nth_int(agg->argcols, arg_position(aggref->args, tle))));
		first = false;
		il_sql_sort_order(&buf, exprType((Node *) tle->expr), sgc->sortop, sgc->nulls_first);
	}
	appendStringInfo(&buf, ")%s", filter_clause(agg, NULL));
	return buf.data;
}

static char *
storage_qualname(Oid storage)
{
	char	   *relname = get_rel_name(storage);

	if (relname == NULL)
		elog(ERROR, "cache lookup failed for relation %u", storage);
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(storage)),
									  relname);
}

/* The auxiliary table of set no of the storage table named so. */
static char *
aux_relname(const char *storage_relname, int no)
{
	return makeObjectName(storage_relname, NULL, psprintf("d%d", no));
}

static void
append_col_def(StringInfo buf, const char *name, Oid type, int32 typmod,
			   Oid coll)
{
	appendStringInfo(buf, "%s %s", quote_identifier(name),
					 il_sql_type(type, typmod));
	if (OidIsValid(coll) && coll != get_typcollation(type))
		appendStringInfo(buf, " COLLATE %s", generate_collation_name(coll));
}

/*
 * The storage table (schema incrload, named relname), its unique row-key
 * index, and the auxiliary table of each set, all owned by owner.
 */
char *
il_storage_ddl(IncrloadQuery *q, const char *relname, const char *owner)
{
	StringInfoData buf;
	List	   *sets;
	List	   *cols = storage_columns(q, &sets);
	ListCell   *lc;
	bool		first = true;
	char	   *qualname = quote_qualified_identifier(INCRLOAD_SCHEMA, relname);
	StringInfoData keydefs;
	StringInfoData keys;
	int			nkeys = 0;

	/*
	 * The row key is one unique index (the upserts' ON CONFLICT arbiter),
	 * and a set's index has its value too: a wider key is refused here,
	 * before PostgreSQL's own error about the index.
	 */
	foreach(lc, cols)
		nkeys += ((StorageCol *) lfirst(lc))->role == COL_KEY;
	if (q->kind != IL_VIEW_FULL && q->kind != IL_VIEW_GLOBAL &&
		nkeys + (sets != NIL) > INDEX_MAX_KEYS)
		ereport(ERROR,
				errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				errmsg("the row key of the view would have %d columns, more than the %d an index can hold",
					   nkeys + (sets != NIL), INDEX_MAX_KEYS),
				q->kind == IL_VIEW_AGG ?
				errdetail("The row key of a GROUP BY view is its GROUP BY expressions%s.",
						  sets != NIL ? ", plus the value for DISTINCT aggregates and numeric scales" : "") :
				errdetail("The row key of a view without GROUP BY is all its columns: each distinct row is stored once, with a count."),
				errhint("Use mode => 'full', or combine columns into one (an array or a composite value)."));

	initStringInfo(&buf);
	initStringInfo(&keydefs);
	initStringInfo(&keys);
	appendStringInfo(&buf, "CREATE TABLE %s (", qualname);
	foreach(lc, cols)
	{
		StorageCol *col = lfirst(lc);

		if (!first)
			appendStringInfoString(&buf, ", ");
		first = false;
		append_col_def(&buf, col->name, col->type, col->typmod, col->coll);
		if (col->role == COL_COUNT || col->role == COL_AGG_COUNT ||
			col->role == COL_NN || col->role == COL_LEAF_COUNT)
			appendStringInfoString(&buf, " NOT NULL");
		if (col->role == COL_GENERATED)
			appendStringInfo(&buf, " GENERATED ALWAYS AS (%s) STORED", col->expr);
		if (col->role == COL_KEY)
		{
			append_col_def(&keydefs, col->name, col->type, col->typmod, col->coll);
			appendStringInfoString(&keydefs, ", ");
			appendStringInfo(&keys, "%s, ", quote_identifier(col->name));
		}
	}
	appendStringInfoString(&buf, ")");

	if (q->kind != IL_VIEW_FULL && q->kind != IL_VIEW_GLOBAL)
	{
		/* keys ends with ", " */
		appendStringInfo(&buf, "; CREATE UNIQUE INDEX ON %s (%.*s) NULLS NOT DISTINCT",
						 qualname, keys.len - 2, keys.data);
	}
	appendStringInfo(&buf, "; ALTER TABLE %s OWNER TO %s", qualname,
					 quote_identifier(owner));

	/*
	 * Sets: a value's count per group.  Rows whose count reaches zero are
	 * deleted after each batch, found through the partial index.
	 */
	foreach(lc, sets)
	{
		StorageSet *set = lfirst(lc);
		char	   *aux = quote_qualified_identifier(INCRLOAD_SCHEMA,
													 aux_relname(relname, set->no));

		appendStringInfo(&buf, "; CREATE TABLE %s (%s", aux, keydefs.data);
		append_col_def(&buf, AUX_VALUE_NAME, set->type, set->typmod, set->coll);
		appendStringInfo(&buf, ", %s pg_catalog.int8 NOT NULL)", INCRLOAD_COUNT_NAME);
		appendStringInfo(&buf, "; CREATE UNIQUE INDEX ON %s (%s%s) NULLS NOT DISTINCT",
						 aux, keys.data, AUX_VALUE_NAME);
		appendStringInfo(&buf, "; CREATE INDEX ON %s (%s) WHERE %s OPERATOR(pg_catalog.=) 0",
						 aux, INCRLOAD_COUNT_NAME, INCRLOAD_COUNT_NAME);
		appendStringInfo(&buf, "; ALTER TABLE %s OWNER TO %s", aux,
						 quote_identifier(owner));
	}
	return buf.data;
}

/*
 * The auxiliary tables (sets) of a storage table, found by name: a
 * restored dump keeps names, not dependencies.
 */
List *
il_storage_sets(Oid storage)
{
	char	   *relname = get_rel_name(storage);
	Oid			nsp = get_rel_namespace(storage);
	List	   *result = NIL;
	Oid			aux;

	if (relname == NULL)
		elog(ERROR, "cache lookup failed for relation %u", storage);
	for (int no = 1;
		 OidIsValid(aux = get_relname_relid(aux_relname(relname, no), nsp));
		 no++)
		result = lappend_oid(result, aux);
	return result;
}

/* DROP TABLE for a view's storage table and its sets. */
char *
il_storage_drop_sql(Oid storage)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfo(&buf, "DROP TABLE %s", storage_qualname(storage));
	foreach(lc, il_storage_sets(storage))
		appendStringInfo(&buf, ", %s",
						 quote_qualified_identifier(get_namespace_name(get_rel_namespace(lfirst_oid(lc))),
													get_rel_name(lfirst_oid(lc))));
	return buf.data;
}

/*
 * The storage attnos of an aggregate view's keys, and of each aggregate's
 * visible value, as il_analyze_view_expr maps them.
 */
static void
view_attnos(IncrloadQuery *q, List *cols, List **key_attnos, List **agg_attnos)
{
	ListCell   *lc;
	ListCell   *lc2;
	int			attno = 0;

	*key_attnos = *agg_attnos = NIL;
	foreach(lc, cols)
	{
		StorageCol *col = lfirst(lc);

		attno++;
		if (col->role == COL_KEY)
			*key_attnos = lappend_int(*key_attnos, attno);
	}
	foreach(lc2, q->aggs)
	{
		IncrloadAgg *agg = lfirst(lc2);

		attno = 0;
		foreach(lc, cols)
		{
			StorageCol *col = lfirst(lc);

			attno++;
			if (col->agg == agg && strcmp(col->name, agg->name) == 0)
			{
				*agg_attnos = lappend_int(*agg_attnos, attno);
				break;
			}
		}
	}
}

/*
 * A top-N view's ORDER BY items as expressions over its storage table
 * (range table entry 1): through the aggregates and keys of a grouped
 * view, else the key column that keeps each (top_n.c).
 */
static List *
top_n_exprs(IncrloadQuery *q, List *cols)
{
	List	   *result = NIL;
	List	   *key_attnos;
	List	   *agg_attnos;
	ListCell   *lc;

	view_attnos(q, cols, &key_attnos, &agg_attnos);
	foreach(lc, q->query->sortClause)
	{
		TargetEntry *tle = get_sortgroupclause_tle(lfirst(lc), q->query->targetList);
		const char *name = tle->resjunk ? il_top_n_hidden_name(tle) : tle->resname;
		ListCell   *lc2;
		int			attno = 0;

		if (q->kind == IL_VIEW_AGG || q->kind == IL_VIEW_GLOBAL)
		{
			result = lappend(result, il_analyze_view_expr(q, (Node *) tle->expr,
														  key_attnos, agg_attnos));
			continue;
		}
		foreach(lc2, cols)
		{
			StorageCol *col = lfirst(lc2);

			attno++;
			if (col->role == COL_KEY && strcmp(col->name, name) == 0)
				break;
		}
		if (lc2 == NULL)
			elog(ERROR, "incrload: no storage column keeps ORDER BY item \"%s\"", name);
		result = lappend(result, makeVar(1, attno, exprType((Node *) tle->expr),
										 exprTypmod((Node *) tle->expr),
										 exprCollation((Node *) tle->expr), 0));
	}
	return result;
}

/*
 * The index a top-N view is read through (top_n.c), or NULL: built once
 * the storage table exists.
 */
char *
il_storage_top_n_index_sql(IncrloadQuery *q, Oid storage)
{
	if (q->kind == IL_VIEW_FULL || !il_top_n(q->query))
		return NULL;
	return il_top_n_index_sql(q->query, top_n_exprs(q, storage_columns(q, NULL)),
							  storage, storage_qualname(storage));
}

/*
 * The SELECT behind the user-facing view: exactly the query's columns,
 * computed from the storage table; a top-N view's ORDER BY and LIMIT
 * last.
 *
 *	 SELECT k AS k, s AS total FROM incrload.v_storage WHERE <HAVING>
 *	 SELECT s.a AS a, ... FROM incrload.v_storage s
 *	   CROSS JOIN LATERAL generate_series(1, s.__incrload_count) g
 */
static char *
view_sql(IncrloadQuery *q, Oid storage, bool cut)
{
	StringInfoData buf;
	List	   *cols = storage_columns(q, NULL);
	ListCell   *lc;
	bool		first = true;
	char	   *qualname = storage_qualname(storage);
	bool		top_n = cut && q->kind != IL_VIEW_FULL && il_top_n(q->query);

	initStringInfo(&buf);
	if (q->kind == IL_VIEW_AGG || q->kind == IL_VIEW_GLOBAL)
	{
		List	   *key_attnos;
		List	   *agg_attnos;
		List	   *dpcontext;

		view_attnos(q, cols, &key_attnos, &agg_attnos);
		dpcontext = deparse_context_for(get_rel_name(storage), storage);
		appendStringInfoString(&buf, q->distinct ? "SELECT DISTINCT " : "SELECT ");
		foreach(lc, q->outputs)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, lc);
			Node	   *expr;

			expr = il_analyze_view_expr(q, (Node *) tle->expr, key_attnos,
										agg_attnos);
			appendStringInfo(&buf, "%s%s AS %s", first ? "" : ", ",
							 deparse_expression(expr, dpcontext, false, false),
							 quote_identifier(tle->resname));
			first = false;
		}
		appendStringInfo(&buf, " FROM %s", qualname);

		/*
		 * HAVING filters the groups when the view is read: the storage table
		 * keeps every group, so one moving in or out of the condition needs
		 * nothing special.
		 */
		if (q->query->havingQual != NULL)
			appendStringInfo(&buf, " WHERE %s",
							 deparse_expression(il_analyze_view_expr(q, q->query->havingQual,
																	 key_attnos, agg_attnos),
												dpcontext, false, false));
		if (top_n)
			il_top_n_append(&buf, q->query, top_n_exprs(q, cols), dpcontext, false);
		return buf.data;
	}

	appendStringInfoString(&buf, "SELECT ");
	foreach(lc, cols)
	{
		StorageCol *col = lfirst(lc);

		/* a top-N view's hidden ORDER BY keys are not shown */
		if ((col->role != COL_KEY && col->role != COL_OUTPUT) ||
			strncmp(col->name, INCRLOAD_HIDDEN_PREFIX, strlen(INCRLOAD_HIDDEN_PREFIX)) == 0)
			continue;
		appendStringInfo(&buf, "%s%s AS %s", first ? "" : ", ",
						 il_sql_col("s", col->name), quote_identifier(col->name));
		first = false;
	}
	appendStringInfo(&buf, " FROM %s s", qualname);
	if (q->kind == IL_VIEW_PROJECT)
		appendStringInfo(&buf,
						 " CROSS JOIN LATERAL pg_catalog.generate_series(1::pg_catalog.int8, %s) g",
						 il_sql_col("s", INCRLOAD_COUNT_NAME));
	else if (q->kind == IL_VIEW_SETOP)
		appendStringInfo(&buf,
						 " CROSS JOIN LATERAL pg_catalog.generate_series(1::pg_catalog.int8, %s) g",
						 setop_count(q, q->setop));
	if (top_n)
		il_top_n_append(&buf, q->query, top_n_exprs(q, cols),
						deparse_context_for("s", storage), true);
	return buf.data;
}

char *
il_storage_view_sql(IncrloadQuery *q, Oid storage)
{
	return view_sql(q, storage, true);
}

/*
 * How often a row shows in the result of a set operation, from its count
 * in each arm, as PostgreSQL defines them: the ALL forms add, take the
 * smaller, or subtract (never below zero); the others show a row once or
 * not at all.
 */
static char *
setop_count(IncrloadQuery *q, Node *op)
{
	SetOperationStmt *s;
	char	   *l;
	char	   *r;
	char	   *n = NULL;

	if (IsA(op, RangeTblRef))
	{
		int			arm = ((RangeTblRef *) op)->rtindex;
		char	   *c = il_sql_col("s", psprintf(INCRLOAD_HIDDEN_PREFIX "c%d", arm));

		if (bms_is_member(arm, q->distinct_leaves))
			return psprintf("(CASE WHEN %s OPERATOR(pg_catalog.>) 0 THEN 1 ELSE 0 END)::pg_catalog.int8", c);
		return c;
	}
	s = castNode(SetOperationStmt, op);
	l = setop_count(q, s->larg);
	r = setop_count(q, s->rarg);
	switch (s->op)
	{
		case SETOP_UNION:
			n = psprintf("(%s OPERATOR(pg_catalog.+) %s)", l, r);
			break;
		case SETOP_INTERSECT:
			n = psprintf("LEAST(%s, %s)", l, r);
			break;
		case SETOP_EXCEPT:
			if (s->all)
				n = psprintf("GREATEST(%s OPERATOR(pg_catalog.-) %s, 0)", l, r);
			else
				return psprintf("(CASE WHEN %s OPERATOR(pg_catalog.>) 0 AND %s OPERATOR(pg_catalog.=) 0 "
								"THEN 1 ELSE 0 END)::pg_catalog.int8", l, r);
			break;
		default:
			elog(ERROR, "unrecognized set operation %d", (int) s->op);
	}
	if (s->all)
		return n;
	return psprintf("(CASE WHEN %s OPERATOR(pg_catalog.>) 0 THEN 1 ELSE 0 END)::pg_catalog.int8", n);
}

/* FILTER (WHERE ...) for an aggregate, with extra conditions; "" if none */
static char *
filter_clause(IncrloadAgg *agg, const char *extra)
{
	if (agg == NULL || agg->filtercol == 0)
	{
		if (extra == NULL)
			return "";
		return psprintf(" FILTER (WHERE %s)", extra);
	}
	if (extra == NULL)
		return psprintf(" FILTER (WHERE %s)", pre_col(agg->filtercol));
	return psprintf(" FILTER (WHERE %s AND %s)", pre_col(agg->filtercol), extra);
}

static char *
where_clause(const char *cond)
{
	return cond ? psprintf(" FILTER (WHERE %s)", cond) : "";
}

/*
 * The column's value aggregated over the pre relation "p" (columns e1..eN
 * and the weight __w).  With delta = false the weights are all 1 and this
 * is the column's value for the whole query.  With delta = true, a column
 * over a set aggregates the set's values that entered (weight +1) or left
 * (-1) with this batch, which p carries as __dv<n> and __dw<n>; with delta
 * = false it aggregates the distinct values of the rows.
 */
static char *
col_state(StorageCol *col, bool delta)
{
	char	   *in = col->input;
	char	   *w = "p.__w";
	char	   *rowcond = col->rowcond;
	char	   *cond;
	bool		distinct = false;
	char	   *rtype;
	char	   *ext;

	if (col->set && delta)
	{
		in = psprintf("p.__dv%d", col->set->no);
		w = psprintf("p.__dw%d", col->set->no);
		rowcond = NULL;
	}
	else if (col->set)
		distinct = true;
	cond = and_cond(rowcond, in ? valcond_sql(col->valcond, in, col->inputtype) : NULL);

	switch (col->role)
	{
		case COL_KEY:
			return pre_col(col->keyno);
		case COL_COUNT:
			if (!delta)
				return "pg_catalog.count(*)";
			return "COALESCE(pg_catalog.sum(p.__w), 0)";
		case COL_LEAF_COUNT:
			/* the arm's number is the pre column after the keys */
			cond = psprintf("%s OPERATOR(pg_catalog.=) %d", pre_col(col->armcol),
							col->keyno);
			if (!delta)
				return psprintf("pg_catalog.count(*)%s", where_clause(cond));
			return psprintf("COALESCE(pg_catalog.sum(p.__w)%s, 0)", where_clause(cond));
		case COL_AGG_COUNT:
		case COL_NN:
			if (distinct)
				return psprintf("pg_catalog.count(DISTINCT %s)%s", in,
								where_clause(cond));
			if (!delta)
				return psprintf("pg_catalog.count(*)%s", where_clause(cond));
			return psprintf("COALESCE(pg_catalog.sum(%s)%s, 0)", w,
							where_clause(cond));
		case COL_SUM:
			{
				Oid			base = getBaseType(col->inputtype);
				bool		small_int = base == INT2OID || base == INT4OID;

				rtype = il_sql_type(col->type, -1);
				if (distinct)
					return psprintf("(pg_catalog.sum(DISTINCT (%s)::%s)%s)::%s",
									in, rtype, where_clause(cond), rtype);

				/*
				 * A weight is not always 1 or -1: a row of a view read
				 * counts.  A small integer times an int4 weight fits in
				 * int8, which sum() adds up in int128, not numeric.
				 */
				if (delta)
					return psprintf("(pg_catalog.sum((%s)::%s OPERATOR(pg_catalog.*) %s)%s)::%s",
									in, small_int ? "pg_catalog.int8" : rtype, w,
									where_clause(cond), rtype);

				/*
				 * The whole query: integers summed as PostgreSQL's own sum()
				 * and avg() sum them (int8, int128), not in the storage
				 * column's numeric; the same exact value, several times
				 * faster over a whole table.
				 */
				if (small_int || base == INT8OID)
					return psprintf("(pg_catalog.sum(%s)%s)::%s", in,
									where_clause(cond), rtype);
				return psprintf("(pg_catalog.sum((%s)::%s)%s)::%s",
								in, rtype, where_clause(cond), rtype);
			}
		case COL_EXTREME:
		case COL_DELETED_EXTREME:
			/* the whole query has no deleted rows */
			if (!delta && col->role == COL_DELETED_EXTREME)
				return psprintf("NULL::%s", il_sql_type(col->type, -1));
			if (!delta)
				return psprintf("pg_catalog.%s(%s)%s", col->is_min ? "min" : "max",
								in, where_clause(cond));
			ext = psprintf("%s OPERATOR(pg_catalog.%s) 0", w,
						   col->role == COL_EXTREME ? ">" : "<");
			return psprintf("pg_catalog.%s(%s)%s", col->is_min ? "min" : "max",
							in, where_clause(and_cond(cond, ext)));
		case COL_RECOMPUTE:
			if (delta)
				return psprintf("NULL::%s", il_sql_type(col->type, -1));
			return col->expr;
		case COL_GENERATED:
		case COL_OUTPUT:
			break;
	}
	elog(ERROR, "storage column \"%s\" has no state", col->name);
	return NULL;				/* keep compiler quiet */
}

/* The column's new value from its old value (o) and the batch's (n). */
static char *
col_combine(StorageCol *col, const char *o, const char *n)
{
	char	   *oc = il_sql_col(o, col->name);
	char	   *nc = il_sql_col(n, col->name);

	switch (col->role)
	{
		case COL_COUNT:
		case COL_AGG_COUNT:
		case COL_NN:
		case COL_LEAF_COUNT:
			return psprintf("%s OPERATOR(pg_catalog.+) %s", oc, nc);
		case COL_SUM:
			return psprintf("CASE WHEN %s IS NULL THEN %s WHEN %s IS NULL THEN %s "
							"ELSE %s OPERATOR(pg_catalog.+) %s END",
							oc, nc, nc, oc, oc, nc);
		case COL_EXTREME:
			return psprintf("%s(%s, %s)", col->is_min ? "LEAST" : "GREATEST",
							oc, nc);
		case COL_DELETED_EXTREME:
			return nc;
		case COL_RECOMPUTE:
			return oc;
		default:
			break;
	}
	return NULL;
}

/*
 * True when the (new) row's value of this column cannot be known without
 * looking at the group's rows: its extreme was deleted, or it is a float
 * sum.  NULL when the column never needs that.
 */
static char *
col_flag(StorageCol *col, const char *alias)
{
	StringInfoData buf;
	TypeCacheEntry *tc;
	char	   *c;
	char	   *dx;

	if (col->role == COL_RECOMPUTE)
		return "true";
	if (col->role != COL_EXTREME)
		return NULL;

	tc = lookup_type_cache(col->type, TYPECACHE_LT_OPR);
	c = il_sql_col(alias, col->name);
	dx = il_sql_col(alias, col->partner->name);
	initStringInfo(&buf);
	appendStringInfo(&buf, "(%s IS NOT NULL AND (%s IS NULL OR NOT (", dx, c);
	if (col->is_min)
		generate_operator_clause(&buf, c, col->type, tc->lt_opr, dx, col->type);
	else
		generate_operator_clause(&buf, dx, col->type, tc->lt_opr, c, col->type);
	appendStringInfoString(&buf, ")))");
	return buf.data;
}

/*
 * An output column that is exactly array_agg(x), json_agg(x), jsonb_agg(x)
 * or string_agg(x, 'sep') over text without ORDER BY inside the call: its elements come in
 * whatever order the rows were read, by the query and by a recompute of
 * the group alike, so verify compares them sorted, as a text[]:
 *
 *	 (SELECT array_agg(e::text ORDER BY e::text) FROM unnest(col) e)
 *	 (SELECT array_agg(e ORDER BY e) FROM unnest(string_to_array(col, 'sep')) e)
 *
 * NULL otherwise.
 */
static char *
unordered_elements(TargetEntry *tle)
{
	Aggref	   *aggref = (Aggref *) tle->expr;
	const char *col = quote_identifier(tle->resname);
	char	   *fname;

	if (!IsA(aggref, Aggref) || aggref->aggorder != NIL ||
		aggref->aggkind != AGGKIND_NORMAL ||
		get_func_namespace(aggref->aggfnoid) != PG_CATALOG_NAMESPACE)
		return NULL;
	fname = get_func_name(aggref->aggfnoid);
	if (strcmp(fname, "array_agg") == 0)
		return psprintf("(SELECT pg_catalog.array_agg(e::pg_catalog.text ORDER BY e::pg_catalog.text) "
						"FROM pg_catalog.unnest(%s) e)", col);
	if (strcmp(fname, "json_agg") == 0 || strcmp(fname, "jsonb_agg") == 0)
		return psprintf("(SELECT pg_catalog.array_agg(e::pg_catalog.text ORDER BY e::pg_catalog.text) "
						"FROM pg_catalog.%s_array_elements(%s) e)", fname[4] == 'b' ? "jsonb" : "json", col);
	if (strcmp(fname, "string_agg") == 0 && aggref->aggtype == TEXTOID &&
		list_length(aggref->args) == 2 &&
		IsA(lsecond_node(TargetEntry, aggref->args)->expr, Const))
	{
		Const	   *sep = (Const *) lsecond_node(TargetEntry, aggref->args)->expr;

		if (sep->constisnull || sep->consttype != TEXTOID)
			return NULL;
		return psprintf("(SELECT pg_catalog.array_agg(e ORDER BY e) FROM "
						"pg_catalog.unnest(pg_catalog.string_to_array(%s, %s)) e)",
						col, quote_literal_cstr(TextDatumGetCString(sep->constvalue)));
	}
	return NULL;
}

/*
 * The verify query's select list: columns whose type has no equality
 * (json, json[] ...) are compared as text.
 */
static char *
verify_list(IncrloadQuery *q)
{
	StringInfoData buf;
	ListCell   *lc;
	bool		any = false;

	initStringInfo(&buf);
	foreach(lc, q->outputs)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		TypeCacheEntry *tc = lookup_type_cache(exprType((Node *) tle->expr),
											   TYPECACHE_EQ_OPR);
		char	   *unordered = unordered_elements(tle);

		appendStringInfoString(&buf, buf.len ? ", " : "");
		if (unordered != NULL)
			appendStringInfo(&buf, "%s AS %s", unordered, quote_identifier(tle->resname));
		else
			appendStringInfo(&buf, "%s%s", quote_identifier(tle->resname),
							 OidIsValid(tc->eq_opr) ? "" : "::pg_catalog.text");
		any |= !OidIsValid(tc->eq_opr) || unordered != NULL;
	}
	return any ? buf.data : "*";
}

/*
 * Floating-point results of aggregates depend on the order in which rows
 * were added, which no view can promise (PostgreSQL's own sum differs
 * between a sequential, a parallel and a hash plan).  Verify accepts a
 * relative difference up to this much of the larger value; beyond it
 * (sums of large values of both signs that nearly cancel) it reports
 * drift.
 */
#define VERIFY_FLOAT8_TOLERANCE "1e-9"
#define VERIFY_FLOAT4_TOLERANCE "1e-4"

/*
 * The verify query: the rows the view misses and the rows it has too
 * many of, as multisets.  Where a column is a float computed by an
 * aggregate, the rows left over by the exact comparison are paired again,
 * each with one on the other side that is equal but for a relative
 * difference within tolerance in such columns.
 */
static char *
verify_sql(IncrloadQuery *q, const char *querydef, const char *viewname,
		   const char *vlist)
{
	StringInfoData match;
	ListCell   *lc;
	bool		tolerant = false;

	initStringInfo(&match);
	foreach(lc, q->outputs)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		Oid			type = exprType((Node *) tle->expr);
		TypeCacheEntry *tc = lookup_type_cache(type, TYPECACHE_EQ_OPR);
		char	   *m = il_sql_col("m", tle->resname);
		char	   *e = il_sql_col("e", tle->resname);

		appendStringInfoString(&match, match.len ? " AND " : "");
		if ((type == FLOAT8OID || type == FLOAT4OID) &&
			(contain_agg_clause((Node *) tle->expr) ||
			 contain_window_function((Node *) tle->expr)))
		{
			char	   *mf = psprintf("(%s)::pg_catalog.float8", m);
			char	   *ef = psprintf("(%s)::pg_catalog.float8", e);

			tolerant = true;
			appendStringInfo(&match,
							 "(%s IS NOT DISTINCT FROM %s OR pg_catalog.abs(%s OPERATOR(pg_catalog.-) %s) "
							 "OPERATOR(pg_catalog.<=) (%s::pg_catalog.float8 OPERATOR(pg_catalog.*) "
							 "GREATEST(pg_catalog.abs(%s), pg_catalog.abs(%s))))",
							 mf, ef, mf, ef,
							 type == FLOAT8OID ? VERIFY_FLOAT8_TOLERANCE : VERIFY_FLOAT4_TOLERANCE,
							 mf, ef);
		}
		else
		{
			/* compared as verify_list compares them */
			bool		as_text = !OidIsValid(tc->eq_opr);

			appendStringInfo(&match, "((%s IS NULL AND %s IS NULL) OR ", m, e);
			if (as_text)
				appendStringInfo(&match, "%s OPERATOR(pg_catalog.=) %s", m, e);
			else
				generate_operator_clause(&match, m, type, tc->eq_opr, e, type);
			appendStringInfoString(&match, ")");
		}
	}
	if (!tolerant)
		return psprintf("SELECT (SELECT pg_catalog.count(*) FROM "
						"(SELECT %s FROM (%s) q EXCEPT ALL SELECT %s FROM %s) m), "
						"(SELECT pg_catalog.count(*) FROM "
						"(SELECT %s FROM %s EXCEPT ALL SELECT %s FROM (%s) q) e)",
						vlist, querydef, vlist, viewname, vlist, viewname,
						vlist, querydef);
	return psprintf("WITH q AS (SELECT %s FROM (%s) q), v AS (SELECT %s FROM %s), "
					"m AS (SELECT * FROM q EXCEPT ALL SELECT * FROM v), "
					"e AS (SELECT * FROM v EXCEPT ALL SELECT * FROM q) "
					"SELECT (SELECT pg_catalog.count(*) FROM m WHERE NOT EXISTS (SELECT FROM e WHERE %s)), "
					"(SELECT pg_catalog.count(*) FROM e WHERE NOT EXISTS (SELECT FROM m WHERE %s))",
					vlist, querydef, vlist, viewname, match.data, match.data);
}

/*
 * The statements of a view with sets.  The pre relation becomes a CTE
 * ("pre"); each set's auxiliary table is upserted from it in a CTE a<n>
 * returning, per changed (group, value), the new count and whether the
 * row is new; the aggregation reads pre UNION ALL one row per value that
 * entered or left a set.  A count that goes below zero (the auxiliary
 * table was changed behind our back) gives its row a weight that drives
 * the group's count below zero, which makes the apply recompute the view.
 */
static void
sets_sql(IncrloadQuery *q, List *cols, List *sets, Oid storage,
		 List *changed, char **delta_with, char **delta_from, char **full_with,
		 char **full_delete, char **cleanup, List **aux_relids)
{
	StringInfoData dw;
	StringInfoData from;
	StringInfoData fw;
	StringInfoData fdel;
	StringInfoData clean;
	StringInfoData keys;
	StringInfoData pkeys;
	StringInfoData rkeys;
	ListCell   *lc;
	ListCell   *lc2;
	char	   *relname = get_rel_name(storage);
	Oid			nsp = get_rel_namespace(storage);
	int			npre = list_length(q->pre_exprs);

	initStringInfo(&dw);
	initStringInfo(&from);
	initStringInfo(&fw);
	initStringInfo(&fdel);
	initStringInfo(&clean);
	initStringInfo(&keys);
	initStringInfo(&pkeys);
	initStringInfo(&rkeys);
	foreach(lc, cols)
	{
		StorageCol *col = lfirst(lc);

		if (col->role != COL_KEY)
			continue;
		appendStringInfo(&keys, "%s, ", quote_identifier(col->name));
		appendStringInfo(&pkeys, "%s, ", pre_col(col->keyno));
		appendStringInfo(&rkeys, "%s, ", il_sql_col("s", col->name));
	}

	{
		char	   *pre = il_delta_pre_sql(q, true, changed);
		char	   *batches = il_delta_batch_ctes();

		appendStringInfo(&dw, "WITH %s%spre AS MATERIALIZED (%s)",
						 batches ? batches : "", batches ? ", " : "", pre);
	}
	appendStringInfo(&fw, "WITH pre AS MATERIALIZED (%s)", il_delta_pre_sql(q, false, NIL));
	appendStringInfoString(&from, "(SELECT p.*");
	foreach(lc, sets)
	{
		StorageSet *set = lfirst(lc);

		appendStringInfo(&from, ", NULL::%s%s AS __dv%d, NULL::pg_catalog.int4 AS __dw%d",
						 il_sql_type(set->type, set->typmod),
						 OidIsValid(set->coll) && set->coll != get_typcollation(set->type) ?
						 psprintf(" COLLATE %s", generate_collation_name(set->coll)) : "",
						 set->no, set->no);
	}
	appendStringInfoString(&from, " FROM pre p");

	foreach(lc, sets)
	{
		StorageSet *set = lfirst(lc);
		char	   *auxname = aux_relname(relname, set->no);
		Oid			aux = get_relname_relid(auxname, nsp);
		char	   *qaux;
		char	   *select;
		int			ngroup = q->nkeys + 1;
		StringInfoData groupby;

		if (!OidIsValid(aux))
			ereport(ERROR,
					errcode(ERRCODE_UNDEFINED_TABLE),
					errmsg("auxiliary table \"%s\" of incrload storage table \"%s\" is missing",
						   auxname, relname),
					errhint("Unregister the view and register it again."));
		*aux_relids = lappend_oid(*aux_relids, aux);
		qaux = quote_qualified_identifier(get_namespace_name(nsp), auxname);

		initStringInfo(&groupby);
		for (int i = 1; i <= ngroup; i++)
			appendStringInfo(&groupby, "%s%d", i > 1 ? ", " : "", i);
		select = psprintf("SELECT %s%s, pg_catalog.sum(p.__w) FROM pre p WHERE %s GROUP BY %s",
						  pkeys.data, set->value, set->filter ? set->filter : "true",
						  groupby.data);

		/* the batch: the changed counts, and which values entered or left */
		appendStringInfo(&dw, ", a%d AS (INSERT INTO %s AS s (%s%s, %s) %s "
						 "HAVING pg_catalog.sum(p.__w) OPERATOR(pg_catalog.<>) 0 "
						 "ON CONFLICT (%s%s) DO UPDATE SET %s = s.%s OPERATOR(pg_catalog.+) excluded.%s "
						 "RETURNING %ss.%s, s.%s AS c, s.xmax OPERATOR(pg_catalog.=) '0'::pg_catalog.xid AS ins)",
						 set->no, qaux, keys.data, AUX_VALUE_NAME, INCRLOAD_COUNT_NAME,
						 select, keys.data, AUX_VALUE_NAME,
						 INCRLOAD_COUNT_NAME, INCRLOAD_COUNT_NAME, INCRLOAD_COUNT_NAME,
						 rkeys.data, AUX_VALUE_NAME, INCRLOAD_COUNT_NAME);
		appendStringInfoString(&from, " UNION ALL SELECT ");
		foreach(lc2, cols)
		{
			StorageCol *col = lfirst(lc2);

			if (col->role == COL_KEY)
				appendStringInfo(&from, "%s, ", il_sql_col("a", col->name));
		}
		for (int i = q->nkeys + 1; i <= npre; i++)
			appendStringInfoString(&from, "NULL, ");
		appendStringInfoString(&from,
							   "CASE WHEN a.c OPERATOR(pg_catalog.<) 0 OR (a.ins AND a.c OPERATOR(pg_catalog.=) 0) "
							   "THEN (-2147483648)::pg_catalog.int4 ELSE 0 END");
		foreach(lc2, sets)
		{
			StorageSet *other = lfirst(lc2);

			if (other != set)
				appendStringInfoString(&from, ", NULL, NULL");
			else
				appendStringInfo(&from, ", a.%s, CASE WHEN a.ins AND a.c OPERATOR(pg_catalog.>) 0 THEN 1 "
								 "WHEN NOT a.ins AND a.c OPERATOR(pg_catalog.=) 0 THEN -1 END",
								 AUX_VALUE_NAME);
		}
		appendStringInfo(&from, " FROM a%d a WHERE a.ins OR a.c OPERATOR(pg_catalog.<=) 0",
						 set->no);

		/* a recompute: every count from scratch */
		appendStringInfo(&fw, ", a%d AS (INSERT INTO %s (%s%s, %s) %s)", set->no,
						 qaux, keys.data, AUX_VALUE_NAME, INCRLOAD_COUNT_NAME, select);
		appendStringInfo(&fdel, "%sx%d AS (DELETE FROM %s)",
						 fdel.len ? ", " : "WITH ", set->no, qaux);
		if (lnext(sets, lc))
			appendStringInfo(&clean, "%sz%d AS (DELETE FROM %s WHERE %s OPERATOR(pg_catalog.=) 0)",
							 clean.len ? ", " : "WITH ", set->no, qaux,
							 INCRLOAD_COUNT_NAME);
		else
			appendStringInfo(&clean, " DELETE FROM %s WHERE %s OPERATOR(pg_catalog.=) 0",
							 qaux, INCRLOAD_COUNT_NAME);
	}
	appendStringInfoString(&from, ") p");
	appendStringInfoChar(&dw, ' ');
	appendStringInfoChar(&fw, ' ');
	appendStringInfoChar(&fdel, ' ');

	*delta_with = dw.data;
	*delta_from = from.data;
	*full_with = fw.data;
	*full_delete = fdel.data;
	*cleanup = clean.data;
}

/*
 * Everything the apply runs for one view; its upsert for a batch in which
 * the base tables changed changed (NIL: any of them).
 */
IncrloadSql *
il_storage_build(IncrloadQuery *q, Oid view, Oid storage, List *changed)
{
	IncrloadSql *sql = palloc0(sizeof(IncrloadSql));
	List	   *sets;
	List	   *cols = storage_columns(q, &sets);
	char	   *st = storage_qualname(storage);
	char	   *viewname;
	char	   *vlist;
	char	   *delta_with = "";
	char	   *delta_from;
	char	   *full_with = "";
	char	   *full_from;
	char	   *full_delete = "";
	StringInfoData names;
	StringInfoData fullstate;
	StringInfoData deltastate;
	StringInfoData groupby;
	StringInfoData keys;
	StringInfoData set;
	StringInfoData flag;
	StringInfoData rcols;
	StringInfoData rstate;
	StringInfoData rmatch;
	ListCell   *lc;
	int			nflags = 0;
	int			nrecompute = 0;

	viewname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(view)),
										  get_rel_name(view));
	vlist = verify_list(q);
	if (q->kind != IL_VIEW_FULL && il_top_n(q->query))
	{
		/*
		 * A top-N view is verified before its cut: the storage's rows, as
		 * the view reads them before ORDER BY ... LIMIT, against the
		 * query's without it, so that rows tied at the boundary, which
		 * either may pick, do not count as drift (top_n.c).
		 */
		Query	   *uncut = copyObject(q->query);

		uncut->sortClause = NIL;
		uncut->limitCount = uncut->limitOffset = NULL;
		sql->verify = verify_sql(q, il_analyze_querydef(uncut),
								 psprintf("(%s) v", view_sql(q, storage, false)), vlist);
	}
	else
		sql->verify = verify_sql(q, q->querydef, viewname, vlist);

	foreach(lc, q->base_relids)
		sql->batch_info = lappend(sql->batch_info,
								  il_delta_batch_info_sql(il_catalog_delta_for(lfirst_oid(lc))));

	if (q->kind == IL_VIEW_FULL)
	{
		sql->full_delete = psprintf("DELETE FROM %s", st);
		sql->full_insert = psprintf("INSERT INTO %s SELECT * FROM (%s) q", st,
									q->querydef);
		sql->fill_select = psprintf("SELECT * FROM (%s) q", q->querydef);
		sql->fill_insert = psprintf("INSERT INTO %s SELECT * FROM %s", st,
									INCRLOAD_FILL_RELNAME);
		return sql;
	}

	if (sets != NIL)
		sets_sql(q, cols, sets, storage, changed, &delta_with, &delta_from, &full_with,
				 &full_delete, &sql->aux_cleanup, &sql->aux_relids);
	else if (q->recursion && q->recursion->all)
		il_recursive_counting_sql(q, st, changed != NIL ? changed : q->base_relids,
								  &delta_with, &delta_from);
	else if (q->recursion)
		delta_from = NULL;		/* its own upsert, below */
	else
	{
		char	   *batches;

		delta_from = psprintf("(%s) p", il_delta_pre_sql(q, true, changed));
		batches = il_delta_batch_ctes();
		if (batches)
			delta_with = psprintf("WITH %s ", batches);
	}
	if (q->recursion)
		full_from = il_recursive_full_sql(q);
	else
		full_from = sets != NIL ? "pre p" : psprintf("(%s) p", il_delta_pre_sql(q, false, NIL));
	sql->full_delete = psprintf("%sDELETE FROM %s", full_delete, st);

	initStringInfo(&names);
	initStringInfo(&fullstate);
	initStringInfo(&deltastate);
	initStringInfo(&groupby);
	initStringInfo(&keys);
	initStringInfo(&set);
	initStringInfo(&flag);
	initStringInfo(&rcols);
	initStringInfo(&rstate);
	initStringInfo(&rmatch);

	sql->nkeys = q->nkeys;
	sql->key_types = palloc0(sizeof(Oid) * (q->nkeys + 1));
	foreach(lc, cols)
	{
		StorageCol *col = lfirst(lc);
		const char *qname = quote_identifier(col->name);
		char	   *f;

		if (col->role == COL_GENERATED)
			continue;
		appendStringInfo(&names, "%s%s", names.len ? ", " : "", qname);
		sql->fill_names = lappend(sql->fill_names, col->name);
		appendStringInfo(&fullstate, "%s%s", fullstate.len ? ", " : "",
						 col_state(col, false));
		appendStringInfo(&deltastate, "%s%s AS %s", deltastate.len ? ", " : "",
						 col_state(col, true), qname);
		if (col->role == COL_KEY)
		{
			TypeCacheEntry *tc = lookup_type_cache(col->type, TYPECACHE_EQ_OPR);
			char	   *param = psprintf("$%d", col->keyno + 1);

			sql->key_types[col->keyno - 1] = col->type;
			appendStringInfo(&groupby, "%s%s", groupby.len ? ", " : "",
							 pre_col(col->keyno));
			appendStringInfo(&keys, "%s%s", keys.len ? ", " : "", qname);
			appendStringInfo(&rmatch, " AND (");
			generate_operator_clause(&rmatch, pre_col(col->keyno), col->type,
									 tc->eq_opr, param, col->type);
			appendStringInfo(&rmatch, " OR (%s IS NULL AND %s IS NULL))",
							 pre_col(col->keyno), param);
			continue;
		}
		appendStringInfo(&set, "%s%s = %s", set.len ? ", " : "", qname,
						 col_combine(col, "s", q->kind == IL_VIEW_GLOBAL ? "d" : "excluded"));
		f = col_flag(col, "s");
		if (f)
		{
			appendStringInfo(&flag, "%s%s", nflags++ ? " OR " : "", f);
			appendStringInfo(&rcols, "%s%s", nrecompute ? ", " : "", qname);
			appendStringInfo(&rstate, "%s%s", nrecompute ? ", " : "",
							 col_state(col, false));
			nrecompute++;
		}
	}

	sql->full_insert = psprintf("%sINSERT INTO %s (%s) SELECT %s FROM %s%s%s",
								full_with, st, names.data, fullstate.data,
								full_from,
								groupby.len ? " GROUP BY " : "", groupby.data);
	/* the sets' fill writes their tables in the same statement: no split */
	if (full_with[0] == '\0')
	{
		sql->fill_select = psprintf("SELECT %s FROM %s%s%s", fullstate.data,
									full_from, groupby.len ? " GROUP BY " : "",
									groupby.data);
		sql->fill_insert = psprintf("INSERT INTO %s (%s) SELECT * FROM %s", st,
									names.data, INCRLOAD_FILL_RELNAME);
	}

	if (q->recursion && !q->recursion->all)
	{
		List	   *tables = changed != NIL ? changed : q->base_relids;

		sql->upsert = il_recursive_upsert_sql(q, st, tables);
		sql->reinsert = il_recursive_reinsert_sql(q, st, tables);
	}
	else if (q->kind == IL_VIEW_GLOBAL)
		sql->upsert = psprintf("%sUPDATE %s s SET %s FROM (SELECT %s FROM %s) d "
							   "RETURNING s.ctid, s.%s, %s, false",
							   delta_with, st, set.data, deltastate.data, delta_from,
							   INCRLOAD_COUNT_NAME,
							   nflags ? flag.data : "false");
	else
	{
		StringInfoData ret;

		initStringInfo(&ret);
		foreach(lc, cols)
		{
			StorageCol *col = lfirst(lc);

			/*
			 * The keys only name groups to recompute: without any, a big
			 * batch's returned rows would hold every key for nothing.
			 */
			if (col->role == COL_KEY)
				appendStringInfo(&ret, ", %s", nflags ? il_sql_col("s", col->name) : "NULL");
		}

		/*
		 * The last column tells inserted rows from updated ones: a row that
		 * ON CONFLICT updated carries our lock in xmax, a new one none.
		 */
		sql->upsert = psprintf("%sINSERT INTO %s AS s (%s) SELECT %s FROM %s "
							   "GROUP BY %s%s "
							   "ON CONFLICT (%s) DO UPDATE SET %s "
							   "RETURNING s.ctid, s.%s, %s%s, "
							   "s.xmax OPERATOR(pg_catalog.=) '0'::pg_catalog.xid",
							   delta_with, st, names.data, deltastate.data, delta_from,
							   groupby.data,
							   q->kind == IL_VIEW_AGG || q->kind == IL_VIEW_SETOP ? "" :
							   " HAVING pg_catalog.sum(p.__w) OPERATOR(pg_catalog.<>) 0",
							   keys.data, set.data, INCRLOAD_COUNT_NAME,
							   nflags ? flag.data : "false", ret.data);
	}

	sql->delete_rows = psprintf("DELETE FROM %s WHERE ctid OPERATOR(pg_catalog.=) ANY ($1)",
								st);
	if (nrecompute > 0)
		sql->recompute = psprintf("UPDATE %s s SET (%s) = (SELECT %s FROM (%s) p WHERE true%s) "
								  "WHERE s.ctid OPERATOR(pg_catalog.=) $1",
								  st, rcols.data, rstate.data, il_delta_pre_sql(q, false, NIL),
								  rmatch.data);
	return sql;
}

/*
 * How often a storage row shows in the view, over the storage row as "s";
 * NULL when each row shows once.  A view that reads this one as a base
 * table counts its rows so.
 */
char *
il_storage_multiplicity(IncrloadQuery *q)
{
	if (q->kind == IL_VIEW_PROJECT)
		return il_sql_col("s", INCRLOAD_COUNT_NAME);
	if (q->kind == IL_VIEW_SETOP)
		return setop_count(q, q->setop);
	return NULL;
}
