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

namespace {

// The grammar of parse_instant; with shape_only, field ranges are not checked
// (a month 13 or February 30 still has the shape of a date).
std::optional<int64_t> scan_instant(std::string_view s, bool shape_only) {
  int y, mo, d;
  if (s.size() < 10 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) ||
      s[7] != '-' || !digits(s, 8, 2, d))
    return std::nullopt;
  if (shape_only) {
    mo = 1;
    d = 1;
  }
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
  if (shape_only) hh = mm = ss = 0;
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  micros += ((hh * 60LL + mm) * 60LL + ss) * 1000000LL;
  if (p == s.size()) return micros;
  if (s[p] == 'Z' || s[p] == 'z') return p + 1 == s.size() ? std::optional<int64_t>(micros)
                                                            : std::nullopt;
  if (s[p] != '+' && s[p] != '-') return std::nullopt;
  int sign = s[p] == '-' ? -1 : 1, oh, om = 0, os = 0;
  if (!digits(s, p + 1, 2, oh)) return std::nullopt;
  p += 3;
  if (p < s.size()) {
    const bool colon = s[p] == ':';
    if (colon) ++p;
    if (!digits(s, p, 2, om)) return std::nullopt;
    p += 2;
    // Seconds of an offset: PostgreSQL prints local mean time offsets of
    // old dates that way (1850-01-01 00:00:00+00:53:28 in Europe/Berlin).
    if (colon && p < s.size() && s[p] == ':') {
      if (!digits(s, p + 1, 2, os)) return std::nullopt;
      p += 3;
    }
  }
  if (shape_only) oh = om = os = 0;
  if (p != s.size() || oh > 23 || om > 59 || os > 59) return std::nullopt;
  return micros - sign * ((oh * 60LL + om) * 60LL + os) * 1000000LL;
}

}  // namespace

std::optional<int64_t> parse_instant(std::string_view s) { return scan_instant(s, false); }

std::optional<Duration> parse_duration(std::string_view s) {
  if (s.size() < 3 || s[0] != 'P') return std::nullopt;
  Duration d;
  bool in_time = false, any = false;
  size_t p = 1;
  const int64_t kMaxUnits = 1000000;  // a million of any unit: ~114 years of hours
  while (p < s.size()) {
    if (s[p] == 'T') {
      if (in_time) return std::nullopt;
      in_time = true;
      ++p;
      continue;
    }
    int64_t n = 0;
    size_t start = p;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      n = n * 10 + (s[p] - '0');
      if (n > kMaxUnits) return std::nullopt;
      ++p;
    }
    if (p == start || p >= s.size()) return std::nullopt;
    int64_t frac_micros = 0;
    if (s[p] == '.' || s[p] == ',') {  // fractions only for seconds
      ++p;
      int64_t scale = 100000;
      size_t fstart = p;
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
        frac_micros += (s[p] - '0') * scale;
        scale /= 10;
        ++p;
      }
      if (p == fstart || p >= s.size() || s[p] != 'S' || !in_time) return std::nullopt;
    }
    const char unit = s[p++];
    const int64_t kSecond = 1000000;
    if (!in_time) {
      switch (unit) {
        case 'Y': d.months += n * 12; break;
        case 'M': d.months += n; break;
        case 'W': d.micros += n * 7 * 86400 * kSecond; break;
        case 'D': d.micros += n * 86400 * kSecond; break;
        default: return std::nullopt;
      }
    } else {
      switch (unit) {
        case 'H': d.micros += n * 3600 * kSecond; break;
        case 'M': d.micros += n * 60 * kSecond; break;
        case 'S': d.micros += n * kSecond + frac_micros; break;
        default: return std::nullopt;
      }
    }
    any = true;
  }
  if (!any || s.back() == 'T') return std::nullopt;
  return d;
}

int64_t shift_instant(int64_t at, const Duration& d, int sign) {
  const int64_t kDay = 86400LL * 1000000LL;
  if (d.months != 0) {
    int64_t days = at >= 0 ? at / kDay : (at - kDay + 1) / kDay;
    int64_t in_day = at - days * kDay;
    // civil_from_days (Howard Hinnant)
    int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = static_cast<int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned dd = doy - (153 * mp + 2) / 5 + 1;
    const unsigned mm = mp < 10 ? mp + 3 : mp - 9;
    y += mm <= 2;
    int64_t total = y * 12 + (mm - 1) + sign * d.months;
    int64_t ny = total >= 0 ? total / 12 : (total - 11) / 12;
    int nm = static_cast<int>(total - ny * 12) + 1;
    unsigned nd = dd;
    const int dim = days_in_month(static_cast<int>(ny), nm);
    if (nd > static_cast<unsigned>(dim)) nd = static_cast<unsigned>(dim);
    at = days_from_civil(ny, static_cast<unsigned>(nm), nd) * kDay + in_day;
  }
  return at + sign * d.micros;
}

bool looks_like_instant(std::string_view s) { return scan_instant(s, true).has_value(); }

}  // namespace wf
