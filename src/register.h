/*-------------------------------------------------------------------------
 *
 * register.h
 *	  Registering a view and its auxiliary views.
 *
 * IDENTIFICATION
 *	  src/register.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef INCRLOAD_REGISTER_H
#define INCRLOAD_REGISTER_H

#include "nodes/parsenodes.h"

#include "analyze.h"

extern Oid	il_register_view(Oid nsp, const char *relname, Query *query,
							 bool incremental, Datum refresh_interval,
							 Oid owner, bool explain,
							 IncrloadQuery **analyzed);
extern List *il_register_auxes(Oid view);

#endif							/* INCRLOAD_REGISTER_H */
