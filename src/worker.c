/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  Background maintenance: a launcher that starts one worker per
 *	  database, the worker loop that applies each view when it is due, and
 *	  the utility hook that keeps workers out of a database that DROP,
 *	  RENAME, SET TABLESPACE or CREATE DATABASE ... TEMPLATE needs alone.
 *
 * The launcher (registered in _PG_init when the library is preloaded,
 * started once recovery has finished, so never on a standby) connects to
 * no database.  Every incrload.launcher_naptime, and whenever a worker
 * exits or a CREATE EXTENSION, CREATE DATABASE or ALTER DATABASE commits,
 * it lists pg_database and starts a dynamic worker for each connectable
 * database that has none, at most once a second per database (a worker
 * that fails at once must not spin).  Which worker serves which database lives in
 * shared memory (WorkerSlot), so a restarted launcher adopts the workers
 * of the one before it instead of starting a second worker per database.
 *
 * A worker whose database lacks the extension records so in shared
 * memory (AbsentDb) and exits; the launcher then leaves that database
 * alone until a CREATE EXTENSION incrload commits somewhere, which bumps
 * a generation number and wakes the launcher.  A new extension is thus
 * found at once, and a database without it costs one probe, not one
 * process per naptime.
 *
 * A worker applies each due view in its own transaction (READ COMMITTED:
 * the apply takes its snapshot after its lock), as the view's owner (the
 * apply switches).  It first asks cheaply, taking no lock that could wait
 * and writing nothing, whether anything is pending.  Locks held by others
 * (a user's incrload_refresh in an open transaction, LOCK TABLE, ALTER
 * TABLE) make it skip the view until its next turn rather than wait: one
 * stuck view must not stall the others.  An error in one view is caught,
 * logged, recorded in incrload.view and retried with exponential backoff
 * (refresh_interval doubled per consecutive failure, capped by
 * incrload.max_retry_delay).  Every incrload.gc_interval the worker also
 * deletes delta rows every consuming view has applied.
 *
 * DROP DATABASE and friends refuse to run while other sessions are
 * connected; PostgreSQL itself only sends autovacuum workers away
 * (CountOtherDBBackends).  Our hook does the same for ours: before the
 * statement it marks the database blocked (the launcher starts nothing
 * there, a starting worker leaves), sends SIGTERM to its worker and waits
 * for it to be gone; after the statement, whatever its outcome, it lifts
 * the block and wakes the launcher.
 *
 * IDENTIFICATION
 *	  src/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "apply.h"
#include "catalog.h"
#include "compat.h"
#include "guc.h"
#include "history.h"
#include "incrload.h"
#include "worker.h"

#define INCRLOAD_MAX_SLOTS 64	/* the largest incrload.max_workers */
#define INCRLOAD_MAX_ABSENT 256 /* databases remembered without the extension */
#define INCRLOAD_MAX_BLOCKS 32	/* concurrent DROP/RENAME/... statements */
#define INCRLOAD_RESTART_DELAY_MS 1000	/* between two starts for one database */
#define INCRLOAD_LEAVE_TIMEOUT_MS 10000 /* how long the hook waits for a worker */
#define INCRLOAD_ORPHAN_START_MS 60000	/* a slot whose worker never attached */

/* One worker, serving one database.  The launcher allocates it. */
typedef struct WorkerSlot
{
	bool		in_use;
	uint32		generation;		/* bumped at each allocation */
	Oid			dboid;
	pid_t		pid;			/* 0 until the worker has attached */
	Latch	   *latch;			/* set once the worker is connected */
	TimestampTz launched;
} WorkerSlot;

/* A database a worker found without the extension. */
typedef struct AbsentDb
{
	Oid			dboid;			/* InvalidOid: free entry */
	uint64		ext_generation; /* valid while this is the current one */
} AbsentDb;

/* A database that a running statement needs without our worker. */
typedef struct BlockedDb
{
	Oid			dboid;			/* InvalidOid: free entry */
	pid_t		by;				/* the backend running the statement */
} BlockedDb;

typedef struct IncrloadShared
{
	slock_t		mutex;
	Latch	   *launcher_latch;
	uint64		ext_generation; /* bumped by each CREATE EXTENSION incrload */
	WorkerSlot	slots[INCRLOAD_MAX_SLOTS];
	AbsentDb	absent[INCRLOAD_MAX_ABSENT];
	BlockedDb	blocked[INCRLOAD_MAX_BLOCKS];
} IncrloadShared;

/* What the launcher passes a worker in bgw_extra. */
typedef struct WorkerArgs
{
	int			slot;
	uint32		generation;
} WorkerArgs;

/* A worker's schedule of one view, kept in the worker's memory. */
typedef struct ViewSchedule
{
	Oid			view;			/* hash key */
	TimestampTz next_due;
	int64		interval_ms;
	int32		failures;		/* consecutive failures, as last read */
	bool		seen;
	bool		repair;			/* repair drift a scheduled verify finds */
} ViewSchedule;

/* What one look at a view came to. */
typedef enum ApplyOutcome
{
	APPLY_IDLE,					/* nothing to do */
	APPLY_DONE,					/* applied */
	APPLY_SKIPPED,				/* someone else holds a lock it needs */
	APPLY_FAILED				/* an error, recorded */
} ApplyOutcome;

/* The launcher's memory of when it last started a worker per database. */
typedef struct LaunchTime
{
	Oid			dboid;			/* hash key */
	TimestampTz started;
	bool		seen;
} LaunchTime;

static IncrloadShared *shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static ProcessUtility_hook_type prev_utility_hook = NULL;

/* worker: its slot */
static int	my_slot = -1;
static uint32 my_generation = 0;

/*
 * worker: its fixed catalog statements, prepared once and kept (a plan
 * revalidates itself when the catalog is dropped and created again)
 */
typedef enum WorkerStmt
{
	WSTMT_SCHEDULE,
	WSTMT_LOCK_VIEW,
	WSTMT_RECORD_FAILURE,
	WSTMT_GC_HORIZONS,
	NUM_WORKER_STMTS
} WorkerStmt;

static const char *const worker_sql[NUM_WORKER_STMTS] = {
	[WSTMT_SCHEDULE] =
	"SELECT view_name, state, "
	"(EXTRACT(epoch FROM refresh_interval) OPERATOR(pg_catalog.*) 1000)::pg_catalog.int8, "
	"consecutive_failures, "
	"(EXTRACT(epoch FROM (COALESCE(last_verify, created) OPERATOR(pg_catalog.+) verify_interval "
	"OPERATOR(pg_catalog.-) pg_catalog.clock_timestamp())) OPERATOR(pg_catalog.*) 1000)::pg_catalog.int8, "
	"repair FROM incrload.view v "
	"JOIN incrload.apply_order o USING (view_name) ORDER BY o.depth, v.view_name",
	/* a row lock held by a user's incrload_refresh: skip, don't wait */
	[WSTMT_LOCK_VIEW] =
	"SELECT 1 FROM incrload.view WHERE view_name OPERATOR(pg_catalog.=) $1 "
	"FOR UPDATE SKIP LOCKED",
	[WSTMT_RECORD_FAILURE] =
	"UPDATE incrload.view SET failures = failures OPERATOR(pg_catalog.+) 1, "
	"consecutive_failures = consecutive_failures OPERATOR(pg_catalog.+) 1, "
	"last_error = $2, last_attempt = pg_catalog.clock_timestamp(), "
	"state = CASE WHEN state OPERATOR(pg_catalog.=) ANY ('{paused,needs_full_refresh}'::pg_catalog.text[]) "
	"THEN state ELSE $3 END "
	"WHERE view_name OPERATOR(pg_catalog.=) $1",
	[WSTMT_GC_HORIZONS] =
	"SELECT d.delta_table::pg_catalog.oid, "
	"pg_catalog.min(pg_catalog.pg_snapshot_xmin(v.watermark)) "
	"FROM incrload.delta d "
	"JOIN incrload.view_base b ON b.base_table OPERATOR(pg_catalog.=) d.base_table "
	"JOIN incrload.view v ON v.view_name OPERATOR(pg_catalog.=) b.view_name "
	"GROUP BY d.delta_table "
	"HAVING pg_catalog.bool_and(v.watermark IS NOT NULL "
	"AND v.watermark_system OPERATOR(pg_catalog.=) "
	"(SELECT system_identifier FROM pg_catalog.pg_control_system()))",
};

static SPIPlanPtr worker_plans[NUM_WORKER_STMTS];

/* any backend: wake-ups to send when the transaction commits */
static bool xact_callback_registered = false;
static bool wake_launcher_at_commit = false;
static bool new_extension_at_commit = false;
static bool wake_workers_at_commit = false;
static bool blocks_cleanup_registered = false;

static void shmem_request(void);
static void attach_shmem(void);
static void launcher_detach(int code, Datum arg);
static void worker_detach(int code, Datum arg);
static bool worker_attach(int slot, uint32 generation, Oid dboid);
static bool database_blocked(Oid dboid);
static void record_absent(Oid dboid, uint64 generation);
static uint64 current_ext_generation(void);
static List *list_databases(MemoryContext cxt);
static void reap_slots(BackgroundWorkerHandle **handles, uint32 *handle_gen);
static void stop_unwanted(List *dbs);
static TimestampTz start_workers(List *dbs, HTAB *launch_times,
								 BackgroundWorkerHandle **handles,
								 uint32 *handle_gen);
static bool extension_exists(void);
static int	run_worker_stmt(WorkerStmt stmt, int nargs, Oid *argtypes,
							Datum *values, bool read_only);
static TimestampTz schedule_views(HTAB *schedule, List **due, List **verify);
static void verify_one(Oid view, bool repair, MemoryContext workcxt);
static void flush_history(bool prune, MemoryContext workcxt);
static int64 retry_delay(int64 interval_ms, int32 failures);
static bool lock_for_apply(Oid view, IncrloadView *row, bool for_write);
static ApplyOutcome apply_one(Oid view, MemoryContext workcxt);
static void record_failure(Oid view, ErrorData *edata, MemoryContext workcxt);
static bool collect_garbage(MemoryContext workcxt);
static void view_error_callback(void *arg);
static void at_commit(XactEvent event, void *arg);
static void register_xact_callback(void);
static const char *database_needed_alone(Node *stmt);
static void keep_workers_out(Oid dboid);
static void let_workers_in(void);
static void release_blocks(int code, Datum arg);
static void utility_hook(PlannedStmt *pstmt, const char *queryString,
						 bool readOnlyTree, ProcessUtilityContext context,
						 ParamListInfo params, QueryEnvironment *queryEnv,
						 DestReceiver *dest, QueryCompletion *qc);

/*
 * Called from _PG_init while the library is being preloaded: the
 * launcher, its shared memory, and the utility hook that every backend
 * inherits from the postmaster.
 */
void
il_worker_register_launcher(void)
{
	BackgroundWorker worker;

	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = shmem_request;
	prev_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = utility_hook;

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
 * Wake this database's worker when the current transaction commits, so
 * that a registration, pause or resume takes effect now rather than at
 * its next look (before commit it would not see the change).
 */
void
il_incrload_wake_workers(void)
{
	if (!incrload_preloaded)
		return;
	attach_shmem();
	register_xact_callback();
	wake_workers_at_commit = true;
}

static void
register_xact_callback(void)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(at_commit, NULL);
		xact_callback_registered = true;
	}
}

/*
 * Only a spinlock and latches here: nothing that can fail after commit.
 * A latch read under the spinlock may belong to a process that exits
 * meanwhile; setting it then wakes whoever uses that PGPROC next, which
 * is harmless.
 */
static void
at_commit(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
	{
		if ((wake_launcher_at_commit || wake_workers_at_commit) && shared != NULL)
		{
			Latch	   *latches[INCRLOAD_MAX_SLOTS + 1];
			int			n = 0;

			SpinLockAcquire(&shared->mutex);
			if (new_extension_at_commit)
				shared->ext_generation++;
			if (wake_launcher_at_commit && shared->launcher_latch)
				latches[n++] = shared->launcher_latch;
			if (wake_workers_at_commit)
			{
				for (int i = 0; i < INCRLOAD_MAX_SLOTS; i++)
					if (shared->slots[i].in_use &&
						shared->slots[i].dboid == MyDatabaseId &&
						shared->slots[i].latch)
						latches[n++] = shared->slots[i].latch;
			}
			SpinLockRelease(&shared->mutex);
			for (int i = 0; i < n; i++)
				SetLatch(latches[i]);
		}
		wake_launcher_at_commit = false;
		new_extension_at_commit = false;
		wake_workers_at_commit = false;
	}
	else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT ||
			 event == XACT_EVENT_PREPARE)
	{
		wake_launcher_at_commit = false;
		new_extension_at_commit = false;
		wake_workers_at_commit = false;
	}
}

/* ------------------------------------------------------------------------
 * Shared state of workers and databases
 * ------------------------------------------------------------------------
 */

static uint64
current_ext_generation(void)
{
	uint64		gen;

	SpinLockAcquire(&shared->mutex);
	gen = shared->ext_generation;
	SpinLockRelease(&shared->mutex);
	return gen;
}

static bool
database_blocked(Oid dboid)
{
	bool		blocked = false;

	SpinLockAcquire(&shared->mutex);
	for (int i = 0; i < INCRLOAD_MAX_BLOCKS; i++)
		if (shared->blocked[i].dboid == dboid)
			blocked = true;
	SpinLockRelease(&shared->mutex);
	return blocked;
}

/*
 * Remember that dboid had no extension when the generation was
 * "generation".  With no room left it is simply probed again later.
 */
static void
record_absent(Oid dboid, uint64 generation)
{
	int			free_entry = -1;

	SpinLockAcquire(&shared->mutex);
	for (int i = 0; i < INCRLOAD_MAX_ABSENT; i++)
	{
		AbsentDb   *a = &shared->absent[i];

		if (a->dboid == dboid)
		{
			free_entry = i;
			break;
		}
		if (free_entry < 0 &&
			(a->dboid == InvalidOid || a->ext_generation != shared->ext_generation))
			free_entry = i;
	}
	if (free_entry >= 0)
	{
		shared->absent[free_entry].dboid = dboid;
		shared->absent[free_entry].ext_generation = generation;
	}
	SpinLockRelease(&shared->mutex);
}

/*
 * Claim the slot the launcher made for us.  It may have been reclaimed
 * and reused (we took too long to start): then we are not wanted.
 */
static bool
worker_attach(int slot, uint32 generation, Oid dboid)
{
	bool		ok = false;

	if (slot < 0 || slot >= INCRLOAD_MAX_SLOTS)
		return false;
	SpinLockAcquire(&shared->mutex);
	if (shared->slots[slot].in_use &&
		shared->slots[slot].generation == generation &&
		shared->slots[slot].dboid == dboid &&
		shared->slots[slot].pid == 0)
	{
		shared->slots[slot].pid = MyProcPid;
		ok = true;
	}
	SpinLockRelease(&shared->mutex);
	if (ok)
	{
		my_slot = slot;
		my_generation = generation;
	}
	return ok;
}

/* on_shmem_exit: runs before the process leaves the ProcArray */
static void
worker_detach(int code, Datum arg)
{
	WorkerSlot *s;
	Latch	   *launcher;

	if (my_slot < 0)
		return;
	SpinLockAcquire(&shared->mutex);
	s = &shared->slots[my_slot];
	if (s->in_use && s->generation == my_generation && s->pid == MyProcPid)
	{
		s->in_use = false;
		s->pid = 0;
		s->latch = NULL;
		s->dboid = InvalidOid;
	}
	launcher = shared->launcher_latch;
	SpinLockRelease(&shared->mutex);
	my_slot = -1;
	if (launcher)
		SetLatch(launcher);
}

static void
launcher_detach(int code, Datum arg)
{
	SpinLockAcquire(&shared->mutex);
	if (shared->launcher_latch == MyLatch)
		shared->launcher_latch = NULL;
	SpinLockRelease(&shared->mutex);
}

/* ------------------------------------------------------------------------
 * The launcher
 * ------------------------------------------------------------------------
 */

/* Databases a worker may serve: connectable, not templates, valid. */
static List *
list_databases(MemoryContext cxt)
{
	List	   *dbs = NIL;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		if (db->datallowconn && !db->datistemplate &&
			!database_is_invalid_form(db))
		{
			MemoryContext old = MemoryContextSwitchTo(cxt);

			dbs = lappend_oid(dbs, db->oid);
			MemoryContextSwitchTo(old);
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return dbs;
}

/*
 * Free the slots of workers that never attached: those we started whose
 * process is gone, and orphans of an earlier launcher that never came.
 */
static void
reap_slots(BackgroundWorkerHandle **handles, uint32 *handle_gen)
{
	TimestampTz now = GetCurrentTimestamp();

	for (int i = 0; i < INCRLOAD_MAX_SLOTS; i++)
	{
		bool		stopped = false;
		pid_t		pid;

		if (handles[i] != NULL &&
			GetBackgroundWorkerPid(handles[i], &pid) == BGWH_STOPPED)
			stopped = true;

		SpinLockAcquire(&shared->mutex);
		if (shared->slots[i].in_use && shared->slots[i].pid == 0)
		{
			bool		ours = handles[i] != NULL &&
			handle_gen[i] == shared->slots[i].generation;

			if ((ours && stopped) ||
				(!ours && TimestampDifferenceExceeds(shared->slots[i].launched,
													 now, INCRLOAD_ORPHAN_START_MS)))
			{
				shared->slots[i].in_use = false;
				shared->slots[i].dboid = InvalidOid;
			}
		}
		SpinLockRelease(&shared->mutex);

		if (stopped)
		{
			pfree(handles[i]);
			handles[i] = NULL;
		}
	}
}

/*
 * Workers of databases that are gone, have become templates or refuse
 * connections are told to stop.  Remembered absences of databases that
 * are gone, or from an older generation, are forgotten.
 */
static void
stop_unwanted(List *dbs)
{
	WorkerSlot	slots[INCRLOAD_MAX_SLOTS];
	AbsentDb	absent[INCRLOAD_MAX_ABSENT];
	bool		forget[INCRLOAD_MAX_ABSENT];
	uint64		gen;

	/* a copy, so that the list is searched without holding the spinlock */
	SpinLockAcquire(&shared->mutex);
	memcpy(slots, shared->slots, sizeof(slots));
	memcpy(absent, shared->absent, sizeof(absent));
	gen = shared->ext_generation;
	SpinLockRelease(&shared->mutex);

	for (int i = 0; i < INCRLOAD_MAX_ABSENT; i++)
		forget[i] = absent[i].dboid != InvalidOid &&
			(absent[i].ext_generation != gen ||
			 !list_member_oid(dbs, absent[i].dboid));

	SpinLockAcquire(&shared->mutex);
	for (int i = 0; i < INCRLOAD_MAX_ABSENT; i++)
		if (forget[i] && shared->absent[i].dboid == absent[i].dboid &&
			shared->absent[i].ext_generation == absent[i].ext_generation)
			shared->absent[i].dboid = InvalidOid;
	SpinLockRelease(&shared->mutex);

	/* a worker ends at its next CHECK_FOR_INTERRUPTS (die) */
	for (int i = 0; i < INCRLOAD_MAX_SLOTS; i++)
		if (slots[i].in_use && slots[i].pid != 0 &&
			!list_member_oid(dbs, slots[i].dboid))
			(void) kill(slots[i].pid, SIGTERM);
}

/*
 * One worker for every database that needs one, at most
 * incrload.max_workers at a time and one start per database per
 * INCRLOAD_RESTART_DELAY_MS.  Returns when a database held back by that
 * delay may be tried again (0: none is).
 */
static TimestampTz
start_workers(List *dbs, HTAB *launch_times, BackgroundWorkerHandle **handles,
			  uint32 *handle_gen)
{
	TimestampTz retry = 0;
	static bool warned_full = false;
	TimestampTz now = GetCurrentTimestamp();
	HASH_SEQ_STATUS status;
	LaunchTime *lt;
	ListCell   *lc;
	bool		full = false;

	hash_seq_init(&status, launch_times);
	while ((lt = hash_seq_search(&status)) != NULL)
		lt->seen = false;

	foreach(lc, dbs)
	{
		Oid			dboid = lfirst_oid(lc);
		bool		skip = false;
		int			nused = 0;
		int			slot = -1;
		uint32		generation = 0;
		bool		found;
		BackgroundWorker worker;
		BackgroundWorkerHandle *handle;
		WorkerArgs	args;
		MemoryContext old;
		bool		registered;

		lt = hash_search(launch_times, &dboid, HASH_ENTER, &found);
		if (!found)
			lt->started = 0;
		lt->seen = true;

		SpinLockAcquire(&shared->mutex);
		for (int i = 0; i < INCRLOAD_MAX_SLOTS; i++)
		{
			if (shared->slots[i].in_use)
			{
				nused++;
				if (shared->slots[i].dboid == dboid)
					skip = true;
			}
			else if (slot < 0)
				slot = i;
		}
		for (int i = 0; i < INCRLOAD_MAX_BLOCKS && !skip; i++)
			if (shared->blocked[i].dboid == dboid)
				skip = true;
		for (int i = 0; i < INCRLOAD_MAX_ABSENT && !skip; i++)
			if (shared->absent[i].dboid == dboid &&
				shared->absent[i].ext_generation == shared->ext_generation)
				skip = true;
		if (!skip && lt->started != 0 &&
			!TimestampDifferenceExceeds(lt->started, now, INCRLOAD_RESTART_DELAY_MS))
		{
			TimestampTz at = TimestampTzPlusMilliseconds(lt->started,
														 INCRLOAD_RESTART_DELAY_MS);

			skip = true;
			if (retry == 0 || at < retry)
				retry = at;
		}
		if (!skip && (nused >= incrload_max_workers || slot < 0))
		{
			skip = true;
			full = true;
		}
		if (!skip)
		{
			WorkerSlot *s = &shared->slots[slot];

			s->in_use = true;
			s->generation++;
			s->dboid = dboid;
			s->pid = 0;
			s->latch = NULL;
			s->launched = now;
			generation = s->generation;
		}
		SpinLockRelease(&shared->mutex);
		if (skip)
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
		args.slot = slot;
		args.generation = generation;
		StaticAssertStmt(sizeof(WorkerArgs) <= BGW_EXTRALEN,
						 "WorkerArgs must fit in bgw_extra");
		memcpy(worker.bgw_extra, &args, sizeof(args));
		lt->started = now;
		if (handles[slot] != NULL)
		{
			pfree(handles[slot]);
			handles[slot] = NULL;
		}
		/* the handle is allocated here, and outlives the loop context */
		old = MemoryContextSwitchTo(TopMemoryContext);
		registered = RegisterDynamicBackgroundWorker(&worker, &handle);
		MemoryContextSwitchTo(old);
		if (!registered)
		{
			SpinLockAcquire(&shared->mutex);
			shared->slots[slot].in_use = false;
			shared->slots[slot].dboid = InvalidOid;
			SpinLockRelease(&shared->mutex);
			ereport(WARNING,
					errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
					errmsg("could not start an incrload worker for database %u", dboid),
					errhint("Raise max_worker_processes."));
			break;
		}
		handles[slot] = handle;
		handle_gen[slot] = generation;
	}

	if (full && !warned_full)
		ereport(WARNING,
				errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				errmsg("incrload.max_workers (%d) databases are served already; others wait",
					   incrload_max_workers),
				errhint("Raise incrload.max_workers and max_worker_processes."));
	warned_full = full;

	/* forget dropped databases */
	hash_seq_init(&status, launch_times);
	while ((lt = hash_seq_search(&status)) != NULL)
		if (!lt->seen)
			hash_search(launch_times, &lt->dboid, HASH_REMOVE, NULL);
	return retry;
}

void
incrload_launcher_main(Datum main_arg)
{
	MemoryContext loopcxt;
	HTAB	   *launch_times;
	HASHCTL		ctl;
	BackgroundWorkerHandle *handles[INCRLOAD_MAX_SLOTS];
	uint32		handle_gen[INCRLOAD_MAX_SLOTS];

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	attach_shmem();

	SpinLockAcquire(&shared->mutex);
	shared->launcher_latch = MyLatch;
	SpinLockRelease(&shared->mutex);
	on_shmem_exit(launcher_detach, (Datum) 0);

	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	loopcxt = AllocSetContextCreate(TopMemoryContext, "incrload launcher loop",
									ALLOCSET_DEFAULT_SIZES);
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(LaunchTime);
	launch_times = hash_create("incrload launch times", 64, &ctl,
							   HASH_ELEM | HASH_BLOBS);
	memset(handles, 0, sizeof(handles));
	memset(handle_gen, 0, sizeof(handle_gen));
	ereport(LOG, errmsg("incrload launcher started"));

	for (;;)
	{
		List	   *dbs;
		TimestampTz retry = 0;
		long		sleep_ms = incrload_launcher_naptime;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		MemoryContextReset(loopcxt);

		reap_slots(handles, handle_gen);
		dbs = list_databases(loopcxt);
		stop_unwanted(dbs);
		if (incrload_enabled)
			retry = start_workers(dbs, launch_times, handles, handle_gen);
		if (retry != 0)
		{
			long		until = (long) ((retry - GetCurrentTimestamp()) / 1000) + 1;

			sleep_ms = Max(Min(sleep_ms, until), 1);
		}

		pgstat_report_stat(true);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 sleep_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ------------------------------------------------------------------------
 * The worker
 * ------------------------------------------------------------------------
 */

static bool
extension_exists(void)
{
	return OidIsValid(get_extension_oid("incrload", true)) &&
		OidIsValid(get_namespace_oid(INCRLOAD_SCHEMA, true));
}

/* Run one of the worker's statements; the caller checks the result code. */
static int
run_worker_stmt(WorkerStmt stmt, int nargs, Oid *argtypes, Datum *values,
				bool read_only)
{
	if (worker_plans[stmt] == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(worker_sql[stmt], nargs, argtypes);

		if (plan == NULL)
			elog(ERROR, "could not prepare \"%s\": %s", worker_sql[stmt],
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		worker_plans[stmt] = plan;
	}
	return SPI_execute_plan(worker_plans[stmt], values, NULL, read_only, 0);
}

static int64
retry_delay(int64 interval_ms, int32 failures)
{
	int64		delay = Max(interval_ms, 1);

	for (int k = 0; k < failures && delay < incrload_max_retry_delay; k++)
		delay *= 2;
	return Min(delay, (int64) incrload_max_retry_delay);
}

/*
 * Read the views; return those due now in *due (in TopMemoryContext), and
 * the time the next one falls due.  A failing view is due after its
 * backoff: refresh_interval doubled per consecutive failure, capped by
 * incrload.max_retry_delay.
 */
static TimestampTz
schedule_views(HTAB *schedule, List **due, List **verify)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz next = now + (TimestampTz) incrload_naptime * 1000;
	HASH_SEQ_STATUS status;
	ViewSchedule *s;
	int			ret;

	*due = NIL;
	*verify = NIL;
	hash_seq_init(&status, schedule);
	while ((s = hash_seq_search(&status)) != NULL)
		s->seen = false;

	ret = run_worker_stmt(WSTMT_SCHEDULE, 0, NULL, NULL, true);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read incrload.view: %s",
			 SPI_result_code_string(ret));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Oid			view = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		char	   *state = SPI_getvalue(tup, desc, 2);
		int64		interval_ms = DatumGetInt64(SPI_getbinval(tup, desc, 3, &isnull));
		int32		failures = DatumGetInt32(SPI_getbinval(tup, desc, 4, &isnull));
		int64		verify_in_ms;
		bool		verify_on;
		bool		repair;
		bool		found;

		verify_in_ms = DatumGetInt64(SPI_getbinval(tup, desc, 5, &verify_on));
		verify_on = !verify_on;
		repair = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
		if (isnull)
			repair = incrload_verify_repair;

		s = hash_search(schedule, &view, HASH_ENTER, &found);
		if (!found)
			s->next_due = now;
		else if (failures != s->failures)
		{
			/*
			 * Someone else's apply changed the count (a user's refresh that
			 * succeeded or failed): no longer wait for our own backoff.
			 */
			s->next_due = Min(s->next_due,
							  now + retry_delay(interval_ms, failures) * 1000);
		}
		s->interval_ms = interval_ms;
		s->failures = failures;
		s->seen = true;
		s->repair = repair;
		if (strcmp(state, "paused") == 0)
			continue;
		/* scheduled reconciliation: due when its interval has passed */
		if (verify_on)
		{
			if (verify_in_ms <= 0)
			{
				MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

				*verify = lappend_oid(*verify, view);
				MemoryContextSwitchTo(old);
			}
			else if (now + verify_in_ms * 1000 < next)
				next = now + verify_in_ms * 1000;
		}
		if (s->next_due <= now)
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

			*due = lappend_oid(*due, view);
			MemoryContextSwitchTo(old);
		}
		else if (s->next_due < next)
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
view_error_callback(void *arg)
{
	char	   *name = get_rel_name(*(Oid *) arg);

	if (name)
		errcontext("incrload worker looking at view \"%s\"", name);
}

/*
 * Take, without waiting, the locks the apply would wait for: the base and
 * delta tables (to count pending changes), and with for_write the view's
 * catalog row and its storage table.  Returns false when someone else
 * holds one.  Our apply then finds them granted already.
 */
static bool
lock_for_apply(Oid view, IncrloadView *row, bool for_write)
{
	ListCell   *lc;

	foreach(lc, il_catalog_view_bases(view))
	{
		Oid			base = lfirst_oid(lc);
		Oid			delta = il_catalog_delta_for(base);

		if (!ConditionalLockRelationOid(base, AccessShareLock))
			return false;
		if (OidIsValid(delta) && !ConditionalLockRelationOid(delta, AccessShareLock))
			return false;
	}
	if (for_write)
	{
		Oid			argtypes[1] = {REGCLASSOID};
		Datum		values[1] = {ObjectIdGetDatum(view)};
		int			ret;

		ret = run_worker_stmt(WSTMT_LOCK_VIEW, 1, argtypes, values, false);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "could not lock the catalog row of view %u: %s",
				 view, SPI_result_code_string(ret));
		if (SPI_processed == 0)
			return false;
		if (!ConditionalLockRelationOid(row->storage, RowExclusiveLock))
			return false;
	}
	return true;
}

/*
 * One view, one transaction.  Errors are caught here, as autovacuum does
 * per table: report, abort, record, go on.  SIGTERM is not an error here:
 * die makes the next CHECK_FOR_INTERRUPTS exit the process (FATAL).
 */
static ApplyOutcome
apply_one(Oid view, MemoryContext workcxt)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile ApplyOutcome outcome = APPLY_IDLE;
	ErrorData  *edata = NULL;

	PG_TRY();
	{
		ErrorContextCallback errcallback;
		IncrloadView row;
		bool		needs_work = false;
		bool		locked = true;

		errcallback.callback = view_error_callback;
		errcallback.arg = &view;
		errcallback.previous = error_context_stack;
		error_context_stack = &errcallback;

		StartTransactionCommand();
		SPI_connect();
		PushActiveSnapshot(GetTransactionSnapshot());
		if (il_catalog_read_view(view, false, &row))
		{
			locked = lock_for_apply(view, &row, false);
			if (locked)
			{
				TimestampTz oldest;
				int64		pending = il_apply_pending(view, &oldest);

				needs_work = pending > 0 || row.full_mode || !row.has_watermark ||
					row.watermark_foreign ||
					strcmp(row.state, "needs_full_refresh") == 0 ||
					strcmp(row.state, "failing") == 0;
				if (needs_work)
					locked = lock_for_apply(view, &row, true);
			}
		}
		PopActiveSnapshot();
		SPI_finish();
		error_context_stack = errcallback.previous;

		if (!locked)
			outcome = APPLY_SKIPPED;
		else if (needs_work)
		{
			IncrloadApplyResult result;

			pgstat_report_activity(STATE_RUNNING,
									psprintf("incrload: applying view %s",
											 get_rel_name(view)));
			/* SPI wants an outer snapshot; the apply takes its own */
			PushActiveSnapshot(GetTransactionSnapshot());
			il_apply_view(view, IL_APPLY_INCREMENTAL, &result);
			PopActiveSnapshot();
			outcome = APPLY_DONE;
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
	{
		record_failure(view, edata, workcxt);
		return APPLY_FAILED;
	}
	if (outcome == APPLY_SKIPPED)
		elog(DEBUG1, "incrload skips view %u this time: a lock it needs is held", view);
	return outcome;
}

/*
 * Record a failed apply in a new transaction.  A data exception (division
 * by zero, overflow, a bad cast) raised by changes that are in the batch
 * would be raised again by every later batch, since those changes stay in
 * it, even once the row that caused it is gone: the view is marked
 * needs_full_refresh, so that its next apply recomputes it from the base
 * tables instead.  needs_full_refresh and paused stay as they are; any
 * other state becomes failing.  A failure to record (the extension being
 * dropped under us) is logged, not fatal.
 */
static void
record_failure(Oid view, ErrorData *edata, MemoryContext workcxt)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	bool		data_error = ERRCODE_TO_CATEGORY(edata->sqlerrcode) ==
		ERRCODE_DATA_EXCEPTION;

	PG_TRY();
	{
		Oid			argtypes[3] = {REGCLASSOID, TEXTOID, TEXTOID};
		Datum		values[3] = {ObjectIdGetDatum(view),
			CStringGetTextDatum(edata->message),
		CStringGetTextDatum(data_error ? "needs_full_refresh" : "failing")};
		int			ret;

		StartTransactionCommand();
		SPI_connect();
		PushActiveSnapshot(GetTransactionSnapshot());
		if (extension_exists())
		{
			ret = run_worker_stmt(WSTMT_RECORD_FAILURE, 3, argtypes, values, false);
			if (ret != SPI_OK_UPDATE)
				elog(ERROR, "could not record the failure of view %u: %s",
					 view, SPI_result_code_string(ret));
		}
		PopActiveSnapshot();
		SPI_finish();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(workcxt);
		EmitErrorReport();
		AbortOutOfAnyTransaction();
		FlushErrorState();
		RESUME_INTERRUPTS();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Scheduled reconciliation of one view: apply what is pending and compare
 * the view with its query in the same snapshot (history and stats record
 * it).  Drift is logged with the view's name and counts and, where the
 * view's repair setting (or incrload.verify_repair) says so, repaired by
 * a full refresh in a transaction of its own.  Neither blocks writers.
 */
static void
verify_one(Oid view, bool repair, MemoryContext workcxt)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	IncrloadApplyResult result;
	volatile bool drift = false;

	PG_TRY();
	{
		char	   *name;

		StartTransactionCommand();
		name = MemoryContextStrdup(workcxt, get_rel_name(view) ? get_rel_name(view) : "?");
		pgstat_report_activity(STATE_RUNNING,
								psprintf("incrload: verifying view %s", name));
		PushActiveSnapshot(GetTransactionSnapshot());
		il_apply_view(view, IL_APPLY_VERIFY, &result);
		PopActiveSnapshot();
		CommitTransactionCommand();
		if (result.missing + result.extra > 0)
		{
			drift = true;
			ereport(WARNING,
					errcode(ERRCODE_DATA_CORRUPTED),
					errmsg("incrload view \"%s\" differs from its query: %lld rows missing, %lld extra",
						   name, (long long) result.missing,
						   (long long) result.extra),
					repair ? errdetail("It is repaired by a full refresh now.") :
					errhint("Repair it with incrload_full_refresh(), or turn repair on with incrload_alter_view(repair => true)."));
		}
		if (drift && repair)
		{
			StartTransactionCommand();
			PushActiveSnapshot(GetTransactionSnapshot());
			il_apply_view(view, IL_APPLY_REPAIR, &result);
			PopActiveSnapshot();
			CommitTransactionCommand();
			ereport(LOG, errmsg("incrload view \"%s\" was repaired", name));
		}
	}
	PG_CATCH();
	{
		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(workcxt);
		EmitErrorReport();
		AbortOutOfAnyTransaction();
		FlushErrorState();
		RESUME_INTERRUPTS();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* The history's queued failures written out; with prune, old rows gone. */
static void
flush_history(bool prune, MemoryContext workcxt)
{
	MemoryContext oldcxt = CurrentMemoryContext;

	PG_TRY();
	{
		StartTransactionCommand();
		SPI_connect();
		PushActiveSnapshot(GetTransactionSnapshot());
		if (extension_exists())
			il_history_flush(prune);
		PopActiveSnapshot();
		SPI_finish();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(workcxt);
		EmitErrorReport();
		AbortOutOfAnyTransaction();
		FlushErrorState();
		RESUME_INTERRUPTS();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Delete delta rows that every view reading the table has applied: those
 * of transactions older than the oldest xmin among the watermarks of the
 * views that read it.  Such a transaction had ended when each of those
 * watermarks was taken, so it is visible in all of them.
 *
 * A registration in progress has taken the snapshot that will be its
 * first watermark, possibly long ago, but its view is not visible to us
 * yet: its changes would be deleted.  It holds RowExclusiveLock on
 * incrload.view from its insert (before that snapshot) to its commit, so
 * the horizon is computed only when ShareLock can be had at once, which
 * proves no such transaction exists; a registration that starts later
 * takes its snapshot after the horizon was computed, and sees every
 * transaction below it as ended.  Returns false when it could not run.
 */
static bool
collect_garbage(MemoryContext workcxt)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile bool done = false;

	PG_TRY();
	{
		Oid			catalog;
		int			ret;
		int			n = 0;
		Oid		   *deltas = NULL;
		Datum	   *horizons = NULL;

		/* 1. the horizons, under the lock */
		StartTransactionCommand();
		SPI_connect();
		catalog = get_relname_relid("view", il_catalog_namespace());
		if (OidIsValid(catalog) && ConditionalLockRelationOid(catalog, ShareLock))
		{
			/* a snapshot taken after the lock */
			PushActiveSnapshot(GetTransactionSnapshot());
			ret = run_worker_stmt(WSTMT_GC_HORIZONS, 0, NULL, NULL, true);
			if (ret != SPI_OK_SELECT)
				elog(ERROR, "could not compute incrload garbage horizon: %s",
					 SPI_result_code_string(ret));
			n = (int) SPI_processed;
			deltas = MemoryContextAlloc(workcxt, sizeof(Oid) * Max(n, 1));
			horizons = MemoryContextAlloc(workcxt, sizeof(Datum) * Max(n, 1));
			for (int i = 0; i < n; i++)
			{
				bool		isnull;

				deltas[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
														   SPI_tuptable->tupdesc, 1, &isnull));
				horizons[i] = SPI_getbinval(SPI_tuptable->vals[i],
											SPI_tuptable->tupdesc, 2, &isnull);
				if (isnull)
					deltas[i] = InvalidOid;
			}
			PopActiveSnapshot();
			done = true;
		}
		SPI_finish();
		CommitTransactionCommand();

		/* 2. the deletes, without holding up registrations and applies */
		if (n > 0)
		{
			StartTransactionCommand();
			SPI_connect();
			PushActiveSnapshot(GetTransactionSnapshot());
			for (int i = 0; i < n; i++)
			{
				Oid			argtypes[1] = {XID8OID};
				char	   *relname;

				if (!OidIsValid(deltas[i]))
					continue;
				relname = get_rel_name(deltas[i]);
				if (relname == NULL)
					continue;
				ret = SPI_execute_with_args(psprintf("DELETE FROM %s WHERE __incrload_xid OPERATOR(pg_catalog.<) $1",
													 quote_qualified_identifier(INCRLOAD_SCHEMA, relname)),
											1, argtypes, &horizons[i], NULL, false, 0);
				if (ret != SPI_OK_DELETE)
					elog(ERROR, "could not delete applied delta rows: %s",
						 SPI_result_code_string(ret));
				CHECK_FOR_INTERRUPTS();
			}
			PopActiveSnapshot();
			SPI_finish();
			CommitTransactionCommand();
		}
	}
	PG_CATCH();
	{
		HOLD_INTERRUPTS();
		MemoryContextSwitchTo(workcxt);
		EmitErrorReport();
		AbortOutOfAnyTransaction();
		FlushErrorState();
		RESUME_INTERRUPTS();
		done = true;			/* retry at the next interval, not at once */
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	return done;
}

void
incrload_worker_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);
	WorkerArgs	args;
	MemoryContext loopcxt;
	MemoryContext workcxt;
	HTAB	   *schedule;
	HASHCTL		ctl;
	TimestampTz last_gc = 0;
	char	   *dbname;
	uint64		gen;
	bool		was_enabled;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	attach_shmem();

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	on_shmem_exit(worker_detach, (Datum) 0);
	if (!worker_attach(args.slot, args.generation, dboid))
		proc_exit(0);

	/* a DROP/RENAME/... of our database is running or starting */
	if (database_blocked(dboid))
		proc_exit(0);
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	if (database_blocked(dboid))
		proc_exit(0);

	/*
	 * The generation is read before the look: a CREATE EXTENSION that our
	 * snapshot misses commits later, so it bumps the generation after
	 * this read and the launcher tries again.
	 */
	gen = current_ext_generation();
	StartTransactionCommand();
	if (!extension_exists())
	{
		CommitTransactionCommand();
		record_absent(dboid, gen);
		proc_exit(0);
	}
	dbname = MemoryContextStrdup(TopMemoryContext, get_database_name(dboid));
	CommitTransactionCommand();

	SpinLockAcquire(&shared->mutex);
	shared->slots[my_slot].latch = MyLatch;
	SpinLockRelease(&shared->mutex);

	/* the apply is built for READ COMMITTED: its snapshot follows its lock */
	SetConfigOption("default_transaction_isolation", "read committed",
					PGC_SUSET, PGC_S_OVERRIDE);
	ereport(LOG, errmsg("incrload worker started for database \"%s\"", dbname));
	was_enabled = incrload_enabled;
	if (!was_enabled)
		ereport(LOG, errmsg("incrload worker for database \"%s\" applies nothing: incrload.enabled is off",
							dbname));

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
		List	   *verify = NIL;
		TimestampTz next;
		ListCell   *lc;
		long		sleep_ms;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (incrload_enabled != was_enabled)
		{
			was_enabled = incrload_enabled;
			if (was_enabled)
				ereport(LOG, errmsg("incrload worker for database \"%s\" resumes: incrload.enabled is on",
									dbname));
			else
				ereport(LOG, errmsg("incrload worker for database \"%s\" applies nothing: incrload.enabled is off",
									dbname));
		}
		MemoryContextReset(loopcxt);
		MemoryContextReset(workcxt);
		MemoryContextSwitchTo(loopcxt);

		next = GetCurrentTimestamp() + (TimestampTz) incrload_naptime * 1000;
		gen = current_ext_generation();
		StartTransactionCommand();
		if (!extension_exists())
		{
			CommitTransactionCommand();
			ereport(LOG, errmsg("incrload worker for database \"%s\" exits: the extension was dropped",
								dbname));
			record_absent(dboid, gen);
			proc_exit(0);
		}
		if (incrload_enabled && !RecoveryInProgress())
		{
			SPI_connect();
			PushActiveSnapshot(GetTransactionSnapshot());
			next = schedule_views(schedule, &due, &verify);
			PopActiveSnapshot();
			SPI_finish();
		}
		CommitTransactionCommand();
		MemoryContextSwitchTo(loopcxt);

		foreach(lc, due)
		{
			Oid			view = lfirst_oid(lc);
			TimestampTz started = GetCurrentTimestamp();
			ApplyOutcome outcome;
			ViewSchedule *s;
			int64		delay_ms;

			CHECK_FOR_INTERRUPTS();
			if (ConfigReloadPending)
			{
				ConfigReloadPending = false;
				ProcessConfigFile(PGC_SIGHUP);
			}
			if (!incrload_enabled)
				break;			/* logged at the top of the loop */
			outcome = apply_one(view, workcxt);
			MemoryContextSwitchTo(loopcxt);

			s = hash_search(schedule, &view, HASH_FIND, NULL);
			if (s == NULL)
				continue;
			if (outcome == APPLY_FAILED)
			{
				s->failures++;
				delay_ms = retry_delay(s->interval_ms, s->failures);
			}
			else
			{
				if (outcome != APPLY_SKIPPED)
					s->failures = 0;
				delay_ms = s->interval_ms;
			}
			s->next_due = started + delay_ms * 1000;
			if (s->next_due < next)
				next = s->next_due;
		}
		list_free(due);

		foreach(lc, verify)
		{
			Oid			view = lfirst_oid(lc);
			ViewSchedule *s = hash_search(schedule, &view, HASH_FIND, NULL);

			CHECK_FOR_INTERRUPTS();
			if (!incrload_enabled || s == NULL)
				break;
			verify_one(view, s->repair, workcxt);
			MemoryContextSwitchTo(loopcxt);
		}
		list_free(verify);

		if (incrload_enabled && !RecoveryInProgress())
		{
			bool		gc = TimestampDifferenceExceeds(last_gc, GetCurrentTimestamp(),
														incrload_gc_interval);

			/* failed attempts other backends queued; old history, with GC */
			flush_history(gc, workcxt);
			MemoryContextSwitchTo(loopcxt);
			if (gc && collect_garbage(workcxt))
				last_gc = GetCurrentTimestamp();
			MemoryContextSwitchTo(loopcxt);
		}

		pgstat_report_stat(true);
		sleep_ms = (long) ((next - GetCurrentTimestamp()) / 1000);
		if (sleep_ms < 1)
			sleep_ms = 1;
		if (sleep_ms > incrload_naptime)
			sleep_ms = incrload_naptime;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 sleep_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ------------------------------------------------------------------------
 * Keeping workers out of databases that must be alone
 * ------------------------------------------------------------------------
 */

/*
 * The database a utility statement needs without other sessions, or NULL:
 * DROP DATABASE, ALTER DATABASE ... RENAME and SET TABLESPACE, and the
 * template of CREATE DATABASE.
 */
static const char *
database_needed_alone(Node *stmt)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_DropdbStmt:
			return ((DropdbStmt *) stmt)->dbname;
		case T_RenameStmt:
			if (((RenameStmt *) stmt)->renameType == OBJECT_DATABASE)
				return ((RenameStmt *) stmt)->subname;
			return NULL;
		case T_CreatedbStmt:
			foreach(lc, ((CreatedbStmt *) stmt)->options)
			{
				DefElem    *def = lfirst(lc);

				if (strcmp(def->defname, "template") == 0 && def->arg != NULL)
					return defGetString(def);
			}
			return NULL;
		case T_AlterDatabaseStmt:
			foreach(lc, ((AlterDatabaseStmt *) stmt)->options)
			{
				DefElem    *def = lfirst(lc);

				if (strcmp(def->defname, "tablespace") == 0)
					return ((AlterDatabaseStmt *) stmt)->dbname;
			}
			return NULL;
		default:
			return NULL;
	}
}

static void
release_blocks(int code, Datum arg)
{
	let_workers_in();
}

/*
 * Block dboid (the launcher starts nothing there; a starting worker
 * leaves), tell its worker to stop, and wait until it has left the
 * ProcArray, where CountOtherDBBackends would find it.
 */
static void
keep_workers_out(Oid dboid)
{
	pid_t		pids[INCRLOAD_MAX_SLOTS];
	int			npids = 0;
	TimestampTz deadline;

	attach_shmem();
	if (!blocks_cleanup_registered)
	{
		/* a FATAL during the statement must not leave the block behind */
		on_shmem_exit(release_blocks, (Datum) 0);
		blocks_cleanup_registered = true;
	}

	SpinLockAcquire(&shared->mutex);
	for (int i = 0; i < INCRLOAD_MAX_BLOCKS; i++)
		if (shared->blocked[i].dboid == InvalidOid)
		{
			shared->blocked[i].dboid = dboid;
			shared->blocked[i].by = MyProcPid;
			break;
		}
	for (int i = 0; i < INCRLOAD_MAX_SLOTS; i++)
		if (shared->slots[i].in_use && shared->slots[i].dboid == dboid &&
			shared->slots[i].pid != 0)
			pids[npids++] = shared->slots[i].pid;
	SpinLockRelease(&shared->mutex);

	for (int i = 0; i < npids; i++)
		(void) kill(pids[i], SIGTERM);

	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
										   INCRLOAD_LEAVE_TIMEOUT_MS);
	for (int i = 0; i < npids; i++)
	{
		for (;;)
		{
			bool		in_slot = false;

			SpinLockAcquire(&shared->mutex);
			for (int k = 0; k < INCRLOAD_MAX_SLOTS; k++)
				if (shared->slots[k].in_use && shared->slots[k].pid == pids[i])
					in_slot = true;
			SpinLockRelease(&shared->mutex);
			if (!in_slot && BackendPidGetProc(pids[i]) == NULL)
				break;
			/* then the statement reports the session that is still there */
			if (GetCurrentTimestamp() >= deadline)
				return;
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 10, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
	}
}

/* Lift this backend's blocks and let the launcher serve those databases. */
static void
let_workers_in(void)
{
	bool		any = false;
	Latch	   *launcher;

	if (shared == NULL)
		return;
	SpinLockAcquire(&shared->mutex);
	for (int i = 0; i < INCRLOAD_MAX_BLOCKS; i++)
		if (shared->blocked[i].dboid != InvalidOid &&
			shared->blocked[i].by == MyProcPid)
		{
			shared->blocked[i].dboid = InvalidOid;
			shared->blocked[i].by = 0;
			any = true;
		}
	launcher = shared->launcher_latch;
	SpinLockRelease(&shared->mutex);
	if (any && launcher)
		SetLatch(launcher);
}

static void
utility_hook(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
			 ProcessUtilityContext context, ParamListInfo params,
			 QueryEnvironment *queryEnv, DestReceiver *dest,
			 QueryCompletion *qc)
{
	Node	   *stmt = pstmt->utilityStmt;
	const char *dbname = database_needed_alone(stmt);
	Oid			dboid = InvalidOid;

	/*
	 * Any CREATE EXTENSION: another extension's CASCADE may create ours.
	 * COMMIT PREPARED: the transaction may have created it.
	 */
	if (IsA(stmt, CreateExtensionStmt) ||
		(IsA(stmt, TransactionStmt) &&
		 ((TransactionStmt *) stmt)->kind == TRANS_STMT_COMMIT_PREPARED))
	{
		/* at commit: the launcher tries databases it found without us */
		attach_shmem();
		register_xact_callback();
		wake_launcher_at_commit = true;
		new_extension_at_commit = true;
	}
	else if (IsA(stmt, CreatedbStmt) || IsA(stmt, AlterDatabaseStmt))
	{
		/* a new database (maybe a copy with the extension), or a changed one */
		attach_shmem();
		register_xact_callback();
		wake_launcher_at_commit = true;
	}

	/*
	 * Only for those allowed to run the statement (the owner, a superuser):
	 * anyone else would merely stop the worker for nothing.
	 */
	if (dbname != NULL)
	{
		dboid = get_database_oid(dbname, true);
		if (OidIsValid(dboid) && !il_owns_database(dboid, GetUserId()))
			dboid = InvalidOid;
	}

	if (!OidIsValid(dboid))
	{
		if (prev_utility_hook)
			prev_utility_hook(pstmt, queryString, readOnlyTree, context,
							  params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
									params, queryEnv, dest, qc);
		return;
	}

	PG_TRY();
	{
		keep_workers_out(dboid);
		if (prev_utility_hook)
			prev_utility_hook(pstmt, queryString, readOnlyTree, context,
							  params, queryEnv, dest, qc);
		else
			standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
									params, queryEnv, dest, qc);
	}
	PG_CATCH();
	{
		let_workers_in();
		PG_RE_THROW();
	}
	PG_END_TRY();

	/*
	 * A RENAME in a transaction block keeps its lock on the database until
	 * commit; a worker started now waits for it while connecting, without
	 * being counted as a session of the database.
	 */
	let_workers_in();
}
