#pragma once
// Calendar dates as farmwatch writes them: YYYY-MM-DD.
#include <string>

namespace farmwatch {

/// A real calendar date written YYYY-MM-DD (proleptic Gregorian).
bool valid_date(const std::string& s);
/// Days from `a` to `b` (b - a), both valid dates (H. Hinnant's days-from-civil algorithm).
int days_between(const std::string& a, const std::string& b);
/// How far apart in the year two valid dates lie, whatever the years (days): from `a` to the
/// nearest date with `b`'s month and day (29 February taken as the 28th in other years). 0 for
/// an anniversary pair, at most 183.
int days_apart_in_year(const std::string& a, const std::string& b);

}  // namespace farmwatch
