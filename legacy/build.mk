# Builds one frozen release's shared library, workflow_ext-$(V).so, from
# legacy/$(V)/src (byte-identical to that release: see README.md), with the
# flags that release's own Makefile used, and installs it with its secondary
# control file workflow_ext--$(V).control.  Run by legacy.mk as
#   make -C legacy -f build.mk V=<version> [all|install|clean]
ifeq ($(V),)
$(error V=<frozen version> is required, one of the directories under legacy/)
endif

MODULE_big  = workflow_ext-$(V)
OBJS        = $(patsubst %.c,%.o,$(sort $(wildcard $(V)/src/pg/*.c))) \
              $(patsubst %.cpp,%.o,$(sort $(wildcard $(V)/src/core/*.cpp)))
DATA        = workflow_ext--$(V).control
MODULEDIR   = extension

# As in that release's Makefile (0.1.0 did not link ICU yet).
PG_CPPFLAGS = -I$(V)/src/core
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wno-unused-parameter
ifeq ($(V),0.1.0)
SHLIB_LINK  = -lre2 -lstdc++
else
SHLIB_LINK  = -lre2 -licuuc -lstdc++
endif
override with_llvm = no

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies without --enable-depend: rebuild on any.
$(OBJS): $(wildcard $(V)/src/core/*.hpp $(V)/src/core/*.h $(V)/src/pg/*.h)
