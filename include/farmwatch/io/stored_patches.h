#pragma once
// Patches as the monitoring database keeps them, in the forms readers take: a table (CSV and
// the terminal), a GeoJSON FeatureCollection (lon/lat, RFC 7946) and a GeoPackage layer.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "farmwatch/io/csv_writer.h"
#include "farmwatch/io/monitoring_db.h"

namespace farmwatch::io {

/// The table: patch_id, category (非农化...), status, classes, area_m2, dates, unit, parcels,
/// reasonable (the exemption layer), confidence.
CsvTable stored_patch_table(const std::vector<StoredPatch>& patches);

/// A FeatureCollection with the table's columns as properties (area and confidence as numbers)
/// plus status_label (新发现...), geometries in EPSG:4326 lon/lat.
nlohmann::json stored_patch_geojson(const std::vector<StoredPatch>& patches);

/// Writes the patches as a GeoJSON FeatureCollection (as stored_patch_geojson) at
/// `geojson_path` and as the GeoPackage layer "patches" at `gpkg_path`, one feature at a time
/// (memory does not grow with the number of patches). ProcessingError naming the file.
void write_stored_patches(const std::vector<StoredPatch>& patches, const std::string& geojson_path,
                          const std::string& gpkg_path);

/// A column of a layer written from GeoJSON: its name, and whether it holds numbers (Real)
/// rather than text.
struct LayerColumn {
  std::string name;
  bool numeric = false;
};
/// The columns of stored_patch_geojson's features.
std::vector<LayerColumn> stored_patch_columns();

/// Writes a GeoJSON FeatureCollection (lon/lat polygons) as the GeoPackage layer `layer` at
/// `path` (EPSG:4326, MultiPolygon) with the given columns, also when it has no feature.
/// ProcessingError naming the file if it cannot be written.
void write_geojson_gpkg(const nlohmann::json& geojson, const std::string& path,
                        const std::string& layer, const std::vector<LayerColumn>& columns);

}  // namespace farmwatch::io
