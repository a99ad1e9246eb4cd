# workflow_ext - PGXS build of the C shim (src/pg) and the C++17 core (src/core).

EXTENSION   = workflow_ext
# The version lives in one place: the control file's default_version.
EXTVERSION  = $(shell sed -n "s/^default_version *= *'\\(.*\\)'/\\1/p" $(EXTENSION).control)
MODULE_big  = workflow_ext

CORE_SRCS   = $(sort $(wildcard src/core/*.cpp))
SHIM_SRCS   = $(sort $(wildcard src/pg/*.c))
OBJS        = $(SHIM_SRCS:.c=.o) $(CORE_SRCS:.cpp=.o)

# The install script of the current version is assembled from sql/install/,
# one concept per file, in name order.  Earlier versions' install scripts and
# the upgrade scripts (sql/workflow_ext--A--B.sql) ship as they are.
SQL_PARTS   = $(sort $(wildcard sql/install/*.sql))
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql
DATA        = $(wildcard sql/$(EXTENSION)--*.sql)

# SQL tests against a real server: pg_regress (plain and pgTAP) and isolation.
REGRESS      = setup schema definitions pipeline conditions condition_cache condition_memory condition_limits rules_alerts security require_actor malformed tap_schema tap_api tap_rls dump_restore condition_values condition_language2 teardown

REGRESS_OPTS = --inputdir=test --outputdir=test --load-extension=plpgsql
ISOLATION      = concurrent_moves events cache_invalidation
ISOLATION_OPTS = --inputdir=test --outputdir=test/isolation

PG_CPPFLAGS = -I$(srcdir)/src/core
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wno-unused-parameter
SHLIB_LINK  = -lre2 -licuuc -lstdc++

# Debian's PostgreSQL has LLVM bitcode on; its clang rules would compile the
# C++ core without -std=c++17.  The extension needs no JIT inlining.
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies without --enable-depend: rebuild on any.
$(OBJS): $(wildcard src/core/*.hpp src/core/*.h src/pg/*.h)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS) $(EXTENSION).control
	( printf '%s\n' '\echo Use "CREATE EXTENSION $(EXTENSION)" to load this file. \quit'; cat $(SQL_PARTS) ) > $@

# --- the core alone: GoogleTest, no server -----------------------------------
CORE_TEST_SRCS = $(sort $(wildcard test/core/*.cpp))
CORE_TEST_BIN  = build/core_tests
CORE_TEST_FLAGS = -std=c++17 -O1 -g -Wall -Wextra -Werror -Isrc/core -Itest/core

$(CORE_TEST_BIN): $(CORE_SRCS) $(CORE_TEST_SRCS) $(wildcard src/core/*.hpp src/core/*.h test/core/*.hpp)
	@mkdir -p build
	$(CXX) $(CORE_TEST_FLAGS) $(CORE_SRCS) $(CORE_TEST_SRCS) -lgtest -lgtest_main -lre2 -licuuc -pthread -o $@

.PHONY: core-test
core-test: $(CORE_TEST_BIN)
	$(CORE_TEST_BIN) --gtest_brief=1

clean: clean-core
.PHONY: clean-core
clean-core:
	rm -rf build test/results test/results_isolation

# --- benchmarks (bench/): every scenario beside its baselines, in one run ---
BENCH_PGOPTS = -o shared_buffers=1GB -o synchronous_commit=off -o max_wal_size=4GB -o checkpoint_timeout=30min

build/bench_core: bench/core/bench_core.cpp $(CORE_SRCS) $(wildcard src/core/*.hpp src/core/*.h)
	@mkdir -p build
	$(CXX) -std=c++17 -O2 -DBENCH_CONDITIONS='"$(abspath bench/conditions.json)"' -Isrc/core -Itest/core \
	    bench/core/bench_core.cpp $(CORE_SRCS) -lbenchmark -lpthread -lre2 -licuuc -o $@

.PHONY: bench-deps bench bench-smoke
bench-deps: build/bench_core
	@command -v gnuplot >/dev/null || apt-get install -y -qq gnuplot-nox >/dev/null
	@test -d bench/node/node_modules || (cd bench/node && npm install --no-audit --no-fund --silent)

bench: bench-deps
	pg_virtualenv -v 15 $(BENCH_PGOPTS) /usr/bin/python3 bench/run.py

bench-smoke: bench-deps
	pg_virtualenv -v 15 /usr/bin/python3 bench/run.py --smoke
