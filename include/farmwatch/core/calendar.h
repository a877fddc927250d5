#pragma once
// Calendar dates as farmwatch writes them: YYYY-MM-DD.
#include <string>

namespace farmwatch {

/// A real calendar date written YYYY-MM-DD (proleptic Gregorian).
bool valid_date(const std::string& s);
/// Days from `a` to `b` (b - a), both valid dates (H. Hinnant's days-from-civil algorithm).
int days_between(const std::string& a, const std::string& b);

}  // namespace farmwatch
