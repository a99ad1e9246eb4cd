// Included first by every core source: the core must build and test without
// a server, so PostgreSQL headers are a compile error here.
#pragma once
#if defined(PG_VERSION_NUM) || defined(POSTGRES_H) || defined(FMGR_H)
#define WF_CORE_SEES_POSTGRES 1
#else
#define WF_CORE_SEES_POSTGRES 0
#endif
static_assert(!WF_CORE_SEES_POSTGRES,
              "src/core must not include PostgreSQL headers; keep them in src/pg");
