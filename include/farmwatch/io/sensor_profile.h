#pragma once
// Sensor profiles: how a product's digital numbers become reflectance, read from the product's
// own metadata where it has any (Landsat *_MTL.txt, Sentinel-2 processing baseline).
#include <map>
#include <optional>
#include <string>

#include "farmwatch/core/calibration.h"

namespace farmwatch::io {

/// reflectance = DN * mult + add
/// The arithmetic lives in core (core/calibration.h); io reads the metadata it needs.
using farmwatch::Calibration;

enum class Profile {
  automatic,  ///< Landsat MTL beside the image, else the bands' scale/offset metadata
  generic,    ///< the bands' scale/offset metadata, or floats taken as reflectance
  landsat,    ///< *_MTL.txt: Level-1 TOA with sun elevation, or Collection 2 Level-2 SR
  sentinel2,  ///< DN / 10000, with the -1000 offset from processing baseline 04.00 on
  drone,      ///< uncalibrated camera: DN / the type's maximum (relative brightness 0..1)
  gaofen,     ///< GF-1/2/6: gains from a calibration table, sun from the scene's XML
};
std::optional<Profile> parse_profile(const std::string& s);
/// The names parse_profile knows, for messages.
inline constexpr const char* kProfileNames = "auto, generic, landsat, sentinel2, drone, gaofen";
const char* profile_name(Profile p);

/// Per-band calibration (1-based band numbers of the file) and where it came from.
struct ProductCalibration {
  std::map<int, Calibration> bands;
  std::string source;  ///< e.g. "LC08_..._MTL.txt: TOA reflectance, sun elevation 58.997°"
};

/// The *_MTL.txt beside an image: the one whose product id starts the image's name, or the
/// only one in its folder. Empty if none.
std::string find_landsat_mtl(const std::string& image_path);

/// Landsat calibration from an MTL file for the image's bands. Band numbers come from band
/// descriptions ("B4 red", "B5 nir") or, failing that, `file_band_to_sensor_band`.
/// Level-1: TOA reflectance (REFLECTANCE_MULT/ADD_BAND_n divided by the sine of the sun
/// elevation); Collection 2 Level-2: surface reflectance (its own scale and offset).
/// InputError naming the file on anything missing.
ProductCalibration landsat_calibration(const std::string& mtl_path,
                                       const std::map<int, int>& file_band_to_sensor_band);

/// Sentinel-2 calibration: DN / 10000, plus the baseline offset (-1000 since 04.00). The
/// baseline comes from `baseline` (e.g. "04.00", from metadata) or the MTD XML given; with
/// neither, InputError.
ProductCalibration sentinel2_calibration(int band_count, const std::string& baseline,
                                         const std::string& mtd_xml);

/// True if `xml_path` is a Gaofen scene's metadata (its <SatelliteID> names a GF satellite).
bool is_gaofen_metadata(const std::string& xml_path);

/// The Gaofen scene XML beside an image (same name, .xml), or empty.
std::string find_gaofen_xml(const std::string& image_path);

/// Gaofen calibration for sensor bands 1..n of the scene `xml_path` describes: the table's gains
/// (the newest year not after the acquisition) give radiance, which becomes TOA reflectance with
/// the table's ESUN, the Earth-sun distance and the solar zenith (the XML's, checked against
/// the sun's position at the scene's time and centre). `table_path` empty: the table built into
/// farmwatch (pipelines/calibration/gaofen.csv). InputError naming the file on a scene the table
/// has no rows for, or metadata without satellite, sensor, time or place.
ProductCalibration gaofen_calibration(const std::string& xml_path,
                                      const std::map<int, int>& file_band_to_sensor_band,
                                      const std::string& table_path);

}  // namespace farmwatch::io
