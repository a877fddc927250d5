#pragma once
// Reading a class map and its reference (a label raster, or labelled polygons rasterised onto
// the map's grid) into an accuracy report (core/accuracy.h).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "farmwatch/core/accuracy.h"
#include "farmwatch/core/geo.h"

namespace farmwatch::io {

struct EvaluateRequest {
  std::string map;        ///< single-band Byte class map; its nodata (or 255) is no class
  std::string reference;  ///< label raster (0 or its nodata: unlabelled) or a vector layer
  std::string field;      ///< vector reference: the attribute holding the class code
  std::string layer;      ///< vector reference: the layer (default: the first)
  std::string where;      ///< vector reference: an OGR SQL filter (e.g. "fid % 2 = 1")
};

struct Evaluation {
  AccuracyReport report;
  Grid grid;                          ///< the map's grid
  double pixel_area_m2 = 0;           ///< mean ellipsoidal area of a map pixel
  std::int64_t reference_pixels = 0;  ///< labelled reference pixels, on map nodata or not
};

/// InputError naming the file on a map that is not a class map, a reference without the
/// field, or a reference that does not overlap the map.
Evaluation evaluate_map(const EvaluateRequest& req);

/// The labels of `req.reference` on `grid`, row-major; 0 where unlabelled (also 255 and the
/// raster's nodata). InputError as evaluate_map, and when no pixel of `grid` is labelled (no
/// features, none over the grid, or none passing `req.where`), naming the reference.
std::vector<std::uint8_t> labels_on_grid(const EvaluateRequest& req, const Grid& grid);

/// (code, name) of each label value of a vector reference, from `name_field`; empty for a
/// raster reference or no name field.
std::vector<std::pair<std::uint8_t, std::string>> label_names(const EvaluateRequest& req,
                                                              const std::string& name_field);

}  // namespace farmwatch::io
