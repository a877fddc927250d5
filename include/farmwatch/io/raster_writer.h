#pragma once
// Block-wise writing of tiled GeoTIFFs (their Cloud-Optimised copies: io/cog_writer.h).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "farmwatch/core/class_table.h"
#include "farmwatch/core/geo.h"

namespace farmwatch::io {

enum class PixelType { u8, u16, i16, u32, f32 };

/// What a band carries for its readers besides its pixels.
struct BandInfo {
  std::string description;
  std::optional<double> scale, offset;  ///< value = DN x scale + offset (absent: not set)
  std::optional<double> nodata;         ///< overrides RasterLayout::nodata for this band
  std::string color_interp;             ///< GDAL's name ("Red", "Alpha", ...); empty: not set
  std::map<std::string, std::string> metadata;  ///< the band's default-domain metadata items
};

struct RasterLayout {
  Grid grid;
  /// False for images with no georeference: no geotransform is written (GDAL's pixel grid).
  bool georeferenced = true;
  PixelType type = PixelType::u8;
  int bands = 1;
  std::optional<double> nodata;
  std::vector<std::pair<std::uint8_t, Rgba>> colors;  ///< colour table entries (u8 only)
  std::map<std::string, std::string> metadata;        ///< dataset metadata items
  std::string description;                            ///< band description
  /// Per band (index 0 = band 1), applied after `nodata` and `description`; may be shorter
  /// than `bands`.
  std::vector<BandInfo> band_info;
  int block_size = kBlockSize;
  /// GeoTIFF compression. Scratch files that are read once and converted to COG go faster
  /// uncompressed ("NONE"); kept files use DEFLATE.
  std::string compress = "DEFLATE";
  /// DEFLATE's level (GDAL's ZLEVEL, 1-12 with libdeflate): 6 by default; 1 for files rewritten
  /// often and read by farmwatch alone (the nightly state), where level 6 costs 4x the CPU
  /// for a file a few per cent smaller.
  int deflate_level = 6;
  /// Blocks never written stay absent from the file and read as nodata (0 without one):
  /// a shard writes only its cells of a full-grid raster (GDAL's SPARSE_OK).
  bool sparse = false;
};

/// A tiled, DEFLATE-compressed GeoTIFF written one window at a time (serially).
class BlockRasterWriter {
 public:
  BlockRasterWriter(const std::string& path, const RasterLayout& layout);
  ~BlockRasterWriter();
  BlockRasterWriter(BlockRasterWriter&&) noexcept;
  /// Writes one window of band 1 (or `band`) from a buffer of the layout's pixel type.
  void write(const Window& w, const void* data, int band = 1);
  /// Writes floats, converted by GDAL to the layout's type (rounded, clamped); NaN is written
  /// as the band's nodata value (0 when it has none).
  void write_floats(const Window& w, const float* data, int band);
  /// Flushes and closes; ProcessingError if the file could not be completed.
  void close();
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

/// Windows of a raster farmwatch wrote on the analysis grid (the nightly state), read as
/// stored. One per thread. InputError naming the file if it cannot be opened.
class BlockRasterReader {
 public:
  explicit BlockRasterReader(const std::string& path);
  ~BlockRasterReader();
  BlockRasterReader(BlockRasterReader&&) noexcept;
  int bands() const;
  Grid grid() const;
  /// One window of a band into a buffer of `type` (GDAL converts); ProcessingError naming
  /// the file and the window when the pixels cannot be read.
  void read(const Window& w, int band, PixelType type, void* data);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

struct ImageInfo;

/// The layout of a raster derived band for band from an image (warped, cut): every band's
/// data type (anything not Byte/UInt16/Int16/UInt32 as Float32), nodata (0 for bands
/// that have none), description, scale, offset, colour interpretation and metadata, band 1's
/// colour table, and the image's dataset metadata (PROCESSING_BASELINE, FARMWATCH_CLASSES...;
/// not AREA_OR_POINT, which would move the grid), on `grid`. InputError if it cannot be opened.
RasterLayout derived_layout(const ImageInfo& image, const Grid& grid);

/// Writes `out`, a tiled uncompressed GeoTIFF (512 blocks) like `sources[0]` (size,
/// georeference, bands, types, nodata, colour tables, descriptions, metadata), whose window
/// `windows[k]` holds the pixels of `sources[owner[k]]` there: the merge of a run's shards
/// (core/shard.h), each source a full-grid raster a shard wrote its windows of. Every source must
/// lie on `grid` (its size, geotransform and CRS: a header damaged since, e.g. its GeoTIFF keys,
/// would publish rasters without their CRS) and have sources[0]'s bands: DamagedFileError naming
/// the one that does not. ProcessingError naming the file that cannot be read or written.
void assemble_windows(const std::vector<std::string>& sources, const Grid& grid,
                      const std::vector<Window>& windows, const std::vector<int>& owner,
                      const std::string& out);

/// The same raster as assemble_windows, as a GDAL virtual raster (VRT XML) written to `out`
/// that reads each window from its source, with no pixel copied; sources in `out`'s folder or
/// below are named relative to it, so the folder can move. The sources must outlive it.
/// ProcessingError naming the file that cannot be read or written.
void write_windows_vrt(const std::vector<std::string>& sources, const Grid& grid,
                       const std::vector<Window>& windows, const std::vector<int>& owner,
                       const std::string& out);

/// Whether a raster opens and every block of every band decodes (read through once): false for
/// a file missing, cut short or damaged. Throws nothing.
bool raster_reads_whole(const std::string& path);

}  // namespace farmwatch::io
