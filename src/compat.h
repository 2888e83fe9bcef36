/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Every difference between the PostgreSQL majors incrload builds
 *	  against (15 to 19), one static inline or macro per difference, named
 *	  for what it does.  The rest of the code calls these and reads the
 *	  same on every major; no other file tests PG_VERSION_NUM.
 *
 *	  16 moved a range table entry's permission fields (requiredPerms,
 *	  checkAsUser, selectedCols, ...) into RTEPermissionInfo nodes kept in
 *	  Query.rteperminfos, an entry pointing at its own by perminfoindex.
 *	  Code that builds query trees by hand keeps both in step through
 *	  the helpers below.  16 also replaced pg_class_ownercheck and
 *	  pg_database_ownercheck by object_ownercheck, gave
 *	  ExecInsertIndexTuples an onlySummarizing argument and
 *	  flatten_join_alias_vars a PlannerInfo; 17 dropped IsBackgroundWorker;
 *	  19 made a struct of a session's replication origin variables.
 *	  16 is built from these code
 *	  paths but not tested here (Debian's mirror has no PostgreSQL 16).
 *
 * IDENTIFICATION
 *	  src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_COMPAT_H
#define INCRLOAD_COMPAT_H

#include "catalog/pg_class.h"
#include "catalog/pg_database.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "optimizer/optimizer.h"
#include "parser/analyze.h"
#include "parser/parse_relation.h"
#include "replication/origin.h"
#include "rewrite/rewriteManip.h"
#include "utils/acl.h"
#include "utils/rel.h"

/*
 * EXPLAIN's state and output functions: 18 moved them out of
 * commands/explain.h.
 */
#include "commands/explain.h"
#if PG_VERSION_NUM >= 180000
#include "commands/explain_format.h"
#include "commands/explain_state.h"
#endif

/* The major whose nodeToString format a stored query tree has. */
#define INCRLOAD_PG_MAJOR (PG_VERSION_NUM / 10000)

/*
 * A function that does not return: 18 replaced the attribute written after
 * the declaration, pg_attribute_noreturn(), by this specifier before it.
 */
#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

/* Whether this process is a background worker (17 dropped IsBackgroundWorker). */
#if PG_VERSION_NUM >= 170000
#define il_am_background_worker() AmBackgroundWorkerProcess()
#else
#define il_am_background_worker() IsBackgroundWorker
#endif

/* Whether role owns relation relid. */
static inline bool
il_owns_relation(Oid relid, Oid role)
{
#if PG_VERSION_NUM >= 160000
	return object_ownercheck(RelationRelationId, relid, role);
#else
	return pg_class_ownercheck(relid, role);
#endif
}

/* Whether role owns database dbid. */
static inline bool
il_owns_database(Oid dbid, Oid role)
{
#if PG_VERSION_NUM >= 160000
	return object_ownercheck(DatabaseRelationId, dbid, role);
#else
	return pg_database_ownercheck(dbid, role);
#endif
}

/* The index entries of a row just inserted (no arbiter, every index). */
static inline void
il_insert_index_entries(ResultRelInfo *rri, TupleTableSlot *slot,
						EState *estate)
{
#if PG_VERSION_NUM >= 190000
	(void) ExecInsertIndexTuples(rri, estate, 0, slot, NIL, NULL);
#elif PG_VERSION_NUM >= 160000
	(void) ExecInsertIndexTuples(rri, slot, estate, false, false, NULL, NIL,
								 false);
#else
	(void) ExecInsertIndexTuples(rri, slot, estate, false, false, NULL, NIL);
#endif
}

/* Replace the join alias Vars of node (a part of query q) by what they stand for. */
static inline Node *
il_flatten_join_alias_vars(Query *q, Node *node)
{
#if PG_VERSION_NUM >= 160000
	return flatten_join_alias_vars(NULL, q, node);
#else
	return flatten_join_alias_vars(q, node);
#endif
}

/*
 * A relation entry of q's range table that becomes a subquery: it checks
 * no permission of its own any more (the tables its subquery reads check
 * theirs).  On 16+ its RTEPermissionInfo stays in q->rteperminfos,
 * unreferenced: a check more, never one less.
 */
static inline void
il_rte_drop_permissions(RangeTblEntry *rte)
{
#if PG_VERSION_NUM >= 160000
	rte->perminfoindex = 0;
#else
	rte->requiredPerms = 0;
	rte->checkAsUser = InvalidOid;
	rte->selectedCols = NULL;
	rte->insertedCols = NULL;
	rte->updatedCols = NULL;
	rte->extraUpdatedCols = NULL;
#endif
}

/*
 * Make relation entry rte of q, when it only reads (SELECT), check its
 * permission as reader; 16+ keeps the check in q's RTEPermissionInfo.
 */
static inline void
il_rte_read_as(Query *q, RangeTblEntry *rte, Oid reader)
{
#if PG_VERSION_NUM >= 160000
	RTEPermissionInfo *perm;

	if (rte->perminfoindex == 0)
		return;
	perm = getRTEPermissionInfo(q->rteperminfos, rte);
	if (perm->requiredPerms == ACL_SELECT)
		perm->checkAsUser = reader;
#else
	(void) q;
	if (rte->requiredPerms == ACL_SELECT)
		rte->checkAsUser = reader;
#endif
}

/*
 * The query jumble state a post_parse_analyze hook is given: const from
 * 19 on.  The hook declares its argument with this type.
 */
#if PG_VERSION_NUM >= 190000
typedef const JumbleState IncrloadJumbleState;
#else
typedef JumbleState IncrloadJumbleState;
#endif

/*
 * Append another query's range table (already copied, its Vars offset) to
 * q's, with its permission entries renumbered into q's on 16+.
 */
static inline void
il_append_range_table(Query *q, Query *from)
{
#if PG_VERSION_NUM >= 160000
	CombineRangeTables(&q->rtable, &q->rteperminfos,
					   from->rtable, from->rteperminfos);
#else
	q->rtable = list_concat(q->rtable, from->rtable);
#endif
}

/*
 * The Var that a replace_rte_variables callback is given: const from 19
 * on.  Callbacks declare their argument with this type.
 */
#if PG_VERSION_NUM >= 190000
typedef const Var IncrloadCallbackVar;
#else
typedef Var IncrloadCallbackVar;
#endif

/*
 * Replace the Vars of range table entry varno (rte, levels up) by the
 * expressions of tlist; 18 added the result relation (none here).
 */
static inline Node *
il_replace_vars_from_tlist(Node *node, int varno, int levels_up,
						   RangeTblEntry *rte, List *tlist,
						   bool *outer_hasSubLinks)
{
#if PG_VERSION_NUM >= 180000
	return ReplaceVarsFromTargetList(node, varno, levels_up, rte, tlist, 0,
									 REPLACEVARS_REPORT_ERROR, 0,
									 outer_hasSubLinks);
#else
	return ReplaceVarsFromTargetList(node, varno, levels_up, rte, tlist,
									 REPLACEVARS_REPORT_ERROR, 0,
									 outer_hasSubLinks);
#endif
}

/*
 * The name of a virtual generated column of rel (18+), or NULL.  Their
 * values are computed when read: the transition tables of statement
 * triggers hold NULL for them, so capture cannot see them.
 */
static inline const char *
il_virtual_generated_column(Relation rel)
{
#if PG_VERSION_NUM >= 180000
	TupleDesc	desc = RelationGetDescr(rel);

	if (desc->constr == NULL || !desc->constr->has_generated_virtual)
		return NULL;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped &&
			att->attgenerated == ATTRIBUTE_GENERATED_VIRTUAL)
			return NameStr(att->attname);
	}
#endif
	return NULL;
}

/*
 * 18 analyzes a grouped query with a range table entry of kind RTE_GROUP
 * (the query's last) standing for its grouping expressions: the target
 * list and HAVING refer to them through Vars of that entry.  The rules
 * work on the expressions themselves, as before 18: every query level of
 * node gets them back, and loses the entry.
 */
#if PG_VERSION_NUM >= 180000
static inline bool
il_flatten_grouping_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		Query	   *q = (Query *) node;

		if (q->hasGroupRTE)
		{
			RangeTblEntry *last = llast_node(RangeTblEntry, q->rtable);

			if (last->rtekind != RTE_GROUP)
				elog(ERROR, "incrload: the grouping entry is not the last of the range table");
			q->targetList = (List *)
				flatten_group_exprs(NULL, q, (Node *) q->targetList);
			q->havingQual = flatten_group_exprs(NULL, q, q->havingQual);
			q->rtable = list_delete_last(q->rtable);
			q->hasGroupRTE = false;
		}
		return query_tree_walker(q, il_flatten_grouping_walker, context, 0);
	}
	return expression_tree_walker(node, il_flatten_grouping_walker, context);
}
#endif

static inline void
il_flatten_grouping(Query *q)
{
#if PG_VERSION_NUM >= 180000
	(void) il_flatten_grouping_walker((Node *) q, NULL);
#endif
}

/* q's range table, and on 16+ its permission entries, copied into dst. */
static inline void
il_copy_range_table(Query *dst, const Query *q)
{
	dst->rtable = copyObject(q->rtable);
#if PG_VERSION_NUM >= 160000
	dst->rteperminfos = copyObject(q->rteperminfos);
#endif
}

/*
 * The commit (or prepare) time a replication worker set for its current
 * transaction, from the publisher, or 0 when this session has no
 * replication origin.  19 gathered the session's origin variables into
 * replorigin_xact_state.
 */
static inline TimestampTz
il_origin_commit_time(void)
{
#if PG_VERSION_NUM >= 190000
	if (replorigin_xact_state.origin == InvalidReplOriginId)
		return 0;
	return replorigin_xact_state.origin_timestamp;
#else
	if (replorigin_session_origin == InvalidRepOriginId)
		return 0;
	return replorigin_session_origin_timestamp;
#endif
}

#endif							/* INCRLOAD_COMPAT_H */
