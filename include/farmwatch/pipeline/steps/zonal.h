#pragma once
// farmwatch zonal: per-parcel class areas of a class map from exact cell-coverage fractions.
#include <cstddef>
#include <string>

#include "farmwatch/pipeline/params.h"
#include "farmwatch/pipeline/step.h"

namespace farmwatch::pipeline {

struct ZonalParams {
  std::string classes, parcels, id_field, layer, out;
  static const ParamSet& params();
};

struct ZonalResult {
  std::string path;
  std::size_t parcels = 0;
};

/// Writes `out` (CSV: parcel_id, class, area_m2 on the ellipsoid rounded to 0.01 m², share of
/// the parcel rounded to 1e-4) from the exact share of each cell every parcel covers
/// (src/core/coverage.cpp). InputError for an unreadable map or parcel layer.
ZonalResult zonal(const ZonalParams& p, const StepEnv& env);

}  // namespace farmwatch::pipeline
