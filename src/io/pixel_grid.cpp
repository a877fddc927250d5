#include "farmwatch/io/pixel_grid.h"

#include <algorithm>
#include <cmath>

#include "farmwatch/core/error.h"
#include "gdal_error.h"
#include "gdal_handles.h"
#include "image_bands.h"

namespace farmwatch::io {

bool has_georeference(const std::string& path) {
  auto ds = open_raster(path);
  double gt[6];
  const bool transform = ds->GetGeoTransform(gt) == CE_None;
  return transform || ds->GetSpatialRef() != nullptr;
}

bool pair_georeferenced(const std::string& a, const std::string& b) {
  const bool geo_a = has_georeference(a), geo_b = has_georeference(b);
  if (geo_a == geo_b) return geo_a;
  const std::string& with = geo_a ? a : b;
  const bool crs = open_raster(with)->GetSpatialRef() != nullptr;
  throw InputError("raster '" + (geo_a ? b : a) + "' has no georeference while '" + with +
                   "' has " +
                   (crs ? "a coordinate reference system" : "a geotransform (and no coordinate "
                                                            "reference system)") +
                   ": a pair is compared on one grid; give both a georeference (e.g. "
                   "gdal_edit.py -a_srs ... -a_ullr ...) or neither");
}

namespace {

/// Clears, in `valid` (the whole raster; empty: all valid so far, filled with 1 on first need),
/// the pixels GDAL's mask of any of the bands `index` says are no data (alpha band, nodata
/// value, mask file).
void mask_invalid(GDALDataset& ds, const int (&index)[3], const std::string& path,
                  std::vector<std::uint8_t>& valid) {
  const Window all{0, 0, ds.GetRasterXSize(), ds.GetRasterYSize()};
  std::vector<std::uint8_t> mask;
  for (int b : index) {
    GDALRasterBand* band = ds.GetRasterBand(b);
    if (band->GetMaskFlags() & GMF_ALL_VALID) continue;
    mask.resize(static_cast<std::size_t>(all.pixels()));
    read_input_window(*band->GetMaskBand(), all, mask.data(), GDT_Byte, path);
    if (valid.empty()) valid.assign(mask.size(), 1);
    for (std::size_t i = 0; i < mask.size(); ++i)
      if (!mask[i]) valid[i] = 0;
  }
}

/// Marks no data (and zeroes) the pixels `valid` or a NaN or infinite value says have none (a
/// float image's undeclared NaN must not reach the methods' windows); `valid` is left empty
/// when every pixel has data.
void drop_non_finite(RgbImage& im) {
  const std::size_t n = im.red.size();
  if (im.valid.empty()) im.valid.assign(n, 1);
  bool any_invalid = false;
  for (std::size_t i = 0; i < n; ++i)
    if (!im.valid[i] || !std::isfinite(im.red[i]) || !std::isfinite(im.green[i]) ||
        !std::isfinite(im.blue[i])) {
      im.valid[i] = 0;
      im.red[i] = im.green[i] = im.blue[i] = 0;
      any_invalid = true;
    }
  if (!any_invalid) im.valid.clear();
}

}  // namespace

RgbImage read_rgb(const std::string& path, const std::optional<BandMap>& bands) {
  auto ds = open_raster(path);
  const int count = ds->GetRasterCount();
  const BandMap mapped = band_roles(*ds, path, bands);
  const BandRole roles[3] = {BandRole::red, BandRole::green, BandRole::blue};
  int index[3] = {0, 0, 0};
  for (int k = 0; k < 3; ++k) {
    index[k] = mapped[roles[k]] ? mapped[roles[k]] : k + 1;
    if (index[k] > count)
      throw InputError("raster '" + path + "' has " + std::to_string(count) +
                       (count == 1 ? " band" : " bands") + "; band " + std::to_string(index[k]) +
                       " for " + role_name(roles[k]) +
                       " does not exist (an RGB image is needed: map bands with --bands "
                       "red=1,green=2,blue=3)");
  }
  RgbImage im;
  im.width = ds->GetRasterXSize();
  im.height = ds->GetRasterYSize();
  const Window all{0, 0, im.width, im.height};
  std::vector<float>* planes[3] = {&im.red, &im.green, &im.blue};
  // The image is read whole, its first read: pixels that cannot be read are a damaged input
  // (exit 4), a JPEG cut short too (libjpeg only warns, and GDAL fills the rest grey).
  const int cut_before = cut_short_jpegs();
  for (int k = 0; k < 3; ++k) {
    planes[k]->resize(static_cast<std::size_t>(all.pixels()));
    read_input_window(*ds->GetRasterBand(index[k]), all, planes[k]->data(), GDT_Float32, path);
  }
  // Valid pixels: GDAL's mask of each band (alpha band, nodata value or mask file), as the
  // georeferenced reader takes them; a pixel any band masks is no data.
  mask_invalid(*ds, index, path, im.valid);
  if (cut_short_jpegs() != cut_before)
    throw InputError("raster '" + path + "' ends before its image does (libjpeg: premature end "
                     "of JPEG file): a truncated file");

  drop_non_finite(im);
  return im;
}

std::vector<std::uint8_t> read_change_labels(const std::string& path, int width, int height) {
  auto ds = open_raster(path);
  if (ds->GetRasterXSize() != width || ds->GetRasterYSize() != height)
    throw InputError("change labels '" + path + "' are " + std::to_string(ds->GetRasterXSize()) +
                     "x" + std::to_string(ds->GetRasterYSize()) + " pixels, the pair " +
                     std::to_string(width) + "x" + std::to_string(height) +
                     ": label the earlier image's pixel grid");
  const Window all{0, 0, width, height};
  GDALRasterBand& band = *ds->GetRasterBand(1);
  std::vector<float> value(static_cast<std::size_t>(all.pixels()));
  window_io(band, GF_Read, all, value.data(), GDT_Float32, path);
  std::vector<std::uint8_t> labels(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) labels[i] = value[i] != 0 ? 1 : 0;
  const int index[3] = {1, 1, 1};
  std::vector<std::uint8_t> valid;
  mask_invalid(*ds, index, path, valid);
  for (std::size_t i = 0; i < valid.size(); ++i)
    if (!valid[i]) labels[i] = 255;
  return labels;
}

RgbImage read_rgb_on_grid(const ImageInfo& info, const Grid& grid) {
  GridReader reader(info, grid, Resampling::reflectance);
  RgbImage im;
  im.width = grid.width;
  im.height = grid.height;
  const Window all{0, 0, grid.width, grid.height};
  std::vector<float>* planes[3] = {&im.red, &im.green, &im.blue};
  const BandRole roles[3] = {BandRole::red, BandRole::green, BandRole::blue};
  std::vector<float> block;
  for (int k = 0; k < 3; ++k) {
    planes[k]->resize(static_cast<std::size_t>(all.pixels()));
    for (const Window& w : grid.blocks(kBlockSize, kBlockSize)) {
      reader.read_raw(w, info.bands[roles[k]], block);
      for (int r = 0; r < w.height; ++r)
        std::copy_n(block.begin() + static_cast<std::ptrdiff_t>(r) * w.width, w.width,
                    planes[k]->begin() +
                        static_cast<std::ptrdiff_t>(w.row + r) * grid.width + w.col);
    }
  }
  im.valid.assign(static_cast<std::size_t>(all.pixels()), 1);
  // Read in place (the image's own north-up grid), GDAL's band masks (alpha band, mask file)
  // say what is no data, as read_rgb takes them; through the warper, its alpha does.
  const Grid& stored = info.file_grid.width ? info.file_grid : info.grid;
  const bool in_place = info.shift_x == 0 && info.shift_y == 0 && stored.width == grid.width &&
                        stored.height == grid.height && stored.transform == grid.transform;
  if (in_place) {
    const int index[3] = {info.bands[roles[0]], info.bands[roles[1]], info.bands[roles[2]]};
    mask_invalid(*open_raster(info.path), index, info.path, im.valid);
  }
  drop_non_finite(im);
  return im;
}

}  // namespace farmwatch::io
