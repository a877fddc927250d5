#include "farmwatch/io/change_sieve.h"

#include <gdal_alg.h>

#include <algorithm>
#include <vector>

#include "farmwatch/core/error.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {
namespace {

constexpr int kRows = 256;

void rows(GDALRasterBand* band, GDALRWFlag flag, int r, int w, int n, std::uint8_t* buf,
          const std::string& path) {
  if (band->RasterIO(flag, 0, r, w, n, buf, w, n, GDT_Byte, 0, 0, nullptr) != CE_None)
    throw ProcessingError("cannot " + std::string(flag == GF_Read ? "read" : "write") + " '" +
                          path + "': " + gdal_last_error());
}

}  // namespace

std::array<std::int64_t, 256> sieve_change(const std::string& change, const std::string& candidates,
                                           int min_pixels) {
  auto ds = open_raster(change, true);
  GDALRasterBand* band = ds->GetRasterBand(1);
  const int w = ds->GetRasterXSize(), h = ds->GetRasterYSize();
  // Changed or not, whatever the category: a region of 非农化 and other change side by side
  // is one region. Sieved in a scratch raster beside the change raster.
  const std::string binary = change + ".binary.tif";
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  const char* co[] = {"TILED=YES", nullptr};
  DatasetPtr bin(drv->Create(binary.c_str(), w, h, 1, GDT_Byte, const_cast<char**>(co)));
  if (!bin) throw ProcessingError("cannot create '" + binary + "': " + gdal_last_error());
  GDALRasterBand* bb = bin->GetRasterBand(1);
  std::vector<std::uint8_t> buf, flags;
  for (int r = 0; r < h; r += kRows) {
    const int n = std::min(kRows, h - r);
    buf.resize(static_cast<std::size_t>(w) * n);
    rows(band, GF_Read, r, w, n, buf.data(), change);
    for (auto& v : buf) v = v >= 1 && v <= 3 ? 1 : 0;
    rows(bb, GF_Write, r, w, n, buf.data(), binary);
  }
  CPLErrorReset();
  if (GDALSieveFilter(bb, nullptr, bb, min_pixels, 8, nullptr, nullptr, nullptr) != CE_None)
    throw ProcessingError("cannot sieve '" + change + "': " + gdal_last_error());
  // Change regions the sieve dissolved become no change; gaps it filled stay as they were.
  auto cand = open_raster(candidates, true);
  GDALRasterBand* out = cand->GetRasterBand(1);
  std::array<std::int64_t, 256> counts{};
  for (int r = 0; r < h; r += kRows) {
    const int n = std::min(kRows, h - r);
    buf.resize(static_cast<std::size_t>(w) * n);
    flags.resize(buf.size());
    rows(band, GF_Read, r, w, n, buf.data(), change);
    rows(bb, GF_Read, r, w, n, flags.data(), binary);
    for (std::size_t i = 0; i < buf.size(); ++i)
      if (buf[i] >= 1 && buf[i] <= 3 && !flags[i]) buf[i] = 0;
    rows(band, GF_Write, r, w, n, buf.data(), change);
    for (auto& v : buf) {
      ++counts[v];
      if (v == 255) v = 0;
    }
    rows(out, GF_Write, r, w, n, buf.data(), candidates);
  }
  bin.reset();
  VSIUnlink(binary.c_str());
  close_or_throw(cand, candidates);
  close_or_throw(ds, change);
  return counts;
}

void sieve_classes(const std::string& path, int min_pixels) {
  auto ds = open_raster(path, true);
  GDALRasterBand* band = ds->GetRasterBand(1);
  CPLErrorReset();
  if (GDALSieveFilter(band, band->GetMaskBand(), band, min_pixels, 8, nullptr, nullptr, nullptr) !=
      CE_None)
    throw ProcessingError("cannot sieve '" + path + "': " + gdal_last_error());
  close_or_throw(ds, path);
}

}  // namespace farmwatch::io
