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

extern void il_guc_define(void);

#endif							/* INCRLOAD_GUC_H */
