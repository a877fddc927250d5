// Gaofen GF-1/2/6 calibration: DN to radiance with CRESDA's yearly gains from a table, radiance
// to TOA reflectance with the sun's position at the scene.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <vector>

#include "farmwatch/core/error.h"
#include "farmwatch/core/sun.h"
#include "farmwatch/io/sensor_profile.h"
#include "farmwatch/io/xml_document.h"

namespace farmwatch::io {
namespace fs = std::filesystem;

extern const char* const kGaofenTable;  // pipelines/calibration/gaofen.csv, built in

namespace {

std::string slurp(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) throw InputError(std::string("cannot read ") + what + " '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// What the scene XML says about where and when it was taken.
struct Scene {
  std::string satellite, sensor;  ///< "GF2", "PMS1"
  UtcTime time;                   ///< as written; its zone is decided later
  double lat = 0, lon = 0;
  std::optional<double> xml_zenith, xml_elevation;
};

Scene read_scene(const std::string& path) {
  const XmlDocument xml = XmlDocument::load(path, "Gaofen metadata");
  Scene s;
  s.satellite = xml.text("SatelliteID");
  s.sensor = xml.text("SensorID");
  if (s.satellite.empty() || s.sensor.empty())
    throw InputError("Gaofen metadata '" + path + "' has no SatelliteID or SensorID");
  std::string when;
  for (const char* tag : {"CenterTime", "StartTime", "ReceiveTime"})
    if (when = xml.text(tag); !when.empty()) break;
  std::smatch m;
  static const std::regex time_re(R"(^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2}(\.\d+)?))");
  if (!std::regex_search(when, m, time_re))
    throw InputError("Gaofen metadata '" + path + "' has no acquisition time (CenterTime, " +
                     "StartTime or ReceiveTime written YYYY-MM-DD hh:mm:ss)");
  s.time = {std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3]),
            std::stoi(m[4]) + std::stoi(m[5]) / 60.0 + std::stod(m[6]) / 3600.0};
  auto lat = xml.number("CenterLatitude"), lon = xml.number("CenterLongitude");
  if (!lat || !lon) {
    double la = 0, lo = 0;
    int n = 0;
    for (const char* corner : {"TopLeft", "TopRight", "BottomRight", "BottomLeft"}) {
      auto a = xml.number(std::string(corner) + "Latitude");
      auto o = xml.number(std::string(corner) + "Longitude");
      if (a && o) {
        la += *a;
        lo += *o;
        ++n;
      }
    }
    if (!n)
      throw InputError("Gaofen metadata '" + path + "' gives no scene centre (CenterLatitude/" +
                       "CenterLongitude or corner coordinates)");
    lat = la / n;
    lon = lo / n;
  }
  s.lat = *lat;
  s.lon = *lon;
  s.xml_zenith = xml.number("SolarZenith");
  s.xml_elevation = xml.number("SolarElevation");
  return s;
}

struct TableRow {
  std::string satellite, sensor;
  int year = 0, band = 0;
  double gain = 0, offset = 0, esun = 0;
  std::string source;
};

std::vector<TableRow> parse_table(const std::string& text, const std::string& name) {
  std::vector<TableRow> rows;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  bool header = true;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    if (header) {  // satellite,sensor,year,band,gain,offset,esun,source
      header = false;
      continue;
    }
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string cell;
    while (f.size() < 7 && std::getline(ls, cell, ',')) f.push_back(cell);
    std::getline(ls, cell);
    f.push_back(cell);
    try {
      if (f.size() < 7) throw std::invalid_argument("too few columns");
      rows.push_back({f[0], f[1], std::stoi(f[2]), std::stoi(f[3]), std::stod(f[4]),
                      std::stod(f[5]), std::stod(f[6]), f.size() > 7 ? f[7] : ""});
    } catch (const std::exception&) {
      throw InputError("calibration table '" + name + "' line " + std::to_string(line_no) +
                       ": expected satellite,sensor,year,band,gain,offset,esun,source");
    }
    if (!(rows.back().esun > 0))
      throw InputError("calibration table '" + name + "' line " + std::to_string(line_no) +
                       ": esun must be positive");
  }
  return rows;
}

bool same_name(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

/// The scene time in UTC. GF-1/2/6 cross the equator descending at 10:30 local solar time, so
/// the XML's time is read as UTC or as Beijing time (UTC+8), whichever puts the scene nearer
/// 10:30; `beijing` says which.
UtcTime scene_time_utc(const Scene& s, bool& beijing) {
  auto off_1030 = [&](double utc_hour) {
    return std::fabs(local_solar_hour(utc_hour, s.lon) - 10.5);
  };
  UtcTime utc = s.time;
  beijing = off_1030(s.time.hour - 8) < off_1030(s.time.hour);
  if (beijing) {
    utc.hour -= 8;
    if (utc.hour < 0) {  // the previous UTC day; 1 January rolls into 31 December
      utc.hour += 24;
      if (--utc.day == 0) {
        static const int days[] = {31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        utc.month = utc.month == 1 ? 12 : utc.month - 1;
        if (utc.month == 12) --utc.year;
        utc.day = days[utc.month] + (utc.month == 2 && day_of_year(utc.year, 3, 1) == 61 ? 1 : 0);
      }
    }
  }
  return utc;
}

/// The solar zenith (degrees) to calibrate with: the XML's angle where it has one, checked
/// against the sun's position at the scene's time and centre; `how` says where it came from.
/// InputError when they disagree by more than 5 degrees or the sun is too low.
double solar_zenith(const Scene& s, const UtcTime& utc, const std::string& xml_path,
                    std::string& how) {
  const double computed = solar_zenith_deg(utc, s.lat, s.lon);
  // The XML's angle where it has one: some products write the elevation under SolarZenith, so
  // it is read as whichever of zenith or elevation agrees with the computed position.
  double zenith = computed;
  how = "computed from the scene time and centre";
  if (s.xml_elevation) {
    zenith = 90.0 - *s.xml_elevation;
    how = "SolarElevation of the metadata";
  } else if (s.xml_zenith) {
    const double as_zenith = *s.xml_zenith, as_elevation = 90.0 - *s.xml_zenith;
    const bool elevation = std::fabs(as_elevation - computed) < std::fabs(as_zenith - computed);
    zenith = elevation ? as_elevation : as_zenith;
    how = elevation ? "SolarZenith of the metadata, which holds the elevation"
                    : "SolarZenith of the metadata";
  }
  if (std::fabs(zenith - computed) > 5.0)
    throw InputError("Gaofen metadata '" + xml_path + "': solar zenith " + std::to_string(zenith) +
                     " deg disagrees with the sun's position at the " +
                     "scene's time and centre (" + std::to_string(computed) + " deg)");
  if (!(zenith < 85.0))
    throw InputError("Gaofen metadata '" + xml_path + "': the sun is " +
                     std::to_string(90 - zenith) + " deg above the horizon; too low to calibrate");
  return zenith;
}

}  // namespace

bool is_gaofen_metadata(const std::string& xml_path) {
  if (fs::path(xml_path).extension() != ".xml" || !fs::is_regular_file(xml_path)) return false;
  const auto xml = XmlDocument::try_load(xml_path);
  return xml && xml->text("SatelliteID").rfind("GF", 0) == 0;
}

std::string find_gaofen_xml(const std::string& image_path) {
  fs::path xml = image_path;
  xml.replace_extension(".xml");
  return is_gaofen_metadata(xml.string()) ? xml.string() : std::string();
}

ProductCalibration gaofen_calibration(const std::string& xml_path,
                                      const std::map<int, int>& file_band_to_sensor_band,
                                      const std::string& table_path) {
  const Scene s = read_scene(xml_path);
  const std::string table_name = table_path.empty() ? "built-in gaofen.csv" : table_path;
  const auto rows = parse_table(
      table_path.empty() ? std::string(kGaofenTable) : slurp(table_path, "calibration table"),
      table_name);

  // Which year's gains: the newest not after the acquisition, else the oldest.
  std::vector<int> years;
  for (const auto& r : rows)
    if (same_name(r.satellite, s.satellite) && same_name(r.sensor, s.sensor))
      years.push_back(r.year);
  if (years.empty())
    throw InputError("Gaofen scene '" + xml_path + "': calibration table '" + table_name +
                     "' has no rows for " + s.satellite + " " + s.sensor +
                     "; add CRESDA's gains for it (or name a table with calibration_table:)");
  int year = *std::min_element(years.begin(), years.end());
  for (int y : years)
    if (y <= s.time.year && y > year) year = y;

  bool beijing = false;
  const UtcTime utc = scene_time_utc(s, beijing);
  std::string how;
  const double zenith = solar_zenith(s, utc, xml_path, how);
  const double d = earth_sun_distance_au(day_of_year(utc.year, utc.month, utc.day));
  ProductCalibration out;
  for (const auto& [file_band, sensor_band] : file_band_to_sensor_band) {
    const TableRow* row = nullptr;
    for (const auto& r : rows)
      if (same_name(r.satellite, s.satellite) && same_name(r.sensor, s.sensor) && r.year == year &&
          r.band == sensor_band)
        row = &r;
    if (!row)
      throw InputError("Gaofen scene '" + xml_path + "': calibration table '" + table_name +
                       "' has no " + std::to_string(year) + " row for " + s.satellite + " " +
                       s.sensor + " band " + std::to_string(sensor_band));
    out.bands[file_band] = toa_from_radiance(row->gain, row->offset, row->esun, d, zenith);
  }
  std::ostringstream src;
  src << fs::path(xml_path).filename().string() << ": " << s.satellite << " " << s.sensor << " "
      << year << " gains (" << table_name << ")";
  if (year != s.time.year) src << " for a " << s.time.year << " scene";
  src << ", TOA reflectance, solar zenith " << std::round(zenith * 100) / 100 << " deg (" << how
      << "), time read as " << (beijing ? "Beijing time" : "UTC");
  out.source = src.str();
  return out;
}

}  // namespace farmwatch::io
