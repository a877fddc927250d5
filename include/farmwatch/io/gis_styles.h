#pragma once
// What GIS tools need beside our files to show them right without styling by hand (QGIS 3.22
// checked): class names and colours of class rasters, Chinese field aliases of GeoPackages.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "farmwatch/core/class_table.h"

namespace farmwatch::io {

/// One value of a class raster: its name, GB/T 21010 code (may be empty) and colour; alpha 0
/// hides it (change.tif's "no change").
struct ClassEntry {
  std::uint8_t value = 0;
  std::string name, gbt_code;
  Rgba color;
};

/// The classes of a land-use raster: name, GB/T 21010 code, colour.
std::vector<ClassEntry> class_entries(const ClassTable& classes);
/// change.tif's values: 0 无变化 (transparent), 1 非农化, 2 非粮化, 3 其他变化, in the colours
/// every output uses.
std::vector<ClassEntry> change_entries();

/// Describes a single-band class raster for GIS tools, without rewriting its pixels: a
/// colour table with alpha, GDAL category names and a raster attribute table (Value, Class,
/// GBT21010, Red, Green, Blue, Alpha) in `path`.aux.xml (GeoTIFF's own colour map has no
/// alpha), and `<path without .tif>.qml`, a QGIS paletted style with the class names that QGIS
/// loads with the raster. ProcessingError naming the file if either cannot be written.
void describe_class_raster(const std::string& path, const std::vector<ClassEntry>& entries);

/// Describes a patch layer of a GeoPackage for GIS tools: the schema extension's
/// gpkg_data_columns rows (column title = alias; GDAL 3.6 writes no field aliases) and a default
/// QGIS style in its layer_styles table (QGIS 3.22 reads aliases from the style, not from
/// gpkg_data_columns): outlines in the category colours, categorised on the Chinese labels of
/// `category`, and the aliases. ProcessingError naming the file if it cannot.
void describe_patch_layer(const std::string& gpkg, const std::string& table,
                          const std::vector<std::pair<std::string, std::string>>& column_aliases);

}  // namespace farmwatch::io
