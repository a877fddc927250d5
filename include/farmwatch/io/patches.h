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
  /// A sharded run's merge: the shards' measure_cell_patches tables. A polygon one of them
  /// measured, with the same outline, its own pixels and the same candidates around them (what
  /// refinement reads of them), takes that measurement instead of measuring again: the same
  /// result, whatever the shards. A table measured with other minimum areas, classes, rasters
  /// or library versions is left out (a warning).
  std::vector<std::string> measured{};
};

struct PatchResult {
  std::vector<Patch> patches;  ///< kept, sorted by category then north-west first
  std::size_t dropped_below_min_area = 0;
  std::size_t refined = 0;  ///< patches whose boundary moved
  std::size_t taken = 0;    ///< polygons whose measurement came from PatchInputs::measured
};

/// Polygonises the candidates (4-connected), refines each patch's boundary to the pixels that
/// are mostly changed (see core/patch_refine.h), measures it on the ellipsoid, drops those
/// under the category's minimum area, and describes the rest. The change raster is updated to
/// match the reported patches. Deterministic: the result depends only on the inputs.
/// ProcessingError naming a raster or table that cannot be read or written; DamagedFileError
/// naming a table of `in.measured` that is not whole.
PatchResult extract_patches(const PatchInputs& in, const Log& log);

/// What a shard measures of its own cells' patches for the merge's extract_patches (cells:
/// windows of the grid, whole cells of the shard's lattice; `in.change` the shard's change
/// raster before the sieve, read over them; `in.candidates` unused: the change values 1..3 over
/// the cells, 0 elsewhere, are polygonised). Every polygon whose window (its bounding box and a
/// pixel around) lies in `cells`, that could reach the minimum area and that is not measured in
/// pieces (a window over 4096² pixels) is measured as extract_patches measures it, and written
/// to `out` (binary: what the measurement depended on, then per polygon its outline, its own
/// pixels and whether each pixel around them is a candidate, which the merge compares with its
/// own, then the measurement). Where the merge's sieve removes or cuts the patch or frees a
/// pixel beside it, the merge measures it again. With `mark_change`, `in.change` (the shard's
/// copy, sieved over its cells) is then marked as extract_patches marks it, over the cells: the
/// patches written kept, every other changed pixel 0 (a patch the merge measures is left out):
/// the change.tif the cells alone give, which the merge compares with its own. ProcessingError
/// naming a file that cannot be read or written.
void measure_cell_patches(const PatchInputs& in, const std::vector<Window>& cells,
                          const std::string& out, const Log& log, bool mark_change = false);

}  // namespace farmwatch::io
