/*-------------------------------------------------------------------------
 *
 * capture.c
 *	  The capture trigger: copies every row change of a base table into the
 *	  table's delta table, inside the writer's transaction.
 *
 * One C function serves four statement-level AFTER triggers per base table:
 * INSERT, UPDATE and DELETE, each with transition tables, and TRUNCATE.
 * Each delta row carries the writer's top-level xid (xid8), the command id
 * of the statement, a weight (+1 inserted, -1 deleted, an UPDATE is both;
 * 0 marks a TRUNCATE), the statement's start time and the row.
 *
 * This runs in every writer's transaction, so it is the hot path of the
 * whole system: no SPI, no planning, no catalog lookups that a per-backend
 * cache (invalidated by relcache callbacks) can answer, and rows go into
 * the delta table with table_multi_insert in batches.  It does not check
 * the writer's privileges on the delta table: writers have none, and the
 * rows are inserted through the table AM, not through a query.
 *
 * It does not decide anything about views: which views read a table, and
 * how far each has got, is the apply's business.
 *
 * IDENTIFICATION
 *	  src/capture.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_proc.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/xid8.h"

#include "capture.h"
#include "catalog.h"
#include "delta.h"
#include "guard.h"
#include "guc.h"

/* Statements bigger than this use a bulk-insert ring buffer. */
#define CAPTURE_BULK_THRESHOLD 10000

/* How a base table's rows map onto its delta table; cached per backend. */
typedef struct CaptureTarget
{
	Oid			base;			/* hash key */
	bool		valid;
	Oid			delta;
	int			nbase;			/* base attributes, dropped ones included */
	AttrNumber *map;			/* base attno - 1 -> delta attno, 0 = skip */
} CaptureTarget;

/* One transition table (NULL: a TRUNCATE marker) and its rows' weight. */
typedef struct CaptureInput
{
	Tuplestorestate *ts;
	int16		weight;
} CaptureInput;

static HTAB *capture_targets = NULL;
static MemoryContext capture_cxt = NULL;

static void capture_invalidate(Datum arg, Oid relid);
static CaptureTarget *get_target(Relation base);
static Oid	capture_root(Relation rel);
static void write_rows(Relation base, CaptureTarget *target,
					   CaptureInput *inputs, int ninputs);
static void flush_rows(Relation delta, ResultRelInfo *rri, EState *estate,
					   TupleTableSlot **slots, int n, CommandId cid,
					   BulkInsertState bistate, MemoryContext batchcxt);

/*
 * Relcache callback: forget what we know about a base table or delta table
 * that changed.  Only marks entries; no catalog access here.
 */
static void
capture_invalidate(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	CaptureTarget *entry;

	if (capture_targets == NULL)
		return;
	hash_seq_init(&status, capture_targets);
	while ((entry = hash_seq_search(&status)) != NULL)
	{
		if (relid == InvalidOid || entry->base == relid ||
			entry->delta == relid)
			entry->valid = false;
	}
}

void
il_capture_init(void)
{
	CacheRegisterRelcacheCallback(capture_invalidate, (Datum) 0);
}

static CaptureTarget *
get_target(Relation base)
{
	Oid			baseid = RelationGetRelid(base);
	CaptureTarget *entry;
	bool		found;
	Relation	delta;
	TupleDesc	bdesc = RelationGetDescr(base);
	TupleDesc	ddesc;

	if (capture_targets == NULL)
	{
		HASHCTL		ctl;

		capture_cxt = AllocSetContextCreate(CacheMemoryContext,
											"incrload capture cache",
											ALLOCSET_SMALL_SIZES);
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(CaptureTarget);
		ctl.hcxt = capture_cxt;
		capture_targets = hash_create("incrload capture targets", 64, &ctl,
									  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	entry = hash_search(capture_targets, &baseid, HASH_ENTER, &found);
	if (found && entry->valid)
		return entry;
	if (found && entry->map)
		pfree(entry->map);
	entry->valid = false;
	entry->map = NULL;
	entry->delta = InvalidOid;

	entry->delta = il_catalog_lookup_delta(capture_root(base));
	if (!OidIsValid(entry->delta))
		ereport(ERROR,
				errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				errmsg("table \"%s\" has incrload capture triggers but no delta table",
					   RelationGetRelationName(base)),
				errhint("Drop the triggers named incrload_capture_* on the table, or register a view over it again."));

	/* map columns by name: attnos differ (delta has its own columns first) */
	delta = table_open(entry->delta, AccessShareLock);
	ddesc = RelationGetDescr(delta);
	entry->nbase = bdesc->natts;
	entry->map = MemoryContextAllocZero(capture_cxt,
										sizeof(AttrNumber) * Max(bdesc->natts, 1));
	for (int i = 0; i < bdesc->natts; i++)
	{
		Form_pg_attribute battr = TupleDescAttr(bdesc, i);

		if (battr->attisdropped)
			continue;
		for (int j = INCRLOAD_DELTA_NSYS; j < ddesc->natts; j++)
		{
			Form_pg_attribute dattr = TupleDescAttr(ddesc, j);

			if (!dattr->attisdropped &&
				strcmp(NameStr(dattr->attname), NameStr(battr->attname)) == 0)
			{
				if (dattr->atttypid != battr->atttypid)
					ereport(ERROR,
							errcode(ERRCODE_DATATYPE_MISMATCH),
							errmsg("column \"%s\" of table \"%s\" no longer has the type its delta table records",
								   NameStr(battr->attname),
								   RelationGetRelationName(base)),
							errhint("Unregister the views over the table and register them again."));
				entry->map[i] = dattr->attnum;
				break;
			}
		}
	}
	table_close(delta, AccessShareLock);
	entry->valid = true;
	return entry;
}

/*
 * Copy the transition tables of one statement (or, for TRUNCATE, one
 * marker row: ts NULL) into the delta table.  An UPDATE's old and new rows
 * go through one pass: the delta table, its indexes and the slots are set
 * up once per statement, not once per transition table.
 *
 * The slots are made over a copy of the delta table's descriptor that is
 * not reference-counted: a slot over the relcache's descriptor pins it in
 * the resource owner, and a statement's thousand pins of one descriptor
 * cost time quadratic in the batch to take and release (they all hash to
 * the same entry).
 */
static void
write_rows(Relation base, CaptureTarget *target, CaptureInput *inputs,
		   int ninputs)
{
	MemoryContext stmtcxt;
	MemoryContext batchcxt;
	MemoryContext oldcxt;
	Relation	delta;
	TupleDesc	ddesc;
	TupleDesc	slotdesc;
	const TupleTableSlotOps *ops;
	EState	   *estate;
	ResultRelInfo *rri;
	TupleTableSlot **slots;
	TupleTableSlot *inslot = NULL;
	BulkInsertState bistate = NULL;
	int			batch = incrload_capture_batch_size;
	int			nbuffered = 0;
	CommandId	cid = GetCurrentCommandId(true);
	Datum		xid = FullTransactionIdGetDatum(GetTopFullTransactionId());
	Datum		now = TimestampTzGetDatum(GetCurrentStatementStartTimestamp());
	int64		nrows = 0;

	for (int k = 0; k < ninputs; k++)
		nrows += inputs[k].ts ? tuplestore_tuple_count(inputs[k].ts) : 1;
	if (nrows == 0)
		return;

	stmtcxt = AllocSetContextCreate(CurrentMemoryContext,
									"incrload capture",
									ALLOCSET_DEFAULT_SIZES);
	batchcxt = AllocSetContextCreate(stmtcxt,
									 "incrload capture batch",
									 ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(stmtcxt);

	delta = table_open(target->delta, RowExclusiveLock);
	ddesc = RelationGetDescr(delta);
	estate = CreateExecutorState();
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, delta, 1, NULL, 0);
	ExecOpenIndices(rri, false);

	if (nrows < batch)
		batch = (int) nrows;
	slotdesc = CreateTupleDescCopy(ddesc);
	ops = table_slot_callbacks(delta);
	slots = palloc(sizeof(TupleTableSlot *) * batch);
	for (int i = 0; i < batch; i++)
		slots[i] = MakeSingleTupleTableSlot(slotdesc, ops);
	if (nrows > CAPTURE_BULK_THRESHOLD)
		bistate = GetBulkInsertState();

	for (int k = 0; k < ninputs; k++)
	{
		Tuplestorestate *ts = inputs[k].ts;
		Datum		weight = Int16GetDatum(inputs[k].weight);
		bool		marker_done = false;

		if (ts)
		{
			int			rp = tuplestore_alloc_read_pointer(ts, 0);

			tuplestore_select_read_pointer(ts, rp);
			/* another trigger's reader may have left the store at EOF */
			tuplestore_rescan(ts);
			if (inslot == NULL)
				inslot = MakeSingleTupleTableSlot(RelationGetDescr(base),
												  &TTSOpsMinimalTuple);
		}

		for (;;)
		{
			TupleTableSlot *out;

			if (ts == NULL)
			{
				if (marker_done)
					break;
				marker_done = true;
			}
			else if (!tuplestore_gettupleslot(ts, true, false, inslot))
				break;

			out = slots[nbuffered];
			ExecClearTuple(out);
			memset(out->tts_isnull, true, sizeof(bool) * slotdesc->natts);
			out->tts_values[INCRLOAD_DELTA_XID - 1] = xid;
			out->tts_isnull[INCRLOAD_DELTA_XID - 1] = false;
			out->tts_values[INCRLOAD_DELTA_CID - 1] = Int64GetDatum((int64) cid);
			out->tts_isnull[INCRLOAD_DELTA_CID - 1] = false;
			out->tts_values[INCRLOAD_DELTA_WEIGHT - 1] = weight;
			out->tts_isnull[INCRLOAD_DELTA_WEIGHT - 1] = false;
			out->tts_values[INCRLOAD_DELTA_TS - 1] = now;
			out->tts_isnull[INCRLOAD_DELTA_TS - 1] = false;
			if (ts)
			{
				slot_getallattrs(inslot);
				for (int i = 0; i < target->nbase; i++)
				{
					AttrNumber	d = target->map[i];

					if (d == 0)
						continue;
					out->tts_values[d - 1] = inslot->tts_values[i];
					out->tts_isnull[d - 1] = inslot->tts_isnull[i];
				}
			}
			ExecStoreVirtualTuple(out);
			/* the input tuple dies at the next fetch: copy the row now */
			ExecMaterializeSlot(out);
			if (++nbuffered == batch)
			{
				flush_rows(delta, rri, estate, slots, nbuffered, cid, bistate,
						   batchcxt);
				nbuffered = 0;
			}
		}
	}
	if (nbuffered > 0)
		flush_rows(delta, rri, estate, slots, nbuffered, cid, bistate,
				   batchcxt);

	if (bistate)
	{
		FreeBulkInsertState(bistate);
		table_finish_bulk_insert(delta, 0);
	}
	if (inslot)
		ExecDropSingleTupleTableSlot(inslot);
	for (int i = 0; i < batch; i++)
		ExecDropSingleTupleTableSlot(slots[i]);
	ExecCloseIndices(rri);
	FreeExecutorState(estate);
	table_close(delta, NoLock);

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(stmtcxt);
}

/* One multi-insert of the buffered rows, then their index entries. */
static void
flush_rows(Relation delta, ResultRelInfo *rri, EState *estate,
		   TupleTableSlot **slots, int n, CommandId cid,
		   BulkInsertState bistate, MemoryContext batchcxt)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(batchcxt);

	table_multi_insert(delta, slots, n, cid, 0, bistate);
	for (int i = 0; i < n; i++)
		ExecInsertIndexTuples(rri, slots[i], estate, false, false, NULL, NIL);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(batchcxt);
	ResetPerTupleExprContext(estate);
	CHECK_FOR_INTERRUPTS();
}

PG_FUNCTION_INFO_V1(incrload_capture);

Datum
incrload_capture(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TriggerEvent event;
	Relation	base;
	CaptureTarget *target;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"incrload_capture\" was not called by trigger manager"));
	event = trigdata->tg_event;
	if (!TRIGGER_FIRED_AFTER(event) || !TRIGGER_FIRED_FOR_STATEMENT(event))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"incrload_capture\" must be fired AFTER ... FOR EACH STATEMENT"));

	base = trigdata->tg_relation;
	target = get_target(base);

	if (TRIGGER_FIRED_BY_TRUNCATE(event))
	{
		CaptureInput marker = {NULL, 0};

		write_rows(base, target, &marker, 1);
	}
	else
	{
		CaptureInput inputs[2];
		int			ninputs = 0;
		bool		is_insert = TRIGGER_FIRED_BY_INSERT(event);
		bool		is_delete = TRIGGER_FIRED_BY_DELETE(event);
		bool		is_update = TRIGGER_FIRED_BY_UPDATE(event);

		if ((is_delete || is_update) && trigdata->tg_oldtable == NULL)
			ereport(ERROR,
					errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					errmsg("incrload capture trigger on \"%s\" has no OLD TABLE",
						   RelationGetRelationName(base)));
		if ((is_insert || is_update) && trigdata->tg_newtable == NULL)
			ereport(ERROR,
					errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					errmsg("incrload capture trigger on \"%s\" has no NEW TABLE",
						   RelationGetRelationName(base)));
		if (is_delete || is_update)
		{
			inputs[ninputs].ts = trigdata->tg_oldtable;
			inputs[ninputs++].weight = -1;
		}
		if (is_insert || is_update)
		{
			inputs[ninputs].ts = trigdata->tg_newtable;
			inputs[ninputs++].weight = 1;
		}
		write_rows(base, target, inputs, ninputs);
	}

	return PointerGetDatum(NULL);
}

/* > 0 while we run DDL of our own: our event triggers leave it alone */
static int	own_ddl_depth = 0;

/*
 * Run DDL as the catalog's owner: delta tables live in schema incrload,
 * and the triggers go on tables the registering role may only read.
 */
void
il_capture_run_ddl(const char *sql)
{
	Oid			save_uid;
	int			save_sec;
	int			ret = 0;
	int			nest;

	il_catalog_become_owner(&save_uid, &save_sec);
	/* names in the DDL are qualified; what it parses must not find others */
	nest = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
	own_ddl_depth++;
	PG_TRY();
	{
		ret = SPI_execute(sql, false, 0);
	}
	PG_FINALLY();
	{
		own_ddl_depth--;
	}
	PG_END_TRY();
	AtEOXact_GUC(true, nest);
	il_catalog_restore_user(save_uid, save_sec);
	if (ret < 0)
		elog(ERROR, "SPI_execute failed for \"%s\": %s", sql,
			 SPI_result_code_string(ret));
}

bool
il_capture_in_own_ddl(void)
{
	return own_ddl_depth > 0;
}

/*
 * Whether an event trigger has nothing to look at: the DDL is our own, or
 * the extension is being created or dropped (its catalog is not all there).
 */
bool
il_capture_ignore_event(void)
{
	return il_capture_in_own_ddl() ||
		!OidIsValid(get_extension_oid("incrload", true)) ||
		!OidIsValid(get_namespace_oid(INCRLOAD_SCHEMA, true)) ||
		!OidIsValid(get_relname_relid("view", il_catalog_namespace()));
}

static char *
column_ddl(Form_pg_attribute attr)
{
	char	   *sql = psprintf("%s %s", quote_identifier(NameStr(attr->attname)),
							   format_type_extended(attr->atttypid, attr->atttypmod,
													FORMAT_TYPE_TYPEMOD_GIVEN |
													FORMAT_TYPE_FORCE_QUALIFY));

	if (OidIsValid(attr->attcollation) &&
		attr->attcollation != get_typcollation(attr->atttypid))
		sql = psprintf("%s COLLATE %s", sql,
					   generate_collation_name(attr->attcollation));
	return sql;
}

/* The captured table whose delta table rows of rel go to: rel, or its root. */
static Oid
capture_root(Relation rel)
{
	if (rel->rd_rel->relispartition)
		return llast_oid(get_partition_ancestors(RelationGetRelid(rel)));
	return RelationGetRelid(rel);
}

/*
 * The four capture triggers on one table.  They fire ALWAYS: a logical
 * replication apply worker (session_replication_role = replica) writes base
 * tables too, and its changes must reach the views like any other.
 */
static void
install_triggers(Oid relid)
{
	char	   *rel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												 get_rel_name(relid));
	char	   *fn = quote_qualified_identifier(il_catalog_extension_schema(),
												"incrload_capture");

	il_capture_run_ddl(psprintf("CREATE TRIGGER incrload_capture_ins AFTER INSERT ON %s "
					 "REFERENCING NEW TABLE AS incrload_new "
					 "FOR EACH STATEMENT EXECUTE FUNCTION %s(); "
					 "CREATE TRIGGER incrload_capture_upd AFTER UPDATE ON %s "
					 "REFERENCING OLD TABLE AS incrload_old NEW TABLE AS incrload_new "
					 "FOR EACH STATEMENT EXECUTE FUNCTION %s(); "
					 "CREATE TRIGGER incrload_capture_del AFTER DELETE ON %s "
					 "REFERENCING OLD TABLE AS incrload_old "
					 "FOR EACH STATEMENT EXECUTE FUNCTION %s(); "
					 "CREATE TRIGGER incrload_capture_trunc AFTER TRUNCATE ON %s "
					 "FOR EACH STATEMENT EXECUTE FUNCTION %s(); "
					 "ALTER TABLE %s ENABLE ALWAYS TRIGGER incrload_capture_ins, "
					 "ENABLE ALWAYS TRIGGER incrload_capture_upd, "
					 "ENABLE ALWAYS TRIGGER incrload_capture_del, "
					 "ENABLE ALWAYS TRIGGER incrload_capture_trunc",
					 rel, fn, rel, fn, rel, fn, rel, fn, rel));
}

static void
remove_triggers(Oid relid)
{
	char	   *relname = get_rel_name(relid);
	char	   *rel;

	if (relname == NULL)
		return;
	rel = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									 relname);
	il_capture_run_ddl(psprintf("DROP TRIGGER IF EXISTS incrload_capture_ins ON %s; "
					 "DROP TRIGGER IF EXISTS incrload_capture_upd ON %s; "
					 "DROP TRIGGER IF EXISTS incrload_capture_del ON %s; "
					 "DROP TRIGGER IF EXISTS incrload_capture_trunc ON %s",
					 rel, rel, rel, rel));
}

/*
 * Refuse a partition tree that capture cannot see whole: a statement on a
 * foreign partition runs elsewhere, an unlogged one loses rows in a crash
 * without telling anyone, and a partition that is itself a base table has
 * capture of its own (writes routed through the root do not fire it).
 */
static void
check_partition(Relation part, Relation root)
{
	const char *name = RelationGetRelationName(part);
	const char *rname = RelationGetRelationName(root);

	if (part->rd_rel->relkind == RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("partition \"%s\" of table \"%s\" is a foreign table, which incremental mode cannot capture",
					   name, rname),
				errhint("Use mode => 'full' for views over \"%s\".", rname));
	if (part->rd_rel->relpersistence != RELPERSISTENCE_PERMANENT)
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("partition \"%s\" of table \"%s\" is not a logged table, which incremental mode cannot capture",
					   name, rname),
				errdetail("A crash empties an unlogged table without running its triggers."),
				errhint("Make it logged with ALTER TABLE ... SET LOGGED, or use mode => 'full'."));
	if (OidIsValid(il_catalog_delta_for(RelationGetRelid(part))))
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("table \"%s\" is read by an incrload view and cannot be a partition of table \"%s\", which another view reads",
					   name, rname),
				errhint("Unregister the views over \"%s\" first.", name));
}

/*
 * Capture every member of a partition tree below root (part itself, and
 * the partitions under it): writes to a partition fire only that
 * partition's statement triggers, never the root's.  Their rows go to the
 * root's delta table; incrload.partition remembers where each one belongs,
 * so that dropping one can be noticed.
 */
static void
install_partitions(Oid root, Oid part)
{
	Relation	rootrel = table_open(root, NoLock);
	ListCell   *lc;

	foreach(lc, find_all_inheritors(part, ShareRowExclusiveLock, NULL))
	{
		Oid			relid = lfirst_oid(lc);
		Relation	rel;

		if (relid == root)
			continue;
		rel = table_open(relid, NoLock);
		check_partition(rel, rootrel);
		table_close(rel, NoLock);
		if (il_catalog_partition_root(relid) == root)
			continue;
		install_triggers(relid);
		il_catalog_insert_partition(relid, root);
	}
	table_close(rootrel, NoLock);
}

static void
remove_partitions(Oid root, Oid part)
{
	ListCell   *lc;

	foreach(lc, il_catalog_partitions(root))
	{
		Oid			relid = lfirst_oid(lc);

		if (OidIsValid(part) && relid != part &&
			!list_member_oid(get_partition_ancestors(relid), part))
			continue;
		remove_triggers(relid);
		il_catalog_delete_partition(relid);
	}
}

/*
 * Make sure base is captured: a delta table with every current column of
 * the base table, and the four triggers (on every partition too).  Returns
 * the delta table.
 */
Oid
il_capture_install(Oid base)
{
	/*
	 * Lock first, then look: a registration that installed capture while
	 * we waited for the lock has committed its catalog row by now.
	 */
	Relation	brel = table_open(base, ShareRowExclusiveLock);
	Oid			delta = il_catalog_delta_for(base);
	TupleDesc	bdesc = RelationGetDescr(brel);
	Oid			nsp = il_catalog_namespace();
	bool		partitioned = brel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE;
	StringInfoData buf;

	for (int i = 0; i < bdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(bdesc, i);

		/* the delta table's own columns; a storage table has others */
		if (!attr->attisdropped &&
			(strcmp(NameStr(attr->attname), INCRLOAD_DELTA_XID_NAME) == 0 ||
			 strcmp(NameStr(attr->attname), INCRLOAD_DELTA_CID_NAME) == 0 ||
			 strcmp(NameStr(attr->attname), INCRLOAD_DELTA_W_NAME) == 0 ||
			 strcmp(NameStr(attr->attname), INCRLOAD_DELTA_TS_NAME) == 0))
			ereport(ERROR,
					errcode(ERRCODE_RESERVED_NAME),
					errmsg("column \"%s\" of table \"%s\" uses a name reserved for incrload",
						   NameStr(attr->attname), RelationGetRelationName(brel)),
					errhint("Rename the column."));
	}
	if (brel->rd_rel->relispartition)
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("table \"%s\" is a partition, which incremental mode cannot read alone",
					   RelationGetRelationName(brel)),
				errdetail("Writes routed through the partitioned table do not fire the partition's statement triggers."),
				errhint("Register the view over the partitioned table \"%s\", or use mode => 'full'.",
						get_rel_name(capture_root(brel))));
	if (OidIsValid(il_catalog_partition_root(base)))
		elog(ERROR, "incrload: table \"%s\" is captured as a partition",
			 RelationGetRelationName(brel));

	initStringInfo(&buf);
	if (OidIsValid(delta))
	{
		/* columns added to the base table since: the new view may read them */
		for (int i = 0; i < bdesc->natts; i++)
		{
			Form_pg_attribute attr = TupleDescAttr(bdesc, i);

			if (attr->attisdropped ||
				get_attnum(delta, NameStr(attr->attname)) != InvalidAttrNumber)
				continue;
			resetStringInfo(&buf);
			appendStringInfo(&buf, "ALTER TABLE %s ADD COLUMN %s",
							 quote_qualified_identifier(INCRLOAD_SCHEMA, get_rel_name(delta)),
							 column_ddl(attr));
			il_capture_run_ddl(buf.data);
		}
		table_close(brel, NoLock);
		il_capture_lock_down(base);
		return delta;
	}

	{
		char	   *dname = ChooseRelationName(RelationGetRelationName(brel), NULL,
											   "delta", nsp, false);
		char	   *dqual = quote_qualified_identifier(INCRLOAD_SCHEMA, dname);

		appendStringInfo(&buf, "CREATE TABLE %s (%s pg_catalog.xid8 NOT NULL, "
						 "%s pg_catalog.int8 NOT NULL, %s pg_catalog.int2 NOT NULL, "
						 "%s pg_catalog.timestamptz NOT NULL",
						 dqual, INCRLOAD_DELTA_XID_NAME, INCRLOAD_DELTA_CID_NAME,
						 INCRLOAD_DELTA_W_NAME, INCRLOAD_DELTA_TS_NAME);
		for (int i = 0; i < bdesc->natts; i++)
		{
			Form_pg_attribute attr = TupleDescAttr(bdesc, i);

			if (!attr->attisdropped)
				appendStringInfo(&buf, ", %s", column_ddl(attr));
		}
		appendStringInfo(&buf, ") WITH (autovacuum_vacuum_scale_factor = 0.01, "
						 "autovacuum_analyze_scale_factor = 0.01)");
		il_capture_run_ddl(buf.data);
		resetStringInfo(&buf);
		appendStringInfo(&buf, "CREATE INDEX ON %s (%s)", dqual,
						 INCRLOAD_DELTA_XID_NAME);
		il_capture_run_ddl(buf.data);

		/* ALTER TABLE (to make them fire always) wants the table closed */
		table_close(brel, NoLock);
		install_triggers(base);
		delta = get_relname_relid(dname, nsp);
		il_catalog_insert_delta(base, delta);
		if (partitioned)
			install_partitions(base, base);
	}
	il_capture_lock_down(base);
	return delta;
}

/*
 * Only incrload reads or writes base's delta table: its guard (guard.c)
 * is there, and nobody but its owner holds a privilege on it (earlier
 * builds granted SELECT to the owners of the views that read it).
 */
void
il_capture_lock_down(Oid base)
{
	Oid			delta = il_catalog_delta_for(base);
	Relation	rel;
	bool		guarded = false;
	Oid			relowner;
	Datum		acldatum;
	bool		isnull;
	HeapTuple	tup;
	StringInfoData grantees;

	if (!OidIsValid(delta) || get_rel_name(delta) == NULL)
		return;
	rel = table_open(delta, AccessShareLock);
	for (int i = 0; rel->trigdesc != NULL && i < rel->trigdesc->numtriggers; i++)
		guarded |= strcmp(rel->trigdesc->triggers[i].tgname,
						  INCRLOAD_GUARD_TRIGGER) == 0;
	relowner = rel->rd_rel->relowner;
	table_close(rel, AccessShareLock);
	if (!guarded)
		il_guard_protect(delta);

	initStringInfo(&grantees);
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(delta));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", delta);
	acldatum = SysCacheGetAttr(RELOID, tup, Anum_pg_class_relacl, &isnull);
	if (!isnull)
	{
		Acl		   *acl = DatumGetAclP(acldatum);
		AclItem    *items = ACL_DAT(acl);

		for (int i = 0; i < ACL_NUM(acl); i++)
		{
			Oid			grantee = items[i].ai_grantee;

			if (grantee == relowner)
				continue;
			appendStringInfo(&grantees, "%s%s", grantees.len > 0 ? ", " : "",
							 grantee == ACL_ID_PUBLIC ? "PUBLIC" :
							 quote_identifier(GetUserNameFromId(grantee, false)));
		}
	}
	ReleaseSysCache(tup);
	if (grantees.len > 0)
		il_capture_run_ddl(psprintf("REVOKE ALL ON %s FROM %s",
									quote_qualified_identifier(get_namespace_name(get_rel_namespace(delta)),
															   get_rel_name(delta)),
									grantees.data));
}

/*
 * Stop capturing base: its triggers (unless the table is gone, and they
 * with it), those of its partitions, its delta table and its catalog rows.
 */
void
il_capture_remove(Oid base, bool base_dropped)
{
	Oid			delta = il_catalog_delta_for(base);

	if (!base_dropped)
		remove_triggers(base);
	remove_partitions(base, InvalidOid);
	if (OidIsValid(delta) && get_rel_name(delta) != NULL)
		/* CASCADE: a view anybody made over it must not keep it */
		il_capture_run_ddl(psprintf("DROP TABLE IF EXISTS %s CASCADE",
						 quote_qualified_identifier(get_namespace_name(get_rel_namespace(delta)),
													get_rel_name(delta))));
	il_catalog_delete_delta(base);
}

/*
 * A recompute marker (weight 0, as a TRUNCATE writes): the batch that holds
 * it recomputes every view over root from the base tables, in the same
 * snapshot.  For changes of a table's rows that no trigger reports:
 * partitions attached, detached or dropped.
 */
void
il_capture_mark(Oid root)
{
	Relation	rel = table_open(root, AccessShareLock);
	CaptureTarget *target = get_target(rel);
	CaptureInput marker = {NULL, 0};

	write_rows(rel, target, &marker, 1);
	table_close(rel, AccessShareLock);
}

/* A partition joined root's tree (ATTACH, CREATE TABLE ... PARTITION OF). */
void
il_capture_attach(Oid root, Oid part, bool has_rows)
{
	install_partitions(root, part);
	if (has_rows)
		il_capture_mark(root);
}

/* A partition left root's tree (DETACH), or was dropped. */
void
il_capture_detach(Oid root, Oid part, bool dropped)
{
	if (dropped)
		il_catalog_delete_partition(part);
	else
		remove_partitions(root, part);
	il_capture_mark(root);
}
