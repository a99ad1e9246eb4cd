#include "instant.hpp"

namespace wf {
namespace {

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's method).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

}  // namespace

std::optional<int64_t> parse_instant(std::string_view s) {
  int y, mo, d;
  if (s.size() < 10 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) ||
      s[7] != '-' || !digits(s, 8, 2, d))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return std::nullopt;
  int64_t micros = days_from_civil(y, mo, d) * 86400LL * 1000000LL;
  if (s.size() == 10) return micros;

  size_t p = 10;
  if (s[p] != 'T' && s[p] != 't' && s[p] != ' ') return std::nullopt;
  int hh, mm, ss = 0;
  if (!digits(s, p + 1, 2, hh) || p + 3 >= s.size() || s[p + 3] != ':' ||
      !digits(s, p + 4, 2, mm))
    return std::nullopt;
  p += 6;
  if (p < s.size() && s[p] == ':') {
    if (!digits(s, p + 1, 2, ss)) return std::nullopt;
    p += 3;
    if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
      ++p;
      int64_t frac = 0, scale = 100000;
      size_t start = p;
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
        if (scale > 0) frac += (s[p] - '0') * scale;
        scale /= 10;
        ++p;
      }
      if (p == start) return std::nullopt;
      micros += frac;
    }
  }
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  micros += ((hh * 60LL + mm) * 60LL + ss) * 1000000LL;
  if (p == s.size()) return micros;
  if (s[p] == 'Z' || s[p] == 'z') return p + 1 == s.size() ? std::optional<int64_t>(micros)
                                                            : std::nullopt;
  if (s[p] != '+' && s[p] != '-') return std::nullopt;
  int sign = s[p] == '-' ? -1 : 1, oh, om = 0;
  if (!digits(s, p + 1, 2, oh)) return std::nullopt;
  p += 3;
  if (p < s.size()) {
    if (s[p] == ':') ++p;
    if (!digits(s, p, 2, om)) return std::nullopt;
    p += 2;
  }
  if (p != s.size() || oh > 23 || om > 59) return std::nullopt;
  return micros - sign * (oh * 60LL + om) * 60LL * 1000000LL;
}

}  // namespace wf
