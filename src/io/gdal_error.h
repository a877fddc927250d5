#pragma once
// GDAL's last error message, for exceptions that carry the library's own words.
#include <string>

namespace farmwatch::io {

/// CPLGetLastErrorMsg() or "unknown GDAL error" when GDAL said nothing.
std::string gdal_last_error();

/// How many times libjpeg said, on this thread, that a JPEG ended before its image did (GDAL
/// only warns, and fills the rest grey): a reader compares the count before and after a read
/// to refuse a file cut short. Counted once setup_gdal() has installed its error handler.
int cut_short_jpegs();

}  // namespace farmwatch::io
