// The index prefilter of a condition: a jsonpath predicate that every
// document satisfying the condition also satisfies, built only from the
// leaves whose meaning a GIN jsonb index can look up exactly or more broadly
// (README: Screening through an index).
#pragma once
#include "no_postgres.hpp"

#include <optional>
#include <string>

#include "condition.hpp"

namespace wf {

struct PrefilterOptions {
  // The index has key entries (GIN jsonb_ops): existence and numeric ranges
  // narrow it to the documents that have the field.  Without (jsonb_path_ops)
  // only equalities are looked up, so only those are emitted.
  bool keys_indexed = false;
  // Keys may be written with their UTF-8 bytes (the database is UTF-8);
  // otherwise a leaf whose path has a non-ASCII key is left out.
  bool utf8 = false;
};

// "$ ? (<predicate>)", or nothing when no part of the condition can be
// looked up.  A superset: the condition is still checked on each document.
std::optional<std::string> index_prefilter(const Condition& c, const PrefilterOptions& options);

}  // namespace wf
