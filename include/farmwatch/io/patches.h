#pragma once
// Change patches (图斑): polygons of connected changed pixels with their measurements.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "farmwatch/core/change_rules.h"
#include "farmwatch/core/class_table.h"
#include "farmwatch/core/geo.h"
#include "farmwatch/core/log.h"
#include "farmwatch/core/patch.h"

namespace farmwatch::io {

class FarmlandLayer;

/// The patch type lives in core (core/patch.h); io measures it.
using farmwatch::Patch;

struct PatchInputs {
  Grid grid;
  std::string candidates;      ///< change categories 1..3, 0 elsewhere (nodata 0)
  std::string change;          ///< full change raster; dropped patches are set to 0 in it
  std::string before_classes;  ///< land-use codes, date 1
  std::string after_classes;   ///< land-use codes, date 2
  std::string evidence;        ///< spectral evidence 0..100
  /// Probability (%) of each pixel's transition from a learned model; empty: rule classes.
  std::string class_confidence;
  std::string parcels;  ///< parcel index raster; empty = whole area watched
  /// The very-high-resolution method's change kind per pixel (VhrChangeKind code, 0 none): a
  /// patch takes the kind most of its pixels have. Empty: patches have no kind.
  std::string change_kinds;
  const FarmlandLayer* farmland = nullptr;
  const ChangeRules* rules = nullptr;
  const ClassTable* classes = nullptr;
  /// The change vector on the grid (engine::LanduseChangeJob::delta_out: after minus before
  /// reflectance, a Float32 band per role) for sub-pixel boundary refinement; empty: no
  /// refinement (land-use maps were compared).
  std::string delta;
  std::string id_prefix;    ///< e.g. "FW20240820"
  std::string scratch_dir;  ///< for intermediate polygons
};

struct PatchResult {
  std::vector<Patch> patches;  ///< kept, sorted by category then north-west first
  std::size_t dropped_below_min_area = 0;
  std::size_t refined = 0;  ///< patches whose boundary moved
};

/// Polygonises the candidates (4-connected), refines each patch's boundary to the pixels that
/// are mostly changed (see core/patch_refine.h), measures it on the ellipsoid, drops those
/// under the category's minimum area, and describes the rest. The change raster is updated to
/// match the reported patches. Deterministic: the result depends only on the inputs.
PatchResult extract_patches(const PatchInputs& in, const Log& log);

}  // namespace farmwatch::io
