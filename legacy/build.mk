# Compiles one frozen release, legacy/$(V)/src (byte-identical to that
# release: see README.md), with the flags of that release's own Makefile plus
# hidden symbol visibility, into one relocatable object $(OUT) that is linked
# into $libdir/workflow_ext.so beside the current code.  Every symbol it
# defines is renamed $(PREFIX)_<name> and is local, but for its fmgr entry
# points and _PG_init, which the dispatcher calls; its references to
# PostgreSQL's setting and relcache-callback functions name the shim's
# (legacy/shim.c, legacy/symbols.sh).  Run by legacy.mk as
#   make -C legacy -f build.mk V=<version> PREFIX=l<digits> OUT=<absolute path> [all|clean]
ifeq ($(V),)
$(error V=<frozen version> is required, one of the directories under legacy/)
endif
PREFIX ?= l$(subst .,,$(V))
OUT    ?= $(abspath ../build/one/$(PREFIX).o)

OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard $(V)/src/pg/*.c))) \
              $(patsubst %.cpp,%.o,$(sort $(wildcard $(V)/src/core/*.cpp)))

# As in that release's Makefile, plus hidden visibility: what it does not
# mark otherwise (nothing in PostgreSQL 15's headers does) becomes local.
PG_CPPFLAGS = -I$(V)/src/core
PG_CFLAGS   = -fvisibility=hidden
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wno-unused-parameter -fvisibility=hidden -fvisibility-inlines-hidden
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
# As PGXS compiles a MODULE_big (Makefile.shlib): position-independent.
override CFLAGS += $(CFLAGS_SL)
override CXXFLAGS += $(CFLAGS_SL)

OBJCOPY ?= objcopy

all: $(OUT)

# PGXS tracks no header dependencies without --enable-depend: rebuild on any,
# and on a change of these flags.
$(OBJS): $(wildcard $(V)/src/core/*.hpp $(V)/src/core/*.h $(V)/src/pg/*.h) build.mk

# ld -r: one object; --localize-hidden: the release's internals local;
# --redefine-syms: every name it defines prefixed (local ones too: COMDAT
# group signatures such as an inline function of a header both trees have
# must not be merged with the current code's), its redirected references
# renamed, and (--keep-global-symbols) nothing else global; then
# --globalize-symbols: the entry points and _PG_init, for the dispatcher (hidden: the library does not export
# them), and nothing else (the few std:: template instances that libstdc++'s
# headers keep visible included: the release has its own copies).
$(OUT): $(OBJS) symbols.sh
	@mkdir -p $(dir $@)
	$(LD) -r -o $@.r.o $(OBJS)
	$(OBJCOPY) --localize-hidden $@.r.o $@.h.o
	sh symbols.sh entries $@.h.o > $(basename $@).entries
	sh symbols.sh legacy-map $(PREFIX) $@.h.o > $(basename $@).map
	sh symbols.sh legacy-globals $(PREFIX) $(basename $@).entries > $(basename $@).globals
	$(OBJCOPY) --redefine-syms=$(basename $@).map --keep-global-symbols=$(basename $@).globals $@.h.o $@.n.o
	$(OBJCOPY) --globalize-symbols=$(basename $@).globals $@.n.o $@.tmp
	sh symbols.sh check $@.tmp
	rm -f $@.r.o $@.h.o $@.n.o
	mv $@.tmp $@
