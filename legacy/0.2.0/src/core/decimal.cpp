#include "decimal.hpp"

#include <string>

namespace wf {
namespace {

// sign * 0.digits * 10^exponent, digits without leading or trailing zeros
// (empty: zero).
struct Decimal {
  bool negative = false;
  std::string digits;
  int64_t exponent = 0;
};

std::optional<Decimal> parse(std::string_view s) {
  Decimal d;
  size_t p = 0;
  if (p < s.size() && (s[p] == '-' || s[p] == '+')) d.negative = s[p++] == '-';
  std::string all;
  int64_t point = -1;
  size_t start = p;
  for (; p < s.size(); ++p) {
    if (s[p] >= '0' && s[p] <= '9') {
      all += s[p];
    } else if (s[p] == '.' && point < 0) {
      point = static_cast<int64_t>(all.size());
    } else {
      break;
    }
  }
  if (all.empty() || p == start) return std::nullopt;
  int64_t exp10 = 0;
  if (p < s.size() && (s[p] == 'e' || s[p] == 'E')) {
    ++p;
    bool neg = false;
    if (p < s.size() && (s[p] == '-' || s[p] == '+')) neg = s[p++] == '-';
    size_t es = p;
    for (; p < s.size() && s[p] >= '0' && s[p] <= '9'; ++p)
      if (exp10 < 1000000000) exp10 = exp10 * 10 + (s[p] - '0');
    if (p == es) return std::nullopt;
    if (neg) exp10 = -exp10;
  }
  if (p != s.size()) return std::nullopt;
  if (point < 0) point = static_cast<int64_t>(all.size());
  size_t lead = all.find_first_not_of('0');
  if (lead == std::string::npos) {  // zero
    d.negative = false;
    return d;
  }
  size_t trail = all.find_last_not_of('0');
  d.digits = all.substr(lead, trail - lead + 1);
  d.exponent = point - static_cast<int64_t>(lead) + exp10;
  return d;
}

int compare_magnitude(const Decimal& a, const Decimal& b) {
  if (a.digits.empty() || b.digits.empty())
    return a.digits.empty() ? (b.digits.empty() ? 0 : -1) : 1;
  if (a.exponent != b.exponent) return a.exponent < b.exponent ? -1 : 1;
  int c = a.digits.compare(b.digits);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

}  // namespace

std::optional<int> compare_decimal_text(std::string_view a, std::string_view b) {
  auto x = parse(a), y = parse(b);
  if (!x || !y) return std::nullopt;
  const bool xz = x->digits.empty(), yz = y->digits.empty();
  const int xs = xz ? 0 : (x->negative ? -1 : 1), ys = yz ? 0 : (y->negative ? -1 : 1);
  if (xs != ys) return xs < ys ? -1 : 1;
  if (xs == 0) return 0;
  const int m = compare_magnitude(*x, *y);
  return xs > 0 ? m : -m;
}

int compare_numbers(const Operand& a, const Operand& b) {
  if (a.number < b.number) return -1;
  if (a.number > b.number) return 1;
  if ((a.inexact || b.inexact) && !a.decimal.empty() && !b.decimal.empty()) {
    auto c = compare_decimal_text(a.decimal, b.decimal);
    if (c) return *c;
  }
  return 0;
}

}  // namespace wf
