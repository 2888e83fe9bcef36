/*-------------------------------------------------------------------------
 *
 * history.c
 *	  incrload.refresh_history: one row per apply attempt of every view, and
 *	  the SLIs computed from it.
 *
 * A successful attempt writes its row in its own transaction, so the row
 * commits (or rolls back) with the view's changes: history never shows an
 * apply that did not happen.  A failed attempt cannot write anything in
 * the transaction that is aborting, so it goes into a small queue in
 * shared memory instead, which the database's worker writes out on its
 * next round (il_history_flush).  That also covers a backend that exits
 * in the middle of an apply (SIGTERM, pg_terminate_backend): a
 * before_shmem_exit callback queues the attempt as cancelled.  Without
 * shared_preload_libraries there is no queue and no worker, and failures
 * are only reported to the client.
 *
 * Writing history costs one row per apply, never per changed row.  The
 * worker prunes rows older than incrload.history_retention.
 *
 * IDENTIFICATION
 *	  src/history.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/timestamp.h"

#include "apply.h"
#include "catalog.h"
#include "compat.h"
#include "guc.h"
#include "history.h"
#include "incrload.h"

#define HISTORY_QUEUE_SIZE 256
#define HISTORY_MESSAGE_LEN 512

/* A failed attempt waiting for its database's worker. */
typedef struct QueuedAttempt
{
	Oid			dboid;			/* InvalidOid: free slot */
	Oid			view;
	IncrloadApplyKind kind;
	bool		worker;
	bool		cancelled;
	TimestampTz started;
	TimestampTz ended;
	char		message[HISTORY_MESSAGE_LEN];
} QueuedAttempt;

typedef struct HistoryQueue
{
	slock_t		mutex;
	uint64		lost;			/* attempts overwritten because the queue was full */
	QueuedAttempt slots[HISTORY_QUEUE_SIZE];
} HistoryQueue;

static HistoryQueue *queue = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;

/* The attempt this backend is running, for the exit callback. */
static struct
{
	bool		active;
	Oid			view;
	IncrloadApplyKind kind;
	TimestampTz started;
}			inflight;
static bool exit_callback_registered = false;

static const char *const kind_names[] = {
	[IL_APPLY_INCREMENTAL] = "incremental",
	[IL_APPLY_FULL] = "full",
	[IL_APPLY_VERIFY] = "verify",
	[IL_APPLY_REPAIR] = "full"
};

static void history_shmem_request(void);
static bool attach_queue(void);
static void queue_attempt(Oid view, IncrloadApplyKind kind, bool cancelled,
						  TimestampTz started, const char *message);
static void history_exit(int code, Datum arg);
static void insert_row(Oid view, IncrloadApplyKind kind, bool worker,
					   TimestampTz started, TimestampTz ended,
					   const IncrloadApplyResult *counts,
					   const char *outcome, const char *message);

void
il_history_init(void)
{
	if (!incrload_preloaded)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = history_shmem_request;
}

static void
history_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(HistoryQueue)));
}

static bool
attach_queue(void)
{
	bool		found;

	if (queue != NULL)
		return true;
	if (!incrload_preloaded)
		return false;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	queue = ShmemInitStruct("incrload history queue", sizeof(HistoryQueue),
							&found);
	if (!found)
	{
		memset(queue, 0, sizeof(HistoryQueue));
		SpinLockInit(&queue->mutex);
	}
	LWLockRelease(AddinShmemInitLock);
	return true;
}

static void
queue_attempt(Oid view, IncrloadApplyKind kind, bool cancelled,
			  TimestampTz started, const char *message)
{
	QueuedAttempt *slot = NULL;

	if (!attach_queue())
		return;
	SpinLockAcquire(&queue->mutex);
	for (int i = 0; i < HISTORY_QUEUE_SIZE; i++)
		if (!OidIsValid(queue->slots[i].dboid))
		{
			slot = &queue->slots[i];
			break;
		}
	if (slot == NULL)
	{
		/* full (a database whose worker is off): the oldest attempt goes */
		slot = &queue->slots[0];
		for (int i = 1; i < HISTORY_QUEUE_SIZE; i++)
			if (queue->slots[i].ended < slot->ended)
				slot = &queue->slots[i];
		queue->lost++;
	}
	{
		slot->dboid = MyDatabaseId;
		slot->view = view;
		slot->kind = kind;
		slot->worker = il_am_background_worker();
		slot->cancelled = cancelled;
		slot->started = started;
		slot->ended = GetCurrentTimestamp();
		strlcpy(slot->message, message ? message : "", sizeof(slot->message));
	}
	SpinLockRelease(&queue->mutex);
}

/*
 * proc_exit while an apply runs (FATAL: terminated by the administrator,
 * the postmaster gone): the attempt ends here, as cancelled.
 */
static void
history_exit(int code, Datum arg)
{
	if (inflight.active)
		queue_attempt(inflight.view, inflight.kind, true, inflight.started,
					  "the backend exited during the apply");
	inflight.active = false;
}

void
il_history_begin(Oid view, IncrloadApplyKind kind, TimestampTz started)
{
	if (incrload_preloaded && !exit_callback_registered)
	{
		before_shmem_exit(history_exit, (Datum) 0);
		exit_callback_registered = true;
	}
	inflight.active = true;
	inflight.view = view;
	inflight.kind = kind;
	inflight.started = started;
}

/*
 * The attempt failed with edata: queue it for the worker.  An apply that
 * a cancel request or a timeout stopped is "cancelled".
 */
void
il_history_failed(ErrorData *edata)
{
	bool		cancelled;

	if (!inflight.active)
		return;
	cancelled = edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
		edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE;
	queue_attempt(inflight.view, inflight.kind, cancelled, inflight.started,
				  edata->message);
	inflight.active = false;
}

static void
insert_row(Oid view, IncrloadApplyKind kind, bool worker,
		   TimestampTz started, TimestampTz ended,
		   const IncrloadApplyResult *counts, const char *outcome,
		   const char *message)
{
	Oid			argtypes[16] = {REGCLASSOID, TEXTOID, TEXTOID, TIMESTAMPTZOID,
		TIMESTAMPTZOID, INT8OID, INT8OID, INT8OID, INT8OID, TIMESTAMPTZOID,
	TEXTOID, TEXTOID, INT8OID, INT8OID, BOOLOID, TEXTOID};
	Datum		values[16];
	char		nulls[17];
	Oid			save_uid;
	int			save_sec;
	int			ret;

	memset(nulls, 'n', 16);
	nulls[16] = '\0';
	values[0] = ObjectIdGetDatum(view);
	values[1] = CStringGetTextDatum(kind_names[kind]);
	values[2] = CStringGetTextDatum(worker ? "worker" : "manual");
	values[3] = TimestampTzGetDatum(started);
	values[4] = TimestampTzGetDatum(ended);
	values[10] = CStringGetTextDatum(outcome);
	nulls[0] = nulls[1] = nulls[2] = nulls[3] = nulls[4] = nulls[10] = ' ';
	nulls[14] = ' ';
	values[14] = BoolGetDatum(counts && counts->repaired);
	if (counts != NULL)
	{
		values[5] = Int64GetDatum(counts->consumed);
		values[6] = Int64GetDatum(counts->inserted);
		values[7] = Int64GetDatum(counts->deleted);
		values[8] = Int64GetDatum(counts->updated);
		nulls[5] = nulls[6] = nulls[7] = nulls[8] = ' ';
		if (counts->oldest_change != 0)
		{
			values[9] = TimestampTzGetDatum(counts->oldest_change);
			nulls[9] = ' ';
		}
		if (counts->reason[0] != '\0')
		{
			values[15] = CStringGetTextDatum(counts->reason);
			nulls[15] = ' ';
		}
		if (kind == IL_APPLY_VERIFY)
		{
			values[12] = Int64GetDatum(counts->missing);
			values[13] = Int64GetDatum(counts->extra);
			nulls[12] = nulls[13] = ' ';
		}
	}
	if (message != NULL)
	{
		values[11] = CStringGetTextDatum(message);
		nulls[11] = ' ';
	}

	il_catalog_become_owner(&save_uid, &save_sec);
	ret = SPI_execute_with_args("INSERT INTO incrload.refresh_history (view_name, kind, origin, "
								"started_at, duration, delta_rows, rows_inserted, rows_deleted, "
								"rows_updated, max_change_age, outcome, error, verify_missing, "
								"verify_extra, repaired, reason) "
								"SELECT $1, $2, $3, $4, $5 OPERATOR(pg_catalog.-) $4, $6, $7, $8, $9, "
								"$5 OPERATOR(pg_catalog.-) $10, $11, $12, $13, $14, $15, $16 "
								"WHERE EXISTS (SELECT FROM incrload.view "
								"WHERE view_name OPERATOR(pg_catalog.=) $1)",
								16, argtypes, values, nulls, false, 0);
	il_catalog_restore_user(save_uid, save_sec);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not record incrload history: %s",
			 SPI_result_code_string(ret));
}

/*
 * A successful attempt, in the applying transaction.  The caller is
 * connected to SPI.
 */
void
il_history_succeeded(Oid view, IncrloadApplyKind kind, TimestampTz started,
					 const IncrloadApplyResult *counts)
{
	insert_row(view, kind, il_am_background_worker(), started, GetCurrentTimestamp(),
			   counts, "ok", NULL);
	inflight.active = false;
}

/*
 * Write this database's queued failures into the history, and prune rows
 * older than incrload.history_retention.  The worker calls this in a
 * transaction of its own, connected to SPI.
 */
void
il_history_flush(bool prune)
{
	QueuedAttempt batch[16];
	int			n;
	uint64		lost;
	Oid			save_uid;
	int			save_sec;
	Oid			argtypes[1] = {INT8OID};
	Datum		values[1];

	do
	{
		n = 0;
		if (!attach_queue())
			break;
		SpinLockAcquire(&queue->mutex);
		for (int i = 0; i < HISTORY_QUEUE_SIZE && n < lengthof(batch); i++)
			if (queue->slots[i].dboid == MyDatabaseId)
			{
				batch[n++] = queue->slots[i];
				queue->slots[i].dboid = InvalidOid;
			}
		lost = queue->lost;
		queue->lost = 0;
		SpinLockRelease(&queue->mutex);

		if (lost > 0)
			ereport(WARNING,
					errmsg("incrload history lost %llu failed attempts: the queue was full",
						   (unsigned long long) lost));
		for (int i = 0; i < n; i++)
			insert_row(batch[i].view, batch[i].kind, batch[i].worker,
					   batch[i].started, batch[i].ended, NULL,
					   batch[i].cancelled ? "cancelled" : "error",
					   batch[i].message);
	} while (n == lengthof(batch));

	if (!prune)
		return;
	values[0] = Int64GetDatum((int64) incrload_history_retention);
	il_catalog_become_owner(&save_uid, &save_sec);
	if (SPI_execute_with_args("DELETE FROM incrload.refresh_history WHERE started_at "
							  "OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) "
							  "pg_catalog.make_interval(secs => $1))",
							  1, argtypes, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not prune incrload history");
	il_catalog_restore_user(save_uid, save_sec);
}
