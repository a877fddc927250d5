// Each sensor's DN-to-reflectance arithmetic on plain numbers.
#include <gtest/gtest.h>

#include <cmath>

#include "farmwatch/core/calibration.h"

using namespace farmwatch;

TEST(Calibration, LandsatToaDividesBySineOfSunElevation) {
  // Landsat 8 OLI: M = 2.0e-5, A = -0.1; at 30° elevation sin = 0.5, so ρ = 2(M·DN + A).
  const Calibration c = landsat_toa(2.0e-5, -0.1, 30.0);
  EXPECT_NEAR(c.apply(10000), 2 * (2.0e-5 * 10000 - 0.1), 1e-12);
  EXPECT_NEAR(landsat_toa(2.0e-5, -0.1, 90.0).apply(10000), 0.1, 1e-12);
}

TEST(Calibration, Sentinel2OffsetFromBaseline0400) {
  EXPECT_EQ(sentinel2_default_offset(3.01), 0.0);
  EXPECT_EQ(sentinel2_default_offset(4.0), -1000.0);
  EXPECT_EQ(sentinel2_default_offset(5.09), -1000.0);
  EXPECT_NEAR(sentinel2_dn_to_reflectance(-1000).apply(3000), 0.2, 1e-12);
  EXPECT_NEAR(sentinel2_dn_to_reflectance(0).apply(3000), 0.3, 1e-12);
}

TEST(Calibration, RadianceToToaReflectance) {
  // L = 0.2·DN + 1; ρ = π·L·d²/(ESUN·cos θz). DN 500 → L = 101; d = 1 AU, θz = 60°, ESUN 1800:
  // ρ = π·101 / (1800·0.5).
  const Calibration c = toa_from_radiance(0.2, 1.0, 1800, 1.0, 60.0);
  EXPECT_NEAR(c.apply(500), M_PI * 101 / 900, 1e-12);
  // Farther from the sun, the same radiance is a larger reflectance (d²).
  EXPECT_NEAR(toa_from_radiance(0.2, 1.0, 1800, 1.0167, 60.0).apply(500) / c.apply(500),
              1.0167 * 1.0167, 1e-12);
}
