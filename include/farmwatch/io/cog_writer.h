#pragma once
// Cloud-Optimised GeoTIFF written from encoded tiles, so that shards can encode the tiles of
// their own cells and a merge only copies bytes (GDAL 3.6's COG driver re-encodes every block).
//
// The file has the layout of GDAL's COG driver (GDAL reads it back as LAYOUT=COG): 512-pixel
// tiles; overviews halving (size rounded up) while the larger side exceeds 256; GDAL's "ghost
// area", then the IFDs (full resolution, its mask, the overviews, their masks) with their small
// values, then every IFD's tile offsets and sizes, then the tiles from the smallest overview to
// full resolution, row-major, each mask tile after its image tile, each with GDAL's 4-byte size
// leader and last-4-bytes trailer.
// The georeferencing, metadata, no-data value and colour table are GDAL's own tags, taken from
// a 1-pixel GeoTIFF GDAL writes of the source. Overview level l+1 is made from level l alone
// (each pixel from its 2 x 2 parents), so any cell aligned with level l's tiles can make its
// part of every coarser level inside it: the bytes do not depend on who encoded which tile.
//
// Sources are one band of any real type (a class map, a date: DEFLATE, nearest overviews) or
// 8-bit red, green, blue and alpha bands (imagery: JPEG, averaged overviews; the alpha becomes
// the COG's 1-bit mask, valid where alpha > 0).
#include <cstdint>
#include <string>
#include <vector>

#include "farmwatch/core/geo.h"
#include "farmwatch/io/raster_writer.h"

namespace farmwatch::io {

/// Tile compression: DEFLATE (a zlib stream by libdeflate at level 7, no predictor) or baseline
/// JPEG (quality 75, YCbCr 4:2:0, libjpeg's default tables; the quantisation tables in the
/// IFD's JPEGTables, each tile with its own optimised Huffman tables: GDAL's JPEGTABLESMODE=1).
enum class CogCodec { deflate, jpeg };
/// Overview pixels from their 2 x 2 parents: `nearest` takes the top-left one (class maps),
/// `average` the rounded mean of the unmasked ones (imagery; masked if none is).
enum class CogResampling { nearest, average };

struct CogFormat {
  CogCodec codec = CogCodec::deflate;
  CogResampling resampling = CogResampling::nearest;
};

/// Class maps (land use, change, scene sources): DEFLATE, overviews by nearest.
inline constexpr CogFormat kClassMapCog{CogCodec::deflate, CogResampling::nearest};
/// 8-bit true colour with an alpha band: JPEG, overviews averaged.
inline constexpr CogFormat kImageryCog{CogCodec::jpeg, CogResampling::average};

/// The versions of the tile codecs (libdeflate, libjpeg-turbo) farmwatch was built with: tiles
/// encoded by other versions may differ in bytes, so shards record them with their inputs.
std::string cog_codec_versions();

/// The number of overview levels of a width x height COG: halvings (rounded up) while the
/// larger side exceeds 256 pixels.
int cog_overview_count(int width, int height);

/// Encodes the tiles of `src` (a full-resolution raster, see above) that lie in `cells`
/// into the tile store `store` (a farmwatch file, read by assemble_cog). Each cell is a window
/// of `cell` x `cell` pixels, `cell` = 512 x 2^k (k >= 0), at a multiple of `cell`, clipped to
/// the raster: its tiles of levels 0..k are encoded and its level-k pixels kept for the levels
/// above. Tiles are encoded in parallel (TBB); the store's bytes do not depend on the thread
/// count. InputError or ProcessingError naming the file that cannot be read or written;
/// std::invalid_argument for a cell size that is not 512 x 2^k.
void encode_cog_tiles(const std::string& src, const CogFormat& format,
                      const std::vector<Window>& cells, int cell, const std::string& store);

/// The tile stores of one COG: which cells (of `cell` pixels, see encode_cog_tiles) each store
/// was written for; together the cells cover the raster once.
struct CogTileStores {
  /// The file name of the raster every store must have encoded (empty: not checked).
  std::string layer;
  int cell = 0;
  std::vector<std::string> paths;
  std::vector<std::vector<Window>> cells;  ///< per store
  /// Per store, the raster it was encoded from where that is not the COG's own source (a
  /// shard's provisional change raster, which the merge's sieve and patches change); empty:
  /// the stores hold the source's own tiles.
  std::vector<std::string> sources;
};

/// Writes the COG `dst` of `src` (whose size, georeferencing and metadata it takes) from the
/// tile stores encode_cog_tiles wrote, encoding the levels above the cells itself (its scratch
/// files beside `dst`, removed; so is `dst` if it fails). With `stores.sources`, the tiles over
/// the 512-pixel blocks where `src` differs from the store's source are encoded again from
/// `src`: the same bytes as a COG written from `src` alone. DamagedFileError naming the store that
/// is cut short, damaged (every record has a CRC-32 of its header and bytes), of another
/// layer, lacks a tile or the pixels of its cells, or holds anything outside them, or naming a
/// store's source that is not of `src`'s size and bands; ProcessingError if the cells do not
/// cover the raster once, or naming a file that cannot be read or written;
/// std::invalid_argument for stores without one cell list (and source, if any) each.
void assemble_cog(const std::string& src, const CogFormat& format, const CogTileStores& stores,
                  const std::string& dst);

/// A whole raster of `layout` (its pixels in `pixels`, row-major, of the layout's type) written
/// as the COG `dst`, through an uncompressed scratch GeoTIFF beside it (removed).
/// ProcessingError naming the file that cannot be written.
void write_cog_of_pixels(const RasterLayout& layout, const void* pixels, const CogFormat& format,
                         const std::string& dst);

/// encode_cog_tiles over the whole of `src` in cells of 4096 pixels, then assemble_cog:
/// the COG of one process, the same bytes as any sharded one.
void write_cog_of(const std::string& src, const CogFormat& format, const std::string& dst);

}  // namespace farmwatch::io
