/*-------------------------------------------------------------------------
 *
 * guc.c
 *	  Every configuration parameter of incrload, defined in one place.
 *
 * Parameters that size shared resources are PGC_POSTMASTER and defined
 * only while the library is being preloaded; the rest can change with a
 * reload (SIGHUP), which the worker processes pick up between views.
 *
 * IDENTIFICATION
 *	  src/guc.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/guc.h"

#include "guc.h"

bool		incrload_enabled = true;
int			incrload_naptime = 1000;
int			incrload_launcher_naptime = 5000;
int			incrload_max_retry_delay = 60000;
int			incrload_gc_interval = 10000;
int			incrload_max_workers = 8;
int			incrload_capture_batch_size = 1000;
int			incrload_history_retention = 7 * 24 * 3600;
bool		incrload_verify_repair = true;
bool		incrload_adaptive = true;

void
il_guc_define(void)
{
	DefineCustomBoolVariable("incrload.enabled",
							 gettext_noop("Enables background maintenance of registered views."),
							 gettext_noop("When off, the workers apply nothing; incrload_refresh() still works."),
							 &incrload_enabled,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("incrload.naptime",
							gettext_noop("Longest time a worker sleeps between looks at its views."),
							NULL,
							&incrload_naptime,
							1000, 10, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("incrload.launcher_naptime",
							gettext_noop("How often the launcher looks for databases that have the extension."),
							NULL,
							&incrload_launcher_naptime,
							5000, 100, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("incrload.max_retry_delay",
							gettext_noop("Cap of the exponential backoff between retries of a failing view."),
							NULL,
							&incrload_max_retry_delay,
							60000, 10, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("incrload.gc_interval",
							gettext_noop("How often a worker deletes delta rows that every view reading them has applied."),
							NULL,
							&incrload_gc_interval,
							10000, 100, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("incrload.capture_batch_size",
							gettext_noop("Rows the capture trigger buffers before one multi-insert into a delta table."),
							NULL,
							&incrload_capture_batch_size,
							1000, 1, 100000,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("incrload.history_retention",
							gettext_noop("How long rows of incrload_refresh_history are kept."),
							gettext_noop("The worker deletes older rows."),
							&incrload_history_retention,
							7 * 24 * 3600, 60, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("incrload.verify_repair",
							 gettext_noop("Repairs a view whose scheduled verification found drift, by a full refresh."),
							 gettext_noop("A view's own repair setting (incrload_alter_view) overrides this."),
							 &incrload_verify_repair,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomBoolVariable("incrload.adaptive",
							 gettext_noop("Lets views of strategy auto recompute a batch that would cost more applied incrementally."),
							 gettext_noop("Off, strategy auto applies every batch incrementally, as strategy incremental does."),
							 &incrload_adaptive,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	if (process_shared_preload_libraries_in_progress)
		DefineCustomIntVariable("incrload.max_workers",
								gettext_noop("Largest number of databases served by incrload workers at once."),
								NULL,
								&incrload_max_workers,
								8, 1, 64,
								PGC_POSTMASTER,
								0,
								NULL, NULL, NULL);

	MarkGUCPrefixReserved("incrload");
}
