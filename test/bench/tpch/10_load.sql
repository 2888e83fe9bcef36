-- The eight TPC-H tables at scale factor :sf, seed :seed, filled from the
-- generator (00_generator.sql), then primary keys, an index on every
-- foreign-key column, the foreign keys, VACUUM ANALYZE.  Run once per
-- cluster by test/bench/tpch.sh in database tpch_gen, which every run
-- copies.  Tables are ordinary (logged) tables: incrload refuses unlogged
-- ones.  Indexes and constraints come after the load: faster.
\set ON_ERROR_STOP 1
\set QUIET on
SET maintenance_work_mem = '1GB';

SELECT (10000 * :sf)::bigint AS nsupp, (200000 * :sf)::bigint AS npart,
	   (150000 * :sf)::bigint AS ncust, (1500000 * :sf)::bigint AS norders,
	   greatest(1, (1000 * :sf)::bigint) AS nclerk \gset

-- what RF1 needs to continue the sequence; next_order: the next order index
CREATE TABLE tpchgen.params (
	sf numeric NOT NULL,
	seed int NOT NULL,
	nsupp bigint NOT NULL,
	npart bigint NOT NULL,
	ncust bigint NOT NULL,
	norders bigint NOT NULL,
	nclerk bigint NOT NULL,
	next_order bigint NOT NULL
);
INSERT INTO tpchgen.params VALUES (:sf, :seed, :nsupp, :npart, :ncust, :norders, :nclerk, :norders + 1);

CREATE TABLE region (
	r_regionkey int NOT NULL,
	r_name varchar(25) NOT NULL,
	r_comment varchar(152)
);
CREATE TABLE nation (
	n_nationkey int NOT NULL,
	n_name varchar(25) NOT NULL,
	n_regionkey int NOT NULL,
	n_comment varchar(152)
);
CREATE TABLE part (
	p_partkey int NOT NULL,
	p_name varchar(55) NOT NULL,
	p_mfgr varchar(25) NOT NULL,
	p_brand varchar(10) NOT NULL,
	p_type varchar(25) NOT NULL,
	p_size int NOT NULL,
	p_container varchar(10) NOT NULL,
	p_retailprice numeric(15,2) NOT NULL,
	p_comment varchar(23) NOT NULL
);
CREATE TABLE supplier (
	s_suppkey int NOT NULL,
	s_name varchar(25) NOT NULL,
	s_address varchar(40) NOT NULL,
	s_nationkey int NOT NULL,
	s_phone varchar(15) NOT NULL,
	s_acctbal numeric(15,2) NOT NULL,
	s_comment varchar(101) NOT NULL
);
CREATE TABLE partsupp (
	ps_partkey int NOT NULL,
	ps_suppkey int NOT NULL,
	ps_availqty int NOT NULL,
	ps_supplycost numeric(15,2) NOT NULL,
	ps_comment varchar(199) NOT NULL
);
CREATE TABLE customer (
	c_custkey int NOT NULL,
	c_name varchar(25) NOT NULL,
	c_address varchar(40) NOT NULL,
	c_nationkey int NOT NULL,
	c_phone varchar(15) NOT NULL,
	c_acctbal numeric(15,2) NOT NULL,
	c_mktsegment varchar(10) NOT NULL,
	c_comment varchar(117) NOT NULL
);
CREATE TABLE orders (
	o_orderkey int NOT NULL,
	o_custkey int NOT NULL,
	o_orderstatus char(1) NOT NULL,
	o_totalprice numeric(15,2) NOT NULL,
	o_orderdate date NOT NULL,
	o_orderpriority varchar(15) NOT NULL,
	o_clerk varchar(15) NOT NULL,
	o_shippriority int NOT NULL,
	o_comment varchar(79) NOT NULL
);
CREATE TABLE lineitem (
	l_orderkey int NOT NULL,
	l_partkey int NOT NULL,
	l_suppkey int NOT NULL,
	l_linenumber int NOT NULL,
	l_quantity numeric(15,2) NOT NULL,
	l_extendedprice numeric(15,2) NOT NULL,
	l_discount numeric(15,2) NOT NULL,
	l_tax numeric(15,2) NOT NULL,
	l_returnflag char(1) NOT NULL,
	l_linestatus char(1) NOT NULL,
	l_shipdate date NOT NULL,
	l_commitdate date NOT NULL,
	l_receiptdate date NOT NULL,
	l_shipinstruct varchar(25) NOT NULL,
	l_shipmode varchar(10) NOT NULL,
	l_comment varchar(44) NOT NULL
);

INSERT INTO region VALUES
	(0, 'AFRICA', 'lar deposits. blithely final packages cajole'),
	(1, 'AMERICA', 'hs use ironic, even requests'),
	(2, 'ASIA', 'ges. thinly even pinto beans ca'),
	(3, 'EUROPE', 'ly final courts cajole furiously final excuse'),
	(4, 'MIDDLE EAST', 'uickly special accounts cajole carefully blithely close requests');

INSERT INTO nation (n_nationkey, n_name, n_regionkey)
VALUES (0, 'ALGERIA', 0), (1, 'ARGENTINA', 1), (2, 'BRAZIL', 1), (3, 'CANADA', 1),
	   (4, 'EGYPT', 4), (5, 'ETHIOPIA', 0), (6, 'FRANCE', 3), (7, 'GERMANY', 3),
	   (8, 'INDIA', 2), (9, 'INDONESIA', 2), (10, 'IRAN', 4), (11, 'IRAQ', 4),
	   (12, 'JAPAN', 2), (13, 'JORDAN', 4), (14, 'KENYA', 0), (15, 'MOROCCO', 0),
	   (16, 'MOZAMBIQUE', 0), (17, 'PERU', 1), (18, 'CHINA', 2), (19, 'ROMANIA', 3),
	   (20, 'SAUDI ARABIA', 4), (21, 'VIETNAM', 2), (22, 'RUSSIA', 3),
	   (23, 'UNITED KINGDOM', 3), (24, 'UNITED STATES', 1);
UPDATE nation SET n_comment = tpchgen.words(tpchgen.h(n_nationkey, :seed * 1000 + 99), 6);

/*
 * p_name: five distinct colours (92 of them), positions b, b+s, ... mod 92
 * with s odd and not 23 or 69 (so the five never repeat); p_type: one of
 * 150 three-syllable types; p_container: one of 40.
 */
INSERT INTO part
SELECT p,
	   c[1 + b] || ' ' || c[1 + (b + s) % 92] || ' ' || c[1 + (b + 2 * s) % 92] || ' '
		 || c[1 + (b + 3 * s) % 92] || ' ' || c[1 + (b + 4 * s) % 92],
	   'Manufacturer#' || m,
	   'Brand#' || m || tpchgen.r(p, :seed * 1000 + 33, 1, 5),
	   (ARRAY['STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO'])[1 + tpchgen.r(p, :seed * 1000 + 34, 0, 5)]
		 || ' ' || (ARRAY['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED'])[1 + tpchgen.r(p, :seed * 1000 + 35, 0, 4)]
		 || ' ' || (ARRAY['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER'])[1 + tpchgen.r(p, :seed * 1000 + 36, 0, 4)],
	   tpchgen.r(p, :seed * 1000 + 37, 1, 50),
	   (ARRAY['SM', 'LG', 'MED', 'JUMBO', 'WRAP'])[1 + tpchgen.r(p, :seed * 1000 + 38, 0, 4)]
		 || ' ' || (ARRAY['CASE', 'BOX', 'BAG', 'JAR', 'PKG', 'PACK', 'CAN', 'DRUM'])[1 + tpchgen.r(p, :seed * 1000 + 39, 0, 7)],
	   tpchgen.retailprice(p),
	   left(tpchgen.words(tpchgen.h(p, :seed * 1000 + 40), tpchgen.r(p, :seed * 1000 + 41, 2, 3)::int), 22)
  FROM (SELECT p, tpchgen.r(p, :seed * 1000 + 30, 0, 91) AS b,
			   CASE WHEN 1 + 2 * tpchgen.r(p, :seed * 1000 + 31, 0, 44) IN (23, 69)
					THEN 3 + 2 * tpchgen.r(p, :seed * 1000 + 31, 0, 44)
					ELSE 1 + 2 * tpchgen.r(p, :seed * 1000 + 31, 0, 44) END AS s,
			   tpchgen.r(p, :seed * 1000 + 32, 1, 5) AS m
		  FROM generate_series(1, :npart) p) x,
	   (SELECT ARRAY[
		'almond', 'antique', 'aquamarine', 'azure', 'beige', 'bisque', 'black', 'blanched', 'blue',
		'blush', 'brown', 'burlywood', 'burnished', 'chartreuse', 'chiffon', 'chocolate', 'coral',
		'cornflower', 'cornsilk', 'cream', 'cyan', 'dark', 'deep', 'dim', 'dodger', 'drab', 'firebrick',
		'floral', 'forest', 'frosted', 'gainsboro', 'ghost', 'goldenrod', 'green', 'grey', 'honeydew',
		'hot', 'indian', 'ivory', 'khaki', 'lace', 'lavender', 'lawn', 'lemon', 'light', 'lime', 'linen',
		'magenta', 'maroon', 'medium', 'metallic', 'midnight', 'mint', 'misty', 'moccasin', 'navajo',
		'navy', 'olive', 'orange', 'orchid', 'pale', 'papaya', 'peach', 'peru', 'pink', 'plum', 'powder',
		'puff', 'purple', 'red', 'rose', 'rosy', 'royal', 'saddle', 'salmon', 'sandy', 'seashell',
		'sienna', 'sky', 'slate', 'smoke', 'snow', 'spring', 'steel', 'tan', 'thistle', 'tomato',
		'turquoise', 'violet', 'wheat', 'white', 'yellow'] AS c) colours;

-- suppliers with suppkey mod 2000 = 17 complain, = 1017 recommend (q16)
INSERT INTO supplier
SELECT s,
	   'Supplier#' || lpad(s::text, 9, '0'),
	   tpchgen.address(s, :seed * 1000 + 50),
	   n,
	   tpchgen.phone(n, s, :seed * 1000 + 52),
	   (tpchgen.r(s, :seed * 1000 + 55, -99999, 999999) / 100.0)::numeric(15,2),
	   left(CASE s % 2000
				WHEN 17 THEN tpchgen.words(tpchgen.h(s, :seed * 1000 + 56), 2) || ' Customer '
					|| tpchgen.words(tpchgen.h(s, :seed * 1000 + 57), 2) || ' Complaints'
				WHEN 1017 THEN tpchgen.words(tpchgen.h(s, :seed * 1000 + 56), 2) || ' Customer '
					|| tpchgen.words(tpchgen.h(s, :seed * 1000 + 57), 2) || ' Recommends'
				ELSE tpchgen.words(tpchgen.h(s, :seed * 1000 + 56), tpchgen.r(s, :seed * 1000 + 58, 4, 10)::int)
			END, 100)
  FROM (SELECT s, tpchgen.r(s, :seed * 1000 + 51, 0, 24) AS n FROM generate_series(1, :nsupp) s) x;

-- four suppliers per part
INSERT INTO partsupp
SELECT p, tpchgen.psupp(p, j, :nsupp),
	   tpchgen.r(p * 4 + j, :seed * 1000 + 60, 1, 9999),
	   (tpchgen.r(p * 4 + j, :seed * 1000 + 61, 100, 100000) / 100.0)::numeric(15,2),
	   left(tpchgen.words(tpchgen.h(p * 4 + j, :seed * 1000 + 62), 10) || ' '
			|| tpchgen.words(tpchgen.h(p * 4 + j, :seed * 1000 + 63), tpchgen.r(p * 4 + j, :seed * 1000 + 64, 2, 10)::int), 198)
  FROM generate_series(1, :npart) p, generate_series(0, 3) j;

INSERT INTO customer
SELECT c,
	   'Customer#' || lpad(c::text, 9, '0'),
	   tpchgen.address(c, :seed * 1000 + 70),
	   n,
	   tpchgen.phone(n, c, :seed * 1000 + 72),
	   (tpchgen.r(c, :seed * 1000 + 75, -99999, 999999) / 100.0)::numeric(15,2),
	   (ARRAY['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'MACHINERY', 'HOUSEHOLD'])[1 + tpchgen.r(c, :seed * 1000 + 76, 0, 4)],
	   left(tpchgen.words(tpchgen.h(c, :seed * 1000 + 77), tpchgen.r(c, :seed * 1000 + 78, 4, 10)::int), 116)
  FROM (SELECT c, tpchgen.r(c, :seed * 1000 + 71, 0, 24) AS n FROM generate_series(1, :ncust) c) x;

INSERT INTO lineitem
SELECT l_orderkey, l_partkey, l_suppkey, l_linenumber, l_quantity, l_extendedprice, l_discount, l_tax,
	   l_returnflag, l_linestatus, l_shipdate, l_commitdate, l_receiptdate, l_shipinstruct, l_shipmode,
	   left(l_comment, 43)
  FROM tpchgen.lineitems(:seed, 1, :norders, :npart, :nsupp, :norders);

-- status and total price from the lines just loaded
INSERT INTO orders
SELECT o.o_orderkey, o.o_custkey, tpchgen.orderstatus(l.all_f, l.all_o), l.total, o.o_orderdate,
	   o.o_orderpriority, o.o_clerk, o.o_shippriority, left(o.o_comment, 78)
  FROM tpchgen.orders(:seed, 1, :norders, :ncust, :nclerk) o
  JOIN (SELECT l_orderkey, bool_and(l_linestatus = 'F') AS all_f, bool_and(l_linestatus = 'O') AS all_o,
			   sum(round(l_extendedprice * (1 + l_tax) * (1 - l_discount), 2)) AS total
		  FROM lineitem GROUP BY l_orderkey) l ON l.l_orderkey = o.o_orderkey
 ORDER BY o.o_orderkey;

ALTER TABLE region ADD PRIMARY KEY (r_regionkey);
ALTER TABLE nation ADD PRIMARY KEY (n_nationkey);
ALTER TABLE part ADD PRIMARY KEY (p_partkey);
ALTER TABLE supplier ADD PRIMARY KEY (s_suppkey);
ALTER TABLE partsupp ADD PRIMARY KEY (ps_partkey, ps_suppkey);
ALTER TABLE customer ADD PRIMARY KEY (c_custkey);
ALTER TABLE orders ADD PRIMARY KEY (o_orderkey);
ALTER TABLE lineitem ADD PRIMARY KEY (l_orderkey, l_linenumber);

-- an index on every foreign-key column (ps_partkey and l_orderkey lead
-- their primary keys; (l_partkey, l_suppkey) serves the keys to part and
-- to partsupp)
CREATE INDEX ON nation (n_regionkey);
CREATE INDEX ON supplier (s_nationkey);
CREATE INDEX ON customer (c_nationkey);
CREATE INDEX ON partsupp (ps_suppkey);
CREATE INDEX ON orders (o_custkey);
CREATE INDEX ON lineitem (l_partkey, l_suppkey);
CREATE INDEX ON lineitem (l_suppkey);

ALTER TABLE nation ADD FOREIGN KEY (n_regionkey) REFERENCES region;
ALTER TABLE supplier ADD FOREIGN KEY (s_nationkey) REFERENCES nation;
ALTER TABLE customer ADD FOREIGN KEY (c_nationkey) REFERENCES nation;
ALTER TABLE partsupp ADD FOREIGN KEY (ps_partkey) REFERENCES part;
ALTER TABLE partsupp ADD FOREIGN KEY (ps_suppkey) REFERENCES supplier;
ALTER TABLE orders ADD FOREIGN KEY (o_custkey) REFERENCES customer;
ALTER TABLE lineitem ADD FOREIGN KEY (l_orderkey) REFERENCES orders;
ALTER TABLE lineitem ADD FOREIGN KEY (l_partkey, l_suppkey) REFERENCES partsupp;
ALTER TABLE lineitem ADD FOREIGN KEY (l_partkey) REFERENCES part;
ALTER TABLE lineitem ADD FOREIGN KEY (l_suppkey) REFERENCES supplier;

VACUUM (ANALYZE);
