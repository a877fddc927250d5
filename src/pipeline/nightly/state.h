#pragma once
// The state of each place (private to the nightly sources): for every pixel of the area's grid,
// the latest clear view (reflectance, land-use class, its date), as tiled GeoTIFFs in a
// numbered generation folder `state/gen-NNNNNN/` (or, written by the merge of a sharded night,
// virtual rasters over the shards' pieces in it: state_raster). A night writes the
// next generation beside the current one; the database records which generation is current
// in the same transaction as the scene's patches, so a killed night never leaves the two
// disagreeing (the unrecorded generation is removed when the next night starts).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "farmwatch/core/geo.h"
#include "farmwatch/pipeline/run_context.h"
#include "farmwatch/pipeline/shard.h"

namespace farmwatch::pipeline::nightly {

namespace fs = std::filesystem;

inline constexpr const char* kReflectance = "reflectance.tif";  ///< Float32, a band per role
inline constexpr const char* kLanduse = "landuse.tif";          ///< UInt8 classes, 255 nodata
inline constexpr const char* kObserved = "observed.tif";  ///< UInt16 days since 1970, 0 never

/// One of a generation's rasters (kReflectance...): the virtual raster over the shards' pieces
/// a merge writes (name.vrt) when there is one, else the GeoTIFF an unsharded night writes.
fs::path state_raster(const fs::path& generation, const char* name);

/// Where things live in the state folder.
struct StatePaths {
  fs::path root;
  fs::path generation(int g) const;
  fs::path lock() const { return root / "nightly.lock"; }
  fs::path work() const { return root / "work"; }  ///< per-scene comparisons, unpacked archives
  /// Removes every generation folder but `keep`, and the work folder (what a killed night left).
  void clean(int keep) const;
};

/// Days since 1970-01-01 of a YYYY-MM-DD date, and back.
int epoch_days(const std::string& date);
std::string date_of_epoch_days(int days);

/// What a scene's clear view gave the state.
struct SceneView {
  std::int64_t clear = 0, cloud = 0;  ///< pixels of the grid it saw clear / under cloud
  std::int64_t taken = 0;             ///< pixels where it became the latest clear view
  double clear_share() const {
    return clear + cloud ? static_cast<double>(clear) / static_cast<double>(clear + cloud) : 0;
  }
  std::vector<std::uint8_t> clear_lonlat;  ///< where it saw clear, EPSG:4326 WKB
};

/// Writes generation `next` from generation `prev` (empty path: none yet) and the scene the run
/// classified as its date `index` (acquired `day`, epoch days): where the scene saw clear and is
/// not older than the state's view, its reflectance (as the run read it, co-registered and
/// normalised), class and date replace the state's.
/// ProcessingError naming the file when a raster cannot be read or written.
SceneView write_next_state(const RunContext& ctx, std::size_t index, const fs::path& prev,
                           const fs::path& next, int day);

/// A shard's part of write_next_state (`nightly --shard`): the same rules over `windows` only,
/// written into `dir` as sparse rasters of the whole grid with the counts beside them, for
/// join_state_pieces. ProcessingError naming the file when a raster cannot be read or written.
void write_state_piece(const RunContext& ctx, std::size_t index, const fs::path& prev,
                       const fs::path& dir, int day, const std::vector<Window>& windows);

/// The merge's part: generation `next` from the shards' pieces (`pieces[k]` written by shard k,
/// which did the cells `cells` records it owns), linked into `next/pieces/` and read through a
/// virtual raster per state raster (no pixel copied), and the scene's view summed from their
/// counts: the same pixels and view as write_next_state over the whole grid.
SceneView join_state_pieces(const std::vector<fs::path>& pieces, const ShardCells& cells,
                            const Grid& g, const fs::path& next);

/// Generation `next` from a baseline land-use map (AreaSpec::baseline) of `day` on `grid`: its
/// classes and date where it has an observed class, no reflectance yet (the bands `roles`, NaN).
/// InputError naming the file if it is not a class map.
void write_baseline_state(const std::string& baseline, int day, const Grid& grid,
                          const std::vector<BandRole>& roles, const ClassTable& classes,
                          const fs::path& next);

/// The "before" image of a scene acquired on `day`: the state's reflectance; or, while some
/// places are known only from a baseline map (a class, no reflectance), the state's land-use
/// map, compared class to class. When some places have a newer view than the scene, a copy in
/// `work` with those places set to no data, so an older scene is compared only where it is the
/// newest.
struct BeforeImage {
  std::string path;
  int newest_day = 0;  ///< the latest date in the state (epoch days; 0 if none)
};
BeforeImage before_image(const fs::path& prev, int day, const fs::path& work);

}  // namespace farmwatch::pipeline::nightly
