#include "farmwatch/core/calendar.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <regex>

namespace farmwatch {

bool valid_date(const std::string& s) {
  static const std::regex re(R"((\d{4})-(\d{2})-(\d{2}))");
  std::smatch m;
  if (!std::regex_match(s, m, re)) return false;
  const int y = std::stoi(m[1]), mo = std::stoi(m[2]), d = std::stoi(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return false;
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= days[mo - 1] + (mo == 2 && leap ? 1 : 0);
}

int days_between(const std::string& a, const std::string& b) {
  auto days = [](const std::string& s) {
    int y = std::stoi(s.substr(0, 4));
    const int m = std::stoi(s.substr(5, 2)), d = std::stoi(s.substr(8, 2));
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe;
  };
  return days(b) - days(a);
}

int days_apart_in_year(const std::string& a, const std::string& b) {
  // b's month and day in a's year and the years either side (29 February as the 28th where
  // the year has none); the nearest of them.
  const int year = std::stoi(a.substr(0, 4));
  int best = 366;
  for (int y = year - 1; y <= year + 1; ++y) {
    char d[16];
    std::snprintf(d, sizeof d, "%04d-%s", y, b.substr(5).c_str());
    std::string date = d;
    if (!valid_date(date)) date = date.substr(0, 8) + "28";
    best = std::min(best, std::abs(days_between(a, date)));
  }
  return best;
}

}  // namespace farmwatch
