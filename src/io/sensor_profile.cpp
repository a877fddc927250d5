#include "farmwatch/io/sensor_profile.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "farmwatch/core/error.h"
#include "farmwatch/io/xml_document.h"

namespace farmwatch::io {
namespace fs = std::filesystem;

std::optional<Profile> parse_profile(const std::string& s) {
  if (s == "auto") return Profile::automatic;
  if (s == "generic") return Profile::generic;
  if (s == "landsat") return Profile::landsat;
  if (s == "sentinel2") return Profile::sentinel2;
  if (s == "drone") return Profile::drone;
  if (s == "gaofen") return Profile::gaofen;
  return std::nullopt;
}

const char* profile_name(Profile p) {
  switch (p) {
    case Profile::automatic:
      return "auto";
    case Profile::generic:
      return "generic";
    case Profile::landsat:
      return "landsat";
    case Profile::sentinel2:
      return "sentinel2";
    case Profile::drone:
      return "drone";
    case Profile::gaofen:
      return "gaofen";
  }
  return "?";
}

std::string find_landsat_mtl(const std::string& image_path) {
  const fs::path dir = fs::path(image_path).parent_path();
  const std::string stem = fs::path(image_path).stem().string();
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir.empty() ? "." : dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 8 && name.compare(name.size() - 8, 8, "_MTL.txt") == 0) {
      const std::string product = name.substr(0, name.size() - 8);
      if (stem.rfind(product, 0) == 0) return e.path().string();  // B4 of that product
      found.push_back(e.path());
    }
  }
  return found.size() == 1 ? found[0].string() : std::string();
}

namespace {

/// KEY = VALUE pairs of an MTL file, keyed "GROUP.KEY" with the innermost group.
std::map<std::string, std::string> read_mtl(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot read Landsat metadata '" + path + "'");
  std::map<std::string, std::string> kv;
  std::string line, group;
  static const std::regex re(R"re(^\s*([A-Z0-9_]+)\s*=\s*"?([^"]*)"?\s*$)re");
  std::smatch m;
  while (std::getline(in, line)) {
    if (!std::regex_match(line, m, re)) continue;
    if (m[1] == "GROUP")
      group = m[2];
    else if (m[1] != "END_GROUP")
      kv[group + "." + m[1].str()] = m[2];
  }
  if (kv.empty())
    throw InputError("'" + path + "' is not a Landsat MTL file (no KEY = VALUE lines)");
  return kv;
}

double number(const std::map<std::string, std::string>& kv, const std::string& key,
              const std::string& path) {
  const auto it = kv.find(key);
  if (it == kv.end()) throw InputError("Landsat metadata '" + path + "' has no " + key);
  try {
    return std::stod(it->second);
  } catch (const std::exception&) {
    throw InputError("Landsat metadata '" + path + "': " + key + " is not a number");
  }
}

}  // namespace

ProductCalibration landsat_calibration(const std::string& mtl_path,
                                       const std::map<int, int>& file_band_to_sensor_band) {
  const auto kv = read_mtl(mtl_path);
  ProductCalibration out;
  const std::string name = fs::path(mtl_path).filename().string();
  // Collection 2 Level-2 surface reflectance carries its own rescaling group; Level-1 (and
  // Collection 1) products give TOA factors that still need the sun elevation.
  const std::string l2 = "LEVEL2_SURFACE_REFLECTANCE_PARAMETERS";
  const bool surface = kv.count(l2 + ".REFLECTANCE_MULT_BAND_2") > 0;
  double elevation = 90.0;  // surface reflectance: no sun correction (sin 90° = 1)
  if (!surface) {
    std::string key = "IMAGE_ATTRIBUTES.SUN_ELEVATION";
    if (!kv.count(key)) key = "PRODUCT_PARAMETERS.SUN_ELEVATION";
    elevation = number(kv, key, mtl_path);
    if (!(elevation > 0 && elevation <= 90))
      throw InputError("Landsat metadata '" + mtl_path + "': sun elevation " +
                       std::to_string(elevation) + " is not above the horizon");
    std::ostringstream s;
    s << name << ": TOA reflectance, sun elevation " << elevation << " deg";
    out.source = s.str();
  } else {
    out.source = name + ": Collection 2 Level-2 surface reflectance";
  }
  const std::string group = surface ? l2 : "RADIOMETRIC_RESCALING";
  for (const auto& [file_band, sensor_band] : file_band_to_sensor_band) {
    const std::string n = std::to_string(sensor_band);
    const double mult = number(kv, group + ".REFLECTANCE_MULT_BAND_" + n, mtl_path);
    const double add = number(kv, group + ".REFLECTANCE_ADD_BAND_" + n, mtl_path);
    out.bands[file_band] = surface ? Calibration{mult, add} : landsat_toa(mult, add, elevation);
  }
  return out;
}

ProductCalibration sentinel2_calibration(int band_count, const std::string& baseline,
                                         const std::string& mtd_xml) {
  std::string b = baseline;
  double offset = std::nan("");
  if (!mtd_xml.empty()) {
    const XmlDocument xml = XmlDocument::load(mtd_xml, "Sentinel-2 metadata");
    if (const std::string v = xml.text("PROCESSING_BASELINE"); !v.empty()) b = v;
    // L2A gives BOA_ADD_OFFSET per band, L1C RADIO_ADD_OFFSET; the offset is the same for all.
    for (const char* tag : {"BOA_ADD_OFFSET", "RADIO_ADD_OFFSET"})
      if (const auto o = xml.number(tag); o && std::isnan(offset)) offset = *o;
    if (b.empty())
      throw InputError("Sentinel-2 metadata '" + mtd_xml + "' has no PROCESSING_BASELINE");
  }
  if (b.empty())
    throw InputError(
        "Sentinel-2 processing baseline unknown: give the product's MTD XML "
        "(metadata:) or set scale/offset");
  double version = 0;
  try {
    version = std::stod(b);
  } catch (const std::exception&) {
    throw InputError("Sentinel-2 processing baseline '" + b + "' is not a number");
  }
  if (std::isnan(offset)) offset = sentinel2_default_offset(version);
  ProductCalibration out;
  for (int i = 1; i <= band_count; ++i) out.bands[i] = sentinel2_dn_to_reflectance(offset);
  std::ostringstream s;
  s << "Sentinel-2 baseline " << b << ": (DN " << (offset < 0 ? "- " : "+ ") << std::fabs(offset)
    << ") / 10000";
  out.source = s.str();
  return out;
}

}  // namespace farmwatch::io
