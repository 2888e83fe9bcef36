/*-------------------------------------------------------------------------
 *
 * stats.c
 *	  incrload_stats: one row per registered view, for people and for
 *	  monitoring systems.
 *
 * Counters come from the catalog row, which every apply updates in its own
 * transaction; pending changes are counted in the delta tables with the
 * same batch condition the apply uses, so "pending" means exactly what
 * the next apply would consume.  Readable by everyone, like pg_stat_*.
 *
 * IDENTIFICATION
 *	  src/stats.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "apply.h"
#include "catalog.h"
#include "guc.h"

#define STATS_COLS 22

/* columns of incrload.view copied as they are, in output order */
static const char *const stats_sql =
"SELECT view_name, storage_table, mode, state, refresh_interval, "
"last_refresh, last_refresh_duration, refreshes, failures, "
"consecutive_failures, last_error, changes_applied, full_refreshes, "
"last_verify, last_verify_mismatches, verify_interval, repair, "
"strategy, last_choice "
"FROM incrload.view ORDER BY view_name";

PG_FUNCTION_INFO_V1(incrload_stats_internal);

Datum
incrload_stats_internal(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			save_uid;
	int			save_sec;
	SPITupleTable *views;
	uint64		nviews;
	TimestampTz now = GetCurrentTimestamp();

	InitMaterializedSRF(fcinfo, 0);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	il_catalog_become_owner(&save_uid, &save_sec);
	if (SPI_execute(stats_sql, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read incrload.view");
	views = SPI_tuptable;
	nviews = SPI_processed;

	for (uint64 i = 0; i < nviews; i++)
	{
		Datum		values[STATS_COLS];
		bool		nulls[STATS_COLS];
		HeapTuple	tup = views->vals[i];
		bool		isnull;
		Oid			view;
		int64		pending;
		TimestampTz oldest;
		int			src;

		memset(nulls, false, sizeof(nulls));
		/* view_name .. last_error: catalog columns 1..11 */
		for (src = 1; src <= 11; src++)
			values[src - 1] = SPI_getbinval(tup, views->tupdesc, src,
											&nulls[src - 1]);
		view = DatumGetObjectId(values[0]);
		pending = il_apply_pending(view, &oldest);
		values[11] = Int64GetDatum(pending);
		if (pending > 0 && oldest != 0)
		{
			values[12] = TimestampTzGetDatum(oldest);
			values[13] = DirectFunctionCall2(timestamp_mi,
											 TimestampTzGetDatum(now),
											 TimestampTzGetDatum(oldest));
		}
		else
		{
			nulls[12] = true;
			values[13] = DirectFunctionCall2(timestamp_mi,
											 TimestampTzGetDatum(now),
											 TimestampTzGetDatum(now));
		}
		/* changes_applied .. repair: catalog columns 12..17 */
		for (src = 12; src <= 17; src++)
			values[src + 2] = SPI_getbinval(tup, views->tupdesc, src,
											&nulls[src + 2]);
		/* repair as it takes effect: the view's own, else the setting's */
		if (nulls[19])
		{
			values[19] = BoolGetDatum(incrload_verify_repair);
			nulls[19] = false;
		}
		/* strategy, last_choice: catalog columns 18..19 */
		for (src = 18; src <= 19; src++)
			values[src + 2] = SPI_getbinval(tup, views->tupdesc, src,
											&nulls[src + 2]);
		(void) isnull;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	il_catalog_restore_user(save_uid, save_sec);
	SPI_finish();
	return (Datum) 0;
}
