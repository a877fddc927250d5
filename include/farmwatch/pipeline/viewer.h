#pragma once
// The one map's viewer: index.html in an output folder that opens from a file manager
// (file://, no server, no internet), OpenLayers bundled at build time from npm (viewer/).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "farmwatch/core/geo.h"
#include "farmwatch/core/log.h"

namespace farmwatch::pipeline {

/// A change patch as the viewer shows it (popup fields; geometry WGS84 lon/lat WKB).
struct ViewerPatch {
  std::string id, category, category_label, class_before, class_after, parcels, unit_name,
      status, status_label;
  std::string change_kind;  ///< the very-high-resolution method's kind label; empty: none
  double area_m2 = 0, area_mu = 0, lon = 0, lat = 0;
  std::optional<double> confidence;
  std::vector<std::string> chips;  ///< paths relative to the output folder
  std::vector<std::uint8_t> wkb_lonlat;
};

/// A farmland parcel (地块), geometry WGS84 lon/lat WKB.
struct ViewerParcel {
  std::string id, name;
  double lon = 0, lat = 0;
  std::vector<std::uint8_t> wkb_lonlat;
};

/// A parcel for the viewer: its search point is the middle of its lon/lat envelope.
ViewerParcel viewer_parcel(std::string id, std::string name, std::vector<std::uint8_t> wkb_lonlat);

struct ViewerMap {
  std::string title;
  std::string generated;      ///< when the run started, UTC (2026-03-15T02:10:00Z)
  Box bounds;                 ///< lon/lat of the area
  nlohmann::json tiles;       ///< as write_tile_sets returned, paths relative to `tiles_dir`
  std::string tiles_dir = "tiles";
  std::vector<ViewerPatch> patches;
  std::vector<ViewerParcel> parcels;
};

/// The time outputs show: SOURCE_DATE_EPOCH (UTC, 2026-03-15T02:10:00Z) when it is set, so
/// that the same inputs give the same bytes, else `now`.
std::string shown_time(const std::string& now);

/// Where the built viewer (farmwatch-viewer.js, .css, index.html) is: $FARMWATCH_VIEWER_DIR,
/// else viewer/ beside the executable, else ../share/farmwatch/viewer from it. Empty if none.
std::filesystem::path viewer_assets();

/// Writes `folder`/index.html, viewer/ (the bundle), map.js (layers, legends, the swipe's two
/// imagery dates), vectors/<layer>/<chunk>.js (patches and parcels in 0.05° chunks, loaded by
/// view) and vectors/search.js. Without a built viewer, warns and writes nothing. Returns the
/// files written (relative). ProcessingError when a file cannot be written.
std::vector<std::string> write_viewer(const std::filesystem::path& folder, const ViewerMap& map,
                                      const Log& log);

}  // namespace farmwatch::pipeline
