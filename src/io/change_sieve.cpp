#include "farmwatch/io/change_sieve.h"

#include <gdal_alg.h>

#include <algorithm>
#include <vector>

#include "farmwatch/core/error.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {

std::array<std::int64_t, 256> sieve_change(const std::string& change,
                                           const std::string& candidates, int min_pixels) {
  auto ds = open_raster(change, true);
  GDALRasterBand* band = ds->GetRasterBand(1);
  CPLErrorReset();
  if (GDALSieveFilter(band, band->GetMaskBand(), band, min_pixels, 8, nullptr, nullptr,
                      nullptr) != CE_None)
    throw ProcessingError("cannot sieve '" + change + "': " + gdal_last_error());
  auto cand = open_raster(candidates, true);
  GDALRasterBand* out = cand->GetRasterBand(1);
  const int w = ds->GetRasterXSize(), h = ds->GetRasterYSize();
  constexpr int kRows = 256;
  std::vector<std::uint8_t> buf;
  std::array<std::int64_t, 256> counts{};
  for (int r = 0; r < h; r += kRows) {
    const int n = std::min(kRows, h - r);
    buf.resize(static_cast<std::size_t>(w) * n);
    if (band->RasterIO(GF_Read, 0, r, w, n, buf.data(), w, n, GDT_Byte, 0, 0, nullptr) != CE_None)
      throw ProcessingError("cannot read '" + change + "': " + gdal_last_error());
    for (auto& v : buf) {
      ++counts[v];
      if (v == 255) v = 0;
    }
    if (out->RasterIO(GF_Write, 0, r, w, n, buf.data(), w, n, GDT_Byte, 0, 0, nullptr) != CE_None)
      throw ProcessingError("cannot write '" + candidates + "': " + gdal_last_error());
  }
  close_or_throw(cand, candidates);
  close_or_throw(ds, change);
  return counts;
}

}  // namespace farmwatch::io
