/*-------------------------------------------------------------------------
 *
 * batch.c
 *	  Which delta rows belong to a view's batch, as a function the
 *	  generated statements call, with a planner support function that
 *	  tells the planner a batch is small.
 *
 * A batch is the delta rows committed after the view's watermark: visible
 * in the apply's snapshot (MVCC sees to that), not visible in the
 * watermark, except the rows the last applying transaction wrote after it
 * read (apply.c).  The statements find the range through the xid index
 * (xid >= xmin of the watermark) and test each row with incrload.in_batch.
 *
 * The plans of a view's statements are kept and run for every batch, so
 * the planner cannot know how many rows one holds.  Left alone it guesses
 * a third of the delta table, and then hashes whole base tables to join
 * them with "big" batches.  A batch is small next to the tables it joins
 * (a batch that is not makes the apply recompute instead, apply.c): the
 * support function gives the test a selectivity that makes the batch a
 * few rows, so that the plans reach the base tables by index from the
 * changed rows, which is also what a big batch costs least with, short of
 * a recompute.
 *
 * Only a big batch (hundreds of rows in a table) is planned as the rows it
 * is (il_batch_rows_hint, set by the apply; a hundred, whatever the delta
 * table holds): taken to be one row, two batches joined each other by a
 * nested loop that rescanned one for every row of the other (TPC-H q07:
 * 358 changed lineitems times 300 changed orders, 10 of the apply's 15
 * ms), where a hash join reads each once.  A small one stays a row or two:
 * taken to be a hundred, a batch of 4 suppliers fanned out to their 320
 * partsupp rows was planned at 8,000 and hashed the whole part table
 * (q02: 2.3 ms became 10).
 *
 * IDENTIFICATION
 *	  src/batch.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "nodes/pathnodes.h"
#include "nodes/supportnodes.h"
#include "utils/fmgrprotos.h"
#include "utils/xid8.h"

#include "batch.h"

/* The fraction of a delta table a batch is taken to be, unless told. */
#define BATCH_SELECTIVITY 0.0001

double		il_batch_rows_hint = 0;

PG_FUNCTION_INFO_V1(incrload_in_batch);

/*
 * incrload.in_batch(xid, cid, watermark, watermark_xid, watermark_cid):
 * whether a delta row is unapplied for that watermark.
 */
Datum
incrload_in_batch(PG_FUNCTION_ARGS)
{
	FullTransactionId xid;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	xid = PG_GETARG_FULLTRANSACTIONID(0);
	if (!PG_ARGISNULL(3) && !PG_ARGISNULL(4) &&
		FullTransactionIdEquals(xid, PG_GETARG_FULLTRANSACTIONID(3)))
		PG_RETURN_BOOL(PG_GETARG_INT64(1) >= PG_GETARG_INT64(4));
	PG_RETURN_BOOL(!DatumGetBool(DirectFunctionCall2(pg_visible_in_snapshot,
													 PG_GETARG_DATUM(0),
													 PG_GETARG_DATUM(2))));
}

PG_FUNCTION_INFO_V1(incrload_in_batch_support);

Datum
incrload_in_batch_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);

	if (IsA(rawreq, SupportRequestSelectivity))
	{
		SupportRequestSelectivity *req = (SupportRequestSelectivity *) rawreq;
		Node	   *xid = req->args ? linitial(req->args) : NULL;

		req->selectivity = BATCH_SELECTIVITY;
		if (il_batch_rows_hint > 0 && !req->is_join && xid && IsA(xid, Var) &&
			((Var *) xid)->varlevelsup == 0 &&
			req->root && ((Var *) xid)->varno < req->root->simple_rel_array_size &&
			req->root->simple_rel_array[((Var *) xid)->varno] != NULL)
		{
			double		tuples = req->root->simple_rel_array[((Var *) xid)->varno]->tuples;

			if (tuples > 0)
				req->selectivity = Min(1.0, il_batch_rows_hint / tuples);
		}
		PG_RETURN_POINTER(req);
	}
	PG_RETURN_POINTER(NULL);
}
