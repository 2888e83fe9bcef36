/*-------------------------------------------------------------------------
 *
 * incrload.h
 *	  Module-wide state set up by _PG_init.
 *
 * IDENTIFICATION
 *	  src/incrload.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_H
#define INCRLOAD_H

#if PG_VERSION_NUM < 150000
#error "incrload needs PostgreSQL 15 or later"
#endif

/* true when loaded through shared_preload_libraries */
extern bool incrload_preloaded;

extern void il_incrload_wake_workers(void);

#endif							/* INCRLOAD_H */
