/*-------------------------------------------------------------------------
 *
 * incrload.c
 *	  Module entry point: PG_MODULE_MAGIC and _PG_init, which calls each
 *	  file's initialization.
 *
 * IDENTIFICATION
 *	  src/incrload.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "apply.h"
#include "capture.h"
#include "explain.h"
#include "guc.h"
#include "history.h"
#include "incrload.h"
#include "worker.h"

PG_MODULE_MAGIC;

bool		incrload_preloaded = false;

void		_PG_init(void);

void
_PG_init(void)
{
	incrload_preloaded = process_shared_preload_libraries_in_progress;
	il_guc_define();
	il_capture_init();
	il_apply_init();
	il_explain_init();
	il_history_init();
	if (incrload_preloaded)
		il_worker_register_launcher();
}
