#include "farmwatch/io/pixel_grid.h"

#include "farmwatch/core/error.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {

bool has_georeference(const std::string& path) {
  auto ds = open_raster(path);
  double gt[6];
  const bool transform = ds->GetGeoTransform(gt) == CE_None;
  return transform || ds->GetSpatialRef() != nullptr;
}

namespace {

int band_by_interpretation(GDALDataset& ds, GDALColorInterp want) {
  for (int i = 1; i <= ds.GetRasterCount(); ++i)
    if (ds.GetRasterBand(i)->GetColorInterpretation() == want) return i;
  return 0;
}

}  // namespace

RgbImage read_rgb(const std::string& path, const std::optional<BandMap>& bands) {
  auto ds = open_raster(path);
  const int count = ds->GetRasterCount();
  int index[3] = {0, 0, 0};
  const BandRole roles[3] = {BandRole::red, BandRole::green, BandRole::blue};
  const GDALColorInterp interp[3] = {GCI_RedBand, GCI_GreenBand, GCI_BlueBand};
  for (int k = 0; k < 3; ++k) {
    if (bands && (*bands)[roles[k]]) index[k] = (*bands)[roles[k]];
    if (!index[k]) index[k] = band_by_interpretation(*ds, interp[k]);
    if (!index[k]) index[k] = k + 1;
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
  for (int k = 0; k < 3; ++k) {
    planes[k]->resize(static_cast<std::size_t>(all.pixels()));
    window_io(*ds->GetRasterBand(index[k]), GF_Read, all, planes[k]->data(), GDT_Float32, path);
  }
  if (const int alpha = band_by_interpretation(*ds, GCI_AlphaBand)) {
    im.valid.resize(static_cast<std::size_t>(all.pixels()));
    window_io(*ds->GetRasterBand(alpha), GF_Read, all, im.valid.data(), GDT_Byte, path);
  } else {
    int has = 0;
    const double nodata = ds->GetRasterBand(index[0])->GetNoDataValue(&has);
    if (has) {
      im.valid.assign(static_cast<std::size_t>(all.pixels()), 1);
      for (std::size_t i = 0; i < im.valid.size(); ++i)
        if (im.red[i] == nodata && im.green[i] == nodata && im.blue[i] == nodata) im.valid[i] = 0;
    }
  }
  return im;
}

}  // namespace farmwatch::io
