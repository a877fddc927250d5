#pragma once
// What `farmwatch info` reports about a raster or vector file.
#include <nlohmann/json.hpp>
#include <string>

namespace farmwatch::io {

/// Grid (geotransform as stored, ground pixel size and orientation), CRS, bands (type,
/// description, detected role, nodata, scale/offset) of a raster, or the text encoding and
/// layers (CRS, feature count, fields, extent, invalid and curved geometries) of a vector
/// dataset; every string valid UTF-8. InputError naming the file if it is neither, or its
/// text or geometries cannot be read.
nlohmann::json describe_file(const std::string& path);

/// The same as human-readable text.
std::string format_description(const nlohmann::json& d);

}  // namespace farmwatch::io
