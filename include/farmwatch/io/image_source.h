#pragma once
// Reading imagery and class maps onto the analysis grid, block by block.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "farmwatch/core/class_table.h"
#include "farmwatch/core/features.h"
#include "farmwatch/core/geo.h"
#include "farmwatch/core/quality_mask.h"
#include "farmwatch/io/sensor_profile.h"

namespace farmwatch::io {

/// 1-based band number per role; 0 = the image has no band for that role.
struct BandMap {
  std::array<int, kRoleCount> index{};
  int& operator[](BandRole r) { return index[static_cast<std::size_t>(r)]; }
  int operator[](BandRole r) const { return index[static_cast<std::size_t>(r)]; }
  /// "blue=1,green=2,red=3,nir=4"; ConfigError on an unknown role or a bad number.
  static BandMap parse(const std::string& text);
  std::string to_string() const;
};

/// What the user said about an image (pipeline file or command line).
struct ImageRequest {
  std::string path;
  std::optional<BandMap> bands;  ///< absent: from band descriptions
  std::optional<double> scale;   ///< with offset: reflectance = DN * scale + offset, all bands
  std::optional<double> offset;
  Profile profile = Profile::automatic;
  std::string metadata;  ///< product metadata (Landsat *_MTL.txt, Sentinel-2 MTD XML, Gaofen XML)
  std::string calibration_table;  ///< Gaofen gains table (CSV); empty: the built-in one
  /// Integer DNs without any rule to reflectance are read as relative brightness (DN / type
  /// maximum) instead of refused (ImageInfo::relative says so): for change detection, which
  /// needs no reflectance.
  bool allow_relative = false;
  /// Quality layer file (SCL, QA_PIXEL, a cloud mask); "spectral": the spectral cloud test;
  /// "none": no masking; empty: a band of the image whose description names one, else none.
  std::string quality;
  int quality_band = 0;                     ///< band of the quality file (0: the first)
  std::optional<QualityKind> quality_kind;  ///< absent: from the file's name or description
};

/// An image checked for use: opened, CRS present, bands mapped, DN rule known.
struct ImageInfo {
  std::string path;
  /// The image's analysis grid: its own when north-up, else Grid::north_up() of it (a
  /// south-up or rotated image is read onto it through GDAL's warper).
  Grid grid;
  /// The raster's grid as stored (geotransform as in the file; may be south-up or rotated).
  /// Width 0: the same as `grid`.
  Grid file_grid;
  int band_count = 0;
  BandMap bands;
  std::array<Calibration, kRoleCount> calibration{};  ///< DN to reflectance per role
  std::string calibration_source;                     ///< where the rule came from
  bool relative = false;  ///< DN / type maximum for want of a rule (see allow_relative)
  /// Added to the image's geotransform origin (its own CRS units) before it is read: the
  /// co-registration correction. Zero: read as georeferenced.
  double shift_x = 0, shift_y = 0;
  /// Quality layer masking cloud, shadow and fill (none if the product has none).
  QualityKind quality_kind = QualityKind::none;
  std::string quality_path;
  int quality_band = 0;
  std::string data_type;
  /// Single band of land-use class codes (written by farmwatch, or any paletted Byte raster).
  bool is_class_map = false;
  /// A raster farmwatch made itself (a scratch file: votes, rasterised parcels): a read
  /// failure is its own (ProcessingError), not bad input.
  bool made_here = false;
  /// What a class map's codes mean, when it says (FARMWATCH_CLASSES metadata).
  std::optional<ClassTable> classes;
};

/// Validates an image; InputError naming the file and the problem (no CRS, missing role, ...).
/// `required` are the roles the classifier needs; ignored for class maps.
ImageInfo inspect_image(const ImageRequest& req, const std::set<BandRole>& required);

/// The image's bands in a line ("13 bands Float32: B01 B02 ..."), as a model records them.
std::string describe_bands(const ImageInfo& image);

enum class Resampling { reflectance, nearest };

/// Reads one image on the analysis grid. One per thread (GDAL datasets are not thread-safe).
/// If the image's grid is the analysis grid it is read directly; otherwise through GDAL's
/// warper (average when coarsening reflectance, bilinear otherwise, nearest for classes).
class GridReader {
 public:
  /// `block`: the size of the windows the caller reads, aligned to it (the warper works in
  /// blocks of that size).
  GridReader(const ImageInfo& info, const Grid& target, Resampling resampling, int block = kBlockSize);
  ~GridReader();
  GridReader(GridReader&&) noexcept;
  GridReader& operator=(GridReader&&) noexcept;

  /// Reflectance of every mapped role; NaN in all planes where any mapped band is invalid or
  /// the quality layer flags cloud, shadow or fill. `state`, if given, says which of the two
  /// each NaN pixel is (PixelState per pixel).
  void read_reflectance(const Window& w, ReflectanceBlock& out,
                        std::vector<PixelState>* state = nullptr);
  /// One band as stored (no calibration, no quality mask), NaN where it has no data.
  void read_raw(const Window& w, int band, std::vector<float>& out);
  /// A band as bytes (class maps); nodata and pixels outside the image are 255.
  void read_bytes(const Window& w, std::vector<std::uint8_t>& out, int band = 1);
  /// Band 1 as unsigned 32-bit integers (parcel index rasters on the analysis grid).
  void read_u32(const Window& w, std::vector<std::uint32_t>& out);
  bool warped() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  void read_block(const Window& w, ReflectanceBlock& out, std::vector<PixelState>& state);
};

}  // namespace farmwatch::io
