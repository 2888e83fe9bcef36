/*-------------------------------------------------------------------------
 *
 * apply.c
 *	  Applies one batch to one view: lock, snapshot, delta rules, watermark.
 *
 * The order is the whole point (see docs/architecture.md):
 *
 *	1. Lock the view's catalog row.  Two applies of one view never overlap;
 *	   a REPEATABLE READ caller whose snapshot predates another apply's
 *	   commit gets a serialization error here, never a batch twice.
 *	2. Take the snapshot, after the lock.  Every statement of the apply
 *	   runs in it (SPI_execute_snapshot), also for READ COMMITTED callers.
 *	3. The batch is the delta rows visible in that snapshot and not in the
 *	   watermark; apply it (or recompute, after a TRUNCATE).
 *	4. Store the snapshot as the new watermark, in the same transaction.
 *
 * The view's SQL runs as the view's owner under SECURITY_RESTRICTED_OPERATION
 * with search_path pg_catalog, as REFRESH MATERIALIZED VIEW does; catalog
 * reads and writes run as the catalog's owner (catalog.c).
 *
 * Statements are built once per view and backend, prepared and kept, and
 * rebuilt when a relcache invalidation touches any relation they read.
 *
 * IDENTIFICATION
 *	  src/apply.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tstoreReceiver.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/plancache.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/xid8.h"

#include "analyze.h"
#include "apply.h"
#include "batch.h"
#include "settings.h"
#include "capture.h"
#include "catalog.h"
#include "delta.h"
#include "explain.h"
#include "guard.h"
#include "guc.h"
#include "history.h"
#include "storage.h"

/* A view's kept plans. */
typedef struct ViewPlans
{
	Oid			view;			/* hash key */
	bool		valid;
	MemoryContext cxt;
	List	   *relids;			/* relations whose change invalidates us */
	List	   *bases;			/* base tables the owner must be able to read */
	List	   *deltas;			/* their delta tables, read as the catalog's owner */
	bool		full_mode;
	bool		global;
	int			nkeys;
	Oid		   *key_types;
	IncrloadQuery *q;			/* the analyzed query, for upserts to come */
	Oid			storage;
	List	   *batch_info;		/* SPIPlanPtr per base table */
	SPIPlanPtr	full_delete;
	SPIPlanPtr	full_insert;
	SPIPlanPtr	fill_select;	/* or NULL: full_insert is the fill */
	char	   *fill_insert;	/* the INSERT from fill_select's rows */
	List	   *upserts;		/* UpsertPlan *, the latest first */
	SPIPlanPtr	delete_rows;
	SPIPlanPtr	recompute;
	SPIPlanPtr	verify;
	SPIPlanPtr	aux_cleanup;	/* zero counts of the sets, or NULL */
	bool		full_warm;		/* a recompute ran with these plans */
} ViewPlans;

/*
 * The upsert of a batch in which some of the view's base tables changed:
 * its terms are those of the inputs that changed (delta.c), so each set of
 * changed tables has a statement and a plan of its own.
 */
typedef struct UpsertPlan
{
	List	   *changed;		/* OIDs of the base tables that changed */
	SPIPlanPtr	plan;
	SPIPlanPtr	reinsert;		/* a recursive query's second statement, or
								 * NULL (IncrloadSql.reinsert) */
	bool		warm;			/* run before: its generic plan is built */
	bool		big;			/* planned for a big batch (batch.h) */
} UpsertPlan;

/*
 * A batch with this many delta rows of one table is big: its statements
 * are planned for BIG_BATCH_PLANNED rows per table, and kept apart from
 * those planned for small batches (batch.c says why).
 */
#define BIG_BATCH_ROWS 200
#define BIG_BATCH_PLANNED 100.0

/* Upserts kept per view; the least recently used goes first. */
#define MAX_UPSERT_PLANS 16

static HTAB *view_plans = NULL;
static SPIPlanPtr watermark_plan = NULL;

/* the time limit of one apply: a timeout of ours, registered on first use */
static TimeoutId apply_timeout = MAX_TIMEOUTS;
static volatile sig_atomic_t apply_timed_out = false;
static int	apply_timeout_ms = 0;

static void plans_invalidate(Datum arg, Oid relid);
static SPIPlanPtr prepare_kept(const char *sql, int nargs, Oid *argtypes,
							   List *deltas);
static SPIPlanPtr prepare_kept_cursor(const char *sql, int nargs,
									  Oid *argtypes, int options,
									  List *deltas);
static bool plans_usable(ViewPlans *p);
static void plans_free(ViewPlans *p);
static ViewPlans *get_plans(IncrloadView *row);
static void run(SPIPlanPtr plan, Datum *values, const char *nulls,
				Snapshot snap, List *deltas, int expected);
static bool fill_matches(SPIPlanPtr plan, Oid storage, List *names);
static uint64 fill_storage(ViewPlans *p, Snapshot snap);
static UpsertPlan *get_upsert(ViewPlans *p, Oid view, List *changed, bool big,
							  bool *warm);
static void reinsert(ViewPlans *p, UpsertPlan *u, Datum *params, const char *nulls,
					 Snapshot snap, List *dead_keys, TupleDesc desc,
					 IncrloadApplyResult *result);
static bool apply_batch(ViewPlans *p, UpsertPlan *u, Datum *params,
						const char *nulls, Snapshot snap,
						IncrloadApplyResult *result);
static void apply_view(Oid view, IncrloadApplyKind kind,
					   IncrloadApplyResult *result, TimestampTz started);
static void forget_foreign_changes(Oid view, Snapshot snap);
static void apply_error_callback(void *arg);
static void apply_timeout_handler(void);
static void start_limits(IncrloadView *row);
static void stop_timer(void);

void
il_apply_init(void)
{
	CacheRegisterRelcacheCallback(plans_invalidate, (Datum) 0);
}

static void
plans_invalidate(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	ViewPlans  *p;

	if (view_plans == NULL)
		return;
	hash_seq_init(&status, view_plans);
	while ((p = hash_seq_search(&status)) != NULL)
	{
		if (relid == InvalidOid || list_member_oid(p->relids, relid))
			p->valid = false;
	}
}

/*
 * A generic plan, made once: the statements are long (planning them
 * again for each batch would cost more than many a batch), and their
 * parameters (the watermark) do not change what a good plan is.
 */
static SPIPlanPtr
prepare_kept(const char *sql, int nargs, Oid *argtypes, List *deltas)
{
	return prepare_kept_cursor(sql, nargs, argtypes, CURSOR_OPT_GENERIC_PLAN,
							   deltas);
}

/*
 * With CURSOR_OPT_PARALLEL_OK for the SELECTs that read whole tables (a
 * fill, a verify): SPI_prepare's plans never run in parallel.  deltas are
 * the delta tables the statement may read (guard.c).
 */
static SPIPlanPtr
prepare_kept_cursor(const char *sql, int nargs, Oid *argtypes, int options,
					List *deltas)
{
	SPIPlanPtr	plan;

	if (sql == NULL)
		return NULL;
	plan = il_guard_prepare(sql, nargs, argtypes, options, deltas);
	if (plan == NULL)
		elog(ERROR, "could not prepare incrload statement \"%s\": %s",
			 sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

static bool
plans_usable(ViewPlans *p)
{
	ListCell   *lc;
	SPIPlanPtr	all[] = {p->full_delete, p->full_insert, p->fill_select,
	p->delete_rows, p->recompute, p->verify, p->aux_cleanup};

	if (!p->valid)
		return false;
	for (int i = 0; i < lengthof(all); i++)
		if (all[i] != NULL && !SPI_plan_is_valid(all[i]))
			return false;
	foreach(lc, p->upserts)
		if (!SPI_plan_is_valid(((UpsertPlan *) lfirst(lc))->plan))
		return false;
	foreach(lc, p->batch_info)
		if (!SPI_plan_is_valid(lfirst(lc)))
		return false;
	return true;
}

static void
plans_free(ViewPlans *p)
{
	ListCell   *lc;
	SPIPlanPtr	all[] = {p->full_delete, p->full_insert, p->fill_select,
	p->delete_rows, p->recompute, p->verify, p->aux_cleanup};

	for (int i = 0; i < lengthof(all); i++)
		if (all[i] != NULL)
			SPI_freeplan(all[i]);
	foreach(lc, p->upserts)
		SPI_freeplan(((UpsertPlan *) lfirst(lc))->plan);
	foreach(lc, p->batch_info)
		SPI_freeplan(lfirst(lc));
	if (p->cxt)
		MemoryContextDelete(p->cxt);

	/*
	 * Everything but the key: a rebuild that fails half-way must not leave
	 * pointers to the plans just freed for the next attempt to free again.
	 */
	memset(((char *) p) + sizeof(Oid), 0, sizeof(ViewPlans) - sizeof(Oid));
}

/*
 * The view's kept plans, built from its query when missing or stale.  Runs
 * as the view's owner with the fixed search_path (the caller set both).
 */
static ViewPlans *
get_plans(IncrloadView *row)
{
	ViewPlans  *p;
	bool		found;
	MemoryContext buildcxt;
	MemoryContext oldcxt;
	IncrloadQuery *q;
	IncrloadSql *sql;
	ListCell   *lc;
	Oid		   *batch_types = il_delta_batch_param_types();
	Oid			tidarray[1] = {TIDARRAYOID};

	if (view_plans == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(ViewPlans);
		view_plans = hash_create("incrload view plans", 64, &ctl,
								 HASH_ELEM | HASH_BLOBS);
	}
	p = hash_search(view_plans, &row->view, HASH_ENTER, &found);
	if (found && plans_usable(p))
		return p;
	if (found)
		plans_free(p);
	else
		memset(((char *) p) + sizeof(Oid), 0, sizeof(ViewPlans) - sizeof(Oid));

	buildcxt = AllocSetContextCreate(CurrentMemoryContext,
									 "incrload plan build",
									 ALLOCSET_DEFAULT_SIZES);
	p->cxt = AllocSetContextCreate(CacheMemoryContext, "incrload view plans",
								   ALLOCSET_DEFAULT_SIZES);
	/* the analysis stays: each set of changed tables has its upsert */
	oldcxt = MemoryContextSwitchTo(p->cxt);
	q = il_analyze(row->query_tree ? il_analyze_tree(row->query_tree) :
				   il_analyze_parse(row->query), !row->full_mode);
	p->q = q;
	p->storage = row->storage;
	MemoryContextSwitchTo(buildcxt);
	sql = il_storage_build(q, row->view, row->storage, NIL);

	MemoryContextSwitchTo(p->cxt);
	p->full_mode = row->full_mode;
	p->global = q->kind == IL_VIEW_GLOBAL;
	p->nkeys = sql->nkeys;
	p->key_types = palloc0(sizeof(Oid) * (sql->nkeys + 1));
	p->key_types[0] = TIDOID;
	for (int i = 0; i < sql->nkeys; i++)
		p->key_types[i + 1] = sql->key_types[i];
	p->relids = list_make2_oid(row->view, row->storage);
	p->bases = list_copy(q->base_relids);
	p->relids = list_concat(p->relids, sql->aux_relids);
	foreach(lc, q->base_relids)
	{
		Oid			delta = il_catalog_delta_for(lfirst_oid(lc));

		p->relids = lappend_oid(p->relids, lfirst_oid(lc));
		p->relids = lappend_oid(p->relids, delta);
		if (OidIsValid(delta))
			p->deltas = lappend_oid(p->deltas, delta);
	}
	MemoryContextSwitchTo(buildcxt);

	p->full_delete = prepare_kept(sql->full_delete, 0, NULL, NIL);
	p->full_insert = prepare_kept(sql->full_insert, 0, NULL, NIL);
	if (sql->fill_select)
	{
		p->fill_select = prepare_kept_cursor(sql->fill_select, 0, NULL,
											 CURSOR_OPT_PARALLEL_OK, NIL);
		if (fill_matches(p->fill_select, row->storage, sql->fill_names))
			p->fill_insert = MemoryContextStrdup(p->cxt, sql->fill_insert);
		else
		{
			SPI_freeplan(p->fill_select);
			p->fill_select = NULL;
		}
	}
	p->verify = prepare_kept_cursor(sql->verify, 0, NULL, CURSOR_OPT_PARALLEL_OK,
									NIL);
	if (!row->full_mode)
	{
		p->delete_rows = prepare_kept(sql->delete_rows, 1, tidarray, NIL);
		p->recompute = prepare_kept(sql->recompute, p->nkeys + 1, p->key_types,
									p->deltas);
		p->aux_cleanup = prepare_kept(sql->aux_cleanup, 0, NULL, NIL);
		foreach(lc, sql->batch_info)
		{
			SPIPlanPtr	plan = prepare_kept(lfirst(lc), INCRLOAD_BATCH_NPARAMS,
											batch_types, p->deltas);

			MemoryContextSwitchTo(p->cxt);
			p->batch_info = lappend(p->batch_info, plan);
			MemoryContextSwitchTo(buildcxt);
		}
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(buildcxt);
	p->valid = true;
	return p;
}

/*
 * The kept upsert of a batch in which the base tables changed changed,
 * big or small, built and prepared the first time that set of tables
 * changes together in a batch of that size.
 * *warm says whether it ran before in this backend: the first run plans
 * the statement (a generic plan of many terms, often longer to make than
 * to run), so its time is no measure of what the next applies cost.
 */
static UpsertPlan *
get_upsert(ViewPlans *p, Oid view, List *changed, bool big, bool *warm)
{
	ListCell   *lc;
	UpsertPlan *u;
	MemoryContext oldcxt;
	IncrloadSql *sql;
	SPIPlanPtr	plan;
	SPIPlanPtr	again = NULL;

	/* the list lives as long as the plans */
	oldcxt = MemoryContextSwitchTo(p->cxt);
	foreach(lc, p->upserts)
	{
		u = lfirst(lc);
		if (u->big == big && equal(u->changed, changed))
		{
			/* most recently used first */
			p->upserts = lcons(u, list_delete_cell(p->upserts, lc));
			MemoryContextSwitchTo(oldcxt);
			*warm = u->warm;
			u->warm = true;
			return u;
		}
	}
	if (list_length(p->upserts) >= MAX_UPSERT_PLANS)
	{
		u = llast(p->upserts);
		SPI_freeplan(u->plan);
		if (u->reinsert)
			SPI_freeplan(u->reinsert);
		p->upserts = list_delete_last(p->upserts);
	}
	MemoryContextSwitchTo(oldcxt);
	sql = il_storage_build(p->q, view, p->storage, changed);
	/* kept only once prepared: a failed prepare leaves no empty entry */
	plan = prepare_kept(sql->upsert, INCRLOAD_BATCH_NPARAMS,
						il_delta_batch_param_types(), p->deltas);
	if (sql->reinsert)
	{
		int			nargs = INCRLOAD_BATCH_NPARAMS + p->nkeys;
		Oid		   *types = palloc(sizeof(Oid) * nargs);

		memcpy(types, il_delta_batch_param_types(), sizeof(Oid) * INCRLOAD_BATCH_NPARAMS);
		for (int k = 0; k < p->nkeys; k++)
			types[INCRLOAD_BATCH_NPARAMS + k] = get_array_type(p->key_types[k + 1]);
		PG_TRY();
		{
			again = prepare_kept(sql->reinsert, nargs, types, p->deltas);
		}
		PG_CATCH();
		{
			SPI_freeplan(plan);
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	oldcxt = MemoryContextSwitchTo(p->cxt);
	u = palloc(sizeof(UpsertPlan));
	u->changed = list_copy(changed);
	u->plan = plan;
	u->reinsert = again;
	u->warm = true;
	u->big = big;
	p->upserts = lcons(u, p->upserts);
	MemoryContextSwitchTo(oldcxt);
	*warm = false;
	return u;
}

/* One kept statement of ours in the apply's snapshot (guard.c). */
static void
run(SPIPlanPtr plan, Datum *values, const char *nulls, Snapshot snap,
	List *deltas, int expected)
{
	int			ret;

	il_explain_expect(plan);
	ret = il_guard_execute_plan(plan, values, nulls, snap, deltas,
								expected != SPI_OK_SELECT);
	if (ret != expected)
		elog(ERROR, "incrload statement failed: %s",
			 SPI_result_code_string(ret));
}

/*
 * Whether the fill's SELECT yields exactly the types of the storage columns
 * it fills (names, or all of them): then inserting its rows from a
 * tuplestore does what the INSERT ... SELECT does, whose assignment
 * coercions could otherwise differ from the SELECT's own result types.
 */
static bool
fill_matches(SPIPlanPtr plan, Oid storage, List *names)
{
	List	   *sources = SPI_plan_get_plan_sources(plan);
	TupleDesc	desc;
	Relation	rel;
	TupleDesc	target;
	List	   *types = NIL;
	ListCell   *lc;
	bool		ok;

	if (list_length(sources) != 1)
		return false;
	desc = ((CachedPlanSource *) linitial(sources))->resultDesc;
	if (desc == NULL)
		return false;

	/* the filled columns' types, in the order the INSERT names them */
	rel = table_open(storage, AccessShareLock);
	target = RelationGetDescr(rel);
	if (names == NIL)
	{
		for (int i = 0; i < target->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(target, i);

			if (!att->attisdropped && !att->attgenerated)
				types = lappend_oid(types, att->atttypid);
		}
	}
	foreach(lc, names)
	{
		for (int i = 0; i < target->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(target, i);

			if (!att->attisdropped &&
				strcmp(NameStr(att->attname), lfirst(lc)) == 0)
				types = lappend_oid(types, att->atttypid);
		}
	}
	table_close(rel, AccessShareLock);

	ok = list_length(types) == desc->natts;
	for (int i = 0; ok && i < desc->natts; i++)
		ok = TupleDescAttr(desc, i)->atttypid == list_nth_oid(types, i);
	return ok;
}

/*
 * Fill the emptied storage table from the query in two statements: its
 * SELECT into a tuplestore (work_mem, then temporary files), which the
 * planner may run in parallel as it does CREATE MATERIALIZED VIEW's, then
 * one INSERT from that.  Returns the rows inserted.
 */
static uint64
fill_storage(ViewPlans *p, Snapshot snap)
{
	Tuplestorestate *store = tuplestore_begin_heap(false, false, work_mem);
	DestReceiver *dest = CreateDestReceiver(DestTuplestore);
	SPIExecuteOptions options;
	EphemeralNamedRelation enr;
	SPIPlanPtr	insert;
	uint64		inserted;
	int			ret;

	SetTuplestoreDestReceiverParams(dest, store, CurrentMemoryContext, false,
									NULL, NULL);
	memset(&options, 0, sizeof(options));
	options.read_only = true;
	options.dest = dest;

	/* the snapshot as run() uses it, at the current command */
	CommandCounterIncrement();
	PushCopiedSnapshot(snap);
	UpdateActiveSnapshotCommandId();
	il_explain_expect(p->fill_select);
	ret = SPI_execute_plan_extended(p->fill_select, &options);
	PopActiveSnapshot();
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "incrload statement failed: %s", SPI_result_code_string(ret));

	enr = palloc0(sizeof(EphemeralNamedRelationData));
	enr->md.name = INCRLOAD_FILL_RELNAME;
	enr->md.reliddesc = InvalidOid;
	enr->md.tupdesc = ((CachedPlanSource *)
					   linitial(SPI_plan_get_plan_sources(p->fill_select)))->resultDesc;
	enr->md.enrtype = ENR_NAMED_TUPLESTORE;
	enr->md.enrtuples = tuplestore_tuple_count(store);
	enr->reldata = store;
	ret = SPI_register_relation(enr);
	if (ret != SPI_OK_REL_REGISTER)
		elog(ERROR, "SPI_register_relation failed: %s", SPI_result_code_string(ret));
	insert = SPI_prepare(p->fill_insert, 0, NULL);
	if (insert == NULL)
		elog(ERROR, "could not prepare incrload statement \"%s\": %s",
			 p->fill_insert, SPI_result_code_string(SPI_result));
	run(insert, NULL, NULL, snap, NIL, SPI_OK_INSERT);
	inserted = SPI_processed;
	SPI_freeplan(insert);
	SPI_unregister_relation(INCRLOAD_FILL_RELNAME);
	tuplestore_end(store);
	dest->rDestroy(dest);
	return inserted;
}

/*
 * Apply one batch with the kept upsert, then delete the rows whose count
 * reached zero and recompute the groups that need it.  Returns false if
 * the storage table turned out inconsistent with the batch (a count below
 * zero): the caller then recomputes the view.
 */
static bool
apply_batch(ViewPlans *p, UpsertPlan *u, Datum *params, const char *nulls,
			Snapshot snap, IncrloadApplyResult *result)
{
	SPIPlanPtr	upsert = u->plan;
	SPITupleTable *tuptable;
	uint64		n;
	Datum	   *dead;
	int			ndead = 0;
	List	   *redo = NIL;
	List	   *dead_keys = NIL;
	int			ret;

	il_explain_expect(upsert);
	ret = il_guard_execute_plan(upsert, params, nulls, snap, p->deltas, true);
	/* a recursive query's is a SELECT over an INSERT (recursive.c) */
	if (ret != SPI_OK_INSERT_RETURNING && ret != SPI_OK_UPDATE_RETURNING &&
		ret != SPI_OK_SELECT)
		elog(ERROR, "incrload upsert failed: %s", SPI_result_code_string(ret));
	tuptable = SPI_tuptable;
	n = SPI_processed;
	dead = palloc(sizeof(Datum) * Max(n, 1));

	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = tuptable->vals[i];
		TupleDesc	desc = tuptable->tupdesc;
		bool		isnull;
		Datum		ctid = SPI_getbinval(tup, desc, 1, &isnull);
		int64		count = DatumGetInt64(SPI_getbinval(tup, desc, 2, &isnull));
		Datum		flag;

		bool		inserted;

		if (count < 0)
			return false;
		inserted = DatumGetBool(SPI_getbinval(tup, desc, 4 + p->nkeys, &isnull));
		if (count == 0 && !p->global)
		{
			dead[ndead++] = ctid;
			if (!inserted)
				result->deleted++;
			if (u->reinsert)
				dead_keys = lappend(dead_keys, tup);
		}
		else
		{
			if (inserted)
				result->inserted++;
			else
				result->updated++;
			flag = SPI_getbinval(tup, desc, 3, &isnull);
			if (!isnull && DatumGetBool(flag))
				redo = lappend(redo, tup);
		}
	}

	/* a value whose count reached zero left its set */
	if (p->aux_cleanup)
		run(p->aux_cleanup, NULL, NULL, snap, NIL, SPI_OK_DELETE);

	if (ndead > 0)
	{
		Datum		arr = PointerGetDatum(construct_array(dead, ndead, TIDOID,
														  sizeof(ItemPointerData),
														  false, TYPALIGN_SHORT));

		run(p->delete_rows, &arr, NULL, snap, NIL, SPI_OK_DELETE);
	}
	if (u->reinsert)
		reinsert(p, u, params, nulls, snap, dead_keys, tuptable->tupdesc, result);

	if (redo != NIL)
	{
		Datum	   *values = palloc(sizeof(Datum) * (p->nkeys + 1));
		char	   *nulls2 = palloc(p->nkeys + 2);
		ListCell   *lc;

		foreach(lc, redo)
		{
			HeapTuple	tup = lfirst(lc);
			bool		isnull;

			values[0] = SPI_getbinval(tup, tuptable->tupdesc, 1, &isnull);
			nulls2[0] = ' ';
			for (int k = 0; k < p->nkeys; k++)
			{
				values[k + 1] = SPI_getbinval(tup, tuptable->tupdesc, 4 + k,
											  &isnull);
				nulls2[k + 1] = isnull ? 'n' : ' ';
			}
			nulls2[p->nkeys + 1] = '\0';
			run(p->recompute, values, nulls2, snap, p->deltas, SPI_OK_UPDATE);
			CHECK_FOR_INTERRUPTS();
		}
	}
	return true;
}

/*
 * A recursive query's second statement (recursive.c), after the rows the
 * first found may be lost are deleted: their keys, one array per key
 * column, are its parameters after the batch's.
 */
/*
 * apply_batch, with the planner told the batch's size when it is big (the
 * statements are planned at their first run, and again whenever PostgreSQL
 * replans them).
 */
static bool
apply_batch_sized(ViewPlans *p, UpsertPlan *u, Datum *params, const char *nulls,
				  Snapshot snap, IncrloadApplyResult *result)
{
	volatile bool ok = false;

	il_batch_rows_hint = u->big ? BIG_BATCH_PLANNED : 0;
	PG_TRY();
	{
		ok = apply_batch(p, u, params, nulls, snap, result);
	}
	PG_FINALLY();
	{
		il_batch_rows_hint = 0;
	}
	PG_END_TRY();
	return ok;
}

static void
reinsert(ViewPlans *p, UpsertPlan *u, Datum *params, const char *nulls,
		 Snapshot snap, List *dead_keys, TupleDesc desc,
		 IncrloadApplyResult *result)
{
	int			nargs = INCRLOAD_BATCH_NPARAMS + p->nkeys;
	int			n = list_length(dead_keys);
	Datum	   *values = palloc(sizeof(Datum) * nargs);
	char	   *nulls2 = palloc(nargs + 1);
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *isnull = palloc(sizeof(bool) * Max(n, 1));
	int			ret;

	for (int i = 0; i < INCRLOAD_BATCH_NPARAMS; i++)
	{
		values[i] = params[i];
		nulls2[i] = nulls ? nulls[i] : ' ';
	}
	for (int k = 0; k < p->nkeys; k++)
	{
		Oid			type = p->key_types[k + 1];
		int16		typlen;
		bool		typbyval;
		char		typalign;
		int			dims[1] = {n};
		int			lbs[1] = {1};
		ListCell   *lc;

		foreach(lc, dead_keys)
		{
			HeapTuple	tup = lfirst(lc);

			elems[foreach_current_index(lc)] =
				SPI_getbinval(tup, desc, 4 + k,
							  &isnull[foreach_current_index(lc)]);
		}
		get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
		values[INCRLOAD_BATCH_NPARAMS + k] =
			PointerGetDatum(construct_md_array(elems, isnull, 1, dims, lbs, type,
											   typlen, typbyval, typalign));
		nulls2[INCRLOAD_BATCH_NPARAMS + k] = ' ';
	}
	nulls2[nargs] = '\0';
	il_explain_expect(u->reinsert);
	ret = il_guard_execute_plan(u->reinsert, values, nulls2, snap, p->deltas, true);
	if (ret != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "incrload reinsert failed: %s", SPI_result_code_string(ret));
	result->inserted += SPI_processed;
}

/*
 * The view was restored from a dump: its watermark, and the xids in the
 * restored delta rows, belong to another cluster or database.  The view is
 * recomputed from the base tables.  Restored delta rows whose xid is not
 * committed in our snapshot (a "future" xid, or one that happens to be
 * running here) would otherwise look unapplied forever: they go.  No row
 * of this cluster matches that test (a row our snapshot sees was written
 * by a transaction committed in it, or by us), so no other view loses
 * anything.
 */
static void
forget_foreign_changes(Oid view, Snapshot snap)
{
	ListCell   *lc;
	Oid			save_uid;
	int			save_sec;

	il_catalog_become_owner(&save_uid, &save_sec);
	foreach(lc, il_catalog_view_bases(view))
	{
		Oid			delta = il_catalog_delta_for(lfirst_oid(lc));
		SPIPlanPtr	plan;

		if (!OidIsValid(delta))
			continue;
		plan = SPI_prepare(psprintf("DELETE FROM %s d WHERE NOT pg_catalog.pg_visible_in_snapshot(d.%s, "
									"pg_catalog.pg_current_snapshot()) AND d.%s OPERATOR(pg_catalog.<>) "
									"pg_catalog.pg_current_xact_id()",
									quote_qualified_identifier(get_namespace_name(get_rel_namespace(delta)),
															   get_rel_name(delta)),
									INCRLOAD_DELTA_XID_NAME, INCRLOAD_DELTA_XID_NAME),
						   0, NULL);
		if (plan == NULL ||
			il_guard_execute_plan(plan, NULL, NULL, snap, NIL, true) != SPI_OK_DELETE)
			elog(ERROR, "could not forget the restored changes of view %u", view);
	}
	il_catalog_restore_user(save_uid, save_sec);
	ereport(LOG,
			errmsg("incrload view \"%s\" was restored from a dump and is recomputed",
				   get_rel_name(view)));
}

/* The rows of a table, as its statistics say; 0 when never counted. */
static double
table_rows(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	double		rows = 0;

	if (HeapTupleIsValid(tup))
	{
		rows = Max(((Form_pg_class) GETSTRUCT(tup))->reltuples, 0);
		ReleaseSysCache(tup);
	}
	return rows;
}

/*
 * What an incremental apply of a view costs, learned from its applies: the
 * line t = a + b*k (milliseconds for k delta rows) fitted to moving
 * averages of k, t, k*k and k*t, so that a fixed part (the statements that
 * run whatever the batch) does not make big batches look dear.  When the
 * batches were all of one size there is no slope to fit: t/k per row.
 */
#define COST_WEIGHT 0.3			/* of the newest apply in the averages */
#define COST_DECAY 0.95			/* per recompute: an old verdict fades */
#define MIN_SIZE_SPREAD 0.25		/* of the mean batch: to fit a slope */

static double
predicted_apply_ms(const IncrloadView *row, int64 k)
{
	const double *m = row->apply_model;
	double		var = m[2] - m[0] * m[0];
	double		b;
	double		a;

	if (m[0] <= 0)
		return 0;

	/*
	 * A slope needs batches of clearly different sizes: fitted to sizes
	 * within a few percent of each other (a steady workload), it is noise
	 * amplified (TPC-H q09, batches of 1,450-1,620 rows applied in 20-36
	 * ms, was predicted to take a second, and recomputed round after round
	 * at six times the cost).  A line that would cross below zero is no
	 * better.  Either way, the time per row stands.
	 */
	b = var > MIN_SIZE_SPREAD * MIN_SIZE_SPREAD * m[0] * m[0] ?
		(m[3] - m[0] * m[1]) / var : -1;
	a = m[1] - b * m[0];
	if (b <= 0 || a < 0)
		return m[1] / m[0] * k;
	return a + b * k;
}

/*
 * The model after an apply of k rows that took ms, or after a recompute
 * (k < 0): then the costs it remembers fade a little, so that a view once
 * too dear to apply incrementally is tried again now and then.
 */
static void
learn_apply_cost(const IncrloadView *row, int64 k, double ms, double *m)
{
	if (k < 0)
	{
		memcpy(m, row->apply_model, sizeof(row->apply_model));
		m[1] *= COST_DECAY;
		m[3] *= COST_DECAY;
		return;
	}
	if (!row->has_apply_model)
	{
		m[0] = k;
		m[1] = ms;
		m[2] = (double) k * k;
		m[3] = k * ms;
		return;
	}
	m[0] = (1 - COST_WEIGHT) * row->apply_model[0] + COST_WEIGHT * k;
	m[1] = (1 - COST_WEIGHT) * row->apply_model[1] + COST_WEIGHT * ms;
	m[2] = (1 - COST_WEIGHT) * row->apply_model[2] + COST_WEIGHT * (double) k * k;
	m[3] = (1 - COST_WEIGHT) * row->apply_model[3] + COST_WEIGHT * k * ms;
}

/*
 * Whether to recompute the view rather than apply its batch of consumed
 * delta rows, by the view's strategy: 'auto' compares what the batch would
 * cost incrementally (predicted_apply_ms) with what a recompute costs (a
 * moving average of the view's recomputes).  Planner estimates cannot
 * tell: the kept plans take every batch to be small, by design (batch.c).
 * Before an incremental apply has been measured, a batch of over a quarter
 * of the rows of the view's tables is recomputed.  reason says why, for
 * the history.
 *
 * A recompute has costs its time does not show: it rewrites every row of
 * the view (WAL, dead rows, what replicas and standbys must replay), where
 * an apply touches what changed.  So it is chosen only when the apply is
 * clearly dearer: by a tenth of a recompute and at least 25 ms, and the
 * quarter rule only over tables of 10,000 rows or more.  Small views, where
 * either takes milliseconds and the timings are noise, stay incremental.
 *
 * The first fill's time stands for a recompute's until another recompute
 * is timed; it ran cold and can be several times too high, which would
 * keep a view incremental for ever at a loss.  So once an apply is
 * predicted to cost a fifth of it (and 25 ms), the view is recomputed once
 * to time a recompute (a cold run can only lower the known cost).
 */
#define RECOMPUTE_MARGIN 0.1
#define RECOMPUTE_MARGIN_MS 25.0
#define RECOMPUTE_MIN_ROWS 10000
#define RECOMPUTE_PROBE 0.2		/* of the first fill's time: time a recompute */

static bool
choose_recompute(IncrloadView *row, ViewPlans *p, int64 consumed,
				 char *reason, size_t len)
{
	if (strcmp(row->strategy, "full") == 0)
	{
		snprintf(reason, len, "strategy full: recomputed");
		return true;
	}
	if (strcmp(row->strategy, "incremental") == 0 || !incrload_adaptive)
	{
		snprintf(reason, len, "%s: %lld changes applied",
				 incrload_adaptive ? "strategy incremental" : "incrload.adaptive off",
				 (long long) consumed);
		return false;
	}
	if (row->has_apply_model && row->recompute_cost >= 0)
	{
		double		predicted = predicted_apply_ms(row, consumed);
		bool		recompute = predicted - row->recompute_cost >
			Max(RECOMPUTE_MARGIN * row->recompute_cost, RECOMPUTE_MARGIN_MS);

		/*
		 * Only the first fill timed a recompute: an upper bound, often
		 * several times the cost (q21 of TPC-H: 370 ms against 60).  When
		 * the apply comes near it, one recompute tells the truth.
		 */
		if (!recompute && row->full_refreshes < 2 &&
			predicted >= RECOMPUTE_MARGIN_MS &&
			predicted > RECOMPUTE_PROBE * row->recompute_cost)
		{
			snprintf(reason, len, "recomputed to time it: %lld changes, ~%.0f ms incrementally; the first fill took %.0f ms",
					 (long long) consumed, predicted, row->recompute_cost);
			return true;
		}
		snprintf(reason, len, "%s: %lld changes, ~%.0f ms incrementally; a recompute ~%.0f ms",
				 recompute ? "recomputed" : "incremental", (long long) consumed,
				 predicted, row->recompute_cost);
		return recompute;
	}
	else
	{
		double		rows = 0;
		ListCell   *lc;

		foreach(lc, p->bases)
			rows += table_rows(lfirst_oid(lc));
		if (rows >= RECOMPUTE_MIN_ROWS && consumed > rows / 4)
		{
			snprintf(reason, len, "recomputed: %lld changes, over a quarter of the %.0f rows of its tables",
					 (long long) consumed, rows);
			return true;
		}
		snprintf(reason, len, "incremental: %lld changes", (long long) consumed);
		return false;
	}
}

static void
apply_error_callback(void *arg)
{
	Oid			view = *(Oid *) arg;
	char	   *name = get_rel_name(view);

	if (name)
		errcontext("incrload maintaining view \"%s\"", name);
}

/*
 * Our timeout fired: cancel what runs now, as a statement timeout does
 * (StatementCancelHandler).  A signal handler: flags and the latch only.
 */
static void
apply_timeout_handler(void)
{
	apply_timed_out = true;
	InterruptPending = true;
	QueryCancelPending = true;
	SetLatch(MyLatch);
}

/*
 * The limits of one apply, from the view's row (its own, else the
 * server's): a timer over the whole apply, and temp_file_limit in the
 * caller's GUC nest level, never looser than the one in effect.  A
 * runaway apply fails its view instead of filling the disk or holding a
 * worker for hours.
 */
static void
start_limits(IncrloadView *row)
{
	if (row->temp_file_limit >= 0 &&
		(temp_file_limit < 0 || row->temp_file_limit < temp_file_limit))
		(void) set_config_option("temp_file_limit",
								 psprintf("%d", row->temp_file_limit),
								 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
	if (row->statement_timeout > 0)
	{
		if (apply_timeout == MAX_TIMEOUTS)
			apply_timeout = RegisterTimeout(USER_TIMEOUT, apply_timeout_handler);
		apply_timed_out = false;
		apply_timeout_ms = row->statement_timeout;
		enable_timeout_after(apply_timeout, row->statement_timeout);
	}
}

static void
stop_timer(void)
{
	if (apply_timeout != MAX_TIMEOUTS && get_timeout_active(apply_timeout))
		disable_timeout(apply_timeout, false);
}

/*
 * Bring one view up to date (or recompute it, or verify it), in the
 * caller's transaction, and record the attempt in the history: with the
 * view's changes when it succeeds, through the history's queue when it
 * fails (the transaction is aborting).  A cancel by the apply's own time
 * limit is reported as such.
 */
void
il_apply_view(Oid view, IncrloadApplyKind kind, IncrloadApplyResult *result)
{
	TimestampTz started = GetCurrentTimestamp();
	int			jitnest = NewGUCNestLevel();
	char	   *name = get_rel_name(view);

	/*
	 * Our statements are long (a term per input, a branch per outer join
	 * alternative) and their estimates pessimistic: JIT would compile
	 * hundreds of functions, for seconds, for a batch that runs in
	 * milliseconds, and even a recompute mostly waits on I/O and sorts.
	 */
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	/* rows this transaction's row triggers kept belong in this batch */
	il_capture_flush();
	il_history_begin(view, kind, started);
	apply_timed_out = false;
	PG_TRY();
	{
		apply_view(view, kind, result, started);
		stop_timer();
		if (apply_timed_out)
		{
			/* it fired as we finished: the apply stands, nothing to cancel */
			apply_timed_out = false;
			QueryCancelPending = false;
		}
		AtEOXact_GUC(true, jitnest);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		stop_timer();
		/* CurTransactionContext goes with the abort: nothing to free */
		MemoryContextSwitchTo(CurTransactionContext);
		edata = CopyErrorData();
		if (apply_timed_out && edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		{
			FlushErrorState();
			edata->message = psprintf("canceling apply of view \"%s\" due to its time limit (%d ms)",
									  name ? name : "?", apply_timeout_ms);
			edata->hint = pstrdup("Raise the limit with incrload_alter_view(view, statement_timeout => ...) "
								  "or incrload.apply_statement_timeout, or make the view cheaper to maintain.");
			apply_timed_out = false;
			il_history_failed(edata);
			ReThrowError(edata);
		}
		apply_timed_out = false;
		il_history_failed(edata);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

static void
apply_view(Oid view, IncrloadApplyKind kind, IncrloadApplyResult *result,
		   TimestampTz started)
{
	MemoryContext applycxt;
	MemoryContext oldcxt;
	ErrorContextCallback errcallback;
	CommandId	read_cid = GetCurrentCommandId(false);
	IncrloadView row;
	Snapshot	snap;
	Oid			save_uid;
	int			save_sec;
	int			nest;
	ViewPlans  *p;
	Datum		params[INCRLOAD_BATCH_NPARAMS];
	char		nulls[INCRLOAD_BATCH_NPARAMS + 1];
	bool		full;
	bool		truncated = false;
	bool		warm = false;	/* the upsert's plan was made before */
	TimestampTz measured_from;
	bool		full_was_warm = false;	/* a recompute ran here before */
	int64		consumed = 0;
	Datum		watermark;
	bool		isnull;
	ListCell   *lc;
	ListCell   *lb;
	List	   *changed = NIL;
	bool		big = false;	/* a table has BIG_BATCH_ROWS delta rows */

	char	   *viewname = get_rel_name(view);

	memset(result, 0, sizeof(*result));
	applycxt = AllocSetContextCreate(CurrentMemoryContext, "incrload apply",
									 ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(applycxt);

	il_explain_view(view);
	errcallback.callback = apply_error_callback;
	errcallback.arg = &view;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* 1. the lock; 2. then the snapshot */
	if (!il_catalog_read_view(view, true, &row))
		ereport(ERROR,
				errcode(ERRCODE_UNDEFINED_OBJECT),
				errmsg("relation \"%s\" is not a registered incrload view",
					   viewname ? viewname : "?"));

	/*
	 * The base tables too, before the snapshot: a TRUNCATE (not MVCC-safe)
	 * that commits while we wait must be in the batch as well as in what
	 * our snapshot reads.  AccessShareLock makes no writer wait.
	 */
	foreach(lc, il_catalog_view_bases(view))
		LockRelationOid(lfirst_oid(lc), AccessShareLock);
	snap = RegisterSnapshot(GetTransactionSnapshot());

	GetUserIdAndSecContext(&save_uid, &save_sec);
	SetUserIdAndSecContext(row.owner, save_sec | SECURITY_RESTRICTED_OPERATION);
	nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	start_limits(&row);
	/* TimeZone and the like, as the view's query was registered with */
	il_settings_apply(row.settings);

	p = get_plans(&row);
	/*
	 * What the choices learn is timed from here: preparing the statements
	 * (parse analysis of a view's many terms: seconds for TPC-H q21) is
	 * paid once per backend, not per apply or recompute.
	 */
	measured_from = GetCurrentTimestamp();

	/*
	 * The batch alone may not touch a base table, but the view shows its
	 * rows: the owner must still be allowed to read every one.
	 */
	foreach(lc, p->bases)
	{
		if (pg_class_aclcheck(lfirst_oid(lc), row.owner, ACL_SELECT) != ACLCHECK_OK)
			ereport(ERROR,
					errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					errmsg("permission denied for table %s", get_rel_name(lfirst_oid(lc))),
					errdetail("The owner of view \"%s\", role \"%s\", may no longer read it.",
							  get_rel_name(view), GetUserNameFromId(row.owner, false)));
	}

	full = kind == IL_APPLY_FULL || kind == IL_APPLY_REPAIR ||
		row.full_mode || !row.has_watermark ||
		row.watermark_foreign || strcmp(row.state, "needs_full_refresh") == 0;
	snprintf(result->reason, sizeof(result->reason), "%s",
			 kind == IL_APPLY_FULL ? "full refresh" :
			 kind == IL_APPLY_REPAIR ? "repair of drift" :
			 row.full_mode ? "mode full" :
			 !row.has_watermark ? "first fill" :
			 row.watermark_foreign ? "restored from another cluster" :
			 full ? "needed a full refresh" : "");

	/* 3. the batch */
	if (!row.full_mode && row.has_watermark && !row.watermark_foreign)
	{
		params[0] = row.watermark;
		params[1] = row.watermark_xid;
		params[2] = Int64GetDatum(row.watermark_cid);
		memset(nulls, ' ', sizeof(nulls));
		nulls[INCRLOAD_BATCH_NPARAMS] = '\0';
		if (!row.has_watermark_xid)
			nulls[1] = 'n';
		forboth(lc, p->batch_info, lb, p->q->base_relids)
		{
			HeapTuple	tup;
			Datum		ts;
			int64		n;

			run(lfirst(lc), params, nulls, snap, p->deltas, SPI_OK_SELECT);
			tup = SPI_tuptable->vals[0];
			n = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
			consumed += n;
			big |= n >= BIG_BATCH_ROWS;
			if (n > 0)
				changed = lappend_oid(changed, lfirst_oid(lb));
			truncated |= DatumGetBool(SPI_getbinval(tup, SPI_tuptable->tupdesc,
													2, &isnull));
			ts = SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull);
			if (!isnull && (result->oldest_change == 0 ||
							DatumGetTimestampTz(ts) < result->oldest_change))
				result->oldest_change = DatumGetTimestampTz(ts);
		}
		if (truncated && !full)
		{
			full = true;
			snprintf(result->reason, sizeof(result->reason),
					 "recomputed: a TRUNCATE in the batch");
		}
		if (!full && consumed > 0 && kind != IL_APPLY_VERIFY &&
			choose_recompute(&row, p, consumed, result->reason,
							 sizeof(result->reason)))
			full = true;
		if (!full && consumed > 0 &&
			!apply_batch_sized(p, get_upsert(p, view, changed, big, &warm), params,
							   nulls, snap, result))
		{
			ereport(WARNING,
					errcode(ERRCODE_DATA_CORRUPTED),
					errmsg("view \"%s\" did not match its changes and is recomputed",
						   get_rel_name(view)),
					errdetail("A row count of its storage table went below zero; the table was changed outside incrload."));
			full = true;
			snprintf(result->reason, sizeof(result->reason),
					 "recomputed: a row count went below zero");
		}
	}
	if (row.watermark_foreign)
	{
		forget_foreign_changes(view, snap);
		/* the restored tree named the old cluster's objects; the text did not */
		il_catalog_set_query(view, il_analyze_parse(row.query));
	}
	else if (row.query_tree_stale)
	{
		/*
		 * Another major wrote the tree (pg_upgrade): the text, analyzed
		 * again, gives this major's; the watermark's xids still hold.
		 */
		il_catalog_set_query(view, il_analyze_parse(row.query));
	}
	if (full && !(kind == IL_APPLY_VERIFY && row.full_mode))
	{
		full_was_warm = p->full_warm;
		p->full_warm = true;
		/* a recompute replaces every row: no partial counts stand */
		result->updated = 0;
		run(p->full_delete, NULL, NULL, snap, NIL, SPI_OK_DELETE);
		result->deleted = SPI_processed;
		if (p->fill_select)
			result->inserted = fill_storage(p, snap);
		else
		{
			run(p->full_insert, NULL, NULL, snap, NIL, SPI_OK_INSERT);
			result->inserted = SPI_processed;
		}
	}
	if (kind == IL_APPLY_VERIFY)
	{
		HeapTuple	tup;

		run(p->verify, NULL, NULL, snap, NIL, SPI_OK_SELECT);
		tup = SPI_tuptable->vals[0];
		result->missing = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		result->extra = DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull));
	}

	/* 4. the watermark: the snapshot we read, in the same transaction */
	if (watermark_plan == NULL)
		watermark_plan = prepare_kept("SELECT pg_catalog.pg_current_snapshot()", 0, NULL,
									  NIL);
	run(watermark_plan, NULL, NULL, snap, NIL, SPI_OK_SELECT);
	watermark = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
							  &isnull);

	AtEOXact_GUC(false, nest);
	SetUserIdAndSecContext(save_uid, save_sec);

	/*
	 * Our own rows: this transaction's xid counts as applied in the
	 * watermark, except for what it writes from read_cid on.
	 */
	/*
	 * What it cost, for the choices to come.  A recompute's first run in
	 * this backend is cold (caches, hint bits, the first fill's whole
	 * read): its time is an upper bound, kept only when it is lower than
	 * what is known; an apply's first run of its upsert is not learned at
	 * all.
	 */
	{
		double		ms = (double) (GetCurrentTimestamp() - measured_from) / 1000.0;
		double		model[4];
		bool		learned = false;

		if (full && row.has_apply_model)
		{
			learn_apply_cost(&row, -1, ms, model);
			learned = true;
		}
		else if (!full && consumed > 0 && kind != IL_APPLY_VERIFY && warm)
		{
			learn_apply_cost(&row, consumed, ms, model);
			learned = true;
		}
		il_catalog_record_apply(view, watermark,
								FullTransactionIdGetDatum(GetTopFullTransactionId()),
								true, (int64) read_cid, full, consumed, started,
								result->reason[0] ? result->reason : NULL,
								learned ? model : NULL,
								!full ? -1 :
								row.recompute_cost < 0 ? ms :
								!full_was_warm ? Min(row.recompute_cost, ms) :
								(1 - COST_WEIGHT) * row.recompute_cost + COST_WEIGHT * ms);
	}
	if (kind == IL_APPLY_VERIFY)
		il_catalog_record_verify(view, result->missing + result->extra);

	result->consumed = consumed;
	result->full = full;
	result->repaired = kind == IL_APPLY_REPAIR;
	il_history_succeeded(view,
						 kind == IL_APPLY_VERIFY ? IL_APPLY_VERIFY :
						 full ? IL_APPLY_FULL : IL_APPLY_INCREMENTAL,
						 started, result);

	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	UnregisterSnapshot(snap);
	error_context_stack = errcallback.previous;
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(applycxt);
}

/*
 * The statements an apply of a view runs, each with a comment line that
 * names the view and what the statement does: a batch in which every base
 * table changed, the recompute of one group, the fill.  Built as the apply
 * builds them; the caller is connected to SPI.
 */
List *
il_apply_statements(Oid view)
{
	IncrloadView row;
	IncrloadQuery *q;
	IncrloadSql *sql;
	List	   *result = NIL;
	const char *name;

	if (!il_catalog_read_view(view, false, &row))
		return NIL;
	name = quote_qualified_identifier(get_namespace_name(get_rel_namespace(view)),
									  get_rel_name(view));
	q = il_analyze(row.query_tree ? il_analyze_tree(row.query_tree) :
				   il_analyze_parse(row.query), !row.full_mode);
	sql = il_storage_build(q, view, row.storage, NIL);
	if (sql->upsert)
		result = lappend(result, psprintf("-- %s: a batch of changes of every base table\n%s",
										  name, sql->upsert));
	if (sql->delete_rows)
		result = lappend(result, psprintf("-- %s: rows whose count reached zero\n%s",
										  name, sql->delete_rows));
	if (sql->recompute)
		result = lappend(result, psprintf("-- %s: one group recomputed\n%s",
										  name, sql->recompute));
	if (sql->aux_cleanup)
		result = lappend(result, psprintf("-- %s: values that left their sets\n%s",
										  name, sql->aux_cleanup));
	result = lappend(result, psprintf("-- %s: a recompute empties the storage table\n%s",
									  name, sql->full_delete));
	if (sql->fill_select)
		result = lappend(result, psprintf("-- %s: and fills it from the query\n%s\n%s",
										  name, sql->fill_select, sql->fill_insert));
	else
		result = lappend(result, psprintf("-- %s: and fills it from the query\n%s",
										  name, sql->full_insert));
	return result;
}

/*
 * Committed delta rows the view has not applied yet, and the capture time
 * of the oldest of them, as the current snapshot sees them.  The caller is
 * connected to SPI and runs as the catalog's owner.
 */
int64
il_apply_pending(Oid view, TimestampTz *oldest)
{
	IncrloadView row;
	List	   *bases;
	ListCell   *lc;
	int64		total = 0;
	Datum		params[INCRLOAD_BATCH_NPARAMS];
	char		nulls[INCRLOAD_BATCH_NPARAMS + 1] = "   ";

	*oldest = 0;
	if (!il_catalog_read_view(view, false, &row) || row.full_mode ||
		!row.has_watermark)
		return 0;
	params[0] = row.watermark;
	params[1] = row.watermark_xid;
	params[2] = Int64GetDatum(row.watermark_cid);
	if (!row.has_watermark_xid)
		nulls[1] = 'n';

	bases = il_catalog_view_bases(view);
	foreach(lc, bases)
	{
		Oid			delta = il_catalog_delta_for(lfirst_oid(lc));
		HeapTuple	tup;
		bool		isnull;
		Datum		ts;
		int			ret;

		if (!OidIsValid(delta))
			continue;
		ret = SPI_execute_with_args(il_delta_batch_info_sql(delta),
									INCRLOAD_BATCH_NPARAMS,
									il_delta_batch_param_types(),
									params, nulls, true, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "incrload pending count failed: %s",
				 SPI_result_code_string(ret));
		tup = SPI_tuptable->vals[0];
		total += DatumGetInt64(SPI_getbinval(tup, SPI_tuptable->tupdesc, 1, &isnull));
		ts = SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull);
		if (!isnull && (*oldest == 0 || DatumGetTimestampTz(ts) < *oldest))
			*oldest = DatumGetTimestampTz(ts);
	}
	return total;
}
