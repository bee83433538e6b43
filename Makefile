# crmscm — PGXS build.
#
# Layout (see README "Architecture"):
#   src/core/*.c   numerical kernels in plain C, no PostgreSQL headers
#   src/*.c        thin PostgreSQL layer (types, functions, aggregates, triggers)
#   src/sql/*.sql  install-script sources, concatenated in file-name order
#   upgrade/*.sql  upgrade scripts crmscm--A--B.sql
#   sql/, expected/  pg_regress;  test/isolation/  isolationtester specs
#   test/pgtap/    pgTAP suites;  test/unit/  C unit tests of src/core

EXTENSION  = crmscm
EXTVERSION = $(shell sed -n "s/^default_version[[:space:]]*=[[:space:]]*'\(.*\)'/\1/p" $(EXTENSION).control)

MODULE_big = crmscm
CORE_SRCS  = $(sort $(wildcard src/core/*.c))
PG_SRCS    = $(sort $(wildcard src/*.c))
OBJS       = $(CORE_SRCS:.c=.o) $(PG_SRCS:.c=.o)

SQL_SRCS   = $(sort $(wildcard src/sql/*.sql))
DATA_built = $(EXTENSION)--$(EXTVERSION).sql
# upgrade steps crmscm--A--B.sql and frozen install scripts of released
# versions crmscm--X.Y.Z.sql (README "Upgrading")
DATA       = $(wildcard upgrade/$(EXTENSION)--*.sql)

REGRESS     := $(sort $(basename $(notdir $(wildcard sql/*.sql))))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)
ISOLATION   := $(sort $(basename $(notdir $(wildcard test/isolation/specs/*.spec))))
ISOLATION_OPTS := --inputdir=test/isolation --outputdir=test/isolation/output_iso --load-extension=$(EXTENSION)

PG_CPPFLAGS = -Isrc -Isrc/core
PG_CFLAGS   = -Wall -Wextra -Werror -Wno-unused-parameter
SHLIB_LINK  = -lproj -llbfgs -lm

EXTRA_CLEAN = $(DATA_built) test/unit/build test/isolation/output_iso results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(DATA_built): $(SQL_SRCS) $(EXTENSION).control
	cat $(SQL_SRCS) > $@

# C unit tests of the plain-C core, plain and under ASan+UBSan.
.PHONY: unit unit-san
unit:
	$(MAKE) -C test/unit run
unit-san:
	$(MAKE) -C test/unit run-san
