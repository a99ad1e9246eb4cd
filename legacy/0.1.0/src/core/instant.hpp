// ISO-8601 dates and timestamps, compared as instants (UTC microseconds).
#pragma once
#include "no_postgres.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace wf {

// Accepts YYYY-MM-DD and YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|+HH[:MM]|-HH[:MM]].
// A timestamp without an offset is taken as UTC. Allocates nothing.
std::optional<int64_t> parse_instant(std::string_view text);

}  // namespace wf
