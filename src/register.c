/*-------------------------------------------------------------------------
 *
 * register.c
 *	  Registering a view: capture on its base tables, its storage table,
 *	  the user-facing view over it, its catalog rows, and its first fill;
 *	  and the auxiliary views a query's nested subqueries become.
 *
 * A subquery in FROM that is not a plain join (it aggregates, is DISTINCT,
 * or is a set operation other than UNION ALL) cannot be flattened into
 * the view's joins.  It is registered as a view of its own instead, an
 * auxiliary view in schema incrload, and the query reads that: a view over
 * a registered view, whose storage table's changes (its applies) feed this
 * one.  The worker applies views in dependency order, and a refresh,
 * verify or full refresh of a view does its auxiliary views first, so the
 * pair behaves as one view.  Unregistering a view unregisters its
 * auxiliary views.
 *
 * Everything here is transactional DDL in the caller's transaction: an
 * error leaves nothing behind.
 *
 * IDENTIFICATION
 *	  src/register.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/resowner.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"

#include "analyze.h"
#include "apply.h"
#include "capture.h"
#include "decorrelate.h"
#include "distinct_on.h"
#include "catalog.h"
#include "guard.h"
#include "grouping_sets.h"
#include "normalize.h"
#include "register.h"
#include "settings.h"
#include "storage.h"
#include "top_n.h"
#include "window_aggregates.h"

static Query *read_view_query(Oid view);
static void run_as_caller(const char *sql);

/* DDL as the registering role: its schema's privileges apply. */
static void
run_as_caller(const char *sql)
{
	int			ret = SPI_execute(sql, false, 0);

	if (ret < 0)
		elog(ERROR, "SPI_execute failed for \"%s\": %s", sql,
			 SPI_result_code_string(ret));
}

/* SELECT * FROM view, analyzed: the query an auxiliary view stands in for. */
static Query *
read_view_query(Oid view)
{
	return il_analyze_parse(psprintf("SELECT * FROM %s",
									 quote_qualified_identifier(get_namespace_name(get_rel_namespace(view)),
																get_rel_name(view))));
}

typedef struct AuxContext
{
	const char *outer;
	Datum		refresh_interval;
	Oid			owner;
	bool		explain;
	List	  **auxes;
} AuxContext;

/*
 * A plain (unregistered) view in FROM that aggregates, is DISTINCT or a
 * set operation: its definition, to become an auxiliary view like the same
 * subquery written inline; NULL for any other entry.
 */
static Query *
unflat_plain_view(RangeTblEntry *rte)
{
	IncrloadView row;
	Query	   *def;

	if (rte->rtekind != RTE_RELATION || rte->relkind != RELKIND_VIEW ||
		il_catalog_read_view(rte->relid, false, &row))
		return NULL;
	def = il_normalize_view_query(rte->relid);
	il_normalize_inline_ctes(def);
	return il_normalize_is_flat(def) ? NULL : def;
}

static void make_aux_views(Query *q, bool top, AuxContext *ctx);

/*
 * Register auxq as an auxiliary view of ctx's view, in a subtransaction:
 * InvalidOid when incremental mode refuses it (the caller keeps the
 * subquery as it is, and what refuses it names it later).
 */
static Oid
register_aux_quietly(Query *auxq, AuxContext *ctx)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	Oid			aux = InvalidOid;

	/* a read of a top-N view is no relation to follow (top_n.c) */
	if (il_top_n(auxq))
		return InvalidOid;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		aux = il_register_view(il_catalog_namespace(),
							   ChooseRelationName(ctx->outer, NULL, "sub",
												  il_catalog_namespace(), false),
							   auxq, true, ctx->refresh_interval, ctx->owner,
							   ctx->explain, NULL);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		aux = InvalidOid;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	if (OidIsValid(aux))
		*ctx->auxes = lappend_oid(*ctx->auxes, aux);
	return aux;
}

/*
 * A subquery in an expression that aggregates, as an auxiliary view
 * (decorrelate.c); NULL when it cannot be one: it stays as it is,
 * evaluated on the old and new rows of its input.
 */
static Node *
aggregated_sublink(SubLink *sl, AuxContext *ctx)
{
	IncrloadDecorrelation *d;
	Query	   *auxq = il_decorrelate_aux_query(sl, &d);
	Oid			aux;

	if (auxq == NULL)
		return NULL;
	aux = register_aux_quietly(auxq, ctx);
	if (!OidIsValid(aux))
		return NULL;
	return il_decorrelate_replace(sl, d, read_view_query(aux));
}

/*
 * A subquery in an expression that holds subqueries of its own, which the
 * delta rules cannot nest (TPC-H q20: s_suppkey IN (SELECT ps_suppkey FROM
 * partsupp WHERE ps_partkey IN (SELECT ...) AND ps_availqty > (SELECT ...))):
 * when it does not refer to the outer query, it is a view of its own, in
 * which those subqueries are one level deep, and the subquery reads that
 * view, as SELECT * in the same column order (a comparison's Params keep
 * their meaning).  NULL when it cannot be one.
 */
static Node *
nested_sublink(SubLink *sl, AuxContext *ctx)
{
	Query	   *sub = castNode(Query, sl->subselect);
	Oid			aux;

	if (!sub->hasSubLinks || il_decorrelate_is_correlated(sub))
		return NULL;
	aux = register_aux_quietly(copyObject(sub), ctx);
	if (!OidIsValid(aux))
		return NULL;
	sl = copyObject(sl);
	sl->subselect = (Node *) read_view_query(aux);
	return (Node *) sl;
}

/*
 * The subqueries of q's expressions: their FROM lists made the same way,
 * and those that aggregate made auxiliary views themselves.
 */
static Node *
aux_sublinks_mutator(Node *node, AuxContext *ctx)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, SubLink))
	{
		SubLink    *sl = (SubLink *) node;
		Node	   *replaced;

		sl->testexpr = aux_sublinks_mutator(sl->testexpr, ctx);
		/* a whole subquery as a view has its own auxiliary views, or ... */
		replaced = aggregated_sublink(sl, ctx);
		if (replaced == NULL)
			replaced = nested_sublink(sl, ctx);
		if (replaced)
			return replaced;
		/* ... those of its FROM are the view's */
		make_aux_views(castNode(Query, sl->subselect), false, ctx);
		return node;
	}
	if (IsA(node, Query))
		return node;
	return expression_tree_mutator(node, aux_sublinks_mutator, ctx);
}

/*
 * Replace each subquery in q's FROM (at any depth of plain subqueries, and
 * in the FROM of subqueries in expressions) that cannot be flattened, and
 * each plain view that could not be, by SELECT * FROM an auxiliary view
 * registered for it.  WITH queries are inlined first, so every subquery
 * stands alone.  One that refers to an enclosing query (correlated) stays:
 * normalize.c refuses it, naming it.
 */
static void
make_aux_views(Query *q, bool top, AuxContext *ctx)
{
	ListCell   *lc;

	/*
	 * The arms of a set operation the view itself is are counted per arm
	 * (analyze.c), which covers a DISTINCT arm; only an arm that aggregates
	 * needs an auxiliary view.
	 */
	bool		setop_arms = top && q->setOperations != NULL;

	foreach(lc, q->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
		Query	   *sub;
		Oid			aux;
		Oid			plain_view = InvalidOid;
		char	   *name;

		/* a view's definition holds unused entries for the view itself */
		if (!rangeTableEntry_used((Node *) q, foreach_current_index(lc) + 1, 0))
			continue;
		if ((sub = unflat_plain_view(rte)) != NULL)
			plain_view = rte->relid;
		else if (rte->rtekind == RTE_SUBQUERY)
			sub = rte->subquery;
		else
			continue;
		/*
		 * A plain LATERAL subquery (no aggregates, DISTINCT, LIMIT or set
		 * operation) in inner joins is a join whose conditions name the
		 * tables before it: normalize.c pulls it up as the planner does.
		 * Anything else would need its rows per outer row.
		 */
		if (rte->lateral)
		{
			if (!il_normalize_is_flat(sub) || sub->setOperations != NULL ||
				il_top_n(sub) || sub->hasTargetSRFs ||
				il_normalize_in_outer_join((Node *) q->jointree,
										   foreach_current_index(lc) + 1))
				ereport(ERROR,
						errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						errmsg("LATERAL subqueries that aggregate, are DISTINCT, have LIMIT, a set operation or set-returning functions in their select list, or sit in an outer join are not supported in incremental mode"),
						errdetail("A plain LATERAL subquery in inner joins is maintained as the join it is."),
						errhint("Use mode => 'full' to maintain this view by recomputation."));
			make_aux_views(sub, false, ctx);
			continue;
		}
		/*
		 * The rows a read of a top-N view returns are not a relation the
		 * delta rules can follow: only the view's own query may cut its
		 * rows (top_n.c).
		 */
		if (il_top_n(sub))
			il_top_n_refuse_read(plain_view);
		if (il_normalize_is_flat(sub) ||
			(setop_arms && !sub->hasAggs && sub->groupClause == NIL &&
			 sub->havingQual == NULL && sub->setOperations == NULL))
		{
			/* pulled up later: what it holds belongs to this view */
			make_aux_views(sub, false, ctx);
			continue;
		}
		if (il_decorrelate_is_correlated(sub))
			continue;

		/* an auxiliary view of its own, which has its own nested ones */
		name = ChooseRelationName(ctx->outer, NULL, "sub", il_catalog_namespace(), false);
		aux = il_register_view(il_catalog_namespace(), name, copyObject(sub), true,
							   ctx->refresh_interval, ctx->owner, ctx->explain, NULL);
		*ctx->auxes = lappend_oid(*ctx->auxes, aux);

		/*
		 * In place of a plain view, the auxiliary view depends on it as the
		 * view's rule would have: dropping or replacing it is refused.
		 */
		if (OidIsValid(plain_view))
			il_catalog_record_view_dependency(aux, plain_view);
		il_normalize_rte_to_subquery(rte, read_view_query(aux));
	}
	(void) query_tree_mutator(q, aux_sublinks_mutator, ctx,
							  QTW_IGNORE_RANGE_TABLE | QTW_DONT_COPY_QUERY);
}

/*
 * Register a view named relname in namespace nsp, for the analyzed query
 * (which this may change), owned by owner.  Returns the view's OID.
 */
Oid
il_register_view(Oid nsp, const char *relname, Query *query, bool incremental,
				 Datum refresh_interval, Oid owner, bool explain,
				 IncrloadQuery **analyzed)
{
	IncrloadQuery *q;
	Oid			storage;
	Oid			view;
	char	   *storage_name;
	char	   *view_qual;
	const char *owner_name = quote_identifier(GetUserNameFromId(owner, false));
	bool		aux_view = nsp == il_catalog_namespace();
	List	   *auxes = NIL;
	ListCell   *lc;
	IncrloadApplyResult result;
	int			nest = NewGUCNestLevel();

	/*
	 * The query is analyzed already, with the caller's search_path; what
	 * registration parses from here on is ours, and names everything.
	 */
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	if (incremental)
	{
		AuxContext	ctx;

		ctx.outer = relname;
		ctx.refresh_interval = refresh_interval;
		ctx.owner = owner;
		ctx.explain = explain;
		ctx.auxes = &auxes;
		query = il_rewrite_window_aggregates(query);
		query = il_rewrite_distinct_on(il_rewrite_grouping_sets(query));
		il_normalize_inline_ctes(query);
		make_aux_views(query, true, &ctx);
	}
	q = il_analyze(query, incremental);
	il_analyze_check_indexes(q, relname);

	/*
	 * The registering role owns the view and must be able to read it all.
	 * Capture puts triggers on every table it reads (a registered view's
	 * storage table included), which lock the table while they are
	 * installed, cannot be dropped or disabled by its owner while the view
	 * lives, and keep its changes until the view has applied them: as
	 * CREATE TRIGGER does, that needs the TRIGGER privilege on the table,
	 * which its owner has.  SELECT alone does not give power over the
	 * table's writers.
	 */
	foreach(lc, q->base_relids)
	{
		Oid			base = lfirst_oid(lc);
		char	   *mult;
		Oid			read_view;

		if (pg_class_aclcheck(base, owner, ACL_SELECT) != ACLCHECK_OK)
			ereport(ERROR,
					errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					errmsg("permission denied for table %s", get_rel_name(base)),
					errdetail("Registering a view needs SELECT on the whole table, not only on some columns."));
		if (pg_class_aclcheck(base, owner, ACL_TRIGGER) == ACLCHECK_OK)
			continue;
		read_view = get_rel_namespace(base) == il_catalog_namespace() ?
			il_catalog_storage_view(base, &mult) : InvalidOid;
		if (OidIsValid(read_view))
			ereport(ERROR,
					errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					errmsg("permission denied to capture the changes of incrload view %s",
						   get_rel_name(read_view)),
					errdetail("A registered view read by another needs the TRIGGER privilege on its storage table %s.",
							  quote_qualified_identifier(INCRLOAD_SCHEMA, get_rel_name(base))),
					errhint("Its owner can grant it: GRANT TRIGGER ON %s TO %s.",
							quote_qualified_identifier(INCRLOAD_SCHEMA, get_rel_name(base)),
							owner_name));
		ereport(ERROR,
				errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				errmsg("permission denied to capture the changes of table %s", get_rel_name(base)),
				errdetail("Registering a view installs triggers on every table it reads, which needs the TRIGGER privilege on the table, as CREATE TRIGGER does."),
				errhint("The table's owner can register the view, or grant it: GRANT TRIGGER ON %s TO %s.",
						quote_qualified_identifier(get_namespace_name(get_rel_namespace(base)),
												   get_rel_name(base)),
						owner_name));
	}

	/*
	 * Capture on every base table.  The owner gets no right on the delta
	 * tables: the applies read them as the catalog's owner (guard.c).
	 */
	foreach(lc, q->base_relids)
		(void) il_capture_install(lfirst_oid(lc));

	/* the storage table, owned by the registering role */
	storage_name = ChooseRelationName(relname, NULL, "storage",
									  il_catalog_namespace(), false);
	/* with the auxiliary tables of count(DISTINCT) and the like */
	il_capture_run_ddl(il_storage_ddl(q, storage_name, GetUserNameFromId(owner, false)));
	storage = get_relname_relid(storage_name, il_catalog_namespace());
	/* which only our applies write */
	il_guard_protect(storage);
	/* a top-N view is read through an index on its ORDER BY (top_n.c) */
	{
		char	   *index = il_storage_top_n_index_sql(q, storage);

		if (index != NULL)
			il_capture_run_ddl(index);
	}
	foreach(lc, il_storage_sets(storage))
		il_guard_protect(lfirst_oid(lc));

	/*
	 * The view, created as the caller (its schema's privileges apply); an
	 * auxiliary view in schema incrload, where only the catalog's owner
	 * creates, is handed to the owner after.
	 */
	view_qual = quote_qualified_identifier(get_namespace_name(nsp), relname);
	{
		char	   *ddl = psprintf("CREATE VIEW %s AS %s", view_qual,
								   il_storage_view_sql(q, storage));

		if (aux_view)
		{
			il_capture_run_ddl(ddl);
			il_capture_run_ddl(psprintf("ALTER VIEW %s OWNER TO %s", view_qual, owner_name));
		}
		else
			run_as_caller(ddl);
	}
	view = get_relname_relid(relname, nsp);

	/*
	 * What the query reads, as a plain view's rule records it: DROP TABLE
	 * of a base table, or DROP / ALTER TYPE of a column the query uses, is
	 * refused (naming the view) instead of pulling the rows out from under
	 * it.
	 */
	il_catalog_record_dependencies(view, q->query);
	il_catalog_insert_view(view, storage, q->querydef,
						   nodeToString(q->query), !incremental,
						   refresh_interval, owner, q->base_relids,
						   il_storage_multiplicity(q),
						   il_settings_needed((Node *) query) ?
						   il_settings_current() : (Datum) 0);
	foreach(lc, auxes)
		il_catalog_set_aux_of(lfirst_oid(lc), view);
	CommandCounterIncrement();

	if (analyzed)
		*analyzed = q;

	/*
	 * Fill it: a full apply, which also sets the first watermark (not for
	 * incrload_explain, which rolls all this back).
	 */
	if (!explain)
		il_apply_view(view, IL_APPLY_FULL, &result);

	/*
	 * A recursive query's applies probe its storage from the changed rows
	 * in recursive CTEs, whose sizes the planner scales from their first
	 * step's estimate (recursive.c): without statistics of the storage,
	 * which autovacuum gathers only later, that is hundreds of rows, and
	 * the plans hash whole tables where an index finds a few rows.
	 */
	if (!explain && q->recursion)
		il_capture_run_ddl(psprintf("ANALYZE %s.%s", quote_identifier(INCRLOAD_SCHEMA),
									quote_identifier(storage_name)));
	AtEOXact_GUC(true, nest);
	return view;
}

/*
 * A view's auxiliary views, those they have first: the order in which to
 * apply them before the view itself.
 */
List *
il_register_auxes(Oid view)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, il_catalog_auxes(view))
	{
		result = list_concat(result, il_register_auxes(lfirst_oid(lc)));
		result = lappend_oid(result, lfirst_oid(lc));
	}
	return result;
}
