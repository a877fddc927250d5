// Reading an image onto the analysis grid: direct, or through GDAL's warper.
#include "farmwatch/io/image_source.h"

#include <gdal_utils.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <optional>
#include <sstream>

#include "farmwatch/core/error.h"
#include "farmwatch/io/spatial_ref.h"
#include "gdal_error.h"
#include "gdal_handles.h"
#include "on_grid.h"

namespace farmwatch::io {

struct GridReader::Impl {
  ImageInfo info;
  Grid target;
  DatasetPtr src;
  DatasetPtr shifted;  // a VRT with the co-registration shift, or null
  DatasetPtr warped;   // null when the image is read directly
  DatasetPtr cropped;  // a window of the image's own pixels when the grid is one, or null
  DatasetPtr quality_src, quality_vrt, quality_warped, quality_cropped;  // the quality layer
  GDALDataset* ds() {
    return warped ? warped.get() : cropped ? cropped.get() : shifted ? shifted.get() : src.get();
  }
  ~Impl() {
    // The translated VRTs live in /vsimem under their own names: closed, then removed.
    std::vector<std::string> names;
    for (auto* d : {&shifted, &quality_vrt, &cropped, &quality_cropped})
      if (*d) names.emplace_back((*d)->GetDescription());
    warped.reset();
    quality_warped.reset();
    cropped.reset();
    quality_cropped.reset();
    shifted.reset();
    quality_vrt.reset();
    for (const auto& n : names)
      if (n.rfind("/vsimem/farmwatch_", 0) == 0) VSIUnlink(n.c_str());
  }
  GDALDataset* quality() {
    return quality_warped    ? quality_warped.get()
           : quality_cropped ? quality_cropped.get()
                             : quality_vrt.get();
  }
};

namespace {

std::string exact(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// A window of what a GridReader reads: an input's (read_input_window), or of a raster
/// farmwatch `made_here`, whose failure stays a ProcessingError.
void read_input(GDALRasterBand& band, const Window& w, void* data, GDALDataType type,
                const std::string& path, bool made_here) {
  if (made_here) return window_io(band, GF_Read, w, data, type, path);
  read_input_window(band, w, data, type, path);
}

/// A name in GDAL's memory file system no other reader uses.
std::string unique_vsimem(const char* what) {
  static std::atomic<unsigned long> counter{0};
  return "/vsimem/farmwatch_" + std::string(what) + "_" + std::to_string(++counter) + ".vrt";
}

/// GDAL's translate to a VRT, named in /vsimem (so a warped VRT can refer to it) and flushed.
DatasetPtr run_translate(GDALDataset& src, std::vector<std::string> args, const std::string& path) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  GDALTranslateOptions* opts = GDALTranslateOptionsNew(argv.data(), nullptr);
  int usage = 0;
  const std::string name = unique_vsimem("select");
  CPLErrorReset();
  GDALDatasetH out = GDALTranslate(name.c_str(), GDALDataset::ToHandle(&src), opts, &usage);
  GDALTranslateOptionsFree(opts);
  if (!out) throw ProcessingError("cannot read raster '" + path + "': " + gdal_last_error());
  GDALFlushCache(out);
  return DatasetPtr(GDALDataset::FromHandle(out));
}

/// A VRT over `src` with one band selected (0: all) and/or the geotransform of `g` (any
/// orientation: south-up and rotated transforms are kept as they are).
DatasetPtr select_and_place(GDALDataset& src, int band, const Grid* g, const std::string& path) {
  std::vector<std::string> args = {"-of", "VRT"};
  if (band) args.insert(args.end(), {"-b", std::to_string(band)});
  DatasetPtr vrt = run_translate(src, args, path);
  if (g) {
    double gt[6];
    std::copy(g->transform.c.begin(), g->transform.c.end(), gt);
    CPLErrorReset();
    if (vrt->SetGeoTransform(gt) != CE_None)
      throw ProcessingError("cannot place raster '" + path + "': " + gdal_last_error());
    vrt->FlushCache();  // the warper reopens the VRT by its name
  }
  return vrt;
}

/// A warped VRT of `src` on the target grid, warping in 512 x 512 blocks: the engine's blocks,
/// so each engine block is one warp. (GDAL 3.6 makes warped VRTs of 512 x 128 blocks and offers
/// no option to change that; the same dataset opened from its XML with the block size edited
/// warps 2.5x faster.) `src` must be a file or a named /vsimem dataset, since the VRT refers
/// to it by name.
DatasetPtr warp_to(GDALDataset& src, const Grid& target, const char* alg, const char* type,
                   const char* dst_nodata, const std::string& path, int block) {
  const Box e = target.extent();
  std::vector<std::string> args = {"-of",
                                   "VRT",
                                   "-t_srs",
                                   target.crs_wkt,
                                   "-te",
                                   exact(e.xmin),
                                   exact(e.ymin),
                                   exact(e.xmax),
                                   exact(e.ymax),
                                   "-ts",
                                   std::to_string(target.width),
                                   std::to_string(target.height),
                                   "-r",
                                   alg,
                                   "-ot",
                                   type,
                                   "-dstnodata",
                                   dst_nodata};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  GDALWarpAppOptions* opts = GDALWarpAppOptionsNew(argv.data(), nullptr);
  GDALDatasetH src_h = GDALDataset::ToHandle(&src);
  int usage_error = 0;
  const std::string name = unique_vsimem("warp");
  CPLErrorReset();
  GDALDatasetH out = GDALWarp(name.c_str(), nullptr, 1, &src_h, opts, &usage_error);
  GDALWarpAppOptionsFree(opts);
  if (!out)
    throw InputError("cannot warp raster '" + path +
                     "' onto the analysis grid: " + gdal_last_error());
  GDALClose(out);
  vsi_l_offset len = 0;
  GByte* buf = VSIGetMemFileBuffer(name.c_str(), &len, FALSE);
  std::string xml(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(len));
  const std::string bx = std::to_string(std::min(target.width, block));
  const std::string by = std::to_string(std::min(target.height, block));
  auto set = [&xml](const std::string& tag, const std::string& value) {
    const auto a = xml.find("<" + tag + ">"), b = xml.find("</" + tag + ">");
    if (a != std::string::npos && b != std::string::npos && a < b)
      xml.replace(a + tag.size() + 2, b - a - tag.size() - 2, value);
  };
  set("BlockXSize", bx);
  set("BlockYSize", by);
  // Written back under its name: the VRT may refer to its source relative to itself.
  VSILFILE* f = VSIFOpenL(name.c_str(), "wb");
  if (!f || VSIFWriteL(xml.data(), 1, xml.size(), f) != xml.size())
    throw ProcessingError("cannot write '" + name + "' in memory");
  VSIFCloseL(f);
  CPLErrorReset();
  GDALDataset* ds = GDALDataset::Open(name.c_str(), GDAL_OF_RASTER);
  VSIUnlink(name.c_str());
  if (!ds)
    throw InputError("cannot warp raster '" + path +
                     "' onto the analysis grid: " + gdal_last_error());
  return DatasetPtr(ds);
}

/// The data type name and nodata value shared by every band, if the bands are Byte, UInt16 or
/// Int16 and have one.
std::optional<std::pair<std::string, double>> integer_type_with_nodata(GDALDataset& ds) {
  std::optional<std::pair<std::string, double>> out;
  for (int b = 1; b <= ds.GetRasterCount(); ++b) {
    GDALRasterBand* band = ds.GetRasterBand(b);
    const GDALDataType t = band->GetRasterDataType();
    int has = 0;
    const double nodata = band->GetNoDataValue(&has);
    if ((t != GDT_Byte && t != GDT_UInt16 && t != GDT_Int16) || !has) return std::nullopt;
    std::pair<std::string, double> here{GDALGetDataTypeName(t), nodata};
    if (out && *out != here) return std::nullopt;
    out = here;
  }
  return out;
}

/// A quality value meaning "no data" (outside the quality layer counts as fill), or for a
/// cloud mask, which has none, "clear": the image's own nodata then decides.
const char* fill_value(QualityKind k) { return k == QualityKind::landsat_qa_pixel ? "1" : "0"; }

bool same_grid(const Grid& a, const Grid& b) {
  return a.width == b.width && a.height == b.height && a.transform == b.transform &&
         same_crs(a.crs_wkt, b.crs_wkt);
}

/// The window of `g` that `target` is, when `target` is made of whole pixels of `g` inside it
/// (a grid cut to an area of interest): read as stored, no resampling.
std::optional<Window> aligned_window(const Grid& g, const Grid& target) {
  const auto& a = g.transform.c;
  const auto& b = target.transform.c;
  if (a[1] != b[1] || a[5] != b[5] || a[2] != 0 || a[4] != 0 || b[2] != 0 || b[4] != 0 ||
      !same_crs(g.crs_wkt, target.crs_wkt))
    return std::nullopt;
  const double col = (b[0] - a[0]) / a[1], row = (b[3] - a[3]) / a[5];
  if (std::fabs(col - std::round(col)) > 1e-6 || std::fabs(row - std::round(row)) > 1e-6)
    return std::nullopt;
  const Window w{static_cast<int>(std::lround(col)), static_cast<int>(std::lround(row)),
                 target.width, target.height};
  if (w.col < 0 || w.row < 0 || w.col + w.width > g.width || w.row + w.height > g.height)
    return std::nullopt;
  return w;
}

/// A warped VRT of `src` (whose grid is `g`) on `target`: average when coarsening
/// reflectance, bilinear otherwise, nearest for classes.
DatasetPtr warp_onto(GDALDataset& src, const Grid& g, const Grid& target, Resampling resampling,
                     const std::string& path, int block) {
  const bool coarsening = target.res() >= 1.5 * g.transform.pixel_width() &&
                          !is_geographic(g.crs_wkt) && !is_geographic(target.crs_wkt);
  const bool classes = resampling == Resampling::nearest;
  // Integer DNs with a nodata value warp in their own type (GDAL's integer kernels are about
  // 1.6x faster than its float one; rounding to whole DNs is far below sensor noise);
  // anything else warps to Float32 with NaN for no data.
  std::string type = classes ? "Byte" : "Float32", nodata = classes ? "255" : "nan";
  if (const auto own = integer_type_with_nodata(src); !classes && own) {
    type = own->first;
    nodata = exact(own->second);
  }
  return warp_to(src, target,
                 classes      ? "near"
                 : coarsening ? "average"
                              : "bilinear",
                 type.c_str(), nodata.c_str(), path, block);
}

/// A VRT of window `w` of `src`.
DatasetPtr crop(GDALDataset& src, const Window& w, const std::string& path) {
  return run_translate(src,
                       {"-of", "VRT", "-srcwin", std::to_string(w.col), std::to_string(w.row),
                        std::to_string(w.width), std::to_string(w.height)},
                       path);
}

}  // namespace

GridReader::GridReader(const ImageInfo& info, const Grid& target, Resampling resampling, int block)
    : impl_(std::make_unique<Impl>()) {
  impl_->info = info;
  impl_->target = target;
  impl_->src = open_raster(info.path);
  // Co-registration: the same pixels, georeferenced a little elsewhere.
  const bool shift = info.shift_x != 0 || info.shift_y != 0;
  auto place = [&](Grid g) {
    g.transform.c[0] += info.shift_x;
    g.transform.c[3] += info.shift_y;
    return g;
  };
  // The file's own grid (south-up or rotated ones differ from info.grid and are warped).
  const Grid g = place(info.file_grid.width ? info.file_grid : info.grid);
  if (shift) impl_->shifted = select_and_place(*impl_->src, 0, &g, info.path);
  GDALDataset* base = impl_->shifted ? impl_->shifted.get() : impl_->src.get();
  if (const auto w = aligned_window(g, target); w && !same_grid(g, target))
    impl_->cropped = crop(*base, *w, info.path);
  else if (!same_grid(g, target))
    impl_->warped = warp_onto(*base, g, target, resampling, info.path, block);
  if (info.quality_kind == QualityKind::none || info.quality_kind == QualityKind::spectral) return;
  // The quality layer: nearest neighbour onto the grid; outside it counts as fill.
  GDALDataset* qsrc = impl_->src.get();
  Grid qg = g;
  if (info.quality_path != info.path) {
    impl_->quality_src = open_raster(info.quality_path);
    qsrc = impl_->quality_src.get();
    qg = place(grid_of(*qsrc));
  }
  impl_->quality_vrt =
      select_and_place(*qsrc, info.quality_band, shift ? &qg : nullptr, info.quality_path);
  if (const auto w = aligned_window(qg, target); w && !same_grid(qg, target))
    impl_->quality_cropped = crop(*impl_->quality_vrt, *w, info.quality_path);
  else if (!same_grid(qg, target))
    impl_->quality_warped = warp_to(*impl_->quality_vrt, target, "near", "UInt16",
                                    fill_value(info.quality_kind), info.quality_path, block);
}

DatasetPtr open_on_grid(const ImageInfo& info, Resampling resampling) {
  DatasetPtr src = open_raster(info.path);
  if (!info.file_grid.width || same_grid(info.file_grid, info.grid)) return src;
  return warp_onto(*src, info.file_grid, info.grid, resampling, info.path, 512);
}

GridReader::~GridReader() = default;
GridReader::GridReader(GridReader&&) noexcept = default;
GridReader& GridReader::operator=(GridReader&&) noexcept = default;
bool GridReader::warped() const { return impl_->warped != nullptr; }

void GridReader::read_reflectance(const Window& w, ReflectanceBlock& out,
                                  std::vector<PixelState>* state) {
  std::vector<PixelState> own;
  std::vector<PixelState>& st = state ? *state : own;
  if (impl_->info.quality_kind != QualityKind::spectral) {
    read_block(w, out, st);
    return;
  }
  // Clouds are grown across block edges: the test runs on the block with a halo, then crops,
  // so the mask does not depend on the block size.
  const Grid& g = impl_->target;
  const int h = kCloudGrowPx;
  const int c0 = std::max(0, w.col - h), r0 = std::max(0, w.row - h);
  const Window big{c0, r0, std::min(g.width, w.col + w.width + h) - c0,
                   std::min(g.height, w.row + w.height + h) - r0};
  ReflectanceBlock wide;
  std::vector<PixelState> wide_state;
  read_block(big, wide, wide_state);
  spectral_cloud_test(wide, big.width, big.height, kCloudGrowPx, wide_state);
  const std::size_t n = static_cast<std::size_t>(w.pixels());
  out.window = w;
  st.resize(n);
  auto crop = [&](const auto& from, auto& to) {
    for (int y = 0; y < w.height; ++y) {
      const auto src = from.begin() + static_cast<std::ptrdiff_t>(y + w.row - big.row) * big.width +
                       (w.col - big.col);
      std::copy(src, src + w.width, to.begin() + static_cast<std::ptrdiff_t>(y) * w.width);
    }
  };
  crop(wide_state, st);
  for (std::size_t r = 0; r < kRoleCount; ++r) {
    auto& plane = out.planes[r];
    if (wide.planes[r].empty()) {
      plane.clear();
      continue;
    }
    plane.resize(n);
    crop(wide.planes[r], plane);
    for (std::size_t i = 0; i < n; ++i)
      if (st[i] != PixelState::clear) plane[i] = kNaN;
  }
}

void GridReader::read_block(const Window& w, ReflectanceBlock& out,
                            std::vector<PixelState>& state) {
  GDALDataset* ds = impl_->ds();
  const auto& info = impl_->info;
  const std::size_t n = static_cast<std::size_t>(w.pixels());
  out.window = w;
  state.assign(n, PixelState::clear);
  std::vector<std::uint8_t> mask;
  for (std::size_t r = 0; r < kRoleCount; ++r) {
    auto& plane = out.planes[r];
    const int bi = info.bands.index[r];
    if (!bi) {
      plane.clear();
      continue;
    }
    plane.resize(n);
    GDALRasterBand* band = ds->GetRasterBand(bi);
    read_input(*band, w, plane.data(), GDT_Float32, info.path, info.made_here);
    int has_nodata = 0;
    const double nodata = band->GetNoDataValue(&has_nodata);
    const int flags = band->GetMaskFlags();
    const bool use_mask = !impl_->warped && !(flags & GMF_ALL_VALID) && !(flags & GMF_NODATA);
    if (use_mask) {
      mask.resize(n);
      read_input(*band->GetMaskBand(), w, mask.data(), GDT_Byte, info.path, info.made_here);
    }
    const auto scale = static_cast<float>(info.calibration[r].mult);
    const auto offset = static_cast<float>(info.calibration[r].add);
    const auto fnodata = static_cast<float>(nodata);
    for (std::size_t i = 0; i < n; ++i) {
      const float v = plane[i];
      if (!std::isfinite(v) || (has_nodata && v == fnodata) || (use_mask && mask[i] == 0))
        state[i] = PixelState::nodata;
      plane[i] = v * scale + offset;
    }
  }
  if (GDALDataset* q = impl_->quality()) {
    std::vector<std::uint16_t> qv(n);
    read_input(*q->GetRasterBand(1), w, qv.data(), GDT_UInt16, info.quality_path, info.made_here);
    for (std::size_t i = 0; i < n; ++i)
      if (state[i] == PixelState::clear) state[i] = quality_state(info.quality_kind, qv[i]);
  }
  for (auto& plane : out.planes)
    if (!plane.empty())
      for (std::size_t i = 0; i < n; ++i)
        if (state[i] != PixelState::clear) plane[i] = kNaN;
}

void GridReader::read_raw(const Window& w, int band, std::vector<float>& out) {
  out.resize(static_cast<std::size_t>(w.pixels()));
  GDALRasterBand* b = impl_->ds()->GetRasterBand(band);
  read_input(*b, w, out.data(), GDT_Float32, impl_->info.path, impl_->info.made_here);
  int has_nodata = 0;
  const auto nodata = static_cast<float>(b->GetNoDataValue(&has_nodata));
  if (has_nodata && !std::isnan(nodata))
    for (auto& v : out)
      if (v == nodata) v = kNaN;
}

void GridReader::read_bytes(const Window& w, std::vector<std::uint8_t>& out, int band_no) {
  out.resize(static_cast<std::size_t>(w.pixels()));
  GDALRasterBand* band = impl_->ds()->GetRasterBand(band_no);
  read_input(*band, w, out.data(), GDT_Byte, impl_->info.path, impl_->info.made_here);
  int has_nodata = 0;
  const double nodata = band->GetNoDataValue(&has_nodata);
  if (has_nodata && nodata != 255.0)
    for (auto& v : out)
      if (v == nodata) v = 255;
}

void GridReader::read_u32(const Window& w, std::vector<std::uint32_t>& out) {
  out.resize(static_cast<std::size_t>(w.pixels()));
  read_input(*impl_->ds()->GetRasterBand(1), w, out.data(), GDT_UInt32, impl_->info.path,
             impl_->info.made_here);
}

}  // namespace farmwatch::io
