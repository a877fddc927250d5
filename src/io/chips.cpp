#include "farmwatch/io/chips.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "farmwatch/core/error.h"
#include "farmwatch/io/image_source.h"
#include "gdal_error.h"
#include "gdal_handles.h"
#include "on_grid.h"

namespace farmwatch::io {
namespace {

constexpr int kMaxChipPixels = 512;  // longest side of the PNG
constexpr int kMinChipPixels = 256;
/// Largest window of the run's own imagery a chip reads at full resolution (4096²; a larger
/// one, a patch kilometres across, is read reduced by GDAL).
constexpr std::int64_t kMaxWindowPixels = std::int64_t(4096) * 4096;

/// Bytes of one band stretched from its 2nd to its 98th percentile (nodata and NaN black).
cv::Mat stretched(const std::vector<float>& v, int w, int h, std::optional<double> nodata) {
  std::vector<float> valid;
  for (float x : v)
    if (std::isfinite(x) && (!nodata || x != *nodata)) valid.push_back(x);
  cv::Mat out(h, w, CV_8U, cv::Scalar(0));
  if (valid.empty()) return out;
  auto pct = [&](double p) {
    auto k = valid.begin() + static_cast<std::ptrdiff_t>(p * static_cast<double>(valid.size() - 1));
    std::nth_element(valid.begin(), k, valid.end());
    return *k;
  };
  const float lo = pct(0.02), hi = pct(0.98);
  const float span = hi > lo ? hi - lo : 1.0f;
  for (int i = 0; i < w * h; ++i) {
    const float x = v[static_cast<std::size_t>(i)];
    if (!std::isfinite(x) || (nodata && x == *nodata)) continue;
    out.data[i] = static_cast<std::uint8_t>(std::clamp((x - lo) / span * 255.0f, 0.0f, 255.0f));
  }
  return out;
}

}  // namespace

struct ChipWriter::Impl {
  std::string image;
  bool scene_stretched = false;
  ImageInfo info;
  DatasetPtr ds;
  TransformPtr to_image;
};

ChipWriter::ChipWriter(const std::string& image, bool scene_stretched)
    : impl_(std::make_unique<Impl>()) {
  impl_->scene_stretched = scene_stretched;
  if (scene_stretched) {
    impl_->image = image;
    impl_->ds = open_raster(image);
    impl_->info.path = image;
    impl_->info.grid = grid_of(*impl_->ds);
    impl_->info.bands[BandRole::red] = 1;
    impl_->info.bands[BandRole::green] = 2;
    impl_->info.bands[BandRole::blue] = 3;
    impl_->to_image = make_transform(wgs84_lonlat(), srs_from_wkt(impl_->info.grid.crs_wkt));
    return;
  }
  ImageRequest ir;
  ir.path = image;
  ir.allow_relative = true;
  impl_->image = image;
  impl_->info = inspect_image(ir, {BandRole::red, BandRole::green, BandRole::blue});
  impl_->ds = open_on_grid(impl_->info, Resampling::reflectance);
  impl_->to_image = make_transform(wgs84_lonlat(), srs_from_wkt(impl_->info.grid.crs_wkt));
}

ChipWriter::~ChipWriter() = default;

void ChipWriter::write(const std::vector<std::uint8_t>& wkb_lonlat, const std::string& out_png,
                       int min_pixels) const {
  const ImageInfo& info = impl_->info;
  GDALDataset* ds = impl_->ds.get();
  const Grid& g = info.grid;

  auto outline = from_wkb(wkb_lonlat);
  if (outline->transform(impl_->to_image.get()) != OGRERR_NONE)
    throw ProcessingError("cannot put an outline into '" + impl_->image +
                          "': " + gdal_last_error());
  OGREnvelope env;
  outline->getEnvelope(&env);
  const double mx = std::max((env.MaxX - env.MinX) / 2, min_pixels * g.res() / 2);
  const double my = std::max((env.MaxY - env.MinY) / 2, min_pixels * g.res() / 2);
  const Window win = g.window_for({env.MinX - mx, env.MinY - my, env.MaxX + mx, env.MaxY + my});
  if (win.empty())
    throw InputError("image '" + impl_->image + "' does not cover the outline for " + out_png);
  const double scale = std::min(1.0, double(kMaxChipPixels) / std::max(win.width, win.height));
  const int w = std::max(1, int(std::lround(win.width * scale)));
  const int h = std::max(1, int(std::lround(win.height * scale)));

  std::vector<cv::Mat> bgr;
  for (BandRole r : {BandRole::blue, BandRole::green, BandRole::red}) {
    GDALRasterBand* band = ds->GetRasterBand(info.bands[r]);
    if (impl_->scene_stretched && win.pixels() <= kMaxWindowPixels) {
      // The run's own 8-bit imagery (in a merge, a virtual raster over the shards' pieces):
      // read at full resolution and reduced here, so that the chip does not depend on how GDAL
      // picks the pixels of a reduced read through one file or several.
      cv::Mat full(win.height, win.width, CV_8U);
      CPLErrorReset();
      if (band->RasterIO(GF_Read, win.col, win.row, win.width, win.height, full.data, win.width,
                         win.height, GDT_Byte, 0, 0, nullptr) != CE_None)
        throw InputError("cannot read '" + impl_->image + "': " + gdal_last_error());
      cv::Mat m = full;
      if (w != win.width || h != win.height) cv::resize(full, m, cv::Size(w, h), 0, 0, cv::INTER_AREA);
      bgr.push_back(m);
      continue;
    }
    std::vector<float> v(std::size_t(w) * h);
    CPLErrorReset();
    if (band->RasterIO(GF_Read, win.col, win.row, win.width, win.height, v.data(), w, h,
                       GDT_Float32, 0, 0, nullptr) != CE_None)
      throw InputError("cannot read '" + impl_->image + "': " + gdal_last_error());
    if (impl_->scene_stretched) {
      cv::Mat m(h, w, CV_8U);
      for (std::size_t i = 0; i < v.size(); ++i) m.data[i] = static_cast<std::uint8_t>(v[i]);
      bgr.push_back(m);
      continue;
    }
    int has_nodata = 0;
    const double nd = band->GetNoDataValue(&has_nodata);
    bgr.push_back(stretched(v, w, h, has_nodata ? std::optional<double>(nd) : std::nullopt));
  }
  cv::Mat img;
  cv::merge(bgr, img);
  // A small window is enlarged (nearest neighbour, pixels stay visible) so that the chip is
  // readable in a report.
  const int up = std::max(1, kMinChipPixels / std::max(w, h));
  if (up > 1) cv::resize(img, img, cv::Size(w * up, h * up), 0, 0, cv::INTER_NEAREST);

  // The outline in chip pixels.
  const GeoTransform& t = g.transform;
  auto to_px = [&](double x, double y) {
    const double col = (x - t.c[0]) / t.c[1] - win.col, row = (y - t.c[3]) / t.c[5] - win.row;
    return cv::Point(int(std::lround(col * scale * up)), int(std::lround(row * scale * up)));
  };
  std::vector<std::vector<cv::Point>> rings;
  auto add_polygon = [&](const OGRPolygon& p) {
    auto add_ring = [&](const OGRLinearRing* r) {
      std::vector<cv::Point> pts;
      for (int k = 0; r && k < r->getNumPoints(); ++k) pts.push_back(to_px(r->getX(k), r->getY(k)));
      rings.push_back(std::move(pts));
    };
    add_ring(p.getExteriorRing());
    for (int k = 0; k < p.getNumInteriorRings(); ++k) add_ring(p.getInteriorRing(k));
  };
  if (wkbFlatten(outline->getGeometryType()) == wkbPolygon)
    add_polygon(*outline->toPolygon());
  else if (wkbFlatten(outline->getGeometryType()) == wkbMultiPolygon)
    for (const auto* p : *outline->toMultiPolygon()) add_polygon(*p);
  cv::polylines(img, rings, true, cv::Scalar(0, 255, 255), 2, cv::LINE_AA);
  if (!cv::imwrite(out_png, img)) throw ProcessingError("cannot write chip '" + out_png + "'");
}

}  // namespace farmwatch::io
