#pragma once
// The inbox of a nightly area: scenes as providers deliver them, found and identified.
//
// Kinds recognised (operations.md, "The office's night"):
//   - Sentinel-2 SAFE folders (`*.SAFE`) and their zips (`*.SAFE.zip`, `*.zip` holding one);
//   - Landsat Collection 2 scene folders (holding `*_MTL.txt`) and their tars (`*.tar`,
//     `*.tar.gz`, `*.tgz`);
//   - Gaofen scene folders (a multispectral GeoTIFF with its scene XML);
//   - GeoTIFF stacks (`*.tif`, `*.tiff`) whose acquisition date is in their metadata
//     (ACQUISITION_DATE, TIFFTAG_DATETIME) or in their file name (YYYYMMDD or YYYY-MM-DD).
// Hidden files and names ending `.part`, `.tmp`, `.crdownload` (copies in progress) are left
// for a later night.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace farmwatch::io {

/// One scene found in the inbox.
struct SceneCandidate {
  std::string path;        ///< as found: a folder, an archive or a GeoTIFF
  std::string kind;        ///< sentinel2_safe, sentinel2_zip, landsat, landsat_tar, gaofen, geotiff
  std::string product_id;  ///< the product's own name (SAFE / Landsat / Gaofen id, file stem)
  std::string sensor;      ///< "Sentinel-2", "Landsat", "Gaofen", or the GeoTIFF's SENSOR
  std::string acquired;    ///< YYYY-MM-DD; empty when it could not be told (see `error`)
  /// SHA-256 (hex) of the scene's files: for a folder, every file's relative name, size and
  /// bytes in name order; for a file, its bytes. Identifies a delivery.
  std::string checksum;
  std::int64_t bytes = 0;
  /// Why the scene cannot be used as delivered (no date, unreadable archive...); empty if fine.
  std::string error;
};

/// Finds the scenes under each inbox entry (a folder, searched recursively, or a glob pattern
/// whose matches are scenes or folders to search), sorted by acquisition date, then product id,
/// then path. Never throws for a bad scene: its `error` says why. ConfigError if an entry is a
/// folder that does not exist, or a pattern whose fixed leading folder does not.
std::vector<SceneCandidate> discover_scenes(const std::vector<std::string>& inbox);

/// SHA-256 (lower-case hex) of a file, or of a folder's files (relative name, size and bytes
/// in name order). InputError naming the path when it cannot be read.
std::string sha256_of_path(const std::filesystem::path& path);

/// What farmwatch reads for a scene: the folder or GeoTIFF itself, or, for an archive, the
/// product unpacked (through GDAL's /vsizip/ and /vsitar/) into `scratch`. InputError naming
/// the archive when it is truncated or holds no product.
std::string readable_scene(const SceneCandidate& scene, const std::filesystem::path& scratch);

}  // namespace farmwatch::io
