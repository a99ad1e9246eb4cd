// Condition JSON text -> nlohmann::json, with what the DOM loses: the text of
// every non-integer number (so decimals compare exactly), keyed by the JSON
// path of the number, and the path of a number beyond the range of a double.
#pragma once
#include "no_postgres.hpp"

#include <string>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "condition.hpp"

namespace wf {

struct ParsedJson {
  nlohmann::json doc;
  // "$.all[0].value" -> "0.30000000000000000001", for numbers that are not
  // plain integers (integers are exact in the DOM up to 2^64).
  RawNumbers raw_numbers;
};

// False with error set (22023 and the path) for a number out of a double's
// range; malformed JSON throws nlohmann's parse_error as nlohmann::json::parse does.
bool parse_condition_json(const char* text, size_t len, ParsedJson& out, CompileError& error);

}  // namespace wf
