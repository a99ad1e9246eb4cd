// Text helpers of the condition language: case folding for ignore_case and
// the length of a string in characters.
#pragma once
#include "no_postgres.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace wf {

// Unicode normalization (NFC) of UTF-8 text: true with the normalized text
// in out, false when text is already NFC (ASCII and most text: a quick
// check, no copy) or is no valid UTF-8 (then it is compared as it is).
bool to_nfc(std::string_view text, std::string& out);

// Full Unicode case folding (ICU, U_FOLD_CASE_DEFAULT) of UTF-8 text, into
// out, normalized (NFC before and after folding, so canonically equivalent
// texts fold alike); ASCII-only text takes a fast path with the same result.
// Invalid UTF-8 is folded byte by byte as ASCII.
void fold_case(std::string_view text, std::string& out);
std::string fold_case(std::string_view text);

// Number of Unicode code points of UTF-8 text (bytes that do not continue a
// sequence).
size_t utf8_length(std::string_view text);

}  // namespace wf
