/*-------------------------------------------------------------------------
 *
 * settings.h
 *	  The settings a view's expressions depend on, pinned at registration.
 *
 * IDENTIFICATION
 *	  src/settings.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_SETTINGS_H
#define INCRLOAD_SETTINGS_H

#include "nodes/pg_list.h"

extern bool il_settings_function(Oid funcid);
extern bool il_settings_needed(Node *node);
extern bool il_settings_json_call(Node *node);
extern Datum il_settings_current(void);
extern List *il_settings_from_array(Datum array);
extern void il_settings_apply(List *settings);
extern char *il_settings_describe(List *settings);

#endif							/* INCRLOAD_SETTINGS_H */
