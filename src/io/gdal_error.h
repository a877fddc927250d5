#pragma once
// GDAL's last error message, for exceptions that carry the library's own words.
#include <string>

namespace farmwatch::io {

/// CPLGetLastErrorMsg() or "unknown GDAL error" when GDAL said nothing.
std::string gdal_last_error();

}  // namespace farmwatch::io
