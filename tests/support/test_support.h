#pragma once
// Test helpers: temporary folders, running the farmwatch CLI, small GeoTIFFs built in code.
#include <gdal_priv.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace farmwatch::test {

/// A fresh folder, removed with everything in it at the end of the scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct CliResult {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr
};

/// Runs the farmwatch executable with `args` (shell-quoted here), extra environment first.
CliResult run_cli(const std::vector<std::string>& args, const std::string& env = "");

std::string source_dir();
std::string sample(const std::string& name);  ///< a file in sample-tiles/
std::string read_text(const std::string& path);

/// Reads band `band` of a raster as doubles (whole raster).
std::vector<double> read_band(const std::string& path, int band = 1);

/// A small north-up GeoTIFF with the given bands (row-major values), CRS and transform.
struct RasterSpec {
  int width = 4, height = 4;
  std::string epsg = "EPSG:32650";  ///< empty: no CRS
  double origin_x = 500000, origin_y = 3500000, res = 10;
  GDALDataType type = GDT_Float32;
  std::vector<std::vector<double>> bands;
  std::vector<std::string> descriptions;
  double nodata = 0;
  bool has_nodata = false;
  double scale = 1;
  double offset = 0;
  /// The same scene stored south-up (row 0 at the south edge, positive pixel height), as
  /// NetCDF/HDF conversions write it; `bands` are still given north row first.
  bool south_up = false;
  /// Write no geotransform at all (with `epsg` empty: no georeference).
  bool no_geotransform = false;
  std::vector<std::pair<std::string, std::string>> metadata;  ///< dataset metadata items
};
void write_raster(const std::string& path, const RasterSpec& spec);

/// A vector layer of string fields, written with any OGR driver.
struct VectorSpec {
  std::string driver = "GPKG";
  std::string layer = "parcels";
  int epsg = 32650;  ///< 0: no CRS
  std::vector<std::string> fields;
  /// Per feature: the field values (UTF-8, or raw bytes with ENCODING= for shapefiles) and
  /// the geometry as WKT (curves allowed where the driver takes them).
  std::vector<std::pair<std::vector<std::string>, std::string>> features;
  std::vector<std::string> layer_options;  ///< e.g. "ENCODING=CP936" for a shapefile
};
void write_vector(const std::string& path, const VectorSpec& spec);

/// A GeoPackage polygon layer with a 地块编号 (parcel id) field: (id, WKT) per feature.
/// `epsg` 0 writes a layer without CRS.
void write_parcels(const std::string& path,
                   const std::vector<std::pair<std::string, std::string>>& id_wkt, int epsg = 4527);

/// Writes `dir`/p.yaml: the sample pipeline with `later_image` as its second date, outputs in
/// `dir`/out without tiles. Returns the pipeline's path.
std::string write_sample_pipeline(const TempDir& dir, const std::string& later_image);

/// A very-high-resolution RGB pair at 0.5 m on grass: a grey-roofed house with its shadow in
/// both dates, a second one built between them, and the later date under another colour
/// balance (gain, offset, different noise) and shifted by `shift_px` to the east.
struct VhrPair {
  int width = 160, height = 160;
  std::vector<std::vector<double>> before, after;  ///< 3 bands each, 0-255
  /// Roofs as {col, row, width, height}.
  std::array<int, 4> existing{20, 20, 30, 24}, built{96, 100, 30, 24};
};
VhrPair make_vhr_pair(int shift_px = 1);
/// One date of the pair (`after`: the later one) as a drone orthomosaic's kind of GeoTIFF:
/// 8-bit red, green and blue at 0.5 m in UTM 50N, origin (500000, 3500000).
RasterSpec vhr_ortho(const VhrPair& pair, bool after);
/// Writes bands (0-255) as an 8-bit PNG: no CRS, no geotransform (alpha: an extra band).
void write_png(const std::string& path, int width, int height,
               const std::vector<std::vector<double>>& bands);

/// Whether ../shared/data (real third-party data) is beside the repository.
std::string shared_data_dir();

}  // namespace farmwatch::test
