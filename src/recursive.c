/*-------------------------------------------------------------------------
 *
 * recursive.c
 *	  Recursive WITH queries: the set of rows
 *
 *	 WITH RECURSIVE r(c1, ..., cn) AS (base UNION step) SELECT * FROM r
 *
 *	  reaches, maintained as the change of its base tables demands, also
 *	  over cycles.
 *
 * A recursive WITH query anywhere in a view becomes that query, its
 * closure, registered as an auxiliary view (normalize.c, register.c): the
 * view reads it as it reads any registered view.  The closure's storage is
 * its set of rows (a DISTINCT view's storage, analyze.c); base and step
 * are plain inner joins of tables (step reading r once), so r is the least
 * fixpoint of r = base ∪ step(r).
 *
 * A batch is applied by delete-and-rederive, in one statement
 * (il_recursive_upsert_sql), with every changed table's batch netted on
 * the columns the terms read, so that a value whose copies grew is an
 * insertion (it is in the new state) and one whose copies shrank a deletion
 * (it was in the old state):
 *
 *	1. o, what may be lost: the rows of r a term derives with one deleted
 *	   row (the others in their old state; "old" is read as the table plus
 *	   its deleted rows, a superset, which only makes o bigger), then what
 *	   step derives from o, as long as it is in r;
 *	2. k, what of o is still derived: the rows of o that base, or step over
 *	   r minus o, derives in the new state, then what step derives from k in
 *	   o;
 *	3. gone = o minus k leaves r; r' = r minus gone is exactly the closure
 *	   of the rows no change touched;
 *	4. i, what is new: the rows a term derives with one inserted row (the
 *	   others in the new state, r read as r'), then what step derives from
 *	   i, each time without what r' holds.
 *
 * Each step is a recursive CTE with UNION, so cycles end where no row is
 * new; each reads r through the storage's unique index and the tables from
 * the changed rows, so the work follows the part of the closure the change
 * reaches, not the closure.  (A step that derives rows of every
 * partition from one changed row, such as an edge into a hub of a
 * transitive closure, reaches much of it: so would the recompute.)
 *
 * IDENTIFICATION
 *	  src/recursive.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/typcache.h"

#include "catalog.h"
#include "compat.h"
#include "delta.h"
#include "normalize.h"
#include "recursive.h"

pg_noreturn static void
refuse(const char *construct)
{
	ereport(ERROR,
			errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			errmsg("%s not supported in incremental mode", construct),
			errdetail("A recursive WITH query is maintained when it is WITH RECURSIVE r AS (query UNION [ALL] query reading r), each query a plain inner join of tables."),
			errhint("Use mode => 'full' to maintain this view by recomputation."));
}

static CommonTableExpr *
find_cte(Query *q, const char *name)
{
	ListCell   *lc;

	foreach(lc, q->cteList)
	{
		CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

		if (strcmp(cte->ctename, name) == 0)
			return cte;
	}
	return NULL;
}

/*
 * Is q exactly WITH RECURSIVE r AS (...) SELECT * FROM r: the query a
 * view's recursive WITH query becomes, maintained as such?
 */
bool
il_recursive_is_closure(Query *q)
{
	RangeTblEntry *rte;
	CommonTableExpr *cte;
	ListCell   *lc;
	int			i = 0;

	if (!q->hasRecursive || list_length(q->rtable) != 1 ||
		q->jointree == NULL || q->jointree->quals != NULL ||
		list_length(q->jointree->fromlist) != 1 ||
		q->hasAggs || q->groupClause || q->groupingSets || q->havingQual ||
		q->distinctClause || q->sortClause || q->limitCount ||
		q->limitOffset || q->hasSubLinks || q->hasWindowFuncs ||
		q->hasTargetSRFs || q->setOperations || q->hasModifyingCTE)
		return false;
	rte = linitial_node(RangeTblEntry, q->rtable);
	if (rte->rtekind != RTE_CTE || rte->ctelevelsup != 0 || rte->self_reference)
		return false;
	cte = find_cte(q, rte->ctename);
	if (cte == NULL || !cte->cterecursive ||
		list_length(q->targetList) != list_length(cte->ctecolnames))
		return false;
	foreach(lc, q->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);
		Var		   *var = (Var *) tle->expr;

		i++;
		if (tle->resjunk || !IsA(var, Var) || var->varno != 1 ||
			var->varattno != i || var->varlevelsup != 0)
			return false;
	}
	return true;
}

/*
 * The closure of the recursive WITH query cte that rte reads: the query a
 * view reads in its place, an auxiliary view of its own.
 */
Query *
il_recursive_closure(RangeTblEntry *rte, CommonTableExpr *cte)
{
	Query	   *c = makeNode(Query);
	RangeTblEntry *r = copyObject(rte);
	CommonTableExpr *def = copyObject(cte);
	RangeTblRef *rtr = makeNode(RangeTblRef);
	ListCell   *lname,
			   *ltype,
			   *ltypmod,
			   *lcoll;
	int			i = 0;

	def->cterefcount = 1;
	c->commandType = CMD_SELECT;
	c->querySource = QSRC_ORIGINAL;
	c->canSetTag = true;
	c->cteList = list_make1(def);
	c->hasRecursive = true;
	r->ctelevelsup = 0;
	r->alias = NULL;
	r->eref = makeAlias(cte->ctename, copyObject(cte->ctecolnames));
	r->lateral = false;
	r->inFromCl = true;
	c->rtable = list_make1(r);
	rtr->rtindex = 1;
	c->jointree = makeFromExpr(list_make1(rtr), NULL);
	forfour(lname, cte->ctecolnames, ltype, cte->ctecoltypes,
			ltypmod, cte->ctecoltypmods, lcoll, cte->ctecolcollations)
	{
		Var		   *var = makeVar(1, ++i, lfirst_oid(ltype), lfirst_int(ltypmod),
								  lfirst_oid(lcoll), 0);

		c->targetList = lappend(c->targetList,
								makeTargetEntry((Expr *) var, i,
												pstrdup(strVal(lfirst(lname))), false));
	}
	return c;
}


/*
 * What a term may be: a plain inner join of tables (the step reading r
 * once, which PostgreSQL already requires), without what would make its
 * rows other than a join's.  Returns step's index of r, or 0.
 */
static int
check_term(Query *t, bool step)
{
	ListCell   *lc;
	int			selfref = 0;

	if (t->hasAggs || t->groupClause || t->groupingSets || t->havingQual)
		refuse("aggregates and GROUP BY in a recursive WITH query are");
	if (t->distinctClause)
		refuse("DISTINCT in a term of a recursive WITH query is");
	if (t->hasSubLinks)
		refuse("subqueries in expressions of a recursive WITH query are");
	if (t->hasWindowFuncs)
		refuse("window functions in a recursive WITH query are");
	if (t->hasTargetSRFs)
		refuse("set-returning functions in a recursive WITH query are");
	if (t->sortClause || t->limitCount || t->limitOffset)
		refuse("ORDER BY, LIMIT and OFFSET in a recursive WITH query are");
	if (t->setOperations)
		refuse("set operations in a term of a recursive WITH query are");
	if (t->cteList)
		refuse("WITH queries inside a recursive WITH query are");
	foreach(lc, t->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

		switch (rte->rtekind)
		{
			case RTE_RELATION:
				if (rte->relkind != RELKIND_RELATION &&
					rte->relkind != RELKIND_PARTITIONED_TABLE)
					refuse("views, materialized views and foreign tables read by a recursive WITH query are");
				if (rte->tablesample)
					refuse("TABLESAMPLE is");
				break;
			case RTE_JOIN:
				if (rte->jointype != JOIN_INNER)
					refuse("outer joins in a recursive WITH query are");
				break;
			case RTE_CTE:
				if (!step || !rte->self_reference)
					refuse("WITH queries read by a recursive WITH query are");
				selfref = foreach_current_index(lc) + 1;
				break;
			default:
				refuse("subqueries, functions and VALUES in the FROM of a recursive WITH query are");
		}
	}
	if (query_tree_walker(t, il_analyze_reads_outer, NULL, QTW_IGNORE_RANGE_TABLE))
		refuse("recursive WITH queries that refer to an enclosing query are");
	return selfref;
}

/* a term as a query of its own, its columns named as r's */
static Query *
standalone(Query *t, List *colnames)
{
	Query	   *s = copyObject(t);
	ListCell   *lc,
			   *ln;

	forboth(lc, s->targetList, ln, colnames)
		((TargetEntry *) lfirst(lc))->resname = pstrdup(strVal(lfirst(ln)));
	return s;
}

/*
 * Check the closure q->query and describe its terms: analyzed as queries
 * of their own (base, and step with base in place of r), they get every
 * check of their tables and expressions a view's query gets, and name
 * the base tables to capture.
 */
void
il_recursive_analyze(IncrloadQuery *q)
{
	Query	   *query = q->query;
	RangeTblEntry *rte = linitial_node(RangeTblEntry, query->rtable);
	CommonTableExpr *cte = find_cte(query, rte->ctename);
	Query	   *cq = castNode(Query, cte->ctequery);
	SetOperationStmt *op = (SetOperationStmt *) cq->setOperations;
	IncrloadRecursion *rec = palloc0(sizeof(IncrloadRecursion));
	Query	   *b;
	Query	   *s;
	RangeTblEntry *self;
	ListCell   *lc;

	/*
	 * The columns SEARCH and CYCLE add are computed by the rewriter, which
	 * the terms as written here do not go through; and the cycle test stops
	 * a UNION ALL that counting would follow around its cycles forever.
	 */
	if (cte->search_clause || cte->cycle_clause)
		refuse("SEARCH and CYCLE clauses of recursive WITH queries (UNION stops at cycles by itself) are");
	if (op == NULL || !IsA(op, SetOperationStmt) || op->op != SETOP_UNION)
		refuse("recursive WITH queries other than UNION of two queries are");
	rec->all = op->all;
	if (!IsA(op->larg, RangeTblRef) || !IsA(op->rarg, RangeTblRef))
		refuse("recursive WITH queries whose terms are set operations are");
	rec->base = rt_fetch(((RangeTblRef *) op->larg)->rtindex, cq->rtable)->subquery;
	rec->step = rt_fetch(((RangeTblRef *) op->rarg)->rtindex, cq->rtable)->subquery;
	(void) check_term(rec->base, false);
	rec->selfref = check_term(rec->step, true);
	if (rec->selfref == 0)
		refuse("recursive WITH queries whose recursive term does not read the query are");

	b = standalone(rec->base, cte->ctecolnames);
	s = standalone(rec->step, cte->ctecolnames);
	self = rt_fetch(rec->selfref, s->rtable);
	self->ctename = NULL;
	self->ctelevelsup = 0;
	self->self_reference = false;
	self->coltypes = self->coltypmods = self->colcollations = NIL;
	il_normalize_rte_to_subquery(self, copyObject(b));

	/*
	 * A base term without tables (WITH RECURSIVE r(n) AS (SELECT 1 UNION
	 * ...)) never changes: only its expressions are checked, as they are
	 * in the step it stands for r in.
	 */
	if (b->rtable != NIL)
		q->base_relids = list_copy(il_analyze(b, true)->base_relids);
	foreach(lc, il_analyze(s, true)->base_relids)
		q->base_relids = list_append_unique_oid(q->base_relids, lfirst_oid(lc));
	q->recursion = rec;
}

/* ---- SQL ---- */

/* r's column names, quoted, each prefixed by alias (or none) */
static char *
col_list(List *colnames, const char *alias)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, colnames)
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "",
						 alias ? il_sql_col(alias, strVal(lfirst(lc))) :
						 quote_identifier(strVal(lfirst(lc))));
	return buf.data;
}

/*
 * The conditions that row x equals row m (both with r's columns): by each
 * type's default equality (eq), or with NULLs matching NULLs (nulleq);
 * args lists x's columns.
 */
static void
row_match(IncrloadQuery *q, List *colnames, const char *x, StringInfo eq,
		  StringInfo nulleq, StringInfo args)
{
	ListCell   *lc,
			   *ln;

	forboth(lc, q->outputs, ln, colnames)
	{
		Oid			type = exprType((Node *) ((TargetEntry *) lfirst(lc))->expr);
		char	   *mc = il_sql_col("m", strVal(lfirst(ln)));
		char	   *xc = il_sql_col(x, strVal(lfirst(ln)));
		StringInfoData one;

		initStringInfo(&one);
		generate_operator_clause(&one, mc, type,
								 lookup_type_cache(type, TYPECACHE_EQ_OPR)->eq_opr,
								 xc, type);
		appendStringInfo(eq, "%s%s", eq->len ? " AND " : "", one.data);
		appendStringInfo(nulleq, "%s(%s OR (%s IS NULL AND %s IS NULL))",
						 nulleq->len ? " AND " : "", one.data, mc, xc);
		appendStringInfo(args, "%s%s", args->len ? ", " : "", xc);
	}
}

/*
 * Does relation rel (aliased m, with r's columns) hold row x?  rel names
 * its alias.  A probe by equality, through the storage's unique index; a
 * row with NULLs is looked for again with NULLs matching NULLs.  OFFSET 0
 * keeps each a probe: the planner would otherwise hash the whole relation
 * (a storage table, or a term over the tables) when it expects many
 * probes, which the estimates of recursive CTEs make it expect.
 */
static char *
member(IncrloadQuery *q, List *colnames, const char *rel, const char *x)
{
	StringInfoData eq;
	StringInfoData nulleq;
	StringInfoData args;

	initStringInfo(&eq);
	initStringInfo(&nulleq);
	initStringInfo(&args);
	row_match(q, colnames, x, &eq, &nulleq, &args);
	return psprintf("(EXISTS (SELECT 1 FROM %s WHERE %s OFFSET 0) OR "
					"(pg_catalog.num_nulls(%s) OPERATOR(pg_catalog.>) 0 AND "
					"EXISTS (SELECT 1 FROM %s WHERE %s OFFSET 0)))",
					rel, eq.data, args.data, rel, nulleq.data);
}

/* How the terms read one base table: its CTEs are named by its number. */
typedef struct TableRead
{
	Oid			relid;
	int			no;
	bool		changed;
} TableRead;

/*
 * A term's SQL, each entry named in names (by range table index) read
 * from the CTE of that name, which has the entry's columns (for a table,
 * the table's, under their own names) in their order; the others as
 * they are (a table in the apply's snapshot: its new state).
 */
static char *
term_sql(Query *t, char **names, bool weighted)
{
	Query	   *c = copyObject(t);
	ListCell   *lc;
	Expr	   *w = NULL;

	foreach(lc, c->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
		int			i = foreach_current_index(lc) + 1;

		if (names[i] == NULL)
			continue;
		if (rte->rtekind == RTE_RELATION)
		{
			Relation	rel = relation_open(rte->relid, AccessShareLock);
			TupleDesc	desc = RelationGetDescr(rel);
			List	   *colnames = NIL;

			for (int a = 0; a < desc->natts; a++)
			{
				Form_pg_attribute attr = TupleDescAttr(desc, a);

				colnames = lappend(colnames, makeString(attr->attisdropped ?
														psprintf(INCRLOAD_HIDDEN_PREFIX "dropped%d", a + 1) :
														pstrdup(NameStr(attr->attname))));
			}
			relation_close(rel, AccessShareLock);
			rte->eref = makeAlias(rte->eref->aliasname, colnames);
			if (rte->alias)
				rte->alias->colnames = NIL;
			il_rte_drop_permissions(rte);
			rte->relid = InvalidOid;
			rte->relkind = 0;
			rte->rellockmode = 0;
			rte->inh = false;
		}
		rte->rtekind = RTE_CTE;
		rte->ctename = names[i];
		rte->ctelevelsup = 0;
		rte->self_reference = false;
		if (weighted)
		{
			/* its weight: a column after the others */
			Var		   *var;

			rte->eref->colnames = lappend(list_copy(rte->eref->colnames),
										  makeString(INCRLOAD_DELTA_W_NAME));
			var = makeVar(i, list_length(rte->eref->colnames), INT8OID, -1,
						  InvalidOid, 0);
			w = w == NULL ? (Expr *) var :
				(Expr *) makeFuncExpr(F_INT8MUL, INT8OID, list_make2(w, var),
									  InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
		}
	}
	if (weighted)
		c->targetList = lappend(c->targetList,
								makeTargetEntry(w ? w : (Expr *) makeConst(INT8OID, -1, InvalidOid, 8,
																		   Int64GetDatum(1), false, true),
												list_length(c->targetList) + 1,
												INCRLOAD_DELTA_W_NAME, false));
	return il_analyze_querydef(c);
}

/* the TableRead of a range table entry, or NULL */
static TableRead *
read_of(List *reads, RangeTblEntry *rte)
{
	ListCell   *lc;

	if (rte->rtekind != RTE_RELATION)
		return NULL;
	foreach(lc, reads)
	{
		TableRead  *tr = lfirst(lc);

		if (tr->relid == rte->relid)
			return tr;
	}
	return NULL;
}

/*
 * The SQL of term t with r read from rname and its changed tables read
 * from their CTEs: the one at index only from its CTE named one (its
 * deleted or inserted rows, or its batch), the other changed ones as
 * before or after (NULL: the table itself) as they come before or after
 * it in the range table.  weighted: each CTE has a weight column, and the
 * term's rows their product (counting, for UNION ALL).
 */
static char *
term_with_w(Query *t, int selfref, const char *rname, List *reads, int only,
			const char *one, const char *before, const char *after, bool weighted)
{
	char	  **names = palloc0(sizeof(char *) * (list_length(t->rtable) + 1));
	ListCell   *lc;

	foreach(lc, t->rtable)
	{
		int			i = foreach_current_index(lc) + 1;
		TableRead  *tr = read_of(reads, lfirst(lc));

		if (i == selfref)
			names[i] = (char *) rname;
		else if (tr != NULL && tr->changed && i == only)
			names[i] = psprintf(INCRLOAD_HIDDEN_PREFIX "%s%d", one, tr->no);
		else if (tr != NULL && tr->changed && (i < only ? before : after) != NULL)
			names[i] = psprintf(INCRLOAD_HIDDEN_PREFIX "%s%d",
								i < only ? before : after, tr->no);
	}
	return term_sql(t, names, weighted);
}

/* the same, the other changed tables all read as others, unweighted */
static char *
term_with(Query *t, int selfref, const char *rname, List *reads,
		  int only, const char *one, const char *others)
{
	return term_with_w(t, selfref, rname, reads, only, one, others, others, false);
}

/*
 * Every term with one changed table's entry read from its CTE "one"
 * (deleted or inserted rows), as a UNION ALL.
 */
static char *
seeds_w(IncrloadRecursion *rec, const char *rname, List *reads, const char *one,
		const char *before, const char *after, bool weighted)
{
	StringInfoData buf;
	Query	   *terms[2] = {rec->base, rec->step};

	initStringInfo(&buf);
	for (int k = 0; k < 2; k++)
	{
		ListCell   *lc;

		foreach(lc, terms[k]->rtable)
		{
			TableRead  *tr = read_of(reads, lfirst(lc));

			if (tr == NULL || !tr->changed)
				continue;
			appendStringInfo(&buf, "%s(%s)", buf.len ? " UNION ALL " : "",
							 term_with_w(terms[k], k == 1 ? rec->selfref : 0, rname,
										 reads, foreach_current_index(lc) + 1,
										 one, before, after, weighted));
		}
	}
	/* changed tables are base_relids, which are the terms' tables */
	if (buf.len == 0)
		elog(ERROR, "incrload: no term of the recursive query reads a changed table");
	return buf.data;
}

static char *
seeds(IncrloadRecursion *rec, const char *rname, List *reads,
	  const char *one, const char *others)
{
	return seeds_w(rec, rname, reads, one, others, others, false);
}

/* a join's columns as what they are: the base tables' (terms have no subqueries) */
static Node *
join_vars_mutator(Node *node, Query *t)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Var) && ((Var *) node)->varlevelsup == 0)
	{
		Var		   *var = (Var *) node;
		RangeTblEntry *rte = rt_fetch(var->varno, t->rtable);

		if (rte->rtekind == RTE_JOIN)
		{
			if (var->varattno == 0)
				return (Node *) copyObject(rte->joinaliasvars);
			return join_vars_mutator(copyObject(list_nth(rte->joinaliasvars,
														 var->varattno - 1)), t);
		}
	}
	return expression_tree_mutator(node, join_vars_mutator, t);
}

/* the columns of table relid the terms read */
static Bitmapset *
used_columns(IncrloadRecursion *rec, Oid relid)
{
	Bitmapset  *cols = NULL;
	Query	   *terms[2] = {rec->base, rec->step};

	for (int k = 0; k < 2; k++)
	{
		Node	   *read = join_vars_mutator((Node *) list_make2(terms[k]->targetList,
																 terms[k]->jointree),
											 terms[k]);
		ListCell   *lc;

		foreach(lc, terms[k]->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

			if (rte->rtekind == RTE_RELATION && rte->relid == relid)
				pull_varattnos(read, foreach_current_index(lc) + 1, &cols);
		}
	}
	return cols;
}

/*
 * The CTEs of a changed table: its batch netted on the columns the terms
 * read (__incrload_d<n>), its deleted and inserted values (del, ins) and
 * its old state as a superset, the table and its deleted values (old),
 * each with the table's columns in their order.
 *
 *	 __incrload_d1 AS MATERIALIZED (SELECT d.src, d.dst,
 *	     sum(d.__incrload_w)::int8 AS __incrload_w FROM incrload.delta_1 d
 *	     WHERE <in the batch> GROUP BY d.src, d.dst HAVING sum(...) <> 0),
 *	 __incrload_del1 AS (SELECT d.src, d.dst, NULL::text AS note
 *	     FROM __incrload_d1 d WHERE d.__incrload_w < 0),
 *	 __incrload_ins1 AS (... > 0),
 *	 __incrload_old1 AS NOT MATERIALIZED (SELECT t.src, t.dst, t.note
 *	     FROM public.edge t UNION ALL SELECT * FROM __incrload_del1)
 */
static void
table_ctes(StringInfo buf, IncrloadRecursion *rec, TableRead *tr)
{
	Relation	rel = relation_open(tr->relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	Bitmapset  *used = used_columns(rec, tr->relid);
	Oid			delta = il_catalog_delta_for(tr->relid);
	char	   *tname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												   RelationGetRelationName(rel));
	StringInfoData group;
	StringInfoData dcols;
	StringInfoData tcols;
	char	   *w = il_sql_col("d", INCRLOAD_DELTA_W_NAME);

	initStringInfo(&group);
	initStringInfo(&dcols);
	initStringInfo(&tcols);
	for (int a = 0; a < desc->natts; a++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, a);
		const char *name = NameStr(attr->attname);

		if (attr->attisdropped)
		{
			char	   *d = psprintf("NULL::pg_catalog.int4 AS %s",
									 quote_identifier(psprintf(INCRLOAD_HIDDEN_PREFIX "dropped%d", a + 1)));

			appendStringInfo(&dcols, "%s%s", a ? ", " : "", d);
			appendStringInfo(&tcols, "%s%s", a ? ", " : "", d);
			continue;
		}
		appendStringInfo(&tcols, "%s%s", a ? ", " : "", il_sql_col("t", name));
		if (bms_is_member(attr->attnum - FirstLowInvalidHeapAttributeNumber, used))
		{
			if (!OidIsValid(lookup_type_cache(attr->atttypid, TYPECACHE_EQ_OPR)->eq_opr))
				ereport(ERROR,
						errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("column \"%s\" of table \"%s\" has a type without equality, which a recursive WITH query cannot read in incremental mode",
							   name, RelationGetRelationName(rel)),
						errhint("Use mode => 'full' to maintain this view by recomputation."));
			appendStringInfo(&group, "%s%s", group.len ? ", " : "", il_sql_col("d", name));
			appendStringInfo(&dcols, "%s%s", a ? ", " : "", il_sql_col("d", name));
		}
		else
			appendStringInfo(&dcols, "%sNULL::%s AS %s", a ? ", " : "",
							 il_sql_type(attr->atttypid, attr->atttypmod),
							 quote_identifier(name));
	}
	appendStringInfo(buf, ", " INCRLOAD_HIDDEN_PREFIX "d%d AS MATERIALIZED (SELECT %s%spg_catalog.sum(%s)::pg_catalog.int8 AS %s "
					 "FROM %s d WHERE %s OPERATOR(pg_catalog.<>) 0 AND %s%s%s "
					 "HAVING pg_catalog.sum(%s) OPERATOR(pg_catalog.<>) 0)",
					 tr->no, group.data, group.len ? ", " : "", w, INCRLOAD_DELTA_W_NAME,
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(delta)),
												get_rel_name(delta)),
					 w, il_delta_batch_cond("d"),
					 group.len ? " GROUP BY " : "", group.data, w);
	appendStringInfo(buf, ", " INCRLOAD_HIDDEN_PREFIX "del%d AS (SELECT %s FROM " INCRLOAD_HIDDEN_PREFIX "d%d d WHERE %s OPERATOR(pg_catalog.<) 0)",
					 tr->no, dcols.data, tr->no, w);
	appendStringInfo(buf, ", " INCRLOAD_HIDDEN_PREFIX "ins%d AS (SELECT %s FROM " INCRLOAD_HIDDEN_PREFIX "d%d d WHERE %s OPERATOR(pg_catalog.>) 0)",
					 tr->no, dcols.data, tr->no, w);
	appendStringInfo(buf, ", " INCRLOAD_HIDDEN_PREFIX "old%d AS NOT MATERIALIZED (SELECT %s FROM %s t UNION ALL SELECT * FROM " INCRLOAD_HIDDEN_PREFIX "del%d)",
					 tr->no, tcols.data, tname, tr->no);
	/* weighted (counting, for UNION ALL): the batch, and the old state */
	appendStringInfo(buf, ", " INCRLOAD_HIDDEN_PREFIX "dw%d AS (SELECT %s, %s FROM " INCRLOAD_HIDDEN_PREFIX "d%d d)",
					 tr->no, dcols.data, w, tr->no);
	appendStringInfo(buf, ", " INCRLOAD_HIDDEN_PREFIX "ow%d AS NOT MATERIALIZED (SELECT %s, 1::pg_catalog.int8 AS %s FROM %s t "
					 "UNION ALL SELECT %s, OPERATOR(pg_catalog.-) %s FROM " INCRLOAD_HIDDEN_PREFIX "d%d d)",
					 tr->no, tcols.data, INCRLOAD_DELTA_W_NAME, tname, dcols.data, w, tr->no);
	relation_close(rel, AccessShareLock);
}

/*
 * The whole query as the pre relation of a DISTINCT view: its rows as
 * keys e1..en, each with weight 1.
 */
char *
il_recursive_full_sql(IncrloadQuery *q)
{
	StringInfoData cols;
	ListCell   *lc;
	int			i = 0;

	initStringInfo(&cols);
	foreach(lc, q->outputs)
		appendStringInfo(&cols, "x.%s AS e%d, ", quote_identifier(((TargetEntry *) lfirst(lc))->resname), ++i);
	return psprintf("(SELECT %s1 AS __w FROM (%s) x) p", cols.data, q->querydef);
}

/*
 * The start of both statements: the storage as r (__incrload_s) and the
 * changed tables' CTEs.  Fills colnames, cols ("a, b") and xcols ("x.a,
 * x.b") and the tables' TableReads.
 */
static void
statement_start(StringInfo buf, IncrloadQuery *q, const char *st, List *changed,
				List **colnames, char **cols, char **xcols, List **reads)
{
	bool		weighted = q->recursion->all;
	ListCell   *lc;
	int			no = 0;

	*colnames = NIL;
	foreach(lc, q->outputs)
		*colnames = lappend(*colnames, makeString(((TargetEntry *) lfirst(lc))->resname));
	*cols = col_list(*colnames, NULL);
	*xcols = col_list(*colnames, "x");
	*reads = NIL;
	foreach(lc, q->base_relids)
	{
		TableRead  *tr = palloc(sizeof(TableRead));

		tr->relid = lfirst_oid(lc);
		tr->no = ++no;
		tr->changed = list_member_oid(changed, tr->relid);
		*reads = lappend(*reads, tr);
	}
	/* r: the storage's rows, counting weighted by their counts */
	appendStringInfo(buf, "WITH RECURSIVE " INCRLOAD_HIDDEN_PREFIX "s AS NOT MATERIALIZED (SELECT %s%s%s FROM %s)",
					 *cols, weighted ? ", " INCRLOAD_COUNT_NAME " AS " : "",
					 weighted ? INCRLOAD_DELTA_W_NAME : "", st);
	foreach(lc, *reads)
		if (((TableRead *) lfirst(lc))->changed)
			table_ctes(buf, q->recursion, lfirst(lc));
}

/*
 * The first statement of an apply (steps 1 and 2 of the header): what may
 * be lost, o, returned as the storage rows to delete (count 0), with
 * their values as keys for the second statement.
 *
 *	 WITH RECURSIVE __incrload_s AS NOT MATERIALIZED (SELECT a, b FROM st),
 *	   <table CTEs>,
 *	   __incrload_o(a, b) AS (
 *	     SELECT x.a, x.b FROM (<each term, one changed table read from its
 *	       deleted rows, the others old, r as __incrload_s>) x(a, b)
 *	       WHERE <x in st>
 *	     UNION SELECT x.a, x.b FROM (<step, r as __incrload_o, the tables
 *	       as they are>) x(a, b) WHERE <x in st>)
 *
 * The step over o reads the tables as they are, not old: what it would
 * derive from o with a deleted row the first part has (o is in st), and
 * what it derives with an inserted one is more of a superset.  Read old
 * (the table UNION ALL its deleted rows, an Append over a CTE, which has
 * no parameterized path), every step of the recursion hashed the whole
 * table (17 ms of 17 for a subtree of 11 rows in 50,000).
 *	 SELECT m.ctid, 0, false, x.a, x.b, false FROM __incrload_o x,
 *	   LATERAL (<the storage row equal to x>) m
 */
char *
il_recursive_upsert_sql(IncrloadQuery *q, const char *st, List *changed)
{
	IncrloadRecursion *rec = q->recursion;
	List	   *colnames;
	List	   *reads;
	StringInfoData buf;
	StringInfoData eq;
	StringInfoData nulleq;
	StringInfoData args;
	char	   *cols;
	char	   *xcols;
	char	   *stm = psprintf("%s m", st);
	char	   *s;

	initStringInfo(&buf);
	statement_start(&buf, q, st, changed, &colnames, &cols, &xcols, &reads);
	s = seeds(rec, INCRLOAD_HIDDEN_PREFIX "s", reads, "del", "old");
	appendStringInfo(&buf, ", " INCRLOAD_HIDDEN_PREFIX "o(%s) AS (SELECT %s FROM (%s) x(%s) WHERE %s "
					 "UNION SELECT %s FROM (%s) x(%s) WHERE %s) ",
					 cols, xcols, s, cols, member(q, colnames, stm, "x"),
					 xcols, term_with(rec->step, rec->selfref, INCRLOAD_HIDDEN_PREFIX "o",
									  reads, 0, NULL, NULL),
					 cols, member(q, colnames, stm, "x"));

	/* the storage row of each: by equality, or with NULLs matching NULLs */
	initStringInfo(&eq);
	initStringInfo(&nulleq);
	initStringInfo(&args);
	row_match(q, colnames, "x", &eq, &nulleq, &args);
	appendStringInfo(&buf, "SELECT m.ctid, 0::pg_catalog.int8, false, %s, false "
					 "FROM " INCRLOAD_HIDDEN_PREFIX "o x CROSS JOIN LATERAL "
					 "(SELECT m.ctid FROM %s WHERE %s UNION ALL "
					 "SELECT m.ctid FROM %s WHERE pg_catalog.num_nulls(%s) OPERATOR(pg_catalog.>) 0 AND %s) m",
					 xcols, stm, eq.data, stm, args.data, nulleq.data);
	return buf.data;
}

/*
 * The second statement (steps 3 and 4), once the first's rows are
 * deleted: the storage is r minus o, and what it lacks of the new closure
 * is what of o base or step still derives from it, and what a term
 * derives with an inserted row, and what step derives from those.  $4..
 * are o's values, an array per column.
 *
 *	 WITH RECURSIVE __incrload_s ..., <table CTEs>,
 *	   __incrload_o AS MATERIALIZED (SELECT * FROM
 *	     ROWS FROM (unnest($4), unnest($5)) o(a, b)),
 *	   __incrload_i(a, b) AS (
 *	     SELECT x.a, x.b FROM __incrload_o x
 *	       WHERE <x in base> OR <x in step over __incrload_s>
 *	     UNION ALL SELECT x.a, x.b FROM (<each term, one changed table read
 *	       from its inserted rows, r as __incrload_s>) x(a, b)
 *	       WHERE NOT <x in st>
 *	     UNION SELECT x.a, x.b FROM (<step, r as __incrload_i>) x(a, b)
 *	       WHERE NOT <x in st>)
 *	 INSERT INTO st AS s (a, b, __incrload_count)
 *	   SELECT x.a, x.b, 1 FROM __incrload_i x RETURNING s.ctid
 */
char *
il_recursive_reinsert_sql(IncrloadQuery *q, const char *st, List *changed)
{
	IncrloadRecursion *rec = q->recursion;
	List	   *colnames;
	List	   *reads;
	StringInfoData buf;
	StringInfoData arrays;
	char	   *cols;
	char	   *xcols;
	char	   *stm = psprintf("%s m", st);
	char	   *s;
	ListCell   *lc;

	initStringInfo(&buf);
	statement_start(&buf, q, st, changed, &colnames, &cols, &xcols, &reads);
	initStringInfo(&arrays);
	foreach(lc, q->outputs)
	{
		Oid			type = exprType((Node *) ((TargetEntry *) lfirst(lc))->expr);

		if (!OidIsValid(get_array_type(type)))
			ereport(ERROR,
					errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					errmsg("column \"%s\" of a recursive WITH query has a type without an array type, which incremental mode needs",
						   ((TargetEntry *) lfirst(lc))->resname),
					errhint("Use mode => 'full' to maintain this view by recomputation."));
		appendStringInfo(&arrays, "%spg_catalog.unnest($%d::%s)", arrays.len ? ", " : "",
						 INCRLOAD_BATCH_NPARAMS + foreach_current_index(lc) + 1,
						 il_sql_type(get_array_type(type), -1));
	}
	appendStringInfo(&buf, ", " INCRLOAD_HIDDEN_PREFIX "o AS MATERIALIZED (SELECT * FROM ROWS FROM (%s) o(%s))",
					 arrays.data, cols);
	s = seeds(rec, INCRLOAD_HIDDEN_PREFIX "s", reads, "ins", NULL);
	appendStringInfo(&buf, ", " INCRLOAD_HIDDEN_PREFIX "i(%s) AS (SELECT %s FROM " INCRLOAD_HIDDEN_PREFIX "o x WHERE %s OR %s "
					 "UNION ALL SELECT %s FROM (%s) x(%s) WHERE NOT %s "
					 "UNION SELECT %s FROM (%s) x(%s) WHERE NOT %s) ",
					 cols, xcols,
					 member(q, colnames, psprintf("(%s) m(%s)", term_with(rec->base, 0, NULL, reads, 0, NULL, NULL), cols), "x"),
					 member(q, colnames, psprintf("(%s) m(%s)", term_with(rec->step, rec->selfref, INCRLOAD_HIDDEN_PREFIX "s", reads, 0, NULL, NULL), cols), "x"),
					 xcols, s, cols, member(q, colnames, stm, "x"),
					 xcols, term_with(rec->step, rec->selfref, INCRLOAD_HIDDEN_PREFIX "i", reads, 0, NULL, NULL),
					 cols, member(q, colnames, stm, "x"));
	appendStringInfo(&buf, "INSERT INTO %s AS s (%s, %s) SELECT %s, 1 FROM " INCRLOAD_HIDDEN_PREFIX "i x "
					 "RETURNING s.ctid", st, cols, INCRLOAD_COUNT_NAME, xcols);
	return buf.data;
}

/*
 * UNION ALL: r is a bag, each row as often as it is derived, which only
 * terminates without cycles (as the query itself).  Then r = base + step(r)
 * is linear in r and in each table, and its change D, with S the change of
 * the terms over the old r (Δbase + step_new(r) - step_old(r), telescoped
 * over the changed tables: those before the one read from its batch new,
 * those after it old),
 *
 *	 D = S + step_new(D)
 *
 * is one recursive CTE of weighted rows (counting): S, then step over D
 * in the new state, each row's weight carried.  Summed per row, it is the
 * pre relation of a view whose storage counts rows (storage.c folds it in
 * as any batch's).
 *
 *	 WITH RECURSIVE __incrload_s AS NOT MATERIALIZED
 *	     (SELECT a, b, __incrload_count AS __incrload_w FROM st),
 *	   <table CTEs>,
 *	   __incrload_d AS (<each term, one changed table read from its batch
 *	       (dw), the changed ones before it new, after it old (ow), r as
 *	       __incrload_s, each row weighted by the product of its inputs'>
 *	     UNION ALL SELECT * FROM (<step, r as __incrload_d, weighted>) x)
 *
 * *with is that WITH (ending in a space), *from the pre relation:
 * (SELECT x.a AS e1, x.b AS e2, x.__incrload_w AS __w FROM __incrload_d x) p
 */
void
il_recursive_counting_sql(IncrloadQuery *q, const char *st, List *changed,
						  char **with, char **from)
{
	IncrloadRecursion *rec = q->recursion;
	List	   *colnames;
	List	   *reads;
	StringInfoData buf;
	StringInfoData pre;
	char	   *cols;
	char	   *xcols;
	char	   *s;
	ListCell   *lc;

	initStringInfo(&buf);
	statement_start(&buf, q, st, changed, &colnames, &cols, &xcols, &reads);
	s = seeds_w(rec, INCRLOAD_HIDDEN_PREFIX "s", reads, "dw", NULL, "ow", true);
	appendStringInfo(&buf, ", " INCRLOAD_HIDDEN_PREFIX "d(%s, %s) AS (%s UNION ALL SELECT * FROM (%s) x) ",
					 cols, INCRLOAD_DELTA_W_NAME, s,
					 term_with_w(rec->step, rec->selfref, INCRLOAD_HIDDEN_PREFIX "d",
								 reads, 0, NULL, NULL, NULL, true));
	initStringInfo(&pre);
	foreach(lc, colnames)
		appendStringInfo(&pre, "%s AS e%d, ", il_sql_col("x", strVal(lfirst(lc))),
						 foreach_current_index(lc) + 1);
	*with = buf.data;
	*from = psprintf("(SELECT %sx.%s AS __w FROM " INCRLOAD_HIDDEN_PREFIX "d x) p",
					 pre.data, INCRLOAD_DELTA_W_NAME);
}
