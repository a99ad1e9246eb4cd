# Included by the main Makefile (one line, after PGXS): the frozen libraries of
# the earlier releases, built by make, installed by make install, removed by
# make clean.  Each version V gets $libdir/workflow_ext-V.so and the secondary
# control file workflow_ext--V.control that points CREATE EXTENSION ... VERSION
# 'V' and ALTER EXTENSION ... UPDATE TO 'V' at it (see legacy/README.md).
LEGACY_VERSIONS := 0.1.0 0.2.0

all: $(LEGACY_VERSIONS:%=legacy-all-%)
install: $(LEGACY_VERSIONS:%=legacy-install-%)
clean: $(LEGACY_VERSIONS:%=legacy-clean-%)

# Not .PHONY (pattern rules are not searched for phony targets); no file of
# these names is ever made, so they always run, and the sub-make decides.  One
# rule each: a pattern rule with several targets makes them all at once.
legacy-all-%:
	+$(MAKE) -C legacy -f build.mk V=$* all
legacy-install-%:
	+$(MAKE) -C legacy -f build.mk V=$* install
legacy-clean-%:
	+$(MAKE) -C legacy -f build.mk V=$* clean

# --- the earlier versions' own pg_regress files against them, served by their
# frozen libraries (test/legacy/run.py), on the server of PGHOST/PGPORT/PGUSER
# with the extension installed.  Ends with "# N passed, M failed".
.PHONY: legacycheck
legacycheck:
	PG_CONFIG=$(PG_CONFIG) python3 test/legacy/run.py
