#include "text.hpp"

#include <unicode/ucasemap.h>
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/utypes.h>

#include <memory>

namespace wf {
namespace {

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

void fold_ascii(std::string_view s, std::string& out) {
  out.assign(s.data(), s.size());
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
}

struct CaseMapCloser {
  void operator()(UCaseMap* m) const { ucasemap_close(m); }
};

UCaseMap* case_map() {
  static thread_local std::unique_ptr<UCaseMap, CaseMapCloser> map = [] {
    UErrorCode status = U_ZERO_ERROR;
    return std::unique_ptr<UCaseMap, CaseMapCloser>(
        ucasemap_open("", U_FOLD_CASE_DEFAULT, &status));
  }();
  return map.get();
}

const icu::Normalizer2* nfc() {
  static const icu::Normalizer2* n = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* got = icu::Normalizer2::getNFCInstance(status);
    return U_FAILURE(status) ? nullptr : got;
  }();
  return n;
}

// NFC of non-ASCII text; false when it is already NFC (out untouched: a
// quick check on the UTF-8 itself, no copy) or cannot be normalized (invalid
// UTF-8 or over 256 MB: compared as it is).
bool normalize(std::string_view text, std::string& out) {
  const icu::Normalizer2* n = nfc();
  if (!n || text.size() > (1u << 28)) return false;
  const icu::StringPiece piece(text.data(), static_cast<int32_t>(text.size()));
  UErrorCode status = U_ZERO_ERROR;
  if (n->isNormalizedUTF8(piece, status) || U_FAILURE(status)) return false;
  std::string result;
  icu::StringByteSink<std::string> sink(&result, static_cast<int32_t>(text.size()));
  status = U_ZERO_ERROR;
  n->normalizeUTF8(0, piece, sink, nullptr, status);
  if (U_FAILURE(status)) return false;
  out.swap(result);
  return true;
}

}  // namespace

bool to_nfc(std::string_view text, std::string& out) {
  if (is_ascii(text)) return false;
  return normalize(text, out);
}

void fold_case(std::string_view text, std::string& out) {
  if (is_ascii(text) || text.size() > (1u << 28) || !case_map()) return fold_ascii(text, out);
  // Canonical caseless matching: NFC, fold, NFC again (folding may leave a
  // decomposed sequence: U+01F0 folds to j + U+030C).
  std::string composed;
  if (normalize(text, composed)) text = composed;
  // Full folding can grow text (ß -> ss, ŉ -> ʼn): at most 3x.
  out.resize(text.size() * 3 + 16);
  UErrorCode status = U_ZERO_ERROR;
  int32_t n = ucasemap_utf8FoldCase(case_map(), out.data(), static_cast<int32_t>(out.size()),
                                    text.data(), static_cast<int32_t>(text.size()), &status);
  if (status == U_BUFFER_OVERFLOW_ERROR) {
    out.resize(static_cast<size_t>(n) + 1);
    status = U_ZERO_ERROR;
    n = ucasemap_utf8FoldCase(case_map(), out.data(), static_cast<int32_t>(out.size()),
                              text.data(), static_cast<int32_t>(text.size()), &status);
  }
  if (U_FAILURE(status)) return fold_ascii(text, out);
  out.resize(static_cast<size_t>(n));
  std::string again;
  if (normalize(out, again)) out.swap(again);
}

std::string fold_case(std::string_view text) {
  std::string out;
  fold_case(text, out);
  return out;
}

size_t utf8_length(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace wf
