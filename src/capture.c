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
 * The same function is a fifth, row-level trigger, for what statement
 * triggers never see: the logical replication apply worker writes rows
 * without statements (ExecSimpleRelationInsert and friends fire row
 * triggers only).  Which of the two fires is decided by
 * session_replication_role, so that every row is captured exactly once:
 * the INSERT, UPDATE and DELETE statement triggers fire on origin (the
 * default), the row trigger on replica (the apply worker, its table
 * synchronization's COPY, a session that sets the role), the TRUNCATE
 * trigger always.  A row trigger runs once per row: it keeps the row in a
 * tuplestore of the transaction, and the rows go into the delta table in
 * batches when the transaction commits or prepares (or before an apply in
 * the same transaction needs them), stamped, in a replication worker, with
 * the publisher's commit time.
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

#include "access/detoast.h"
#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_proc.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "replication/logicalworker.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/xid8.h"

#include "capture.h"
#include "catalog.h"
#include "compat.h"
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
	TupleDesc	ddesc;			/* the delta table's, for rows kept by the
								 * row trigger */
	Datum	   *values;			/* scratch: one delta row */
	bool	   *isnull;
} CaptureTarget;

/* One transition table (NULL: a TRUNCATE marker) and its rows' weight. */
typedef struct CaptureInput
{
	Tuplestorestate *ts;
	int16		weight;
} CaptureInput;

/*
 * Rows on their way into one delta table: the table, its indexes and a
 * batch of slots, set up once per statement (or per flush of kept rows).
 */
typedef struct DeltaSink
{
	MemoryContext cxt;
	MemoryContext batchcxt;
	Relation	delta;
	TupleDesc	slotdesc;
	EState	   *estate;
	ResultRelInfo *rri;
	TupleTableSlot **slots;
	BulkInsertState bistate;
	int			batch;
	int			nbuffered;
	CommandId	cid;
} DeltaSink;

/*
 * The rows the row trigger kept, for one delta table, in this transaction.
 * Rows are appended in the order they were captured, so the rows of a
 * subtransaction and of its children are always the tail of the store when
 * it ends: marks say where the tail of each open subtransaction begins,
 * aborting one makes its tail dead, committing one hands its tail to the
 * parent.  Rows before "flushed" are in the delta table already; a flush
 * made inside a subtransaction is undone (the rows are flushed again
 * later) when that subtransaction, or the one it was handed to, aborts.
 */
typedef struct RowMark
{
	SubTransactionId subid;
	int64		pos;
} RowMark;

typedef struct RowSpan
{
	int64		from;
	int64		to;
} RowSpan;

typedef struct RowBuffer
{
	Oid			delta;
	Tuplestorestate *store;
	int64		nrows;			/* rows put into the store */
	int64		flushed;		/* rows before this are in the delta table */
	List	   *marks;			/* RowMark: where open subtransactions begin */
	List	   *dead;			/* RowSpan: rows of aborted subtransactions */
	List	   *flushes;		/* RowMark: a subtransaction's flush, from pos */
} RowBuffer;

static HTAB *capture_targets = NULL;
static MemoryContext capture_cxt = NULL;
static CaptureTarget *last_target = NULL;

/* kept rows of the current transaction; rows_cxt is under TopTransactionContext */
static MemoryContext rows_cxt = NULL;
static List *row_buffers = NIL;
static RowBuffer *last_buffer = NULL;

static void capture_invalidate(Datum arg, Oid relid);
static void capture_xact(XactEvent event, void *arg);
static void capture_subxact(SubXactEvent event, SubTransactionId subid,
							SubTransactionId parent, void *arg);
static CaptureTarget *get_target(Relation base);
static Oid	capture_root(Relation rel);
static void sink_open(DeltaSink *sink, Relation delta, int64 nrows);
static TupleTableSlot *sink_next(DeltaSink *sink);
static void sink_write(DeltaSink *sink);
static void sink_store(DeltaSink *sink);
static void sink_close(DeltaSink *sink);
static void write_rows(Relation base, CaptureTarget *target,
					   CaptureInput *inputs, int ninputs);
static void capture_row(TriggerData *trigdata);
static void keep_row(CaptureTarget *target, TupleTableSlot *row, int16 weight,
					 CommandId cid, TimestampTz now);
static RowBuffer *get_row_buffer(Oid delta);
static void flush_kept_rows(bool final);
static void flush_buffer(RowBuffer *buf, TimestampTz origin_time);
static void forget_kept_rows(bool close);

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
	RegisterXactCallback(capture_xact, NULL);
	RegisterSubXactCallback(capture_subxact, NULL);
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

	/* a row trigger asks for the same table once per row */
	if (last_target != NULL && last_target->base == baseid && last_target->valid)
		return last_target;
	entry = hash_search(capture_targets, &baseid, HASH_ENTER, &found);
	if (found && entry->valid)
		return last_target = entry;
	if (found && entry->map)
	{
		pfree(entry->map);
		FreeTupleDesc(entry->ddesc);
		pfree(entry->values);
		pfree(entry->isnull);
	}
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
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(capture_cxt);

		entry->ddesc = CreateTupleDescCopy(ddesc);
		entry->values = palloc(sizeof(Datum) * ddesc->natts);
		entry->isnull = palloc(sizeof(bool) * ddesc->natts);
		MemoryContextSwitchTo(oldcxt);
	}
	table_close(delta, AccessShareLock);
	entry->valid = true;
	return last_target = entry;
}

/*
 * Set up the insertion of about nrows rows into delta (opened and locked
 * by the caller), in a memory context of the sink's own.
 *
 * The slots are made over a copy of the delta table's descriptor that is
 * not reference-counted: a slot over the relcache's descriptor pins it in
 * the resource owner, and a statement's thousand pins of one descriptor
 * cost time quadratic in the batch to take and release (they all hash to
 * the same entry).
 */
static void
sink_open(DeltaSink *sink, Relation delta, int64 nrows)
{
	MemoryContext oldcxt;
	const TupleTableSlotOps *ops;

	sink->cxt = AllocSetContextCreate(CurrentMemoryContext,
									  "incrload capture",
									  ALLOCSET_DEFAULT_SIZES);
	sink->batchcxt = AllocSetContextCreate(sink->cxt,
										   "incrload capture batch",
										   ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(sink->cxt);
	sink->delta = delta;
	sink->cid = GetCurrentCommandId(true);
	sink->estate = CreateExecutorState();
	sink->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(sink->rri, delta, 1, NULL, 0);
	ExecOpenIndices(sink->rri, false);

	sink->batch = incrload_capture_batch_size;
	if (nrows < sink->batch)
		sink->batch = (int) Max(nrows, 1);
	sink->slotdesc = CreateTupleDescCopy(RelationGetDescr(delta));
	ops = table_slot_callbacks(delta);
	sink->slots = palloc(sizeof(TupleTableSlot *) * sink->batch);
	for (int i = 0; i < sink->batch; i++)
		sink->slots[i] = MakeSingleTupleTableSlot(sink->slotdesc, ops);
	sink->bistate = nrows > CAPTURE_BULK_THRESHOLD ? GetBulkInsertState() : NULL;
	sink->nbuffered = 0;
	MemoryContextSwitchTo(oldcxt);
}

/* The next slot to fill: empty, every column NULL. */
static inline TupleTableSlot *
sink_next(DeltaSink *sink)
{
	TupleTableSlot *out = sink->slots[sink->nbuffered];

	ExecClearTuple(out);
	memset(out->tts_isnull, true, sizeof(bool) * sink->slotdesc->natts);
	return out;
}

/* One multi-insert of the buffered rows, then their index entries. */
static void
sink_write(DeltaSink *sink)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(sink->batchcxt);

	table_multi_insert(sink->delta, sink->slots, sink->nbuffered, sink->cid,
					   0, sink->bistate);
	for (int i = 0; i < sink->nbuffered; i++)
		il_insert_index_entries(sink->rri, sink->slots[i], sink->estate);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(sink->batchcxt);
	ResetPerTupleExprContext(sink->estate);
	sink->nbuffered = 0;
	CHECK_FOR_INTERRUPTS();
}

/* The slot sink_next gave is filled: keep it, write a full batch. */
static inline void
sink_store(DeltaSink *sink)
{
	TupleTableSlot *out = sink->slots[sink->nbuffered];

	ExecStoreVirtualTuple(out);
	/* the input tuple dies at the next fetch: copy the row now */
	ExecMaterializeSlot(out);
	if (++sink->nbuffered == sink->batch)
		sink_write(sink);
}

/* Write what is left, release everything but the delta table. */
static void
sink_close(DeltaSink *sink)
{
	if (sink->nbuffered > 0)
		sink_write(sink);
	if (sink->bistate)
	{
		FreeBulkInsertState(sink->bistate);
		table_finish_bulk_insert(sink->delta, 0);
	}
	for (int i = 0; i < sink->batch; i++)
		ExecDropSingleTupleTableSlot(sink->slots[i]);
	ExecCloseIndices(sink->rri);
	FreeExecutorState(sink->estate);
	MemoryContextDelete(sink->cxt);
}

/*
 * Copy the transition tables of one statement (or, for TRUNCATE, one
 * marker row: ts NULL) into the delta table.  An UPDATE's old and new rows
 * go through one pass: the delta table, its indexes and the slots are set
 * up once per statement, not once per transition table.
 */
static void
write_rows(Relation base, CaptureTarget *target, CaptureInput *inputs,
		   int ninputs)
{
	Relation	delta;
	DeltaSink	sink;
	TupleTableSlot *inslot = NULL;
	Datum		xid = FullTransactionIdGetDatum(GetTopFullTransactionId());
	Datum		now = TimestampTzGetDatum(GetCurrentStatementStartTimestamp());
	int64		nrows = 0;

	for (int k = 0; k < ninputs; k++)
		nrows += inputs[k].ts ? tuplestore_tuple_count(inputs[k].ts) : 1;
	if (nrows == 0)
		return;

	delta = table_open(target->delta, RowExclusiveLock);
	sink_open(&sink, delta, nrows);

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

			out = sink_next(&sink);
			out->tts_values[INCRLOAD_DELTA_XID - 1] = xid;
			out->tts_isnull[INCRLOAD_DELTA_XID - 1] = false;
			out->tts_values[INCRLOAD_DELTA_CID - 1] =
				Int64GetDatum((int64) sink.cid);
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
			sink_store(&sink);
		}
	}
	sink_close(&sink);
	if (inslot)
		ExecDropSingleTupleTableSlot(inslot);
	table_close(delta, NoLock);
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
	if (!TRIGGER_FIRED_AFTER(event))
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"incrload_capture\" must be fired AFTER"));
	if (TRIGGER_FIRED_FOR_ROW(event))
	{
		capture_row(trigdata);
		return PointerGetDatum(NULL);
	}

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

/*
 * The row trigger: keep the row (an UPDATE's old and new row) until the
 * transaction commits.  The writing statement's command id and start time
 * are those the statement trigger would have written.
 */
static void
capture_row(TriggerData *trigdata)
{
	TriggerEvent event = trigdata->tg_event;
	CaptureTarget *target = get_target(trigdata->tg_relation);
	CommandId	cid = GetCurrentCommandId(true);
	TimestampTz now = GetCurrentStatementStartTimestamp();

	if (TRIGGER_FIRED_BY_INSERT(event))
		keep_row(target, trigdata->tg_trigslot, 1, cid, now);
	else if (TRIGGER_FIRED_BY_DELETE(event))
		keep_row(target, trigdata->tg_trigslot, -1, cid, now);
	else if (TRIGGER_FIRED_BY_UPDATE(event))
	{
		keep_row(target, trigdata->tg_trigslot, -1, cid, now);
		keep_row(target, trigdata->tg_newslot, 1, cid, now);
	}
	else
		ereport(ERROR,
				errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("function \"incrload_capture\" fired FOR EACH ROW must be fired for INSERT, UPDATE or DELETE"));
}

/*
 * Append one row, as a delta row, to the kept rows of its delta table.
 * Values stored out of line are fetched now: a later TRUNCATE of the base
 * table in this transaction would take them away before the flush.  The
 * store and the temporary file it may spill to belong to the top-level
 * transaction, which a subtransaction's end must not close.
 */
static void
keep_row(CaptureTarget *target, TupleTableSlot *row, int16 weight,
		 CommandId cid, TimestampTz now)
{
	RowBuffer  *buf = get_row_buffer(target->delta);
	SubTransactionId subid = GetCurrentSubTransactionId();
	Datum	   *values = target->values;
	bool	   *isnull = target->isnull;
	ResourceOwner save_owner;

	memset(isnull, true, sizeof(bool) * target->ddesc->natts);
	values[INCRLOAD_DELTA_XID - 1] =
		FullTransactionIdGetDatum(GetTopFullTransactionId());
	isnull[INCRLOAD_DELTA_XID - 1] = false;
	values[INCRLOAD_DELTA_CID - 1] = Int64GetDatum((int64) cid);
	isnull[INCRLOAD_DELTA_CID - 1] = false;
	values[INCRLOAD_DELTA_WEIGHT - 1] = Int16GetDatum(weight);
	isnull[INCRLOAD_DELTA_WEIGHT - 1] = false;
	values[INCRLOAD_DELTA_TS - 1] = TimestampTzGetDatum(now);
	isnull[INCRLOAD_DELTA_TS - 1] = false;

	slot_getallattrs(row);
	for (int i = 0; i < target->nbase; i++)
	{
		AttrNumber	d = target->map[i];
		Datum		v = row->tts_values[i];

		if (d == 0)
			continue;
		isnull[d - 1] = row->tts_isnull[i];
		if (!isnull[d - 1] &&
			TupleDescAttr(target->ddesc, d - 1)->attlen == -1 &&
			VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(v)))
			v = PointerGetDatum(detoast_external_attr((struct varlena *) DatumGetPointer(v)));
		values[d - 1] = v;
	}

	save_owner = CurrentResourceOwner;
	CurrentResourceOwner = TopTransactionResourceOwner;
	tuplestore_putvalues(buf->store, target->ddesc, values, isnull);
	CurrentResourceOwner = save_owner;

	/* the first row of a subtransaction (or of its parent again) */
	if (buf->marks == NIL ||
		((RowMark *) llast(buf->marks))->subid != subid)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(rows_cxt);
		RowMark    *mark = palloc(sizeof(RowMark));

		mark->subid = subid;
		mark->pos = buf->nrows;
		buf->marks = lappend(buf->marks, mark);
		MemoryContextSwitchTo(oldcxt);
	}
	buf->nrows++;
}

static RowBuffer *
get_row_buffer(Oid delta)
{
	MemoryContext oldcxt;
	ResourceOwner save_owner;
	RowBuffer  *buf;
	ListCell   *lc;

	if (last_buffer != NULL && last_buffer->delta == delta)
		return last_buffer;
	foreach(lc, row_buffers)
	{
		buf = lfirst(lc);
		if (buf->delta == delta)
			return last_buffer = buf;
	}

	if (rows_cxt == NULL)
		rows_cxt = AllocSetContextCreate(TopTransactionContext,
										 "incrload kept rows",
										 ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(rows_cxt);
	save_owner = CurrentResourceOwner;
	CurrentResourceOwner = TopTransactionResourceOwner;
	buf = palloc0(sizeof(RowBuffer));
	buf->delta = delta;
	buf->store = tuplestore_begin_heap(false, false, work_mem);
	row_buffers = lappend(row_buffers, buf);
	CurrentResourceOwner = save_owner;
	MemoryContextSwitchTo(oldcxt);
	return last_buffer = buf;
}

/*
 * Write the kept rows into their delta tables: finally, when the
 * transaction commits or prepares, or now, because an apply in this
 * transaction is to read them.
 */
static void
flush_kept_rows(bool final)
{
	/*
	 * The replication worker applies one remote transaction per local one
	 * and sets the publisher's commit (or prepare) time just before it
	 * commits: the time the change was made, seen from the view's side.  A
	 * session of anyone else has only its own clock.
	 */
	TimestampTz origin_time = final && IsLogicalWorker() ?
		il_origin_commit_time() : 0;
	ListCell   *lc;

	foreach(lc, row_buffers)
		flush_buffer(lfirst(lc), origin_time);
}

/* origin_time: the capture time of every row, or 0 for their own */
static void
flush_buffer(RowBuffer *buf, TimestampTz origin_time)
{
	Relation	delta;
	DeltaSink	sink;
	TupleTableSlot *inslot;
	ListCell   *dead = list_head(buf->dead);
	int64		from = buf->flushed;
	int64		pos;

	if (buf->flushed >= buf->nrows)
		return;

	/* a delta table dropped in this transaction takes its rows along */
	delta = try_table_open(buf->delta, RowExclusiveLock);
	if (delta == NULL)
	{
		buf->flushed = buf->nrows;
		return;
	}

	sink_open(&sink, delta, buf->nrows - buf->flushed);

	/*
	 * Columns are only ever added to a delta table, or dropped: a row kept
	 * before that reads the same under the table's descriptor now.
	 */
	inslot = MakeSingleTupleTableSlot(sink.slotdesc, &TTSOpsMinimalTuple);
	tuplestore_select_read_pointer(buf->store, 0);
	tuplestore_rescan(buf->store);
	if (buf->flushed > 0)
		tuplestore_skiptuples(buf->store, buf->flushed, true);
	for (pos = buf->flushed; pos < buf->nrows; pos++)
	{
		TupleTableSlot *out;

		if (!tuplestore_gettupleslot(buf->store, true, false, inslot))
			elog(ERROR, "incrload: kept rows of delta table %u ended early",
				 buf->delta);
		while (dead != NULL && pos >= ((RowSpan *) lfirst(dead))->to)
			dead = lnext(buf->dead, dead);
		if (dead != NULL && pos >= ((RowSpan *) lfirst(dead))->from)
			continue;

		out = sink_next(&sink);
		slot_getallattrs(inslot);
		for (int i = 0; i < sink.slotdesc->natts; i++)
		{
			if (TupleDescAttr(sink.slotdesc, i)->attisdropped)
				continue;
			out->tts_values[i] = inslot->tts_values[i];
			out->tts_isnull[i] = inslot->tts_isnull[i];
		}
		if (origin_time != 0)
			out->tts_values[INCRLOAD_DELTA_TS - 1] =
				TimestampTzGetDatum(origin_time);
		sink_store(&sink);
	}
	sink_close(&sink);
	ExecDropSingleTupleTableSlot(inslot);
	table_close(delta, NoLock);

	buf->flushed = buf->nrows;
	if (GetCurrentTransactionNestLevel() > 1)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(rows_cxt);
		RowMark    *flush = palloc(sizeof(RowMark));

		flush->subid = GetCurrentSubTransactionId();
		flush->pos = from;
		buf->flushes = lappend(buf->flushes, flush);
		MemoryContextSwitchTo(oldcxt);
	}
}

/*
 * Before an apply reads the delta tables in this transaction: the rows this
 * transaction's row triggers kept must be there, with the command ids of
 * their statements (older than the apply's).
 */
void
il_capture_flush(void)
{
	if (row_buffers != NIL)
		flush_kept_rows(false);
}

/* The transaction is over: close the stores, or let the abort do it. */
static void
forget_kept_rows(bool close)
{
	ListCell   *lc;

	if (close)
	{
		foreach(lc, row_buffers)
			tuplestore_end(((RowBuffer *) lfirst(lc))->store);
		MemoryContextDelete(rows_cxt);
	}
	rows_cxt = NULL;
	row_buffers = NIL;
	last_buffer = NULL;
}

static void
capture_xact(XactEvent event, void *arg)
{
	if (rows_cxt == NULL)
		return;
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			flush_kept_rows(true);
			forget_kept_rows(true);
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			/* TopTransactionContext and its resource owner go with it */
			forget_kept_rows(false);
			break;
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
			break;
	}
}

/*
 * A subtransaction ended.  Its rows are the tail of every store from its
 * mark on (subtransaction ids grow, and every subtransaction started after
 * it and still open when it ends is its child): aborted, the tail is dead;
 * committed, the tail is the parent's.  A flush made inside it is the
 * parent's too, or undone with it.
 */
static void
capture_subxact(SubXactEvent event, SubTransactionId subid,
				SubTransactionId parent, void *arg)
{
	ListCell   *lc;

	if (rows_cxt == NULL ||
		(event != SUBXACT_EVENT_COMMIT_SUB && event != SUBXACT_EVENT_ABORT_SUB))
		return;

	foreach(lc, row_buffers)
	{
		RowBuffer  *buf = lfirst(lc);
		int64		tail = -1;
		MemoryContext oldcxt = MemoryContextSwitchTo(rows_cxt);

		while (buf->marks != NIL &&
			   ((RowMark *) llast(buf->marks))->subid >= subid)
		{
			tail = ((RowMark *) llast(buf->marks))->pos;
			buf->marks = list_delete_last(buf->marks);
		}
		for (int i = 0; i < list_length(buf->flushes); i++)
		{
			RowMark    *flush = list_nth(buf->flushes, i);

			if (flush->subid < subid)
				continue;
			if (event == SUBXACT_EVENT_ABORT_SUB)
			{
				/* its rows were written by the aborted subtransaction */
				buf->flushed = Min(buf->flushed, flush->pos);
				buf->flushes = list_truncate(buf->flushes, i);
				break;
			}
			flush->subid = parent;
		}

		if (event == SUBXACT_EVENT_ABORT_SUB && tail >= 0)
		{
			RowSpan    *span = palloc(sizeof(RowSpan));

			/* in order; a span this one covers goes */
			while (buf->dead != NIL &&
				   ((RowSpan *) llast(buf->dead))->from >= tail)
				buf->dead = list_delete_last(buf->dead);
			span->from = tail;
			span->to = buf->nrows;
			buf->dead = lappend(buf->dead, span);
		}
		else if (event == SUBXACT_EVENT_COMMIT_SUB && tail >= 0 &&
				 (buf->marks == NIL ||
				  ((RowMark *) llast(buf->marks))->subid != parent))
		{
			RowMark    *mark = palloc(sizeof(RowMark));

			mark->subid = parent;
			mark->pos = tail;
			buf->marks = lappend(buf->marks, mark);
		}
		if (event == SUBXACT_EVENT_COMMIT_SUB && parent == TopSubTransactionId)
		{
			/* flushes the top-level transaction owns are for good */
			buf->flushes = NIL;
		}
		MemoryContextSwitchTo(oldcxt);
	}
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
 * The capture triggers of a table, and how each must fire so that every
 * change is captured exactly once whatever session_replication_role says:
 * the statement triggers on origin (and local), the row trigger on replica
 * (where the apply worker writes rows that no statement trigger sees; a
 * partitioned table's rows are written in its leaves), TRUNCATE always.
 */
typedef struct CaptureTrigger
{
	const char *name;
	char		firing;			/* pg_trigger.tgenabled */
	const char *when;
	const char *how;
	bool		leaf_only;
	/* the same, as CREATE TRIGGER's parse tree has it (ddl.c checks) */
	int16		events;
	bool		row;
	bool		old_table;
	bool		new_table;
} CaptureTrigger;

static const CaptureTrigger capture_triggers[] = {
	{"incrload_capture_ins", TRIGGER_FIRES_ON_ORIGIN, "AFTER INSERT",
		"REFERENCING NEW TABLE AS incrload_new FOR EACH STATEMENT", false,
	TRIGGER_TYPE_INSERT, false, false, true},
	{"incrload_capture_upd", TRIGGER_FIRES_ON_ORIGIN, "AFTER UPDATE",
		"REFERENCING OLD TABLE AS incrload_old NEW TABLE AS incrload_new FOR EACH STATEMENT", false,
	TRIGGER_TYPE_UPDATE, false, true, true},
	{"incrload_capture_del", TRIGGER_FIRES_ON_ORIGIN, "AFTER DELETE",
		"REFERENCING OLD TABLE AS incrload_old FOR EACH STATEMENT", false,
	TRIGGER_TYPE_DELETE, false, true, false},
	{"incrload_capture_trunc", TRIGGER_FIRES_ALWAYS, "AFTER TRUNCATE",
		"FOR EACH STATEMENT", false,
	TRIGGER_TYPE_TRUNCATE, false, false, false},
	{"incrload_capture_row", TRIGGER_FIRES_ON_REPLICA,
		"AFTER INSERT OR UPDATE OR DELETE", "FOR EACH ROW", true,
	TRIGGER_TYPE_INSERT | TRIGGER_TYPE_UPDATE | TRIGGER_TYPE_DELETE, true, false, false},
};

/*
 * Whether an AFTER trigger so named, of these events, row or statement
 * level, with these transition tables, is exactly one of ours (what
 * pg_restore creates again).
 */
bool
il_capture_trigger_shape(const char *tgname, int16 events, bool row,
						 bool old_table, bool new_table)
{
	for (int i = 0; i < lengthof(capture_triggers); i++)
	{
		const CaptureTrigger *ct = &capture_triggers[i];

		if (strcmp(ct->name, tgname) == 0)
			return ct->events == events && ct->row == row &&
				ct->old_table == old_table && ct->new_table == new_table;
	}
	return false;
}

/* The firing a capture trigger must keep (pg_trigger.tgenabled), or 0. */
char
il_capture_trigger_firing(const char *tgname)
{
	for (int i = 0; i < lengthof(capture_triggers); i++)
	{
		if (strcmp(capture_triggers[i].name, tgname) == 0)
			return capture_triggers[i].firing;
	}
	return 0;
}

/* The ALTER TABLE clause that makes a trigger fire so. */
const char *
il_capture_firing_clause(char firing)
{
	switch (firing)
	{
		case TRIGGER_FIRES_ALWAYS:
			return "ENABLE ALWAYS";
		case TRIGGER_FIRES_ON_REPLICA:
			return "ENABLE REPLICA";
		case TRIGGER_DISABLED:
			return "DISABLE";
		default:
			return "ENABLE";
	}
}

/*
 * Make the capture triggers of one table what capture_triggers says:
 * create the missing ones, make each fire as it must.  Nothing to do (the
 * usual case of a second view over a table) runs no DDL.
 */
static void
install_triggers(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TriggerDesc *td = rel->trigdesc;
	bool		leaf = rel->rd_rel->relkind == RELKIND_RELATION;
	char	   *qrel = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												  RelationGetRelationName(rel));
	char	   *fn = quote_qualified_identifier(il_catalog_extension_schema(),
												"incrload_capture");
	StringInfoData sql;

	initStringInfo(&sql);
	for (int i = 0; i < lengthof(capture_triggers); i++)
	{
		const CaptureTrigger *ct = &capture_triggers[i];
		char		firing = 0;

		if (ct->leaf_only && !leaf)
			continue;
		for (int t = 0; td != NULL && t < td->numtriggers; t++)
		{
			if (strcmp(td->triggers[t].tgname, ct->name) == 0)
				firing = td->triggers[t].tgenabled;
		}
		if (firing == 0)
		{
			appendStringInfo(&sql, "CREATE TRIGGER %s %s ON %s %s EXECUTE FUNCTION %s(); ",
							 ct->name, ct->when, qrel, ct->how, fn);
			firing = TRIGGER_FIRES_ON_ORIGIN;
		}
		if (firing != ct->firing)
			appendStringInfo(&sql, "ALTER TABLE %s %s TRIGGER %s; ", qrel,
							 il_capture_firing_clause(ct->firing), ct->name);
	}
	/* ALTER TABLE wants the table closed */
	table_close(rel, AccessShareLock);
	if (sql.len > 0)
		il_capture_run_ddl(sql.data);
}

static void
remove_triggers(Oid relid)
{
	Relation	rel = try_table_open(relid, AccessShareLock);
	StringInfoData sql;
	char	   *qrel;

	if (rel == NULL)
		return;
	qrel = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
									  RelationGetRelationName(rel));
	initStringInfo(&sql);
	for (int t = 0; rel->trigdesc != NULL && t < rel->trigdesc->numtriggers; t++)
	{
		const char *name = rel->trigdesc->triggers[t].tgname;

		if (il_capture_trigger_firing(name) != 0)
			appendStringInfo(&sql, "DROP TRIGGER IF EXISTS %s ON %s; ",
							 name, qrel);
	}
	table_close(rel, AccessShareLock);
	if (sql.len > 0)
		il_capture_run_ddl(sql.data);
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
	ListCell   *lc;

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
		/* triggers made by an older build fire otherwise, or are missing */
		install_triggers(base);
		foreach(lc, il_catalog_partitions(base))
			install_triggers(lfirst_oid(lc));
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

		/* ALTER TABLE (to make them fire as they must) wants it closed */
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
