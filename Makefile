# workflow_ext - PGXS build of the C shim (src/pg) and the C++17 core (src/core).

EXTENSION   = workflow_ext
# The version lives in one place: the control file's default_version.
EXTVERSION  = $(shell sed -n "s/^default_version *= *'\\(.*\\)'/\\1/p" $(EXTENSION).control)
MODULE_big  = workflow_ext

CORE_SRCS   = $(sort $(wildcard src/core/*.cpp))
SHIM_SRCS   = $(sort $(wildcard src/pg/*.c))
OBJS        = $(SHIM_SRCS:.c=.o) $(CORE_SRCS:.cpp=.o)

# The install script of the current version is assembled from sql/install/,
# one concept per file, in name order.  The update to the current version is
# assembled from its hand-written part (sql/update/A--B.sql: what moves the
# data) and those same parts (scripts/update_script.sh), so that it builds
# exactly what the install script builds.  Earlier versions' install scripts
# and their updates (sql/workflow_ext--A--B.sql) ship as they are.
SQL_PARTS   = $(sort $(wildcard sql/install/*.sql))
UPDATE_SRCS = $(wildcard sql/update/*--$(EXTVERSION).sql)
DATA_built  = $(EXTENSION)--$(EXTVERSION).sql $(patsubst sql/update/%.sql,$(EXTENSION)--%.sql,$(UPDATE_SRCS))
DATA        = $(wildcard sql/$(EXTENSION)--*.sql)

# SQL tests against a real server: pg_regress (plain and pgTAP) and isolation.
REGRESS      = setup schema definitions pipeline conditions condition_cache condition_memory condition_limits rules_alerts security require_actor attacks review_round3 enforcement event_feed malformed tap_schema tap_api tap_rls dump_restore condition_values condition_language2 node_role organizations tenant_merge transfer_remove rejection_reasons auto_advance archive pipeline_funnel secure_defaults sla_time_zone two_phase extension_changes feed_restore facts_source_security stage_cache_memory share_offers bounded_sizes bulk_moves error_reasons review_round5 policy_cache moves_per_transaction screening_index policy_cache_attacks alert_repeats alert_repeats_attacks history_plans batched_writes batched_writes_attacks entry_event_arbiters api_surface alert_repeats_settings facts_row_stamp newcomer6 attack10 facts_setwise_reads facts_probe newcomer7_erasure attack12 newcomer7_role_trigger newcomer7_require_actor newcomer7_application_facts newcomer7_consistency kept_plans newcomer8_api_errors owner_writes attack14 attack15_forced_rls bulk_reject teardown

REGRESS_OPTS = --inputdir=test --outputdir=test --load-extension=plpgsql
ISOLATION      = concurrent_moves events cache_invalidation snapshot_cache facts_move_race event_feed_order insert_vs_delete tenant_isolation transfer_vs_move auto_advance_race facts_lock_order stage_cache_rls_bypass stage_insert_wait bulk_moves_race policy_cache_snapshots funnel_compaction alert_repeats_race feed_advance_snapshot alert_repeats_arbiters facts_setwise_advance facts_setwise_utility_lock facts_setwise_job_lock facts_setwise_hot_order facts_setwise_frame_room facts_setwise_frame_trigger facts_setwise_plan_order notify_counts_skipped attack12_keyed_order attack14_invalidation_wait erasure_entry_race bulk_reject_race attack16_ssi_bulk
ISOLATION_OPTS = --inputdir=test --outputdir=test/isolation
# pgTAP files (test/sql/tap_*.sql) run through pg_prove (make prove), each
# standing alone, rather than diffed against expected TAP text.
REGRESS     := $(filter-out tap_%,$(REGRESS))
PGTAP_TESTS  = $(sort $(wildcard test/sql/tap_*.sql))

PG_CPPFLAGS = -I$(srcdir)/src/core
# A C function used without its header is an error, not an int-returning guess.
PG_CFLAGS = -Werror=implicit-function-declaration
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wno-unused-parameter
SHLIB_LINK  = -lre2 -licuuc -lstdc++

# Debian's PostgreSQL has LLVM bitcode on; its clang rules would compile the
# C++ core without -std=c++17.  The extension needs no JIT inlining.
override with_llvm = no

PG_CONFIG ?= pg_config

# PostgreSQL 15 or later: the views are security_invoker (new in 15), so an
# older server could not run the install script.  Fail here, not halfway.
PG_MAJOR := $(shell $(PG_CONFIG) --version 2>/dev/null | sed -n 's/^PostgreSQL \([0-9][0-9]*\).*/\1/p')
ifeq ($(PG_MAJOR),)
$(error cannot run "$(PG_CONFIG) --version": set PG_CONFIG to the pg_config of PostgreSQL 15 or later)
endif
ifneq ($(shell test $(PG_MAJOR) -ge 15 && echo yes),yes)
$(error workflow_ext needs PostgreSQL 15 or later (security_invoker views); $(PG_CONFIG) is PostgreSQL $(PG_MAJOR))
endif

# What the tests and the build leave behind, removed by make clean.
EXTRA_CLEAN = build test/results test/regression.diffs test/regression.out test/isolation \
              bench/results/smoke.* bench/pgbench_log* $(EXTENSION)-*.zip \
              proxy/workflow_ext_proxy--0.2.0--$(EXTVERSION).sql

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
# The earlier versions' frozen code linked into the one library, and make legacycheck (legacy/README.md).
include legacy/legacy.mk

# PGXS tracks no header dependencies without --enable-depend: rebuild on any.
$(OBJS): $(wildcard src/core/*.hpp src/core/*.h src/pg/*.h)

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_PARTS) $(EXTENSION).control
	( printf '%s\n' '\echo Use "CREATE EXTENSION $(EXTENSION)" to load this file. \quit'; cat $(SQL_PARTS) ) > $@

$(EXTENSION)--%--$(EXTVERSION).sql: sql/update/%--$(EXTVERSION).sql $(SQL_PARTS) scripts/update_script.sh
	scripts/update_script.sh $< > $@.tmp && mv $@.tmp $@

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

# --- pgTAP through pg_prove, against the server of PGHOST/PGPORT/PGUSER -------
# Each file loads what it needs (test/sql/tap_fixtures.psql) inside its own
# transaction and rolls it all back, so it runs alone in any database.
PROVE_DB ?= workflow_ext_prove

.PHONY: prove
prove:
	dropdb --if-exists $(PROVE_DB) && createdb $(PROVE_DB)
	pg_prove -d $(PROVE_DB) $(PGTAP_TESTS); rc=$$?; dropdb --if-exists $(PROVE_DB); exit $$rc

# --- upgrade: 0.1.0 filled with data, ALTER EXTENSION UPDATE, compared with a
# fresh install of the current version (test/upgrade/updatecheck.sh) ---------
.PHONY: updatecheck
updatecheck:
	PG_CONFIG=$(PG_CONFIG) python3 test/upgrade/updatecheck.py $(EXTVERSION)

# --- PGXN: the release zip, from git (committed files only) ------------------
.PHONY: dist
dist:
	git archive --format zip --prefix=$(EXTENSION)-$(EXTVERSION)/ -o $(EXTENSION)-$(EXTVERSION).zip HEAD

# --- benchmarks (bench/): every scenario beside its baselines, in one run ---
BENCH_PGOPTS = -o shared_buffers=1GB -o synchronous_commit=off -o max_wal_size=4GB -o checkpoint_timeout=30min

build/bench_core: bench/core/bench_core.cpp $(CORE_SRCS) $(wildcard src/core/*.hpp src/core/*.h)
	@mkdir -p build
	$(CXX) -std=c++17 -O2 -DBENCH_CONDITIONS='"$(abspath bench/conditions.json)"' -Isrc/core -Itest/core \
	    bench/core/bench_core.cpp $(CORE_SRCS) -lbenchmark -lpthread -lre2 -licuuc -o $@

.PHONY: bench-deps bench bench-smoke
bench-deps: build/bench_core
	@command -v gnuplot >/dev/null || { echo "gnuplot is missing: run scripts/setup.sh"; exit 1; }
	@test -d bench/node/node_modules || (cd bench/node && npm install --no-audit --no-fund --silent)

bench: bench-deps
	pg_virtualenv -v 15 $(BENCH_PGOPTS) /usr/bin/python3 bench/run.py

bench-smoke: bench-deps
	pg_virtualenv -v 15 /usr/bin/python3 bench/run.py --smoke

# 0.3.0 against 0.2.0 as a non-superuser application role, and where the time
# of a move goes (bench/tenant_move.py, bench/results/tenant_move.md); needs
# make install (0.2.0's code too).  pg_stat_statements is loaded with tracking
# off; the script turns it on for its diagnosis only.  -smoke: seconds.
BENCH_TENANT_PGOPTS = -o shared_preload_libraries=pg_stat_statements -o pg_stat_statements.track=none
.PHONY: bench-tenant bench-tenant-smoke
bench-tenant:
	pg_virtualenv -t -v 15 $(BENCH_PGOPTS) $(BENCH_TENANT_PGOPTS) /usr/bin/python3 bench/tenant_move.py

bench-tenant-smoke:
	pg_virtualenv -t -v 15 $(BENCH_TENANT_PGOPTS) /usr/bin/python3 bench/tenant_move.py --smoke

# pipeline_funnel() on a job of 100,000 candidates and 1,000,000 history rows,
# as a non-superuser application role (bench/funnel.py,
# bench/results/pipeline_funnel.md); needs make install.
.PHONY: bench-funnel
bench-funnel:
	pg_virtualenv -t -v 15 $(BENCH_PGOPTS) /usr/bin/python3 bench/funnel.py

# --- the PL/Proxy front (proxy/), installed with the extension ---------------
.PHONY: proxy-install
install: proxy-install
proxy-install:
	$(MAKE) -C proxy install PG_CONFIG=$(PG_CONFIG)
# (its C module, proxy/workflow_ext_proxy.c, is built by that install)
.PHONY: proxy-clean
clean: proxy-clean
proxy-clean:
	$(MAKE) -C proxy clean PG_CONFIG=$(PG_CONFIG)

# --- scale-out by tenant: front (PL/Proxy) + 3 shards on loopback ----------
# (scripts/scale-out.sh; docs/scale-out.md).  Uses the installed extension:
# run make install first.  Ends with "# N passed, M failed".  WF_SCALE_DIR and
# WF_SCALE_PORT (make variables or environment) choose the directory and the
# first of the four ports.
.PHONY: scale-check scale-bench
scale-check:
	PG_BIN=$(shell $(PG_CONFIG) --bindir) scripts/scale-out.sh test

scale-bench:
	PG_BIN=$(shell $(PG_CONFIG) --bindir) scripts/scale-out.sh bench
