#pragma once
// Tiles of one raster layer in one tile matrix set (Web Mercator XYZ or Tianditu "c"), as
// {z}/{x}/{y}.png with a TileJSON 3.0 file, rendered whole or updated from a previous set.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "farmwatch/core/class_table.h"
#include "farmwatch/core/geo.h"
#include "farmwatch/core/log.h"
#include "farmwatch/core/tile_matrix_set.h"

namespace farmwatch::io {

/// A layer's tiles rendered in shards of a run (`farmwatch run --shard i/N`, `farmwatch merge`):
/// the raster's grid cut into square cells of `cell` pixels from its top-left corner, each
/// dealt to a shard. A deepest-level tile belongs to a shard when every raster pixel it may
/// sample (its footprint's pixel window, grown by 2 pixels) lies in that shard's cells; a
/// coarser tile when every child tile the layer has belongs to the same shard. A shard
/// (`index` >= 0) renders and writes its own tiles only, keeps in `quarters.bin` the quarter of
/// its parent that each of its tiles whose parent is not its own makes, and lists what it wrote
/// in kShardTilesManifest. The merge (`index` -1) renders the rest, the parents from those
/// quarters (`dirs`: each shard's out_dir for the layer), and hard-links the listed tiles into
/// its set and MBTiles. Both give the bytes one unsharded call writes, for class layers and
/// imagery. Only where the deepest level reads full resolution: otherwise a shard renders
/// nothing and the merge everything.
inline constexpr const char* kShardTilesManifest = "shard-tiles.json";

/// The merge, before it takes a shard's tiles of a layer: `dir` (the shard's out_dir for the
/// layer) has its kShardTilesManifest, each tile listed once, and its quarters.bin with the
/// bytes and CRC-32 listed there. DamagedFileError naming the file otherwise. The tile files
/// are checked against the list where write_tile_layer reads them (once: they are small and
/// many), with the same error.
void check_shard_tiles(const std::string& dir);

struct TileShards {
  int cell = 0;                 ///< pixels
  int cols = 0, rows = 0;       ///< cells across and down
  std::vector<int> owner;       ///< each cell's shard, row-major
  int index = -1;               ///< the shard rendering; -1: the merge
  std::vector<std::string> dirs;  ///< merge: shard k's tiles of the layer (its out_dir)
  /// The merge: per shard, the raster (the layer's grid, one Byte band) it rendered the layer
  /// from, where that may differ from `raster` (a shard's change.tif of its cells alone); the
  /// merge renders again the shard's tiles over pixels that differ, and their parents. Empty:
  /// the shards rendered the layer's own pixels.
  std::vector<std::string> sources;
  /// Each tile's shard as found, per tile matrix set, levels and grid: shared by the copies of
  /// one TileShards (a run's layers share their grid), so it is found once. It does not depend
  /// on `index`; copies must keep `cell`, `cols`, `rows` and `owner`.
  std::shared_ptr<std::map<std::string, std::map<TileAddress, int>>> owner_cache =
      std::make_shared<std::map<std::string, std::map<TileAddress, int>>>();
  /// The shard whose cells hold all of `w` (raster pixels), or -1.
  int owner_of(const Window& w) const;
};

struct TileLayerRequest {
  /// A class raster (one Byte band; colours from its colour table, else `colors`) or imagery
  /// (three or four Byte bands, RGB(A); pixels without data, by mask or alpha, are white in
  /// its JPEG tiles and left out of the coarser levels' means).
  std::string raster;
  std::string out_dir;            ///< tiles go to out_dir/{z}/{x}/{y}.png, plus tilejson.json
  const TileMatrixSet* set = nullptr;
  int min_level = -1;             ///< -1: max_level - 6 (never above the set's first level)
  int max_level = -1;             ///< -1: the level whose pixel matches the raster's resolution
  std::vector<std::pair<std::uint8_t, Rgba>> colors;  ///< for a class raster without a table
  std::string name;               ///< layer title (TileJSON `name`)
  std::string description;        ///< TileJSON `description`
  /// Incremental: tiles of the same layer in `previous_dir` (not `out_dir`: the new set is
  /// written beside it), made from `previous_raster` (same grid). Only tiles over pixels that differ (and their parents) are rendered again; every
  /// other tile is hard-linked from the previous set, so it stays byte-identical. Falls back
  /// to a full render, saying why, when the grid, levels or colours differ.
  std::string previous_raster, previous_dir;
  /// Also an MBTiles 1.3 file of the tiles (Web Mercator only; TMS rows; metadata name,
  /// format, bounds, center, minzoom, maxzoom, type, description), from the tiles in memory.
  std::string mbtiles;
  /// The same pixels as `raster`'s full resolution (e.g. before JPEG compression), read instead
  /// where the deepest level reads full resolution; its overviews are `raster`'s. Same grid.
  std::string full_resolution;
  /// Rendered in shards (see TileShards); not with `previous_raster`.
  const TileShards* shards = nullptr;
};

struct TileLayerStats {
  std::size_t written = 0;   ///< tiles in the set (empty tiles are not written)
  std::size_t rendered = 0;  ///< tiles encoded by this call (the rest were reused)
  std::uint64_t bytes = 0;   ///< bytes of all tiles in the set
  int min_level = 0, max_level = 0;
  Box lonlat;                ///< layer bounds, degrees (lon/lat)
  bool incremental = false;
  std::string format;        ///< "png" (class layers) or "jpg" (imagery)
};

/// Renders every tile of the layer. The deepest level samples the raster (nearest neighbour)
/// at each tile pixel's centre through the exact transformation at every 16th pixel, linear in
/// between (under 1/1000 of a pixel off at 10 m); each coarser level is made from its four
/// child tiles, 2 x 2 pixels to one: the most frequent class (ties: the lower code; no data
/// only where all four are) or the alpha-weighted mean colour. Class tiles are 8-bit palette
/// PNGs. Parallel under the caller's TBB thread limit; the bytes do not depend on it.
/// Errors: InputError for a raster that is neither kind, without CRS, or outside the set's
/// valid area (Web Mercator: beyond ±85.05°); ConfigError for levels outside the set's range;
/// ProcessingError when a tile cannot be written.
TileLayerStats write_tile_layer(const TileLayerRequest& req, const Log& log);

/// One encoded tile.
struct EncodedTile {
  TileAddress address;
  std::vector<std::uint8_t> png;
};

/// Writes an MBTiles 1.3 file of Web Mercator tiles sorted by address, with the metadata of the
/// layer's TileJSON, under a temporary name then renamed. ProcessingError if it cannot.
void write_mbtiles(const std::vector<EncodedTile>& tiles, const nlohmann::json& tilejson,
                   const std::string& path);

/// The set as an OGC Two Dimensional Tile Matrix Set 2.0 JSON document (OGC 17-083r4): every
/// level's scale denominator (0.28 mm pixels), cell size, origin in the CRS's axis order
/// (EPSG:4490 is latitude first) and matrix size.
nlohmann::json tile_matrix_set_json(const TileMatrixSet& set);

}  // namespace farmwatch::io
