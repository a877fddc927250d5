#pragma once
// What `farmwatch info` reports about a raster or vector file.
#include <nlohmann/json.hpp>
#include <string>

namespace farmwatch::io {

/// Grid, CRS, bands (type, description, detected role, nodata, scale/offset) of a raster, or
/// layers (CRS, feature count, fields, extent, invalid geometries) of a vector dataset.
/// InputError if the file is neither.
nlohmann::json describe_file(const std::string& path);

/// The same as human-readable text.
std::string format_description(const nlohmann::json& d);

}  // namespace farmwatch::io
