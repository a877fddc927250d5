#include "gdal_error.h"

#include <cpl_error.h>

#include <regex>

namespace farmwatch::io {

std::string gdal_last_error() {
  const char* m = CPLGetLastErrorMsg();
  if (!m || !*m) return "unknown GDAL error";
  // farmwatch's own virtual rasters (image_source.cpp) are numbered per process: the same
  // failure must read the same in any run (a scene's recorded reason), and the file that
  // failed, which GDAL names next in the chain, is what a user can act on.
  static const std::regex chain(
      R"(/vsimem/farmwatch_[a-z]+_[0-9]+\.vrt, band [0-9]+: IReadBlock failed at X offset [0-9]+, Y offset [0-9]+: )");
  static const std::regex name(R"(/vsimem/farmwatch_([a-z]+)_[0-9]+\.vrt)");
  return std::regex_replace(std::regex_replace(std::string(m), chain, ""), name,
                            "/vsimem/farmwatch_$1.vrt");
}

}  // namespace farmwatch::io
