#pragma once
// Exact per-parcel class areas: every parcel's cells weighted by the share of each cell it
// covers (core/coverage.h), in ellipsoidal square metres (国土调查 practice).
#include <cstdint>
#include <string>
#include <vector>

#include "farmwatch/io/farmland.h"

namespace farmwatch::io {

struct ParcelClassArea {
  std::uint8_t code = 0;  ///< class code (255: nodata)
  double area_m2 = 0;
};

/// Per parcel (the layer's order), its class areas, codes ascending. The class raster must be
/// in the layer's target CRS. Parcels are measured in parallel; the result does not depend on
/// the thread count.
std::vector<std::vector<ParcelClassArea>> parcel_class_areas(const FarmlandLayer& parcels,
                                                             const std::string& class_raster);

}  // namespace farmwatch::io
