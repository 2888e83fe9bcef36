/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  Background maintenance: a launcher that starts one worker per
 *	  database, and the worker loop that applies each view when it is due.
 *
 * The launcher (registered in _PG_init when the library is preloaded,
 * started once recovery has finished, so never on a standby) connects to
 * no database, lists pg_database every incrload.launcher_naptime and
 * starts a dynamic worker for each connectable database that has none.
 * A worker whose database lacks the extension exits at once, quietly; the
 * next round tries again, which is how a CREATE EXTENSION after start-up
 * is noticed within a few seconds.
 *
 * A worker applies each due view in its own transaction (READ COMMITTED:
 * the apply takes its snapshot after its lock), as the view's owner (the
 * apply switches).  It first asks cheaply whether anything is pending; a
 * view with nothing to do costs a count, not a write.  An error in one
 * view is caught, logged, recorded in incrload.view and retried with
 * exponential backoff capped by incrload.max_retry_delay; it never stops
 * the other views.  The worker also deletes delta rows every consuming
 * view has applied (garbage collection).
 *
 * IDENTIFICATION
 *	  src/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "apply.h"
#include "catalog.h"
#include "guc.h"
#include "incrload.h"
#include "worker.h"

#define INCRLOAD_MAX_SLOTS 64

/* Shared state: which worker serves which database, to wake it. */
typedef struct WorkerSlot
{
	Oid			dboid;
	pid_t		pid;
	Latch	   *latch;
} WorkerSlot;

typedef struct IncrloadShared
{
	slock_t		mutex;
	WorkerSlot	slots[INCRLOAD_MAX_SLOTS];
} IncrloadShared;

/* A worker's schedule of one view, kept in the worker's memory. */
typedef struct ViewSchedule
{
	Oid			view;			/* hash key */
	TimestampTz next_due;
	bool		seen;
} ViewSchedule;

static IncrloadShared *shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;

static void shmem_request(void);
static void attach_shmem(void);
static void worker_detach(int code, Datum arg);
static bool extension_exists(void);
static TimestampTz schedule_views(HTAB *schedule, List **due);
static void apply_one(Oid view, MemoryContext workcxt);
static void record_failure(Oid view, const char *message);
static void collect_garbage(void);

void
il_worker_register_launcher(void)
{
	BackgroundWorker worker;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = shmem_request;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS |
		BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 10;
	strlcpy(worker.bgw_library_name, "incrload", sizeof(worker.bgw_library_name));
	strlcpy(worker.bgw_function_name, "incrload_launcher_main",
			sizeof(worker.bgw_function_name));
	strlcpy(worker.bgw_name, "incrload launcher", sizeof(worker.bgw_name));
	strlcpy(worker.bgw_type, "incrload launcher", sizeof(worker.bgw_type));
	RegisterBackgroundWorker(&worker);
}

static void
shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(IncrloadShared)));
}

static void
attach_shmem(void)
{
	bool		found;

	if (shared != NULL)
		return;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("incrload", sizeof(IncrloadShared), &found);
	if (!found)
	{
		memset(shared, 0, sizeof(IncrloadShared));
		SpinLockInit(&shared->mutex);
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * Wake this database's worker, so that a registration, pause or resume
 * takes effect now rather than at its next look.
 */
void
il_incrload_wake_workers(void)
{
	if (!incrload_preloaded)
		return;
	attach_shmem();
	SpinLockAcquire(&shared->mutex);
	for (int i = 0; i < INCRLOAD_MAX_SLOTS; i++)
		if (shared->slots[i].dboid == MyDatabaseId && shared->slots[i].latch)
			SetLatch(shared->slots[i].latch);
	SpinLockRelease(&shared->mutex);
}

static void
worker_detach(int code, Datum arg)
{
	SpinLockAcquire(&shared->mutex);
	for (int i = 0; i < INCRLOAD_MAX_SLOTS; i++)
		if (shared->slots[i].pid == MyProcPid)
			memset(&shared->slots[i], 0, sizeof(WorkerSlot));
	SpinLockRelease(&shared->mutex);
}

/* A worker the launcher started, and for which database. */
typedef struct LaunchedWorker
{
	Oid			dboid;
	BackgroundWorkerHandle *handle;
} LaunchedWorker;

void
incrload_launcher_main(Datum main_arg)
{
	MemoryContext loopcxt;
	List	   *launched = NIL;	/* LaunchedWorker *, in TopMemoryContext */

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	attach_shmem();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	loopcxt = AllocSetContextCreate(TopMemoryContext, "incrload launcher loop",
									ALLOCSET_DEFAULT_SIZES);
	ereport(LOG, errmsg("incrload launcher started"));

	for (;;)
	{
		List	   *dbs = NIL;
		List	   *alive = NIL;
		ListCell   *lc;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		MemoryContextReset(loopcxt);

		/*
		 * Forget workers that have exited (a database without the
		 * extension, a dropped database, an error): the next round starts
		 * them again where they are still wanted.
		 */
		foreach(lc, launched)
		{
			LaunchedWorker *w = lfirst(lc);
			pid_t		pid;

			if (GetBackgroundWorkerPid(w->handle, &pid) == BGWH_STOPPED)
			{
				pfree(w->handle);
				pfree(w);
			}
			else
				alive = lappend(alive, w);
		}
		list_free(launched);
		launched = alive;

		if (incrload_enabled)
		{
			Relation	rel;
			TableScanDesc scan;
			HeapTuple	tup;
			MemoryContext old;

			StartTransactionCommand();
			(void) GetTransactionSnapshot();
			rel = table_open(DatabaseRelationId, AccessShareLock);
			scan = table_beginscan_catalog(rel, 0, NULL);
			while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
			{
				Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

				if (db->datallowconn && !db->datistemplate)
				{
					old = MemoryContextSwitchTo(loopcxt);
					dbs = lappend_oid(dbs, db->oid);
					MemoryContextSwitchTo(old);
				}
			}
			table_endscan(scan);
			table_close(rel, AccessShareLock);
			CommitTransactionCommand();

			foreach(lc, dbs)
			{
				Oid			dboid = lfirst_oid(lc);
				BackgroundWorker worker;
				BackgroundWorkerHandle *handle;
				LaunchedWorker *w;
				ListCell   *lc2;
				bool		running = false;

				foreach(lc2, launched)
					running |= ((LaunchedWorker *) lfirst(lc2))->dboid == dboid;
				if (running || list_length(launched) >= incrload_max_workers)
					continue;

				memset(&worker, 0, sizeof(worker));
				worker.bgw_flags = BGWORKER_SHMEM_ACCESS |
					BGWORKER_BACKEND_DATABASE_CONNECTION;
				worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
				worker.bgw_restart_time = BGW_NEVER_RESTART;
				strlcpy(worker.bgw_library_name, "incrload",
						sizeof(worker.bgw_library_name));
				strlcpy(worker.bgw_function_name, "incrload_worker_main",
						sizeof(worker.bgw_function_name));
				snprintf(worker.bgw_name, BGW_MAXLEN, "incrload worker %u", dboid);
				strlcpy(worker.bgw_type, "incrload worker", sizeof(worker.bgw_type));
				worker.bgw_main_arg = ObjectIdGetDatum(dboid);
				worker.bgw_notify_pid = MyProcPid;
				if (!RegisterDynamicBackgroundWorker(&worker, &handle))
				{
					ereport(WARNING,
							errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
							errmsg("could not start an incrload worker for database %u", dboid),
							errhint("Raise max_worker_processes."));
					break;
				}
				old = MemoryContextSwitchTo(TopMemoryContext);
				w = palloc(sizeof(LaunchedWorker));
				w->dboid = dboid;
				w->handle = handle;
				launched = lappend(launched, w);
				MemoryContextSwitchTo(old);
			}
		}

		pgstat_report_stat(true);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 incrload_launcher_naptime, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

static bool
extension_exists(void)
{
	return OidIsValid(get_extension_oid("incrload", true)) &&
		OidIsValid(get_namespace_oid(INCRLOAD_SCHEMA, true));
}

/*
 * Read the views; return those due now in *due, and the time the next one
 * falls due.  Backoff of a failing view: refresh_interval doubled per
 * consecutive failure, capped by incrload.max_retry_delay.
 */
static TimestampTz
schedule_views(HTAB *schedule, List **due)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz next = now + (TimestampTz) incrload_naptime * 1000;
	HASH_SEQ_STATUS status;
	ViewSchedule *s;
	int			ret;

	*due = NIL;
	hash_seq_init(&status, schedule);
	while ((s = hash_seq_search(&status)) != NULL)
		s->seen = false;

	ret = SPI_execute("SELECT view_name, state, "
					  "(EXTRACT(epoch FROM refresh_interval) * 1000)::pg_catalog.int8, "
					  "consecutive_failures FROM incrload.view", true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read incrload.view");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Oid			view = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		char	   *state = SPI_getvalue(tup, desc, 2);
		int64		interval_ms = DatumGetInt64(SPI_getbinval(tup, desc, 3, &isnull));
		int32		failures = DatumGetInt32(SPI_getbinval(tup, desc, 4, &isnull));
		bool		found;
		MemoryContext old;

		s = hash_search(schedule, &view, HASH_ENTER, &found);
		if (!found)
			s->next_due = now;
		s->seen = true;
		if (strcmp(state, "paused") == 0)
			continue;
		if (s->next_due <= now)
		{
			old = MemoryContextSwitchTo(TopMemoryContext);
			*due = lappend_oid(*due, view);
			MemoryContextSwitchTo(old);
			if (failures > 0)
			{
				int64		delay = interval_ms;

				for (int k = 0; k < failures && delay < incrload_max_retry_delay; k++)
					delay *= 2;
				interval_ms = Min(delay, (int64) incrload_max_retry_delay);
			}
			s->next_due = now + interval_ms * 1000;
		}
		if (s->next_due < next)
			next = s->next_due;
	}

	/* forget unregistered views */
	hash_seq_init(&status, schedule);
	while ((s = hash_seq_search(&status)) != NULL)
		if (!s->seen)
			hash_search(schedule, &s->view, HASH_REMOVE, NULL);
	return next;
}

static void
record_failure(Oid view, const char *message)
{
	Oid			argtypes[2] = {REGCLASSOID, TEXTOID};
	Datum		values[2] = {ObjectIdGetDatum(view), CStringGetTextDatum(message)};

	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	(void) SPI_execute_with_args("UPDATE incrload.view SET failures = failures OPERATOR(pg_catalog.+) 1, "
								 "consecutive_failures = consecutive_failures OPERATOR(pg_catalog.+) 1, "
								 "last_error = $2, last_attempt = pg_catalog.clock_timestamp(), "
								 "state = CASE WHEN state OPERATOR(pg_catalog.=) 'paused' THEN state ELSE 'failing' END "
								 "WHERE view_name OPERATOR(pg_catalog.=) $1",
								 2, argtypes, values, NULL, false, 0);
	PopActiveSnapshot();
	SPI_finish();
	CommitTransactionCommand();
}

/*
 * One view, one transaction.  Errors are caught here, as autovacuum does
 * per table: report, abort, record, go on.
 */
static void
apply_one(Oid view, MemoryContext workcxt)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ErrorData  *edata = NULL;

	PG_TRY();
	{
		int64		pending;
		TimestampTz oldest;
		IncrloadView row;
		bool		needs_work;

		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		SPI_connect();
		needs_work = il_catalog_read_view(view, false, &row);
		if (needs_work)
		{
			pending = il_apply_pending(view, &oldest);
			needs_work = pending > 0 || row.full_mode || !row.has_watermark ||
				row.watermark_foreign ||
				strcmp(row.state, "needs_full_refresh") == 0 ||
				strcmp(row.state, "failing") == 0;
		}
		SPI_finish();
		PopActiveSnapshot();
		if (needs_work)
		{
			IncrloadApplyResult result;

			pgstat_report_activity(STATE_RUNNING,
									psprintf("incrload: applying view %s",
											 get_rel_name(view)));
			/* SPI wants an outer snapshot; the apply takes its own */
			PushActiveSnapshot(GetTransactionSnapshot());
			il_apply_view(view, IL_APPLY_INCREMENTAL, &result);
			PopActiveSnapshot();
		}
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(workcxt);
		edata = CopyErrorData();
		EmitErrorReport();
		AbortOutOfAnyTransaction();
		FlushErrorState();
		RESUME_INTERRUPTS();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	pgstat_report_activity(STATE_IDLE, NULL);
	if (edata != NULL)
		record_failure(view, edata->message);
}

/*
 * Delete delta rows that every view reading the table has applied: those
 * of transactions older than the oldest watermark's xmin.
 */
static void
collect_garbage(void)
{
	int			ret;
	SPITupleTable *tt;
	uint64		n;

	ret = SPI_execute("SELECT d.delta_table::pg_catalog.oid, "
					  "pg_catalog.min(pg_catalog.pg_snapshot_xmin(v.watermark)) "
					  "FROM incrload.delta d "
					  "JOIN incrload.view_base b ON b.base_table OPERATOR(pg_catalog.=) d.base_table "
					  "JOIN incrload.view v ON v.view_name OPERATOR(pg_catalog.=) b.view_name "
					  "GROUP BY d.delta_table "
					  "HAVING pg_catalog.bool_and(v.watermark IS NOT NULL "
					  "AND v.watermark_system OPERATOR(pg_catalog.=) "
					  "(SELECT system_identifier FROM pg_catalog.pg_control_system()))",
					  true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not compute incrload garbage horizon");
	tt = SPI_tuptable;
	n = SPI_processed;
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;
		Oid			delta = DatumGetObjectId(SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull));
		Datum		horizon = SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &isnull);
		Oid			argtypes[1] = {XID8OID};
		char	   *relname = get_rel_name(delta);

		if (isnull || relname == NULL)
			continue;
		ret = SPI_execute_with_args(psprintf("DELETE FROM %s WHERE %s OPERATOR(pg_catalog.<) $1",
											 quote_qualified_identifier(INCRLOAD_SCHEMA, relname),
											 "__incrload_xid"),
									1, argtypes, &horizon, NULL, false, 0);
		if (ret != SPI_OK_DELETE)
			elog(ERROR, "could not delete applied delta rows");
	}
}

void
incrload_worker_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);
	MemoryContext loopcxt;
	MemoryContext workcxt;
	HTAB	   *schedule;
	HASHCTL		ctl;
	TimestampTz last_gc = 0;
	char	   *dbname;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	attach_shmem();

	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);

	StartTransactionCommand();
	if (!extension_exists())
	{
		CommitTransactionCommand();
		/* the launcher frees our slot when it sees we are gone */
		proc_exit(0);
	}
	dbname = MemoryContextStrdup(TopMemoryContext, get_database_name(dboid));
	CommitTransactionCommand();

	SpinLockAcquire(&shared->mutex);
	for (int i = 0; i < INCRLOAD_MAX_SLOTS; i++)
		if (shared->slots[i].pid == 0)
		{
			shared->slots[i].dboid = dboid;
			shared->slots[i].pid = MyProcPid;
			shared->slots[i].latch = MyLatch;
			break;
		}
	SpinLockRelease(&shared->mutex);
	on_shmem_exit(worker_detach, (Datum) 0);

	/* the apply is built for READ COMMITTED: its snapshot follows its lock */
	SetConfigOption("default_transaction_isolation", "read committed",
					PGC_SUSET, PGC_S_OVERRIDE);
	ereport(LOG, errmsg("incrload worker started for database \"%s\"", dbname));

	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(ViewSchedule);
	schedule = hash_create("incrload schedule", 64, &ctl, HASH_ELEM | HASH_BLOBS);
	loopcxt = AllocSetContextCreate(TopMemoryContext, "incrload worker loop",
									ALLOCSET_DEFAULT_SIZES);
	workcxt = AllocSetContextCreate(TopMemoryContext, "incrload worker errors",
									ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		List	   *due = NIL;
		TimestampTz next;
		ListCell   *lc;
		long		sleep_ms;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		MemoryContextReset(loopcxt);
		MemoryContextReset(workcxt);
		MemoryContextSwitchTo(loopcxt);

		next = GetCurrentTimestamp() + (TimestampTz) incrload_naptime * 1000;
		if (incrload_enabled && !RecoveryInProgress())
		{
			StartTransactionCommand();
			if (!extension_exists())
			{
				CommitTransactionCommand();
				ereport(LOG, errmsg("incrload worker for database \"%s\" exits: the extension was dropped",
									dbname));
				proc_exit(0);
			}
			SPI_connect();
			PushActiveSnapshot(GetTransactionSnapshot());
			next = schedule_views(schedule, &due);
			PopActiveSnapshot();
			SPI_finish();
			CommitTransactionCommand();
			MemoryContextSwitchTo(loopcxt);

			foreach(lc, due)
			{
				CHECK_FOR_INTERRUPTS();
				apply_one(lfirst_oid(lc), workcxt);
				MemoryContextSwitchTo(loopcxt);
			}
			list_free(due);

			if (TimestampDifferenceExceeds(last_gc, GetCurrentTimestamp(), 10000))
			{
				PG_TRY();
				{
					StartTransactionCommand();
					SPI_connect();
					PushActiveSnapshot(GetTransactionSnapshot());
					collect_garbage();
					PopActiveSnapshot();
					SPI_finish();
					CommitTransactionCommand();
				}
				PG_CATCH();
				{
					HOLD_INTERRUPTS();
					EmitErrorReport();
					AbortOutOfAnyTransaction();
					FlushErrorState();
					RESUME_INTERRUPTS();
				}
				PG_END_TRY();
				MemoryContextSwitchTo(loopcxt);
				last_gc = GetCurrentTimestamp();
			}
		}

		pgstat_report_stat(true);
		sleep_ms = (long) ((next - GetCurrentTimestamp()) / 1000);
		if (sleep_ms < 10)
			sleep_ms = 10;
		if (sleep_ms > incrload_naptime)
			sleep_ms = incrload_naptime;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 sleep_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
