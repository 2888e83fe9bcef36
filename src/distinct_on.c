/*-------------------------------------------------------------------------
 *
 * distinct_on.c
 *	  DISTINCT ON as a GROUP BY whose other columns come from each group's
 *	  first row, and the aggregate incrload.first that picks it.
 *
 * SELECT DISTINCT ON (k) returns, for each value of k, the first row of
 * that value in the query's ORDER BY.  That is a GROUP BY k in which every
 * other column is the column of the group's first row: an aggregate over
 * the group's rows in that order, which the rules recompute for the groups
 * a batch changes (as they do string_agg(... ORDER BY ...)).  For
 *
 *	 SELECT DISTINCT ON (dev) dev, ts, temp FROM r ORDER BY dev, ts DESC
 *
 * the query registered is
 *
 *	 SELECT s.dev,
 *			incrload.first(s.ts ORDER BY s.ts DESC NULLS FIRST, s.dev, s.ts, s.temp)::timestamptz AS ts,
 *			incrload.first(s.temp ORDER BY ...same...)::numeric AS temp
 *	 FROM (SELECT dev, ts, temp FROM r) s GROUP BY s.dev
 *
 * The inner query is the user's without DISTINCT ON and ORDER BY, with the
 * expressions those read shown as columns (__incrload_j<n>) when the
 * select list does not show them.  Every column's aggregate sorts by the
 * query's order and then by every output column, so that all of a group's
 * columns come from one row; rows that tie on all of it show the same
 * values.  Where the query's ORDER BY does not order each group's rows
 * fully, PostgreSQL returns any of the tied rows, and the view the
 * smallest of them.
 *
 * IDENTIFICATION
 *	  src/distinct_on.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "analyze.h"
#include "catalog.h"
#include "delta.h"
#include "distinct_on.h"
#include "top_n.h"

/*
 * The name of a target entry in the inner query: its own, or one made up
 * for an expression only DISTINCT ON or ORDER BY reads.
 */
static const char *
inner_name(TargetEntry *tle)
{
	if (!tle->resjunk)
		return tle->resname;
	return psprintf(INCRLOAD_HIDDEN_PREFIX "j%d", tle->resno);
}

/* One ORDER BY item, written for s.<column> */
static void
append_sort_item(StringInfo buf, SortGroupClause *sgc, TargetEntry *tle)
{
	appendStringInfo(buf, "%ss.%s", buf->len ? ", " : "",
					 quote_identifier(inner_name(tle)));
	il_sql_sort_order(buf, exprType((Node *) tle->expr), sgc->sortop, sgc->nulls_first);
}

/*
 * The query with DISTINCT ON written as a GROUP BY, or the query itself
 * when it has none, or when the rewrite would not be exact (an output
 * column whose type has no order to break ties with), for analysis to
 * refuse.
 */
Query *
il_rewrite_distinct_on(Query *query)
{
	Query	   *inner;
	StringInfoData order;
	StringInfoData tiebreak;
	StringInfoData select;
	StringInfoData group;
	StringInfoData top;
	List	   *keys = NIL;
	ListCell   *lc;
	char	   *sql;

	if (!query->hasDistinctOn || query->hasTargetSRFs)
		return query;
	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		TypeCacheEntry *tc;

		if (tle->resjunk)
			continue;
		tc = lookup_type_cache(exprType((Node *) tle->expr), TYPECACHE_LT_OPR);
		if (!OidIsValid(tc->lt_opr))
			return query;
	}

	/* the DISTINCT ON expressions, and the ORDER BY past them */
	initStringInfo(&group);
	foreach(lc, query->distinctClause)
	{
		SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
		TargetEntry *tle = get_sortgroupclause_tle(sgc, query->targetList);

		keys = lappend_int(keys, sgc->tleSortGroupRef);
		appendStringInfo(&group, "%ss.%s", group.len ? ", " : "",
						 quote_identifier(inner_name(tle)));
	}
	initStringInfo(&order);
	foreach(lc, query->sortClause)
	{
		SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);

		/* the leading ones are DISTINCT ON's, the same in every group */
		if (list_member_int(keys, sgc->tleSortGroupRef))
			continue;
		append_sort_item(&order, sgc, get_sortgroupclause_tle(sgc, query->targetList));
	}
	initStringInfo(&tiebreak);
	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		if (!tle->resjunk)
			appendStringInfo(&tiebreak, ", s.%s", quote_identifier(tle->resname));
	}

	/* every output column: a key as it is, the others from the first row */
	initStringInfo(&select);
	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		const char *name;

		if (tle->resjunk)
			continue;
		name = quote_identifier(tle->resname);
		if (select.len)
			appendStringInfoString(&select, ", ");
		/*
		 * A key is the group's value, unless values equal by its type's
		 * equality can differ ('a' and 'A' as citext): then it too is the
		 * first row's.
		 */
		if (tle->ressortgroupref != 0 && list_member_int(keys, tle->ressortgroupref) &&
			il_equality_is_identity(exprType((Node *) tle->expr),
									exprCollation((Node *) tle->expr)))
			appendStringInfo(&select, "s.%s", name);
		else
			appendStringInfo(&select, "%s.first(s.%s ORDER BY %s%s)::%s AS %s",
							 INCRLOAD_SCHEMA, name, order.data,
							 order.len ? tiebreak.data : tiebreak.data + 2,
							 format_type_extended(exprType((Node *) tle->expr),
												  exprTypmod((Node *) tle->expr),
												  FORMAT_TYPE_TYPEMOD_GIVEN |
												  FORMAT_TYPE_FORCE_QUALIFY),
							 name);
	}

	/*
	 * A LIMIT picks rows after DISTINCT ON, in the query's whole ORDER BY:
	 * the groups' keys, then each later item's value in the group's first
	 * row (top_n.c cuts the grouped view when it is read).
	 */
	initStringInfo(&top);
	if (il_top_n(query))
	{
		foreach(lc, query->sortClause)
		{
			SortGroupClause *sgc = lfirst_node(SortGroupClause, lc);
			TargetEntry *tle = get_sortgroupclause_tle(sgc, query->targetList);
			const char *name = quote_identifier(inner_name(tle));

			appendStringInfoString(&top, top.len ? ", " : " ORDER BY ");
			if (list_member_int(keys, sgc->tleSortGroupRef))
				appendStringInfo(&top, "s.%s", name);
			else
				appendStringInfo(&top, "%s.first(s.%s ORDER BY %s%s)", INCRLOAD_SCHEMA, name,
								 order.data, order.len ? tiebreak.data : tiebreak.data + 2);
			il_sql_sort_order(&top, exprType((Node *) tle->expr), sgc->sortop, sgc->nulls_first);
		}
		il_top_n_append_limit(&top, query);
	}

	/* the query itself, every row, with what DISTINCT ON and ORDER BY read */
	inner = copyObject(query);
	inner->distinctClause = NIL;
	inner->hasDistinctOn = false;
	inner->sortClause = NIL;
	inner->limitCount = inner->limitOffset = NULL;
	foreach(lc, inner->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		if (tle->resjunk && tle->ressortgroupref != 0)
		{
			tle->resname = pstrdup(inner_name(tle));
			tle->resjunk = false;
		}
	}
	sql = psprintf("SELECT %s FROM (%s) s GROUP BY %s%s", select.data,
				   il_analyze_querydef(inner), group.data, top.data);
	return il_analyze_parse(sql);
}

/*
 * incrload.first(value ORDER BY ...): the value of the first row.  The
 * state is the first value, copied into the aggregate's context; later
 * rows leave it.
 */
typedef struct FirstState
{
	Datum		value;
	bool		isnull;
} FirstState;

PG_FUNCTION_INFO_V1(incrload_first_step);
PG_FUNCTION_INFO_V1(incrload_first_final);

Datum
incrload_first_step(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	FirstState *state;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("incrload.first_step() can only be called as an aggregate's step"));
	if (!PG_ARGISNULL(0))
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	state = MemoryContextAllocZero(aggcontext, sizeof(FirstState));
	state->isnull = PG_ARGISNULL(1);
	if (!state->isnull)
	{
		int16		typlen;
		bool		typbyval;
		MemoryContext old;

		get_typlenbyval(get_fn_expr_argtype(fcinfo->flinfo, 1), &typlen, &typbyval);
		old = MemoryContextSwitchTo(aggcontext);
		state->value = datumCopy(PG_GETARG_DATUM(1), typbyval, typlen);
		MemoryContextSwitchTo(old);
	}
	PG_RETURN_POINTER(state);
}

Datum
incrload_first_final(PG_FUNCTION_ARGS)
{
	FirstState *state;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (FirstState *) PG_GETARG_POINTER(0);
	if (state->isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(state->value);
}
