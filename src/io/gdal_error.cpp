#include "gdal_error.h"

#include <cpl_error.h>

namespace farmwatch::io {

std::string gdal_last_error() {
  const char* m = CPLGetLastErrorMsg();
  return (m && *m) ? std::string(m) : std::string("unknown GDAL error");
}

}  // namespace farmwatch::io
