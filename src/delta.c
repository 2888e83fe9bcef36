/*-------------------------------------------------------------------------
 *
 * delta.c
 *	  The delta rules, as SQL: for one analyzed view, the statements that
 *	  create its storage table, fill it, apply a batch of changes to it and
 *	  check it.
 *
 * Every relation is a Z-set: rows with integer weights.  A batch of a base
 * table R is the rows of its delta table committed after the view's
 * watermark (and visible in the apply's snapshot), with weight +1 for an
 * inserted row and -1 for a deleted one.  For a join of R1 .. Rn the change
 * of the join is the telescoping sum
 *
 *	   dV = sum over i of  new_1 .. new_(i-1) x dR_i x old_(i+1) .. old_n
 *
 * where new_j is the base table as the apply's snapshot shows it and
 * old_j = new_j - dR_j (the base table UNION ALL its batch with weights
 * negated).  Weights multiply through the join; WHERE and projections
 * apply to weighted rows unchanged.
 *
 * Each term is the user's own query tree with its range table entries
 * replaced by subqueries over delta tables (same attribute numbers as the
 * base table, so the user's expressions are untouched, plus a weight
 * column), and with a target list of the expressions the view needs per
 * input row (the "pre" relation: e1 .. eN and a weight __w); ruleutils
 * deparses it, so the user's expressions reach the SQL exactly as
 * PostgreSQL analyzed them.  storage.c folds the pre relation into the
 * storage table.
 *
 * Nothing here runs SQL; apply.c prepares and runs what storage.c builds.
 *
 * IDENTIFICATION
 *	  src/delta.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/analyze.h"
#include "parser/parsetree.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/typcache.h"

#include "capture.h"
#include "catalog.h"
#include "delta.h"

static char *batch_cond(const char *alias);
static char *batch_subquery_sql(Oid base, Oid delta, bool old, List **colnames);
static void substitute_rte(Query *pre, int rtindex, Oid base, bool old);
static char *pre_term_sql(IncrloadBranch *b, int delta_pos);

static Oid	batch_param_types[INCRLOAD_BATCH_NPARAMS] = {PG_SNAPSHOTOID, XID8OID, INT8OID};

Oid *
il_delta_batch_param_types(void)
{
	return batch_param_types;
}

char *
il_sql_type(Oid type, int32 typmod)
{
	return format_type_extended(type, typmod,
								FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY);
}

char *
il_sql_col(const char *alias, const char *name)
{
	return psprintf("%s.%s", alias, quote_identifier(name));
}

/*
 * Which delta rows belong to the batch: committed (MVCC shows us nothing
 * else), and not yet applied: not visible in the watermark ($1), except
 * the rows the last applying transaction ($2) wrote after it read ($3).
 * The first condition lets the xid index find the range.
 */
static char *
batch_cond(const char *alias)
{
	char	   *xid = il_sql_col(alias, INCRLOAD_DELTA_XID_NAME);

	return psprintf("%s OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin($1) "
					"AND CASE WHEN %s OPERATOR(pg_catalog.=) $2 "
					"THEN %s OPERATOR(pg_catalog.>=) $3 "
					"ELSE NOT pg_catalog.pg_visible_in_snapshot(%s, $1) END",
					xid, xid, il_sql_col(alias, INCRLOAD_DELTA_CID_NAME), xid);
}

/*
 * A subquery with the base table's row type (attnos line up, so the
 * query's Vars need no change) plus a weight: the batch, or, for old,
 * the table as it was before the batch.
 */
static char *
batch_subquery_sql(Oid base, Oid delta, bool old, List **colnames)
{
	Relation	brel = table_open(base, AccessShareLock);
	Relation	drel = table_open(delta, AccessShareLock);
	TupleDesc	bdesc = RelationGetDescr(brel);
	StringInfoData dcols;
	StringInfoData bcols;
	char	   *dname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(drel)),
												   RelationGetRelationName(drel));
	char	   *sql;

	initStringInfo(&dcols);
	initStringInfo(&bcols);
	*colnames = NIL;
	for (int i = 0; i < bdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(bdesc, i);
		char	   *name;

		if (attr->attisdropped)
		{
			name = psprintf(INCRLOAD_HIDDEN_PREFIX "dropped_%d", i + 1);
			appendStringInfo(&dcols, "NULL::pg_catalog.int4 AS %s, ", name);
			appendStringInfo(&bcols, "NULL::pg_catalog.int4 AS %s, ", name);
		}
		else
		{
			name = NameStr(attr->attname);
			if (get_attnum(delta, name) == InvalidAttrNumber)
				appendStringInfo(&dcols, "NULL::%s AS %s, ",
								 il_sql_type(attr->atttypid, attr->atttypmod),
								 quote_identifier(name));
			else
				appendStringInfo(&dcols, "%s, ", il_sql_col("d", name));
			appendStringInfo(&bcols, "%s, ", il_sql_col("b", name));
		}
		*colnames = lappend(*colnames, makeString(pstrdup(name)));
	}
	*colnames = lappend(*colnames, makeString(INCRLOAD_DELTA_W_NAME));

	if (!old)
		sql = psprintf("SELECT %sd.%s FROM %s d WHERE d.%s OPERATOR(pg_catalog.<>) 0 AND %s",
					   dcols.data, INCRLOAD_DELTA_W_NAME, dname,
					   INCRLOAD_DELTA_W_NAME, batch_cond("d"));
	else
		sql = psprintf("SELECT %s1::pg_catalog.int2 AS %s FROM %s%s b "
					   "UNION ALL "
					   "SELECT %s(OPERATOR(pg_catalog.-) d.%s)::pg_catalog.int2 FROM %s d "
					   "WHERE d.%s OPERATOR(pg_catalog.<>) 0 AND %s",
					   bcols.data, INCRLOAD_DELTA_W_NAME,
					   brel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE ? "" : "ONLY ",
					   quote_qualified_identifier(get_namespace_name(RelationGetNamespace(brel)),
												  RelationGetRelationName(brel)),
					   dcols.data, INCRLOAD_DELTA_W_NAME, dname,
					   INCRLOAD_DELTA_W_NAME, batch_cond("d"));
	table_close(drel, AccessShareLock);
	table_close(brel, AccessShareLock);
	return sql;
}

/* Replace a base table reference of the query by its batch (or old state). */
static void
substitute_rte(Query *pre, int rtindex, Oid base, bool old)
{
	RangeTblEntry *rte = rt_fetch(rtindex, pre->rtable);
	Oid			delta = il_catalog_delta_for(base);
	List	   *colnames;
	char	   *sql;
	List	   *raw;
	Query	   *sub;

	if (!OidIsValid(delta))
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("table \"%s\" has no incrload delta table",
					   get_rel_name(base)),
				errhint("Unregister the view and register it again."));

	sql = batch_subquery_sql(base, delta, old, &colnames);
	raw = pg_parse_query(sql);
	sub = parse_analyze_fixedparams(linitial_node(RawStmt, raw), sql,
									batch_param_types, INCRLOAD_BATCH_NPARAMS,
									NULL);

	rte->rtekind = RTE_SUBQUERY;
	rte->subquery = sub;
	rte->security_barrier = false;
	rte->relid = InvalidOid;
	rte->relkind = 0;
	rte->rellockmode = 0;
	rte->tablesample = NULL;
	rte->inh = false;
	rte->requiredPerms = 0;
	rte->checkAsUser = InvalidOid;
	rte->selectedCols = NULL;
	rte->insertedCols = NULL;
	rte->updatedCols = NULL;
	rte->extraUpdatedCols = NULL;
	if (rte->alias == NULL)
		rte->alias = makeAlias(rte->eref->aliasname, NIL);
	rte->eref = makeAlias(rte->eref->aliasname, colnames);
}

/*
 * One term of the delta rule for one branch, as SQL with columns e1..eN
 * and __w.  delta_pos is the position (in b->bases) of the reference that
 * reads the batch: references before it read the new state, after it the
 * old one.  delta_pos < 0 reads every table in its new state (the branch's
 * share of the full query).
 */
static char *
pre_term_sql(IncrloadBranch *b, int delta_pos)
{
	Query	   *pre = copyObject(b->query);
	List	   *weights = NIL;
	ListCell   *lc;
	int			npre = list_length(pre->targetList);
	int			resno = npre;
	StringInfoData buf;

	if (delta_pos >= 0)
	{
		int			pos = 0;

		foreach(lc, b->bases)
		{
			IncrloadBaseRef *ref = lfirst(lc);
			int			natts;

			if (pos >= delta_pos)
			{
				Relation	rel = table_open(ref->relid, AccessShareLock);

				natts = RelationGetDescr(rel)->natts;
				table_close(rel, AccessShareLock);
				resno++;
				pre->targetList = lappend(pre->targetList,
										  makeTargetEntry((Expr *) makeVar(ref->rtindex,
																		   natts + 1,
																		   INT2OID, -1,
																		   InvalidOid, 0),
														  resno,
														  psprintf("w%d", resno), false));
				weights = lappend_int(weights, resno);
				substitute_rte(pre, ref->rtindex, ref->relid, pos > delta_pos);
			}
			pos++;
		}
	}

	initStringInfo(&buf);
	appendStringInfoString(&buf, "SELECT ");
	for (int i = 1; i <= npre; i++)
		appendStringInfo(&buf, "t.e%d, ", i);
	if (weights == NIL)
		appendStringInfoString(&buf, "1");
	else
	{
		bool		first = true;

		foreach(lc, weights)
		{
			appendStringInfo(&buf, "%st.w%d::pg_catalog.int4",
							 first ? "" : " OPERATOR(pg_catalog.*) ",
							 lfirst_int(lc));
			first = false;
		}
	}
	appendStringInfo(&buf, " AS __w FROM (%s) t", pg_get_querydef(pre, false));
	return buf.data;
}

/*
 * The pre relation: of the batch (every term of every branch, UNION ALL)
 * or of the query (every branch).
 */
char *
il_delta_pre_sql(IncrloadQuery *q, bool delta)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, q->branches)
	{
		IncrloadBranch *b = lfirst(lc);

		if (!delta)
			appendStringInfo(&buf, "%s%s", buf.len > 0 ? " UNION ALL " : "",
							 pre_term_sql(b, -1));
		else
			for (int i = 0; i < list_length(b->bases); i++)
				appendStringInfo(&buf, "%s%s", buf.len > 0 ? " UNION ALL " : "",
								 pre_term_sql(b, i));
	}
	return buf.data;
}

/* count(*), whether it holds a TRUNCATE, and the oldest time, of a batch */
char *
il_delta_batch_info_sql(Oid delta)
{
	return psprintf("SELECT pg_catalog.count(*), "
					"COALESCE(pg_catalog.bool_or(d.%s OPERATOR(pg_catalog.=) 0), false), "
					"pg_catalog.min(d.%s) FROM %s d WHERE %s",
					INCRLOAD_DELTA_W_NAME, INCRLOAD_DELTA_TS_NAME,
					quote_qualified_identifier(get_namespace_name(get_rel_namespace(delta)),
											   get_rel_name(delta)),
					batch_cond("d"));
}
