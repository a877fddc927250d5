#pragma once
// A change patch (图斑): connected changed pixels of one category, with what the office reads of
// it. Plain data: io/patches.h extracts and measures patches, the monitoring database stores
// them, core/patch_identity.h decides which stored patch a new one is.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "farmwatch/core/change_rules.h"

namespace farmwatch {

/// One patch: areas in m² and 亩 on the ellipsoid, centroid in the analysis CRS and in WGS84
/// lon/lat, geometries as WKB (analysis CRS and lon/lat).
struct Patch {
  std::string id;  ///< monitoring id (监测编号)
  ChangeCategory category = ChangeCategory::other;
  /// What the very-high-resolution method found (new building, demolished building, ground
  /// converted); absent for the spectral and land-use change tests.
  std::optional<VhrChangeKind> kind;
  std::uint8_t class_before = 0, class_after = 0;  ///< majority class codes
  double area_m2 = 0, area_mu = 0;                 ///< on the ellipsoid
  double centroid_x = 0, centroid_y = 0;           ///< analysis CRS
  double centroid_lon = 0, centroid_lat = 0;       ///< WGS84
  std::vector<std::string> parcel_ids;             ///< farmland parcels it overlaps
  double farmland_share = 0;                       ///< share of its pixels inside farmland
  double confidence = 0;                           ///< 0..1
  std::int64_t pixels = 0;
  /// Farmland parcels it overlaps with the intersected area (m², ellipsoidal), by parcel id.
  std::vector<std::pair<std::string, double>> parcel_areas;
  std::string unit_code, unit_name;  ///< administrative unit (乡镇/村) it lies in most
  /// Name of the exemption layer that makes it reasonable (合理); empty: not exempt.
  std::string exempt_by;
  /// Monitoring status (new, persisting, verified, dismissed) and when it was first found;
  /// set from the monitoring database (a run without one: new, this run's date).
  std::string status = "new";
  std::string first_seen;
  std::vector<std::uint8_t> wkb;         ///< geometry, analysis CRS
  std::vector<std::uint8_t> wkb_lonlat;  ///< geometry, WGS84 lon/lat
};

}  // namespace farmwatch
