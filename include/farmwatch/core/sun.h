#pragma once
// Where the sun stands for a scene: the geometry a DN-to-reflectance rule needs when the product
// metadata gives only radiance gains (Gaofen) or a time and place.
namespace farmwatch {

/// A UTC instant: calendar date and hour of day (fractional).
struct UtcTime {
  int year = 2000, month = 1, day = 1;
  double hour = 12.0;
};

/// Day of the year, 1 on 1 January.
int day_of_year(int year, int month, int day);

/// Solar zenith angle in degrees at `lat`, `lon` (degrees, east positive) and `t`, from the
/// NOAA solar calculator's equations (Meeus); within ~0.1 deg for years 1950-2050, refraction
/// not applied (satellite products quote the geometric angle).
double solar_zenith_deg(const UtcTime& t, double lat, double lon);

/// Local mean solar time in hours (0-24) at longitude `lon` for a UTC hour.
double local_solar_hour(double utc_hour, double lon);

/// Earth-sun distance in astronomical units on day-of-year `doy` (first-order orbit model,
/// within 0.0002 AU).
double earth_sun_distance_au(int doy);

}  // namespace farmwatch
