/*-------------------------------------------------------------------------
 *
 * explain.c
 *	  What an apply runs, shown: the plan of each statement with its real
 *	  row counts and buffers, as EXPLAIN (ANALYZE, BUFFERS) prints it.
 *
 * incrload_refresh(view, explain => true) runs an ordinary apply with the
 * capture on.  Before each of its own statements the apply names the
 * statement (il_explain_expect); the executor hooks instrument exactly the
 * queries whose source text is that statement's, and print their plans
 * when they end, as auto_explain does.  Statements that the view's own
 * functions run inside them are not ours and are not shown.  With the
 * capture off the hooks cost one test of a flag.
 *
 * IDENTIFICATION
 *	  src/explain.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/executor.h"
#include "executor/instrument.h"
#include "executor/spi.h"
#include "utils/memutils.h"
#include "utils/plancache.h"

#include "compat.h"
#include "explain.h"

/* A statement of ours that runs, and since when. */
typedef struct Running
{
	QueryDesc  *queryDesc;
	instr_time	start;
} Running;

typedef struct ExplainCapture
{
	MemoryContext cxt;			/* where the captured plans live */
	Oid			view;			/* the view being applied */
	List	   *expected;		/* source texts of our next statements */
	List	   *running;		/* Running *: the statements we instrument */
	List	   *result;			/* IncrloadExplained * */
} ExplainCapture;

static ExplainCapture *capture = NULL;

static ExecutorStart_hook_type prev_ExecutorStart = NULL;
static ExecutorEnd_hook_type prev_ExecutorEnd = NULL;

static void explain_ExecutorStart(QueryDesc *queryDesc, int eflags);
static void explain_ExecutorEnd(QueryDesc *queryDesc);

void
il_explain_init(void)
{
	prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = explain_ExecutorStart;
	prev_ExecutorEnd = ExecutorEnd_hook;
	ExecutorEnd_hook = explain_ExecutorEnd;
}

/* Start capturing the plans of the applies that follow. */
void
il_explain_start(void)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "incrload explain",
											  ALLOCSET_DEFAULT_SIZES);

	capture = MemoryContextAllocZero(cxt, sizeof(ExplainCapture));
	capture->cxt = cxt;
}

/* The captured plans (in the caller's memory); capturing stops. */
List *
il_explain_finish(void)
{
	List	   *result;

	if (capture == NULL)
		return NIL;
	result = capture->result;
	capture = NULL;
	return result;
}

/* Stop capturing after an error; what was captured goes with its context. */
void
il_explain_abort(void)
{
	capture = NULL;
}

bool
il_explain_active(void)
{
	return capture != NULL;
}

/* The view whose statements come next. */
void
il_explain_view(Oid view)
{
	if (capture != NULL)
		capture->view = view;
}

/* The next statement the apply runs is plan's: show it. */
void
il_explain_expect(SPIPlanPtr plan)
{
	ListCell   *lc;
	MemoryContext oldcxt;

	if (capture == NULL || plan == NULL)
		return;
	oldcxt = MemoryContextSwitchTo(capture->cxt);
	foreach(lc, SPI_plan_get_plan_sources(plan))
		capture->expected = lappend(capture->expected,
									(void *) ((CachedPlanSource *) lfirst(lc))->query_string);
	MemoryContextSwitchTo(oldcxt);
}

static void
explain_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	if (capture != NULL && list_member_ptr(capture->expected, queryDesc->sourceText) &&
		(eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(capture->cxt);
		Running    *r = palloc(sizeof(Running));

		queryDesc->instrument_options |= INSTRUMENT_ALL;
		capture->expected = list_delete_ptr(capture->expected,
											(void *) queryDesc->sourceText);
		r->queryDesc = queryDesc;
		INSTR_TIME_SET_CURRENT(r->start);
		capture->running = lappend(capture->running, r);
		MemoryContextSwitchTo(oldcxt);
	}
	if (prev_ExecutorStart)
		prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

static void
explain_ExecutorEnd(QueryDesc *queryDesc)
{
	ListCell   *lc;

	foreach(lc, capture ? capture->running : NIL)
	{
		Running    *r = lfirst(lc);
		MemoryContext oldcxt;
		ExplainState *es;
		IncrloadExplained *e;
		instr_time	elapsed;

		if (r->queryDesc != queryDesc)
			continue;
		INSTR_TIME_SET_CURRENT(elapsed);
		INSTR_TIME_SUBTRACT(elapsed, r->start);
		oldcxt = MemoryContextSwitchTo(capture->cxt);
		es = NewExplainState();
		e = palloc(sizeof(IncrloadExplained));

		/* what EXPLAIN (ANALYZE, BUFFERS) prints, timed from start to end */
		es->analyze = true;
		es->buffers = true;
		es->timing = true;
		es->format = EXPLAIN_FORMAT_TEXT;
		ExplainBeginOutput(es);
		ExplainPrintPlan(es, queryDesc);
		ExplainPrintTriggers(es, queryDesc);
		appendStringInfo(es->str, "Execution Time: %.3f ms\n",
						 INSTR_TIME_GET_MILLISEC(elapsed));
		ExplainEndOutput(es);
		e->view = capture->view;
		e->statement = pstrdup(queryDesc->sourceText);
		e->plan = es->str->data;
		capture->result = lappend(capture->result, e);
		capture->running = foreach_delete_current(capture->running, lc);
		MemoryContextSwitchTo(oldcxt);
		break;
	}
	if (prev_ExecutorEnd)
		prev_ExecutorEnd(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
}
