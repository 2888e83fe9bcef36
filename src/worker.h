/*-------------------------------------------------------------------------
 *
 * worker.h
 *	  The launcher, the per-database maintenance workers and their apply
 *	  workers.
 *
 * IDENTIFICATION
 *	  src/worker.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_WORKER_H
#define INCRLOAD_WORKER_H

#include "fmgr.h"

extern void il_worker_register_launcher(void);

extern PGDLLEXPORT void incrload_launcher_main(Datum main_arg);
extern PGDLLEXPORT void incrload_worker_main(Datum main_arg);
extern PGDLLEXPORT void incrload_apply_main(Datum main_arg);

#endif							/* INCRLOAD_WORKER_H */
