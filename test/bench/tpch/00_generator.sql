-- TPC-H data generator in SQL (no dbgen): the functions that make the
-- rows, schema tpchgen.  10_load.sql fills the eight tables with them;
-- the rounds' RF1 (20_harness.sql) makes its new orders with them too.
-- Run by test/bench/tpch.sh in the template database and in each run's.
--
-- Values follow the domains and distributions of the TPC-H specification
-- (section 4.2.3) closely enough that every one of the 22 queries with its
-- validation parameters returns rows: fixed nations and regions, the word
-- lists of p_type, p_container, p_name, segments, priorities, ship modes
-- and instructions, sparse order keys, customers with custkey divisible
-- by 3 never ordering, dates 1992-01-01 .. 1998-12-31 with the derived
-- ship, commit and receipt dates, return flags and line status from
-- CURRENTDATE 1995-06-17, o_orderstatus and o_totalprice from the lines.
-- Comments are words drawn from a 64-word list (one 64-bit hash gives ten
-- words); suppliers with suppkey mod 2000 = 17 complain (q16).  Three
-- orders of the initial data have seven lines of quantity 43..50, so that
-- q18 finds orders over 300 units at every scale factor (its natural rate
-- is ~4 in 100,000 orders, none at scale factor 0.01).
--
-- Pseudo-random values are hashes: tpchgen.r(k, salt, lo, hi) is uniform
-- in lo..hi, k the row's key, salt = seed * 1000 + a number per column,
-- so the data is the same for the same scale factor and seed, and RF1
-- (tpchgen.orders / tpchgen.lineitems past the initial orders) continues
-- the same sequence.  Every helper is an inlinable SQL function.
\set ON_ERROR_STOP 1
\set QUIET on

CREATE SCHEMA IF NOT EXISTS tpchgen;

-- 63-bit non-negative hash of (k, salt)
CREATE OR REPLACE FUNCTION tpchgen.h(k bigint, salt bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT hashint8extended(k, salt) & 9223372036854775807 $$;

-- uniform in lo..hi
CREATE OR REPLACE FUNCTION tpchgen.r(k bigint, salt bigint, lo bigint, hi bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT lo + (hashint8extended(k, salt) & 9223372036854775807) % (hi - lo + 1) $$;

-- word i (0..63) of the comment vocabulary
CREATE OR REPLACE FUNCTION tpchgen.word(i bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (ARRAY[
	'furious', 'sly', 'careful', 'blithe', 'quick', 'fluffy', 'slow', 'quiet',
	'ruthless', 'thin', 'close', 'dogged', 'daring', 'brave', 'stealthy', 'permanent',
	'enticing', 'idle', 'busy', 'regular', 'final', 'ironic', 'even', 'bold',
	'silent', 'special', 'pending', 'express', 'unusual', 'furiously', 'carefully', 'quickly',
	'slyly', 'blithely', 'accounts', 'deposits', 'packages', 'requests', 'instructions', 'theodolites',
	'beans', 'foxes', 'ideas', 'dependencies', 'excuses', 'platelets', 'asymptotes', 'courts',
	'dolphins', 'pinto', 'sleep', 'wake', 'cajole', 'haggle', 'nag', 'boost',
	'detect', 'integrate', 'maintain', 'nod', 'among', 'above', 'across', 'after'])[1 + i] $$;

-- nw (2..10) words, from the 6-bit fields of one hash h
CREATE OR REPLACE FUNCTION tpchgen.words(h bigint, nw int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT tpchgen.word(h & 63) || ' ' || tpchgen.word((h >> 6) & 63)
	|| CASE WHEN nw > 2 THEN ' ' || tpchgen.word((h >> 12) & 63) ELSE '' END
	|| CASE WHEN nw > 3 THEN ' ' || tpchgen.word((h >> 18) & 63) ELSE '' END
	|| CASE WHEN nw > 4 THEN ' ' || tpchgen.word((h >> 24) & 63) ELSE '' END
	|| CASE WHEN nw > 5 THEN ' ' || tpchgen.word((h >> 30) & 63) ELSE '' END
	|| CASE WHEN nw > 6 THEN ' ' || tpchgen.word((h >> 36) & 63) ELSE '' END
	|| CASE WHEN nw > 7 THEN ' ' || tpchgen.word((h >> 42) & 63) ELSE '' END
	|| CASE WHEN nw > 8 THEN ' ' || tpchgen.word((h >> 48) & 63) ELSE '' END
	|| CASE WHEN nw > 9 THEN ' ' || tpchgen.word((h >> 54) & 63) ELSE '' END $$;

-- order index i (1, 2, ...) -> o_orderkey: the first 8 of every 32 keys, as dbgen
CREATE OR REPLACE FUNCTION tpchgen.okey(i bigint) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (((i - 1) / 8) * 32 + (i - 1) % 8 + 1)::int $$;

-- o_orderdate: uniform in 1992-01-01 .. 1998-08-02 (ENDDATE - 151 days)
CREATE OR REPLACE FUNCTION tpchgen.odate(seed int, i bigint) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT date '1992-01-01' + tpchgen.r(i, seed * 1000 + 1, 0, date '1998-08-02' - date '1992-01-01')::int $$;

-- the three orders of the initial data with seven lines of 43..50 units (q18)
CREATE OR REPLACE FUNCTION tpchgen.bulk(i bigint, norders bigint) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT i <= norders AND i % greatest(norders / 3, 1) = norders / 6 $$;

CREATE OR REPLACE FUNCTION tpchgen.nlines(seed int, i bigint, norders bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN tpchgen.bulk(i, norders) THEN 7 ELSE tpchgen.r(i, seed * 1000 + 2, 1, 7) END $$;

CREATE OR REPLACE FUNCTION tpchgen.retailprice(p bigint) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT ((90000 + (p / 10) % 20001 + 100 * (p % 1000)) / 100.0)::numeric(15,2) $$;

-- the j-th (0..3) supplier of part p among nsupp suppliers
CREATE OR REPLACE FUNCTION tpchgen.psupp(p bigint, j bigint, nsupp bigint) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT ((p + j * (nsupp / 4 + (p - 1) / nsupp)) % nsupp + 1)::int $$;

-- country code (nation + 10) and three groups of digits
CREATE OR REPLACE FUNCTION tpchgen.phone(nation bigint, k bigint, salt bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (nation + 10)::text || '-' || tpchgen.r(k, salt, 100, 999)::text || '-'
	|| tpchgen.r(k, salt + 1, 100, 999)::text || '-' || tpchgen.r(k, salt + 2, 1000, 9999)::text $$;

-- 10 to 40 characters
CREATE OR REPLACE FUNCTION tpchgen.address(k bigint, salt bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT left(md5(k::text || ':' || salt::text) || md5(salt::text || ':' || k::text),
			   tpchgen.r(k, salt, 10, 40)::int) $$;

/*
 * Orders of indexes i_lo .. i_hi (the initial data: 1 .. norders; RF1:
 * past them), without o_orderstatus and o_totalprice, which come from
 * their lines.  Customers: custkey mod 3 <> 0 (a third never order).
 */
CREATE OR REPLACE FUNCTION tpchgen.orders(seed int, i_lo bigint, i_hi bigint, ncust bigint, nclerk bigint)
RETURNS TABLE (o_orderkey int, o_custkey int, o_orderdate date, o_orderpriority text,
			   o_clerk text, o_shippriority int, o_comment text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT tpchgen.okey(i),
		  (3 * tpchgen.r(i, seed * 1000 + 3, 0, ncust / 3 - 1) + 1 + tpchgen.r(i, seed * 1000 + 4, 0, 1))::int,
		  tpchgen.odate(seed, i),
		  (ARRAY['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'])[1 + tpchgen.r(i, seed * 1000 + 5, 0, 4)],
		  'Clerk#' || lpad(tpchgen.r(i, seed * 1000 + 6, 1, nclerk)::text, 9, '0'),
		  0,
		  tpchgen.words(tpchgen.h(i, seed * 1000 + 7), tpchgen.r(i, seed * 1000 + 8, 3, 10)::int)
	 FROM generate_series(i_lo, i_hi) i $$;

/*
 * The lines of orders i_lo .. i_hi: 1..7 per order, part uniform, one of
 * its four suppliers, quantity 1..50, discount 0..0.10, tax 0..0.08,
 * shipped 1..121 days after the order, committed 30..90 days after it,
 * received 1..30 days after shipping; returnflag R or A if received by
 * 1995-06-17, else N; linestatus O if shipped after it, else F.
 */
CREATE OR REPLACE FUNCTION tpchgen.lineitems(seed int, i_lo bigint, i_hi bigint, npart bigint,
											 nsupp bigint, norders bigint)
RETURNS TABLE (l_orderkey int, l_partkey int, l_suppkey int, l_linenumber int,
			   l_quantity numeric(15,2), l_extendedprice numeric(15,2), l_discount numeric(15,2),
			   l_tax numeric(15,2), l_returnflag char(1), l_linestatus char(1), l_shipdate date,
			   l_commitdate date, l_receiptdate date, l_shipinstruct text, l_shipmode text,
			   l_comment text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT tpchgen.okey(i),
		  x.p::int,
		  tpchgen.psupp(x.p, tpchgen.r(x.k, seed * 1000 + 11, 0, 3), nsupp),
		  ln::int,
		  x.q::numeric(15,2),
		  (x.q * tpchgen.retailprice(x.p))::numeric(15,2),
		  (tpchgen.r(x.k, seed * 1000 + 13, 0, 10) / 100.0)::numeric(15,2),
		  (tpchgen.r(x.k, seed * 1000 + 14, 0, 8) / 100.0)::numeric(15,2),
		  CASE WHEN y.receipt > date '1995-06-17' THEN 'N'
			   WHEN tpchgen.r(x.k, seed * 1000 + 18, 0, 1) = 0 THEN 'R' ELSE 'A' END,
		  CASE WHEN y.ship > date '1995-06-17' THEN 'O' ELSE 'F' END,
		  y.ship,
		  x.od + tpchgen.r(x.k, seed * 1000 + 16, 30, 90)::int,
		  y.receipt,
		  (ARRAY['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'])[1 + tpchgen.r(x.k, seed * 1000 + 19, 0, 3)],
		  (ARRAY['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'])[1 + tpchgen.r(x.k, seed * 1000 + 20, 0, 6)],
		  tpchgen.words(tpchgen.h(x.k, seed * 1000 + 21), tpchgen.r(x.k, seed * 1000 + 22, 2, 5)::int)
	 FROM generate_series(i_lo, i_hi) i,
		  LATERAL generate_series(1, tpchgen.nlines(seed, i, norders)) ln,
		  LATERAL (SELECT i * 8 + ln AS k,
						  tpchgen.odate(seed, i) AS od,
						  tpchgen.r(i * 8 + ln, seed * 1000 + 10, 1, npart) AS p,
						  CASE WHEN tpchgen.bulk(i, norders) THEN tpchgen.r(i * 8 + ln, seed * 1000 + 12, 43, 50)
							   ELSE tpchgen.r(i * 8 + ln, seed * 1000 + 12, 1, 50) END AS q) x,
		  LATERAL (SELECT x.od + tpchgen.r(x.k, seed * 1000 + 15, 1, 121)::int AS ship,
						  x.od + tpchgen.r(x.k, seed * 1000 + 15, 1, 121)::int
							   + tpchgen.r(x.k, seed * 1000 + 17, 1, 30)::int AS receipt) y $$;

-- o_orderstatus and o_totalprice of orders from their lines
CREATE OR REPLACE FUNCTION tpchgen.orderstatus(all_f boolean, all_o boolean) RETURNS char(1)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN all_f THEN 'F' WHEN all_o THEN 'O' ELSE 'P' END $$;
