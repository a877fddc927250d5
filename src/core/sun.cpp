#include "farmwatch/core/sun.h"

#include <algorithm>
#include <cmath>

namespace farmwatch {
namespace {
constexpr double kDeg = M_PI / 180.0;

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/// Julian day of a UTC instant (Meeus, ch. 7), valid for the Gregorian calendar.
double julian_day(const UtcTime& t) {
  int y = t.year, m = t.month;
  if (m <= 2) {
    y -= 1;
    m += 12;
  }
  const int a = y / 100, b = 2 - a + a / 4;
  return std::floor(365.25 * (y + 4716)) + std::floor(30.6001 * (m + 1)) + t.day + b - 1524.5 +
         t.hour / 24.0;
}
}  // namespace

int day_of_year(int year, int month, int day) {
  static const int before[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  return before[(month - 1) % 12] + day + (month > 2 && leap(year) ? 1 : 0);
}

double solar_zenith_deg(const UtcTime& t, double lat, double lon) {
  const double jc = (julian_day(t) - 2451545.0) / 36525.0;  // Julian centuries since J2000
  const double l0 = std::fmod(280.46646 + jc * (36000.76983 + jc * 0.0003032), 360.0);
  const double m = 357.52911 + jc * (35999.05029 - 0.0001537 * jc);
  const double e = 0.016708634 - jc * (0.000042037 + 0.0000001267 * jc);
  const double c = std::sin(m * kDeg) * (1.914602 - jc * (0.004817 + 0.000014 * jc)) +
                   std::sin(2 * m * kDeg) * (0.019993 - 0.000101 * jc) +
                   std::sin(3 * m * kDeg) * 0.000289;
  const double omega = 125.04 - 1934.136 * jc;
  const double lambda = l0 + c - 0.00569 - 0.00478 * std::sin(omega * kDeg);
  const double eps0 =
      23.0 + (26.0 + (21.448 - jc * (46.815 + jc * (0.00059 - jc * 0.001813))) / 60.0) / 60.0;
  const double eps = eps0 + 0.00256 * std::cos(omega * kDeg);
  const double decl = std::asin(std::sin(eps * kDeg) * std::sin(lambda * kDeg));
  // Equation of time, minutes.
  const double yv = std::tan(eps * kDeg / 2) * std::tan(eps * kDeg / 2);
  const double eot =
      4.0 / kDeg *
      (yv * std::sin(2 * l0 * kDeg) - 2 * e * std::sin(m * kDeg) +
       4 * e * yv * std::sin(m * kDeg) * std::cos(2 * l0 * kDeg) -
       0.5 * yv * yv * std::sin(4 * l0 * kDeg) - 1.25 * e * e * std::sin(2 * m * kDeg));
  const double true_solar_min = std::fmod(t.hour * 60.0 + eot + 4.0 * lon + 1440.0, 1440.0);
  const double hour_angle = true_solar_min / 4.0 - 180.0;
  const double cos_z = std::sin(lat * kDeg) * std::sin(decl) +
                       std::cos(lat * kDeg) * std::cos(decl) * std::cos(hour_angle * kDeg);
  return std::acos(std::clamp(cos_z, -1.0, 1.0)) / kDeg;
}

double local_solar_hour(double utc_hour, double lon) {
  return std::fmod(utc_hour + lon / 15.0 + 48.0, 24.0);
}

double earth_sun_distance_au(int doy) {
  return 1.0 - 0.01672 * std::cos(0.9856 * kDeg * (doy - 4));
}

}  // namespace farmwatch
