#include "farmwatch/core/calibration.h"

#include <cmath>

namespace farmwatch {

Calibration landsat_toa(double mult, double add, double sun_elevation_deg) {
  const double s = std::sin(sun_elevation_deg * M_PI / 180.0);
  return {mult / s, add / s};
}

Calibration sentinel2_dn_to_reflectance(double offset_dn) { return {1e-4, offset_dn * 1e-4}; }

double sentinel2_default_offset(double baseline) { return baseline >= 4.0 ? -1000.0 : 0.0; }

Calibration toa_from_radiance(double gain, double offset, double esun, double earth_sun_au,
                              double solar_zenith_deg) {
  const double k =
      M_PI * earth_sun_au * earth_sun_au / std::cos(solar_zenith_deg * M_PI / 180.0) / esun;
  return {gain * k, offset * k};
}

}  // namespace farmwatch
