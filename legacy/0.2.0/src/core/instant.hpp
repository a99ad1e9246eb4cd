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

// True when text has the shape of parse_instant's grammar, whether or not its
// fields are in range: "2024-02-30" and "2024-01-01T25:00" look like instants
// but are none.  A condition refuses such an operand rather than compare it as text.
bool looks_like_instant(std::string_view text);

// An ISO-8601 duration, PnYnMnWnDTnHnMnS (integers; seconds may have a
// fraction): years and months as calendar months, the rest as a fixed
// number of microseconds (a day is 24 hours: instants are UTC).
struct Duration {
  int64_t months = 0;
  int64_t micros = 0;
};
std::optional<Duration> parse_duration(std::string_view text);

// at plus (sign +1) or minus (sign -1) the duration: months on the UTC
// calendar (the day clamped to the month's length), then the fixed part.
int64_t shift_instant(int64_t at, const Duration& d, int sign);

}  // namespace wf
