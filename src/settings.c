/*-------------------------------------------------------------------------
 *
 * settings.c
 *	  Functions whose result depends on settings only, and the settings a
 *	  view that calls them keeps.
 *
 * created_at::date, date_trunc('day', ts), to_char(ts, 'YYYY-MM'),
 * extract(hour FROM ts) over timestamptz are stable, not immutable: they
 * read TimeZone (and DateStyle, IntervalStyle, lc_time, lc_numeric,
 * lc_monetary for their text forms).  A view maintained by a worker whose
 * TimeZone differs from the registering session's would mix two answers,
 * so incremental mode used to refuse them, and DBAs group by them all the
 * time.  They read nothing else (no table, no clock), so with those
 * settings fixed they are as deterministic as an immutable function:
 * registration records the settings in effect (incrload.view.settings),
 * and every apply, recompute and verify of the view runs with them, in
 * the GUC nest level of its owner bracket (apply.c), whichever session or
 * worker runs it.
 *
 * Which functions: built-in C functions, by the name of their C symbol
 * (stable across majors, unlike OIDs of newer ones), chosen one by one.
 * Left out on purpose: text to date/time input (date_in, timestamptz_in:
 * 'now' and 'today' read the clock), time to timetz and timezone() of a
 * timetz (the offset of today's date), generate_series over timestamptz
 * (a set-returning function), and everything stable for other reasons
 * (catalog lookups, now(), ...).
 *
 * IDENTIFICATION
 *	  src/settings.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/transam.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nodes/nodeFuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "settings.h"

/* What those functions read: what a view that calls them keeps. */
static const char *const pinned_settings[] = {
	"TimeZone", "DateStyle", "IntervalStyle",
	"lc_time", "lc_numeric", "lc_monetary"
};

/* C symbols of the built-in stable functions that read only those. */
static const char *const settings_symbols[] = {
	/* casts and arithmetic between timestamptz and the zone-less types */
	"timestamptz_date", "date_timestamptz", "timestamptz_timestamp",
	"timestamp_timestamptz", "timestamptz_time", "timestamptz_timetz",
	"timestamptz_pl_interval", "timestamptz_mi_interval",
	"in_range_timestamptz_interval",
	/* date_trunc, extract / date_part, make_timestamptz */
	"timestamptz_trunc", "timestamptz_trunc_zone", "timestamptz_part",
	"extract_timestamptz", "make_timestamptz", "make_timestamptz_at_timezone",
	/* text forms */
	"date_out", "timestamp_out", "timestamptz_out", "interval_out",
	"timestamp_to_char", "timestamptz_to_char", "interval_to_char",
	"int4_to_char", "int8_to_char", "float4_to_char", "float8_to_char",
	"numeric_to_char", "numeric_to_number", "to_date", "to_timestamp",
	/* money (lc_monetary) */
	"cash_out", "cash_numeric", "int4_cash", "int8_cash", "numeric_cash",
};

/*
 * Comparisons of timestamptz with date or timestamp:
 * date_eq_timestamptz, timestamptz_lt_timestamp, ..., *_cmp_*.
 */
static bool
is_cross_type_comparison(const char *sym)
{
	static const char *const pairs[][2] = {
		{"date_", "_timestamptz"}, {"timestamp_", "_timestamptz"},
		{"timestamptz_", "_date"}, {"timestamptz_", "_timestamp"},
	};
	static const char *const ops[] = {"eq", "ne", "lt", "le", "gt", "ge", "cmp"};

	for (int i = 0; i < lengthof(pairs); i++)
		for (int j = 0; j < lengthof(ops); j++)
		{
			char		name[64];

			snprintf(name, sizeof(name), "%s%s%s", pairs[i][0], ops[j], pairs[i][1]);
			if (strcmp(sym, name) == 0)
				return true;
		}
	return false;
}

/*
 * The JSON builders are stable because they call the output function of
 * whatever type they are given.  C symbols of those functions, and of the
 * transition functions of those aggregates (whose own pg_proc row says
 * "aggregate_dummy"); the _strict and _unique variants are 16+.
 */
static const char *const json_symbols[] = {
	"to_json", "to_jsonb", "row_to_json", "row_to_json_pretty",
	"json_build_object", "jsonb_build_object", "json_build_array", "jsonb_build_array",
	"json_agg_transfn", "jsonb_agg_transfn", "json_agg_strict_transfn", "jsonb_agg_strict_transfn",
	"json_object_agg_transfn", "jsonb_object_agg_transfn",
	"json_object_agg_strict_transfn", "jsonb_object_agg_strict_transfn",
	"json_object_agg_unique_transfn", "jsonb_object_agg_unique_transfn",
	"json_object_agg_unique_strict_transfn", "jsonb_object_agg_unique_strict_transfn",
};

/* The C symbol of a built-in function, or NULL. */
static char *
builtin_symbol(Oid funcid)
{
	HeapTuple	tup;
	char	   *sym = NULL;

	if (funcid >= FirstGenbkiObjectId)
		return NULL;
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	if (!HeapTupleIsValid(tup))
		return NULL;
	if (((Form_pg_proc) GETSTRUCT(tup))->prolang == INTERNALlanguageId)
	{
		bool		isnull;
		Datum		src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);

		if (!isnull)
			sym = TextDatumGetCString(src);
	}
	ReleaseSysCache(tup);
	return sym;
}

/*
 * Whether the JSON form of a value of type typid depends on the value and
 * the pinned settings alone: its output function is immutable or reads
 * only those settings (timestamptz_out, interval_out, cash_out), through
 * domains, arrays and composite types.  Enums are not (enum_out reads the
 * catalog: a label can be renamed), nor are anonymous records.
 */
static bool
json_safe_type(Oid typid, int depth)
{
	Oid			outfn;
	bool		varlena;
	Oid			elem;

	if (depth > 8)
		return false;
	typid = getBaseType(typid);
	if (typid == RECORDOID)
		return false;
	if (type_is_rowtype(typid))
	{
		TupleDesc	desc = lookup_rowtype_tupdesc(typid, -1);
		bool		ok = true;

		for (int i = 0; i < desc->natts && ok; i++)
			if (!TupleDescAttr(desc, i)->attisdropped)
				ok = json_safe_type(TupleDescAttr(desc, i)->atttypid, depth + 1);
		ReleaseTupleDesc(desc);
		return ok;
	}
	if (OidIsValid(elem = get_element_type(typid)))
		return json_safe_type(elem, depth + 1);
	getTypeOutputInfo(typid, &outfn, &varlena);
	return func_volatile(outfn) == PROVOLATILE_IMMUTABLE ||
		(func_volatile(outfn) == PROVOLATILE_STABLE && il_settings_function(outfn));
}

/*
 * Whether node is a call of a JSON builder (to_jsonb(x), json_agg(x ORDER
 * BY ...), jsonb_build_object(...)) over values whose JSON form depends on
 * them and the pinned settings alone: then it is as deterministic as the
 * functions above, and a view that calls it keeps the settings.
 */
bool
il_settings_json_call(Node *node)
{
	Oid			funcid;
	List	   *args;
	char	   *sym;
	bool		found = false;
	ListCell   *lc;

	if (IsA(node, FuncExpr))
	{
		funcid = ((FuncExpr *) node)->funcid;
		args = ((FuncExpr *) node)->args;
	}
	else if (IsA(node, Aggref))
	{
		Aggref	   *agg = (Aggref *) node;
		HeapTuple	tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(agg->aggfnoid));

		if (!HeapTupleIsValid(tup))
			return false;
		funcid = ((Form_pg_aggregate) GETSTRUCT(tup))->aggtransfn;
		ReleaseSysCache(tup);
		args = NIL;
		foreach(lc, agg->args)
			if (!lfirst_node(TargetEntry, lc)->resjunk)
				args = lappend(args, lfirst_node(TargetEntry, lc)->expr);
	}
	else
		return false;
	if ((sym = builtin_symbol(funcid)) == NULL)
		return false;
	for (int i = 0; i < lengthof(json_symbols) && !found; i++)
		found = strcmp(sym, json_symbols[i]) == 0;
	if (!found)
		return false;
	foreach(lc, args)
		if (!json_safe_type(exprType(lfirst(lc)), 0))
			return false;
	return true;
}

/* Whether funcid is a stable built-in that reads only the pinned settings. */
bool
il_settings_function(Oid funcid)
{
	char	   *sym;
	bool		found = false;

	if ((sym = builtin_symbol(funcid)) == NULL ||
		func_volatile(funcid) != PROVOLATILE_STABLE || get_func_retset(funcid))
		return false;
	for (int i = 0; i < lengthof(settings_symbols) && !found; i++)
		found = strcmp(sym, settings_symbols[i]) == 0;
	return found || is_cross_type_comparison(sym);
}

static bool
settings_function_checker(Oid funcid, void *context)
{
	return func_volatile(funcid) == PROVOLATILE_STABLE &&
		il_settings_function(funcid);
}

static bool
settings_needed_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, settings_function_checker, context) ||
		il_settings_json_call(node))
		return true;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, settings_needed_walker,
								 context, 0);
	return expression_tree_walker(node, settings_needed_walker, context);
}

/* Whether node (a query or an expression) calls such a function. */
bool
il_settings_needed(Node *node)
{
	return settings_needed_walker(node, NULL);
}

/* The pinned settings as they are now: text[] of 'name=value'. */
Datum
il_settings_current(void)
{
	Datum		elems[lengthof(pinned_settings)];

	for (int i = 0; i < lengthof(pinned_settings); i++)
		elems[i] = CStringGetTextDatum(psprintf("%s=%s", pinned_settings[i],
												GetConfigOption(pinned_settings[i],
																false, false)));
	return PointerGetDatum(construct_array(elems, lengthof(pinned_settings),
										   TEXTOID, -1, false, TYPALIGN_INT));
}

/* A text[] of 'name=value' as a list of strings. */
List *
il_settings_from_array(Datum array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *settings = NIL;

	deconstruct_array(DatumGetArrayTypeP(array), TEXTOID, -1, false,
					  TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i])
			settings = lappend(settings, TextDatumGetCString(elems[i]));
	return settings;
}

/*
 * Set them in the caller's GUC nest level, which its end (or an abort)
 * unwinds.  As a session's SET would: a value the server no longer
 * accepts (a time zone removed from its tzdata) fails the apply, naming
 * the setting.
 */
void
il_settings_apply(List *settings)
{
	ListCell   *lc;

	foreach(lc, settings)
	{
		char	   *name = pstrdup(lfirst(lc));
		char	   *value = strchr(name, '=');

		if (value == NULL)
			continue;
		*value++ = '\0';
		(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	}
}

/* "TimeZone=UTC, DateStyle=ISO, MDY, ..." for messages and explain. */
char *
il_settings_describe(List *settings)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, settings)
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? "; " : "",
						 (char *) lfirst(lc));
	return buf.data;
}
