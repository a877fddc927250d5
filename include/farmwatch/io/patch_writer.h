#pragma once
// Change reports as GeoPackage, GeoJSON (RFC 7946) and CSV (UTF-8 with BOM), one schema.
#include <string>
#include <vector>

#include "farmwatch/core/class_table.h"
#include "farmwatch/io/patches.h"

namespace farmwatch::io {

/// What every patch record shares: the two observations and the class table.
struct ReportContext {
  std::string date_before, date_after;
  std::string sensor_before, sensor_after;
  const ClassTable* classes = nullptr;
  std::string crs_wkt;  ///< analysis CRS (the GeoPackage's CRS)
  /// Write the very-high-resolution method's change_kind and change_kind_code fields (also
  /// when no patch was found, so every run of that method has one schema).
  bool change_kinds = false;
};

void write_patches_gpkg(const std::string& path, const std::vector<Patch>& patches,
                        const ReportContext& ctx);
void write_patches_geojson(const std::string& path, const std::vector<Patch>& patches,
                           const ReportContext& ctx);
void write_patches_csv(const std::string& path, const std::vector<Patch>& patches,
                       const ReportContext& ctx);
/// The same table as an Excel workbook for people: every text column (GB/T codes such as
/// 0103, parcel ids) stays text, which a CSV opened in Excel does not.
void write_patches_xlsx(const std::string& path, const std::vector<Patch>& patches,
                        const ReportContext& ctx);

}  // namespace farmwatch::io
