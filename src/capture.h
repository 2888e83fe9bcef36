/*-------------------------------------------------------------------------
 *
 * capture.h
 *	  Change capture: the triggers, and the delta tables they write.
 *
 * IDENTIFICATION
 *	  src/capture.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_CAPTURE_H
#define INCRLOAD_CAPTURE_H

/* A delta table's own columns come first, in this order. */
#define INCRLOAD_DELTA_XID		1	/* xid8: writer's top-level transaction */
#define INCRLOAD_DELTA_CID		2	/* int8: the statement's command id */
#define INCRLOAD_DELTA_WEIGHT	3	/* int2: +1, -1, or 0 for TRUNCATE */
#define INCRLOAD_DELTA_TS		4	/* timestamptz: capture time */
#define INCRLOAD_DELTA_NSYS		4

extern void il_capture_init(void);
extern Oid	il_capture_install(Oid base);
extern void il_capture_remove(Oid base, bool base_dropped);
extern void il_capture_lock_down(Oid base);
extern void il_capture_mark(Oid root);
extern void il_capture_run_ddl(const char *sql);
extern bool il_capture_in_own_ddl(void);
extern bool il_capture_ignore_event(void);
extern void il_capture_attach(Oid root, Oid part, bool has_rows);
extern void il_capture_detach(Oid root, Oid part, bool dropped);
extern void il_capture_flush(void);
extern char il_capture_trigger_firing(const char *tgname);
extern bool il_capture_trigger_shape(const char *tgname, int16 events, bool row,
									 bool old_table, bool new_table);
extern const char *il_capture_firing_clause(char firing);

#endif							/* INCRLOAD_CAPTURE_H */
