# incrload: PGXS build.  `make && make install`, then see README.md.
MODULE_big = incrload
OBJS = \
	src/incrload.o \
	src/guc.o \
	src/catalog.o \
	src/capture.o \
	src/batch.o \
	src/settings.o \
	src/analyze.o \
	src/normalize.o \
	src/grouping_sets.o \
	src/distinct_on.o \
	src/recursive.o \
	src/top_n.o \
	src/window_aggregates.o \
	src/decorrelate.o \
	src/delta.o \
	src/storage.o \
	src/apply.o \
	src/explain.o \
	src/guard.o \
	src/register.o \
	src/api.o \
	src/ddl.o \
	src/history.o \
	src/stats.o \
	src/worker.o

EXTENSION = incrload
DATA = src/incrload--1.0.sql
PGFILEDESC = "incrload - incrementally maintained materialized views"

PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS = -Wall -Werror

REGRESS = $(sort $(patsubst sql/%.sql,%,$(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=.

ISOLATION = $(sort $(patsubst test/specs/%.spec,%,$(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --load-extension=incrload

TAP_TESTS = 1
PROVE_TESTS = $(sort $(wildcard test/t/*.pl))

EXTRA_CLEAN = results output_iso tmp_check regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
