/*-------------------------------------------------------------------------
 *
 * guc.h
 *	  incrload's configuration parameters, all defined in guc.c.
 *
 * IDENTIFICATION
 *	  src/guc.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_GUC_H
#define INCRLOAD_GUC_H

extern bool incrload_enabled;
extern int	incrload_naptime;
extern int	incrload_launcher_naptime;
extern int	incrload_max_retry_delay;
extern int	incrload_gc_interval;
extern int	incrload_max_workers;
extern int	incrload_capture_batch_size;
extern int	incrload_history_retention;
extern bool incrload_verify_repair;
extern bool incrload_adaptive;
extern int	incrload_max_pending_changes;
extern int	incrload_max_inputs;
extern int	incrload_apply_statement_timeout;
extern int	incrload_apply_temp_file_limit;
extern int	incrload_max_apply_workers;

/* the largest incrload.max_apply_workers */
#define INCRLOAD_MAX_APPLY_WORKERS 16

extern void il_guc_define(void);

#endif							/* INCRLOAD_GUC_H */
