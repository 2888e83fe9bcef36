/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  incrload's own tables (storage tables, their sets, delta tables) are
 *	  read and written by incrload's own statements only.
 *
 * Writing.  A registered view is a plain view over its storage table, so
 * PostgreSQL finds most of them automatically updatable, and the tables
 * themselves belong to the view's owner (storage) or the extension's owner
 * (delta).  A BEFORE ... FOR EACH STATEMENT trigger on each of them,
 * incrload_guard(), refuses every INSERT, UPDATE, DELETE, MERGE, COPY FROM
 * and TRUNCATE that is not one of ours, whoever runs it and however it
 * reaches the table (through the view, directly, from a function).  A
 * trigger rather than an executor hook: it fires in every session, also
 * where the library is not preloaded, and for COPY and TRUNCATE too.
 * Capture writes delta rows through the table AM, which fires no trigger.
 *
 * Which statement is ours: il_guard_execute* mark the command id a writing
 * statement runs at (after a CommandCounterIncrement, SPI's own increment
 * before the statement changes nothing), and the guard lets a statement
 * through only at that command id.  A writing statement marks its command
 * id used as its executor starts, so code it calls (a volatile function of
 * a mode => 'full' query) runs its own statements at later command ids and
 * cannot write these tables; a statement of ours that only reads is not
 * marked at all (what it calls would run at its command id).
 *
 * Reading.  Delta tables hold every column of every change of their base
 * table; nobody has a privilege on them.  An apply runs as the view's
 * owner, so its statements read the view's delta tables with the
 * extension owner's rights: a post_parse_analyze hook sets checkAsUser of
 * their range table entries, for exactly the statements marked here (the
 * parse analysis of our text, by pointer identity: at prepare time and
 * whenever the plan cache analyzes a kept plan again), and only for the
 * delta tables of that view's base tables.  The plans are the same as with
 * a grant.  The apply itself checks that the owner may still read every
 * base table (apply.c), so a REVOKE fails the next apply.
 *
 * The session_replication_role = replica of a superuser passes the guard
 * (it fires ORIGIN), as it passes every other trigger: pg_restore
 * --disable-triggers relies on that for a data-only restore.
 *
 * IDENTIFICATION
 *	  src/guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/analyze.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/rel.h"

#include "capture.h"
#include "catalog.h"
#include "compat.h"
#include "guard.h"
#include "storage.h"

/* The statement of ours being prepared or run. */
typedef struct OwnStatement
{
	bool		active;
	const char *text;			/* its text, as parse analysis sees it */
	List	   *deltas;			/* the delta tables it reads */
	Oid			reader;			/* as whom it reads them */
	bool		writes;			/* it may write our tables, ... */
	CommandId	cid;			/* ... at this command id */
} OwnStatement;

static OwnStatement own;
static post_parse_analyze_hook_type prev_post_parse_analyze_hook = NULL;

static void guard_post_parse_analyze(ParseState *pstate, Query *query,
									 IncrloadJumbleState *jstate);
static bool read_deltas_walker(Node *node, void *context);
static void own_enter(OwnStatement *save, const char *text, List *deltas,
					  bool writes);
static const char *plan_text(SPIPlanPtr plan);
static void refuse_change(Relation rel);

void
il_guard_init(void)
{
	prev_post_parse_analyze_hook = post_parse_analyze_hook;
	post_parse_analyze_hook = guard_post_parse_analyze;
}

static void
guard_post_parse_analyze(ParseState *pstate, Query *query,
						 IncrloadJumbleState *jstate)
{
	if (prev_post_parse_analyze_hook)
		prev_post_parse_analyze_hook(pstate, query, jstate);
	if (own.active && own.deltas != NIL && own.text != NULL &&
		pstate->p_sourcetext == own.text)
		(void) read_deltas_walker((Node *) query, NULL);
}

/* Our delta tables, read anywhere in the statement, are read as own.reader. */
static bool
read_deltas_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		Query	   *q = (Query *) node;
		ListCell   *lc;

		foreach(lc, q->rtable)
		{
			RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);

			if (rte->rtekind == RTE_RELATION &&
				list_member_oid(own.deltas, rte->relid))
				il_rte_read_as(q, rte, own.reader);
		}
		return query_tree_walker(q, read_deltas_walker, context, 0);
	}
	return expression_tree_walker(node, read_deltas_walker, context);
}

/*
 * A statement that writes marks its command id used when its executor
 * starts, before anything it calls runs; what it calls then runs its own
 * statements at later command ids.  One that only reads does not: code it
 * calls would write at the same command id, so reads get no writes.
 */
static void
own_enter(OwnStatement *save, const char *text, List *deltas, bool writes)
{
	*save = own;
	own.text = text;
	own.deltas = deltas;
	own.reader = deltas != NIL ? il_catalog_owner() : InvalidOid;
	own.writes = writes;
	/* a fresh command id, which SPI's increment before the statement keeps */
	CommandCounterIncrement();
	own.cid = GetCurrentCommandId(false);
	own.active = true;
}

static const char *
plan_text(SPIPlanPtr plan)
{
	List	   *sources = SPI_plan_get_plan_sources(plan);

	if (list_length(sources) != 1)
		elog(ERROR, "incrload statement is not one statement");
	return ((CachedPlanSource *) linitial(sources))->query_string;
}

/*
 * SPI_prepare_cursor of one of our statements, which reads deltas (the
 * delta tables of the view's base tables) as the extension's owner.
 */
SPIPlanPtr
il_guard_prepare(const char *sql, int nargs, Oid *argtypes, int options,
				 List *deltas)
{
	OwnStatement save;
	SPIPlanPtr	plan = NULL;

	own_enter(&save, sql, deltas, false);
	PG_TRY();
	{
		plan = SPI_prepare_cursor(sql, nargs, argtypes, options);
	}
	PG_FINALLY();
	{
		own = save;
	}
	PG_END_TRY();
	return plan;
}

/*
 * SPI_execute_snapshot of one of our kept plans: with writes (an INSERT,
 * UPDATE or DELETE) it may write our tables, and it reads deltas as
 * il_guard_prepare says (when the plan cache analyzes it again).
 */
int
il_guard_execute_plan(SPIPlanPtr plan, Datum *values, const char *nulls,
					  Snapshot snap, List *deltas, bool writes)
{
	OwnStatement save;
	int			ret = 0;

	own_enter(&save, plan_text(plan), deltas, writes);
	PG_TRY();
	{
		ret = SPI_execute_snapshot(plan, values, nulls, snap, InvalidSnapshot,
								   false, true, 0);
	}
	PG_FINALLY();
	{
		own = save;
	}
	PG_END_TRY();
	return ret;
}

/*
 * SPI_execute_with_args of one of our statements (an INSERT, UPDATE or
 * DELETE), which may write our tables.
 */
int
il_guard_execute(const char *sql, int nargs, Oid *argtypes, Datum *values,
				 const char *nulls)
{
	OwnStatement save;
	int			ret = 0;

	own_enter(&save, sql, NIL, true);
	PG_TRY();
	{
		ret = SPI_execute_with_args(sql, nargs, argtypes, values, nulls,
									false, 0);
	}
	PG_FINALLY();
	{
		own = save;
	}
	PG_END_TRY();
	return ret;
}

/*
 * What relid is to incrload, and the registered view it belongs to (for a
 * delta table: its base table).  The caller is connected to SPI.
 */
IncrloadRelKind
il_guard_classify(Oid relid, Oid *view)
{
	IncrloadView row;
	char	   *multiplicity;
	ListCell   *lc;
	char		relkind;

	*view = InvalidOid;
	if (!OidIsValid(relid))
		return IL_REL_OTHER;
	relkind = get_rel_relkind(relid);
	if (relkind == RELKIND_VIEW)
	{
		if (!il_catalog_read_view(relid, false, &row))
			return IL_REL_OTHER;
		*view = relid;
		return IL_REL_VIEW;
	}
	if (relkind != RELKIND_RELATION ||
		get_rel_namespace(relid) != il_catalog_namespace())
		return IL_REL_OTHER;
	if (OidIsValid(*view = il_catalog_storage_view(relid, &multiplicity)))
		return IL_REL_STORAGE;
	if (OidIsValid(*view = il_catalog_delta_base(relid)))
		return IL_REL_DELTA;
	foreach(lc, il_catalog_all_views())
	{
		if (!il_catalog_read_view(lfirst_oid(lc), false, &row) ||
			get_rel_name(row.storage) == NULL)
			continue;
		if (list_member_oid(il_storage_sets(row.storage), relid))
		{
			*view = row.view;
			return IL_REL_SET;
		}
	}
	return IL_REL_OTHER;
}

/* Put the guard on one of our tables (as the extension's owner). */
void
il_guard_protect(Oid relid)
{
	char	   *rel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												 get_rel_name(relid));

	il_capture_run_ddl(psprintf("CREATE TRIGGER %s BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE "
								"ON %s FOR EACH STATEMENT EXECUTE FUNCTION %s()",
								INCRLOAD_GUARD_TRIGGER, rel,
								quote_qualified_identifier(il_catalog_extension_schema(),
														   "incrload_guard")));
}

/* The error for a change of rel that is not ours. */
static void
refuse_change(Relation rel)
{
	Oid			owner = InvalidOid;
	IncrloadRelKind kind = IL_REL_OTHER;
	const char *name = RelationGetRelationName(rel);

	if (SPI_connect() == SPI_OK_CONNECT)
		kind = il_guard_classify(RelationGetRelid(rel), &owner);
	if ((kind == IL_REL_STORAGE || kind == IL_REL_SET) && get_rel_name(owner))
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("cannot change incrload view \"%s\"", get_rel_name(owner)),
				errdetail("Its rows, in table \"%s\", change only when incrload applies the changes of its base tables.",
						  name),
				errhint("Change the base tables instead, or unregister the view with incrload_unregister_view()."));
	if (kind == IL_REL_DELTA && get_rel_name(owner))
		ereport(ERROR,
				errcode(ERRCODE_WRONG_OBJECT_TYPE),
				errmsg("cannot change incrload's delta table \"%s\"", name),
				errdetail("Only capture writes the changes of table \"%s\" into it; the views that read that table rely on them.",
						  get_rel_name(owner)),
				errhint("Unregister those views first."));
	ereport(ERROR,
			errcode(ERRCODE_WRONG_OBJECT_TYPE),
			errmsg("cannot change table \"%s\"", name),
			errdetail("It belongs to incrload, which alone writes it."));
}

PG_FUNCTION_INFO_V1(incrload_guard);

Datum
incrload_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"incrload_guard\" was not called by trigger manager"));
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"incrload_guard\" must be fired BEFORE ... FOR EACH STATEMENT"));

	/* our statements never TRUNCATE */
	if (own.active && own.writes && GetCurrentCommandId(false) == own.cid &&
		!TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		return PointerGetDatum(NULL);
	refuse_change(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
