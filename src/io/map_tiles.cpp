#include "farmwatch/io/map_tiles.h"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <zlib.h>

#include "farmwatch/core/error.h"
#include "farmwatch/io/class_table_io.h"
#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/io/text_file.h"
#include "gdal_error.h"
#include "gdal_handles.h"
#include "png_codec.h"

namespace farmwatch::io {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kStep = 16;                       // exact transformation every 16th pixel
constexpr int kNodes = kTileSize / kStep + 1;   // lattice nodes per tile side
constexpr int kSuperDepth = 4;                  // a super tile holds 16 x 16 deepest tiles
constexpr double kMercatorMaxLat = 85.0511287798066;
constexpr std::size_t kTilePixels = std::size_t(kTileSize) * kTileSize;

/// CRC-32 (zlib) of `bytes`.
std::uint32_t crc_of(const std::uint8_t* bytes, std::size_t n, std::uint32_t crc = 0) {
  if (n == 0) return crc;  // zlib's crc32 of a null buffer is its initial value, not `crc`
  return static_cast<std::uint32_t>(::crc32(crc, bytes, static_cast<uInt>(n)));
}

/// A file's bytes if it holds exactly `expected` of them; nullopt if it cannot be read or
/// has another size (not read then).
std::optional<std::vector<std::uint8_t>> file_bytes(const fs::path& p, std::uint64_t expected) {
  std::ifstream f(p, std::ios::binary | std::ios::ate);
  if (!f) return std::nullopt;
  const std::streamoff size = f.tellg();
  if (size < 0 || static_cast<std::uint64_t>(size) != expected) return std::nullopt;
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  f.seekg(0);
  if (!f.read(reinterpret_cast<char*>(bytes.data()), size) || f.peek() != EOF) return std::nullopt;
  return bytes;
}

/// A file's size and CRC-32; nullopt if it cannot be read.
std::optional<std::pair<std::uint64_t, std::uint32_t>> file_crc(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return std::nullopt;
  // Not zeroed: a vector of 1 MB zeroed for each of tens of thousands of small tiles was a
  // visible share of a merge.
  const std::unique_ptr<std::uint8_t[]> buf(new std::uint8_t[1 << 16]);
  std::uint64_t n = 0;
  std::uint32_t crc = 0;
  while (f) {
    f.read(reinterpret_cast<char*>(buf.get()), std::streamsize(1) << 16);
    const auto got = static_cast<std::size_t>(f.gcount());
    crc = crc_of(buf.get(), got, crc);
    n += got;
  }
  if (!f.eof()) return std::nullopt;
  return std::make_pair(n, crc);
}

/// A tile's pixels: palette indices (class layers) or interleaved RGBA (imagery). Empty: the
/// whole tile is transparent (not written).
using TilePixels = std::vector<std::uint8_t>;
using Level = std::map<TileAddress, TilePixels>;

/// A quarter of a parent tile, made from one child (TileRenderer::quadrant); `any`: whether a
/// pixel is opaque.
struct Quadrant {
  TilePixels px;
  bool any = false;
};

TileAddress parent_of(const TileAddress& t) { return {t.z - 1, t.x / 2, t.y / 2}; }

/// A JPEG (quality 75, gdal2tiles' default) of an RGBA tile; transparent pixels white.
std::vector<std::uint8_t> encode_jpeg(const std::vector<std::uint8_t>& rgba) {
  cv::Mat bgr(kTileSize, kTileSize, CV_8UC3);
  for (std::size_t k = 0; k < kTilePixels; ++k) {
    const std::uint8_t* p = &rgba[4 * k];
    const unsigned a = p[3];
    if (a == 255) {  // most pixels: the formula below gives the pixel itself
      for (int c = 0; c < 3; ++c) bgr.data[3 * k + c] = p[2 - c];
      continue;
    }
    for (int c = 0; c < 3; ++c)  // over white
      bgr.data[3 * k + c] = static_cast<std::uint8_t>((p[2 - c] * a + 255 * (255 - a) + 127) / 255);
  }
  std::vector<std::uint8_t> out;
  if (!cv::imencode(".jpg", bgr, out, {cv::IMWRITE_JPEG_QUALITY, 75}))
    throw ProcessingError("cannot encode a JPEG tile");
  return out;
}

/// How the raster's values become tile pixels.
struct LayerStyle {
  bool imagery = false;
  std::array<std::uint8_t, 256> index{};  ///< class code -> palette index (0: transparent)
  std::vector<Rgba> palette{Rgba{0, 0, 0, 0}};
  json legend = json::array();            ///< [{value, color, label}] of the visible codes
  std::string fingerprint;                ///< what decides the tiles' bytes besides the pixels
  void seal() {  // the fingerprint as a 64-bit FNV-1a hash, hex
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char ch : fingerprint) h = (h ^ ch) * 1099511628211ULL;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    fingerprint = hex;
  }
  std::size_t bytes_per_pixel() const { return imagery ? 4 : 1; }
  /// Imagery tiles are JPEG (as 天地图's img_c and every imagery service: PNG of a
  /// photograph is 5 to 10 times larger), class tiles 8-bit palette PNG.
  std::string format() const { return imagery ? "jpg" : "png"; }
};

std::string hex_rgba(const Rgba& c) {
  char s[10];
  std::snprintf(s, sizeof s, "#%02x%02x%02x%02x", c.r, c.g, c.b, c.a);
  return s;
}

/// Colours of a class raster: its colour table, else `fallback`, else a colour made from each
/// code. Transparent: nodata, codes listed in FARMWATCH_TRANSPARENT_VALUES, and colour-table
/// entries whose alpha is 0 (change.tif's "no change").
LayerStyle class_style(GDALDataset& ds, const std::vector<std::pair<std::uint8_t, Rgba>>& fallback) {
  GDALRasterBand& band = *ds.GetRasterBand(1);
  std::array<std::optional<Rgba>, 256> color;
  if (const GDALColorTable* ct = band.GetColorTable()) {
    for (int i = 0; i < std::min(ct->GetColorEntryCount(), 256); ++i) {
      const GDALColorEntry* e = ct->GetColorEntry(i);
      color[i] = Rgba{static_cast<std::uint8_t>(e->c1), static_cast<std::uint8_t>(e->c2),
                      static_cast<std::uint8_t>(e->c3), static_cast<std::uint8_t>(e->c4)};
    }
  } else if (!fallback.empty()) {
    for (const auto& [code, c] : fallback) color[code] = c;
  } else if (const auto t = class_table_from_metadata(ds.GetMetadataItem("FARMWATCH_CLASSES"))) {
    for (const LandClass& c : t->classes()) color[c.code] = c.color;
  } else {
    for (int i = 0; i < 255; ++i) color[i] = default_class_color(static_cast<std::uint8_t>(i));
  }
  int has_nodata = 0;
  const double nodata = band.GetNoDataValue(&has_nodata);
  if (has_nodata && nodata >= 0 && nodata <= 255) color[static_cast<int>(nodata)].reset();
  if (const char* list = ds.GetMetadataItem("FARMWATCH_TRANSPARENT_VALUES")) {
    const CPLStringList values(CSLTokenizeString2(list, ", ", 0));
    for (int i = 0; i < values.size(); ++i)
      if (const int k = std::atoi(values[i]); k >= 0 && k <= 255) color[k].reset();
  }
  const auto classes = class_table_from_metadata(ds.GetMetadataItem("FARMWATCH_CLASSES"));
  LayerStyle s;
  for (int code = 0; code < 256; ++code) {
    if (!color[code] || color[code]->a == 0) continue;
    if (s.palette.size() == 256)
      throw InputError("raster '" + std::string(ds.GetDescription()) + "' shows all 256 values: tiles keep " +
                       "one palette entry for transparency; give it a nodata value");
    s.index[code] = static_cast<std::uint8_t>(s.palette.size());
    s.palette.push_back(*color[code]);
    json entry = {{"value", code}, {"color", hex_rgba(*color[code])}};
    if (classes)
      if (const LandClass* c = classes->find(static_cast<std::uint8_t>(code)))
        entry["label"] = c->name;
    char** names = band.GetCategoryNames();
    if (!entry.contains("label") && names && code < CSLCount(names) && names[code][0])
      entry["label"] = names[code];
    s.legend.push_back(entry);
    s.fingerprint += std::to_string(code) + hex_rgba(*color[code]) + ";";
  }
  // A GeoTIFF colour table has an entry for every code, most of them unused: the legend lists
  // the named classes, or without names the codes the raster holds (histogram of its overview).
  json named = json::array();
  for (const auto& e : s.legend)
    if (e.contains("label")) named.push_back(e);
  if (named.empty()) {
    // Read at most 1024 x 1024 pixels (GDAL takes them from an overview), not GetHistogram:
    // that would leave a .aux.xml beside the raster.
    const int w = std::min(band.GetXSize(), 1024), h = std::min(band.GetYSize(), 1024);
    std::vector<std::uint8_t> px(static_cast<std::size_t>(w) * h);
    std::array<bool, 256> present{};
    if (band.RasterIO(GF_Read, 0, 0, band.GetXSize(), band.GetYSize(), px.data(), w, h, GDT_Byte,
                      0, 0, nullptr) == CE_None)
      for (auto v : px) present[v] = true;
    for (const auto& e : s.legend)
      if (present[e["value"].get<std::size_t>()]) named.push_back(e);
  }
  if (!named.empty()) s.legend = named;
  s.seal();
  return s;
}

/// One resolution of the raster (full, or an overview) with its geotransform.
struct SourceLevel {
  std::vector<GDALRasterBand*> bands;  ///< classes: 1; imagery: r, g, b
  GDALRasterBand* alpha = nullptr;     ///< imagery: alpha band or mask
  GeoTransform gt;
  int width = 0, height = 0;
};

/// Geographic lon/lat box of the layer in the set's CRS, clipped to the set's valid area.
struct Coverage {
  Box in_set;   ///< the set's CRS
  Box lonlat;
};

/// The raster's pixel window covering `box` (raster CRS), grown by 2 pixels, within the level.
Window window_of(const Box& box, const SourceLevel& s) {
  const auto& c = s.gt.c;
  const double det = c[1] * c[5] - c[2] * c[4];
  double cmin = 1e300, cmax = -1e300, rmin = 1e300, rmax = -1e300;
  for (double x : {box.xmin, box.xmax})
    for (double y : {box.ymin, box.ymax}) {
      const double dx = x - c[0], dy = y - c[3];
      const double col = (c[5] * dx - c[2] * dy) / det, row = (-c[4] * dx + c[1] * dy) / det;
      cmin = std::min(cmin, col), cmax = std::max(cmax, col);
      rmin = std::min(rmin, row), rmax = std::max(rmax, row);
    }
  const int c0 = std::max(0, static_cast<int>(std::floor(cmin)) - 2);
  const int r0 = std::max(0, static_cast<int>(std::floor(rmin)) - 2);
  const int c1 = std::min(s.width, static_cast<int>(std::ceil(cmax)) + 2);
  const int r1 = std::min(s.height, static_cast<int>(std::ceil(rmax)) + 2);
  if (c1 <= c0 || r1 <= r0) return {0, 0, 0, 0};
  return {c0, r0, c1 - c0, r1 - r0};
}

/// A window of the raster in memory: class codes, or RGBA.
struct SourceWindow {
  Window win;
  std::vector<std::uint8_t> px;
};

SourceWindow read_window(const SourceLevel& s, const Window& w, bool imagery,
                         const std::string& path) {
  SourceWindow out{w, {}};
  if (w.width <= 0 || w.height <= 0) return out;
  const std::size_t n = static_cast<std::size_t>(w.width) * w.height;
  out.px.resize(n * (imagery ? 4 : 1));
  auto read = [&](GDALRasterBand* b, std::uint8_t* dst, int spacing) {
    if (b->RasterIO(GF_Read, w.col, w.row, w.width, w.height, dst, w.width, w.height, GDT_Byte,
                    spacing, static_cast<GSpacing>(spacing) * w.width, nullptr) != CE_None)
      throw ProcessingError("cannot read '" + path + "': " + gdal_last_error());
  };
  CPLErrorReset();
  if (!imagery) {
    read(s.bands[0], out.px.data(), 1);
    return out;
  }
  for (int b = 0; b < 3; ++b) read(s.bands[static_cast<std::size_t>(b)], out.px.data() + b, 4);
  read(s.alpha, out.px.data() + 3, 4);
  return out;
}

class TileRenderer {
 public:
  TileRenderer(const TileLayerRequest& req, const Log& log) : req_(req), log_(log) {
    if (!req.set) throw std::logic_error("write_tile_layer: no tile matrix set");
    ds_ = open_raster(req.raster);
    probe_readable(*ds_, req.raster);
    grid_ = grid_of(*ds_);
    if (grid_.crs_wkt.empty() || !has_geotransform(*ds_))
      throw InputError("raster '" + req.raster + "' has no CRS or georeference to tile from");
    const int bands = ds_->GetRasterCount();
    const GDALDataType type = ds_->GetRasterBand(1)->GetRasterDataType();
    if (type != GDT_Byte || (bands != 1 && bands != 3 && bands != 4))
      throw InputError("raster '" + req.raster + "': tiles are made of a class raster (one Byte " +
                       "band) or an RGB(A) image (three or four Byte bands); it has " +
                       std::to_string(bands) + " band(s) of " + GDALGetDataTypeName(type));
    if (bands == 1) {
      style_ = class_style(*ds_, req.colors);
    } else {
      style_.imagery = true;
      style_.fingerprint = "rgba";
    }
    set_wkt_ = crs_from_user(req.set->crs);
    set_crs_ = srs_from_wkt(set_wkt_);
    coverage_ = coverage();
    levels();
    open_levels();
    if (req.shards) {
      if (!req.previous_raster.empty())
        throw std::logic_error("write_tile_layer: shards render a layer in full");
      // Where the deepest level would read an overview of the published raster, the shard's
      // copy (none) and the merge's differ: the merge renders everything.
      const double first_overview = double(grid_.width) / ((grid_.width + 1) / 2);
      sharded_ = source_overview_ < 0 && tile_ground_ / ground_res_ + 1e-9 < first_overview;
      std::ostringstream key;
      key.precision(17);
      key << req.set->id << ' ' << min_ << ' ' << max_ << ' ' << grid_.width << ' ' << grid_.height
          << ' ' << grid_.crs_wkt;
      for (double v : grid_.transform.c) key << ' ' << v;
      owners_ = &(*req.shards->owner_cache)[key.str()];
      if (req.shards->index < 0)
        check_shard_sets();
      else
        open_quarters();
    }
  }

  TileLayerStats run() {
    stats_.format = style_.format();
    stats_.min_level = min_;
    stats_.max_level = max_;
    stats_.lonlat = coverage_.lonlat;
    const fs::path out(req_.out_dir);
    fs::create_directories(out);
    std::optional<std::set<TileAddress>> dirty = dirty_deepest();
    stats_.incremental = incremental_ = dirty.has_value();
    // Work goes by super tiles (16 x 16 deepest tiles: one read of the raster each), whatever
    // levels are written; levels at and below `top` are made within each super tile.
    const int super = std::max(req_.set->first_level, max_ - kSuperDepth);
    const int top = std::max(super, min_);
    if (req_.shards) {
      render_sharded(super, top);
      if (req_.shards->index < 0 && sharded_) link_shard_tiles();
    } else {
      render_all(super, top, dirty);
    }
    if (dirty) link_unchanged();
    const json tj = tilejson();
    write_text_file(fs::path(req_.out_dir) / "tilejson.json",
               tj.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
    if (!req_.mbtiles.empty()) {
      if (req_.set != &web_mercator_quad())
        throw std::logic_error("write_tile_layer: MBTiles holds Web Mercator tiles only");
      std::sort(encoded_.begin(), encoded_.end(),
                [](const EncodedTile& a, const EncodedTile& b) { return a.address < b.address; });
      write_mbtiles(encoded_, tj, req_.mbtiles);
      encoded_.clear();
    }
    log_.info(std::to_string(stats_.written) + " tiles (" + req_.set->id + ") z" +
              std::to_string(min_) + "-" + std::to_string(max_) + " in " + req_.out_dir + ", " +
              std::to_string(stats_.rendered) + " rendered" +
              (dirty ? ", the rest unchanged from the previous set" : ""));
    return stats_;
  }

 private:
  /// The layer's extent in the set's CRS, clipped to its valid area.
  Coverage coverage() const {
    Coverage c;
    const std::string lonlat_wkt = crs_from_user("OGC:CRS84");
    c.lonlat = transform_box(grid_.extent(), grid_.crs_wkt, lonlat_wkt);
    if (req_.set->id == web_mercator_quad().id) {
      const Box valid{-180, -kMercatorMaxLat, 180, kMercatorMaxLat};
      const Box inside = c.lonlat.intersect(valid);
      if (inside.empty())
        throw InputError("raster '" + req_.raster + "' lies outside Web Mercator's valid area " +
                         "(latitudes within ±85.05°): no Web Mercator tiles can show it; use " +
                         "the tianditu-c grid");
      if (inside.ymin != c.lonlat.ymin || inside.ymax != c.lonlat.ymax)
        log_.warn("raster '" + req_.raster + "' reaches beyond ±85.05°: the Web Mercator tiles " +
                  "stop there");
      c.lonlat = inside;
      c.in_set = transform_box(c.lonlat, lonlat_wkt, set_wkt_);
    } else {
      c.in_set = c.lonlat.intersect(req_.set->valid_area());  // CGCS2000 ~ WGS84 for display
    }
    return c;
  }

  void levels() {
    const double lat = 0.5 * (coverage_.lonlat.ymin + coverage_.lonlat.ymax) * M_PI / 180.0;
    double ground = grid_.transform.pixel_width();
    if (is_geographic(grid_.crs_wkt)) ground *= 111320.0;
    ground_res_ = ground;
    const TileMatrixSet& s = *req_.set;
    // Web Mercator pixels shrink on the ground by cos(latitude); Tianditu's do not along y.
    const double want = s.geographic ? ground : ground / std::cos(lat);
    auto check = [&](int v, const char* what) {
      if (v >= 0 && (v < s.first_level || v > s.last_level))
        throw ParamError("tiles: " + std::string(what) + " " + std::to_string(v) +
                          " is outside the " + s.id + " grid's levels " +
                          std::to_string(s.first_level) + ".." + std::to_string(s.last_level));
    };
    check(req_.min_level, "min_zoom");
    check(req_.max_level, "max_zoom");
    max_ = req_.max_level >= 0 ? req_.max_level : s.level_for_ground_resolution(want);
    min_ = req_.min_level >= 0 ? req_.min_level : std::max(s.first_level, max_ - 6);
    if (min_ > max_)
      throw ParamError("tiles: min_zoom " + std::to_string(min_) + " > max_zoom " +
                        std::to_string(max_));
  }

  /// The deepest level reads the finest overview no finer than its pixel (as gdalwarp does).
  void open_levels() {
    GDALRasterBand* b1 = ds_->GetRasterBand(1);
    const double lat = 0.5 * (coverage_.lonlat.ymin + coverage_.lonlat.ymax) * M_PI / 180.0;
    const double tile_ground = tile_ground_ =
        req_.set->ground_resolution(max_) * (req_.set->geographic ? 1.0 : std::cos(lat));
    int chosen = -1;
    for (int k = 0; k < b1->GetOverviewCount(); ++k) {
      const double factor = double(grid_.width) / b1->GetOverview(k)->GetXSize();
      if (factor <= tile_ground / ground_res_ + 1e-9) chosen = k;
    }
    source_overview_ = chosen;
    GDALDataset* from = ds_.get();
    if (chosen < 0 && !req_.full_resolution.empty()) {
      full_ds_ = open_raster(req_.full_resolution);
      if (full_ds_->GetRasterXSize() != grid_.width || full_ds_->GetRasterYSize() != grid_.height ||
          full_ds_->GetRasterCount() < (style_.imagery ? 3 : 1))
        throw std::logic_error("write_tile_layer: '" + req_.full_resolution +
                               "' is not the full resolution of '" + req_.raster + "'");
      from = full_ds_.get();
    }
    auto band = [&](int i) {
      GDALRasterBand* b = from->GetRasterBand(i);
      return chosen < 0 ? b : b->GetOverview(chosen);
    };
    src_.bands.push_back(band(1));
    if (style_.imagery) {
      src_.bands.push_back(band(2));
      src_.bands.push_back(band(3));
      src_.alpha = from->GetRasterCount() == 4 ? band(4) : band(1)->GetMaskBand();
    }
    src_.width = src_.bands[0]->GetXSize();
    src_.height = src_.bands[0]->GetYSize();
    src_.gt = grid_.transform;
    const double fx = double(grid_.width) / src_.width, fy = double(grid_.height) / src_.height;
    src_.gt.c[1] *= fx, src_.gt.c[2] *= fy, src_.gt.c[4] *= fx, src_.gt.c[5] *= fy;
  }

  /// Deepest tiles whose pixels come from raster pixels that differ from the previous raster;
  /// nullopt for a full render (no previous set, or one that cannot be reused).
  std::optional<std::set<TileAddress>> dirty_deepest() {
    if (req_.previous_raster.empty() || req_.previous_dir.empty()) return std::nullopt;
    std::error_code same;
    if (fs::equivalent(req_.previous_dir, req_.out_dir, same))
      throw std::logic_error("write_tile_layer: previous_dir must not be out_dir");
    // JPEG tiles cannot be decoded back to the pixels they were made from.
    if (style_.imagery) return std::nullopt;
    auto full = [&](const std::string& why) {
      log_.info("tiles " + req_.out_dir + ": all rendered (" + why + ")");
      return std::nullopt;
    };
    std::ifstream tj(fs::path(req_.previous_dir) / "tilejson.json");
    if (!tj) return full("no previous tiles");
    json prev;
    try {
      prev = json::parse(tj);
    } catch (const std::exception&) {
      return full("the previous tilejson.json is not JSON");
    }
    if (prev.value("minzoom", -1) != min_ || prev.value("maxzoom", -1) != max_ ||
        prev.value("farmwatch:style", std::string()) != style_.fingerprint)
      return full("levels or colours differ from the previous set");
    auto old = open_raster(req_.previous_raster);
    const Grid og = grid_of(*old);
    if (og.width != grid_.width || og.height != grid_.height ||
        og.transform.c != grid_.transform.c || !same_crs(og.crs_wkt, grid_.crs_wkt) ||
        old->GetRasterCount() != ds_->GetRasterCount())
      return full("the previous raster is on another grid");

    // Compare in cells of 64 x 64 pixels; each differing cell marks the deepest tiles over it.
    constexpr int kCell = 64;
    const int bands = ds_->GetRasterCount();
    auto to_set = make_transform(srs_from_wkt(grid_.crs_wkt), set_crs_);
    std::set<TileAddress> dirty;
    std::vector<std::uint8_t> a, b;
    for (int row = 0; row < grid_.height; row += kCell) {
      const int h = std::min(kCell, grid_.height - row);
      const std::size_t n = static_cast<std::size_t>(grid_.width) * h * bands;
      a.resize(n), b.resize(n);
      CPLErrorReset();
      if (ds_->RasterIO(GF_Read, 0, row, grid_.width, h, a.data(), grid_.width, h, GDT_Byte,
                        bands, nullptr, 0, 0, 0, nullptr) != CE_None ||
          old->RasterIO(GF_Read, 0, row, grid_.width, h, b.data(), grid_.width, h, GDT_Byte,
                        bands, nullptr, 0, 0, 0, nullptr) != CE_None)
        throw ProcessingError("cannot compare '" + req_.raster + "' with '" +
                              req_.previous_raster + "': " + gdal_last_error());
      for (int col = 0; col < grid_.width; col += kCell) {
        const int w = std::min(kCell, grid_.width - col);
        bool differs = false;
        for (int bd = 0; bd < bands && !differs; ++bd)
          for (int r = 0; r < h && !differs; ++r) {
            const std::size_t o = (static_cast<std::size_t>(bd) * h + r) * grid_.width + col;
            differs = !std::equal(a.begin() + o, a.begin() + o + w, b.begin() + o);
          }
        if (differs) mark_tiles_over({col, row, w, h}, *to_set, dirty);
      }
    }
    log_.info("tiles " + req_.out_dir + ": " + std::to_string(dirty.size()) +
              " deepest tiles over changed pixels");
    return dirty;
  }

  /// Adds to `dirty` the deepest tiles whose pixels may come from raster pixels of `block`.
  void mark_tiles_over(const Window& block, OGRCoordinateTransformation& to_set,
                       std::set<TileAddress>& dirty) const {
    // The block grown by a pixel, its corners and edge midpoints in the set's CRS.
    double xs[8], ys[8];
    int k = 0;
    // Grown by the pixels one read pixel spans (an overview's), plus one.
    const double g = 1.0 + std::ceil(double(grid_.width) / src_.width);
    const double w = block.width, h = block.height;
    for (double fc : {-g, 0.5 * w, w + g})
      for (double fr : {-g, 0.5 * h, h + g}) {
        if (fc == 0.5 * w && fr == 0.5 * h) continue;
        const auto& c = grid_.transform.c;
        xs[k] = c[0] + (block.col + fc) * c[1] + (block.row + fr) * c[2];
        ys[k] = c[3] + (block.col + fc) * c[4] + (block.row + fr) * c[5];
        ++k;
      }
    int ok[8];
    to_set.Transform(8, xs, ys, nullptr, ok);  // points that fail are left out below
    Box box{1e300, 1e300, -1e300, -1e300};
    for (int i = 0; i < 8; ++i) {
      if (!ok[i]) continue;
      box = {std::min(box.xmin, xs[i]), std::min(box.ymin, ys[i]), std::max(box.xmax, xs[i]),
             std::max(box.ymax, ys[i])};
    }
    box = box.intersect(coverage_.in_set);
    if (box.empty()) return;
    for (const auto& t : req_.set->tiles_covering(box, max_)) dirty.insert(t);
  }

  /// The merge, where shards rendered the layer from rasters of their own
  /// (TileShards::sources): the deepest tiles of a shard over pixels of its cells where its
  /// raster differs from the layer's (compared in blocks of 64 x 64 pixels). ProcessingError
  /// naming a shard's raster that cannot be read; DamagedFileError naming one that is not a
  /// Byte raster on the layer's grid.
  std::set<TileAddress> shard_differences() {
    constexpr int kBlock = 64;
    const TileShards& sh = *req_.shards;
    auto to_set = make_transform(srs_from_wkt(grid_.crs_wkt), set_crs_);
    std::set<TileAddress> dirty;
    std::vector<std::uint8_t> a, b;
    GDALRasterBand* mine = ds_->GetRasterBand(1);
    for (std::size_t k = 0; k < sh.sources.size(); ++k) {
      const std::string& path = sh.sources[k];
      DatasetPtr theirs = open_raster(path);  // ProcessingError naming it
      const Grid g = grid_of(*theirs);
      if (g.width != grid_.width || g.height != grid_.height || g.transform != grid_.transform ||
          theirs->GetRasterCount() != 1 ||
          theirs->GetRasterBand(1)->GetRasterDataType() != GDT_Byte)
        throw DamagedFileError(path, "is not a Byte raster on the grid of '" + req_.raster + "'");
      for (int r = 0; r < sh.rows; ++r)
        for (int c = 0; c < sh.cols; ++c) {
          if (sh.owner.at(static_cast<std::size_t>(r) * sh.cols + c) != static_cast<int>(k))
            continue;
          const Window cell = Window{c * sh.cell, r * sh.cell, sh.cell, sh.cell}.intersect(
              Window{0, 0, grid_.width, grid_.height});
          for (int row = cell.row; row < cell.row + cell.height; row += kBlock) {
            const int h = std::min(kBlock, cell.row + cell.height - row);
            const auto n = static_cast<std::size_t>(cell.width) * h;
            a.resize(n), b.resize(n);
            CPLErrorReset();
            if (mine->RasterIO(GF_Read, cell.col, row, cell.width, h, a.data(), cell.width, h,
                               GDT_Byte, 0, 0, nullptr) != CE_None)
              throw ProcessingError("cannot read '" + req_.raster + "': " + gdal_last_error());
            if (theirs->GetRasterBand(1)->RasterIO(GF_Read, cell.col, row, cell.width, h, b.data(),
                                                   cell.width, h, GDT_Byte, 0, 0,
                                                   nullptr) != CE_None)
              throw ProcessingError("cannot read '" + path + "': " + gdal_last_error());
            for (int col = 0; col < cell.width; col += kBlock) {
              const int w = std::min(kBlock, cell.width - col);
              bool differs = false;
              for (int q = 0; q < h && !differs; ++q) {
                const std::size_t o = static_cast<std::size_t>(q) * cell.width + col;
                differs = !std::equal(a.begin() + o, a.begin() + o + w, b.begin() + o);
              }
              if (differs) mark_tiles_over({cell.col + col, row, w, h}, *to_set, dirty);
            }
          }
        }
    }
    std::erase_if(dirty, [&](const TileAddress& t) { return owner(t) < 0; });
    log_.info("tiles " + req_.out_dir + ": " + std::to_string(dirty.size()) +
              " deepest tiles of the shards' over pixels the merge changed, rendered again");
    return dirty;
  }

  /// Renders deepest tiles under one super tile from a window of the raster read once, or,
  /// where they are a few of its tiles (a shard's cells' border, the merge's tiles over
  /// several shards' cells, a night's changed tiles) and their own windows hold under half
  /// its pixels, each from its own window. Either way a tile reads the raster pixels of its
  /// own window (a shard renders a tile whose window lies in its cells): the same pixels.
  Level render_deepest(const TileAddress& super, const std::vector<TileAddress>& tiles) {
    const Box sb = req_.set->tile_bounds(super).intersect(coverage_.in_set);
    const Window whole = window_of(to_raster_box(sb), src_);
    std::vector<Window> own(tiles.size());
    double own_pixels = 0;
    for (std::size_t i = 0; i < tiles.size(); ++i) {
      own[i] = window_of(
          to_raster_box(req_.set->tile_bounds(tiles[i]).intersect(coverage_.in_set)), src_);
      own_pixels += double(own[i].width) * own[i].height;
    }
    std::vector<TilePixels> px(tiles.size());
    if (2 * own_pixels < double(whole.width) * whole.height) {
      // Read one after another (a GDAL dataset serves one thread), warped in parallel.
      std::vector<SourceWindow> wins;
      wins.reserve(tiles.size());
      for (const Window& w : own) wins.push_back(read_window(src_, w, style_.imagery, req_.raster));
      tbb::parallel_for(std::size_t(0), tiles.size(),
                        [&](std::size_t i) { px[i] = warp(tiles[i], wins[i]); });
    } else {
      const SourceWindow win = read_window(src_, whole, style_.imagery, req_.raster);
      tbb::parallel_for(std::size_t(0), tiles.size(),
                        [&](std::size_t i) { px[i] = warp(tiles[i], win); });
    }
    Level level;
    for (std::size_t i = 0; i < tiles.size(); ++i) level.emplace(tiles[i], std::move(px[i]));
    return level;
  }

  /// A box of the tile set's CRS in the raster's CRS.
  Box to_raster_box(const Box& b) {
    auto& tr = transforms_.local();
    if (!tr) tr = make_transform(srs_from_wkt(set_wkt_), srs_from_wkt(grid_.crs_wkt));
    return transform_bounds(*tr, b, req_.raster);
  }

  /// One deepest tile: nearest raster pixel at each tile pixel's centre.
  TilePixels warp(const TileAddress& t, const SourceWindow& win) {
    if (win.px.empty()) return {};
    auto& tr = transforms_.local();
    // Each thread its own objects: OGR caches inside a spatial reference, so one shared
    // between threads is a data race.
    if (!tr) tr = make_transform(srs_from_wkt(set_wkt_), srs_from_wkt(grid_.crs_wkt));
    const Box b = req_.set->tile_bounds(t);
    const double res = req_.set->resolution(t.z);
    std::array<double, kNodes * kNodes> nc, nr;
    std::array<int, kNodes * kNodes> ok;
    for (int j = 0; j < kNodes; ++j)
      for (int i = 0; i < kNodes; ++i) {
        nc[j * kNodes + i] = b.xmin + (i * kStep + 0.5) * res;
        nr[j * kNodes + i] = b.ymax - (j * kStep + 0.5) * res;
      }
    if (!tr->Transform(kNodes * kNodes, nc.data(), nr.data(), nullptr, ok.data())) {
      // Some nodes fail (outside the projection's domain): those cells stay transparent.
    }
    const auto& c = src_.gt.c;
    const double det = c[1] * c[5] - c[2] * c[4];
    for (std::size_t k = 0; k < nc.size(); ++k) {
      const double dx = nc[k] - c[0], dy = nr[k] - c[3];
      nc[k] = (c[5] * dx - c[2] * dy) / det - win.win.col;
      nr[k] = (-c[4] * dx + c[1] * dy) / det - win.win.row;
    }
    TilePixels out(kTilePixels * style_.bytes_per_pixel(), 0);
    const bool any = style_.imagery ? resample<true>(nc, nr, ok, win, out)
                                    : resample<false>(nc, nr, ok, win, out);
    if (!any) return {};
    return out;
  }

  /// Nearest-neighbour pixels of a tile from the lattice of source positions (window pixel
  /// coordinates of every kStep-th tile pixel), interpolated bilinearly in between; whether
  /// any pixel is opaque. Imagery: RGBA, transparent source pixels skipped; classes: the
  /// style's palette index.
  template <bool kImagery>
  bool resample(const std::array<double, kNodes * kNodes>& nc,
                const std::array<double, kNodes * kNodes>& nr,
                const std::array<int, kNodes * kNodes>& ok, const SourceWindow& win,
                TilePixels& out) const {
    const double width = win.win.width, height = win.win.height;
    const std::size_t stride = static_cast<std::size_t>(win.win.width);
    const std::uint8_t* src_px = win.px.data();
    std::uint8_t* dst_px = out.data();
    bool any = false;
    std::array<double, kNodes> vc, vr;  // node columns interpolated to the current row
    std::array<bool, kNodes> vok;
    for (int r = 0; r < kTileSize; ++r) {
      const int j = r / kStep;
      const double fr = double(r % kStep) / kStep;
      for (int i = 0; i < kNodes; ++i) {
        const int up = j * kNodes + i, down = up + kNodes;
        vc[i] = nc[up] + (nc[down] - nc[up]) * fr;
        vr[i] = nr[up] + (nr[down] - nr[up]) * fr;
        vok[i] = ok[up] && ok[down];
      }
      for (int i = 0; i + 1 < kNodes; ++i) {
        if (!vok[i] || !vok[i + 1]) continue;
        const double dc = (vc[i + 1] - vc[i]) / kStep, dr = (vr[i + 1] - vr[i]) / kStep;
        auto inside = [&](double x, double y) {
          return x >= 0 && y >= 0 && x < width && y < height;
        };
        // x and y are monotonic in k (in floating point too): a run whose ends are inside the
        // window is inside all along. Outside the window is outside the raster too (the
        // window holds all of the raster under the tile).
        const bool whole = inside(vc[i], vr[i]) &&
                           inside(vc[i] + dc * (kStep - 1), vr[i] + dr * (kStep - 1));
        const std::size_t row0 = static_cast<std::size_t>(r) * kTileSize + i * kStep;
        for (int k = 0; k < kStep; ++k) {
          const double x = vc[i] + dc * k, y = vr[i] + dr * k;
          if (!whole && !inside(x, y)) continue;
          // floor: both are >= 0 (through int64_t, one instruction, where size_t takes several)
          const std::size_t src = static_cast<std::size_t>(static_cast<std::int64_t>(y)) * stride +
                                  static_cast<std::size_t>(static_cast<std::int64_t>(x));
          const std::size_t dst = row0 + k;
          if constexpr (kImagery) {
            const std::uint8_t* p = src_px + src * 4;
            if (p[3] == 0) continue;
            std::memcpy(dst_px + dst * 4, p, 4);
            any = true;
          } else {
            dst_px[dst] = style_.index[src_px[src]];
          }
        }
      }
    }
    if constexpr (!kImagery)
      any = std::any_of(out.begin(), out.end(), [](std::uint8_t v) { return v != 0; });
    return any;
  }

  /// Pixels of a tile that this call did not render at its level: from the previous set
  /// (incremental), else transparent.
  TilePixels previous_tile(const TileAddress& t) const {
    if (!incremental_) return {};
    const fs::path p = fs::path(req_.previous_dir) / std::to_string(t.z) / std::to_string(t.x) /
                       (std::to_string(t.y) + ".png");
    std::error_code ec;
    if (!fs::exists(p, ec)) return {};
    DecodedPng d = decode_png(p.string());
    if (d.width != kTileSize || d.height != kTileSize || d.indexed == style_.imagery)
      throw ProcessingError("previous tile '" + p.string() + "' is not a tile of this layer");
    return std::move(d.pixels);
  }

  /// The level above `level`: every parent of its tiles, from their four children.
  Level parents_of(const Level& level) {
    std::vector<TileAddress> parents;
    for (const auto& [t, px] : level)
      if (parents.empty() || parents.back() != parent_of(t)) parents.push_back(parent_of(t));
    std::sort(parents.begin(), parents.end());
    parents.erase(std::unique(parents.begin(), parents.end()), parents.end());
    std::vector<TilePixels> out(parents.size());
    tbb::parallel_for(std::size_t(0), parents.size(), [&](std::size_t i) {
      const TileAddress& p = parents[i];
      std::array<TilePixels, 4> kids;
      std::array<const TilePixels*, 4> child{};
      for (int q = 0; q < 4; ++q) {
        const TileAddress c = child_of(p, q);
        const auto it = level.find(c);
        if (it != level.end()) {
          child[q] = &it->second;
        } else {
          kids[q] = previous_tile(c);
          child[q] = &kids[q];
        }
      }
      out[i] = reduce(child);
    });
    Level next;
    for (std::size_t i = 0; i < parents.size(); ++i) next.emplace(parents[i], std::move(out[i]));
    return next;
  }

  /// A parent tile from its children (top-left, top-right, bottom-left, bottom-right).
  TilePixels reduce(const std::array<const TilePixels*, 4>& child) const {
    std::array<Quadrant, 4> q;
    for (int k = 0; k < 4; ++k)
      if (!child[k]->empty()) q[k] = quadrant(*child[k]);
    return assemble(q);
  }

  /// A child tile reduced 2 x 2 pixels to one: the quarter of its parent it makes.
  Quadrant quadrant(const TilePixels& child) const {
    Quadrant q;
    q.px.assign(kTilePixels / 4 * style_.bytes_per_pixel(), 0);
    q.any = style_.imagery ? reduce_into<true>(child, q.px) : reduce_into<false>(child, q.px);
    return q;
  }

  /// A parent tile from its four quarters (empty: transparent).
  TilePixels assemble(const std::array<Quadrant, 4>& q) const {
    if (std::none_of(q.begin(), q.end(), [](const Quadrant& x) { return x.any; })) return {};
    const std::size_t bpp = style_.bytes_per_pixel(), row = kTileSize / 2 * bpp;
    TilePixels out(kTilePixels * bpp, 0);
    for (int k = 0; k < 4; ++k) {
      if (q[k].px.empty()) continue;
      const std::size_t r0 = (k >> 1) * kTileSize / 2, c0 = (k & 1) * kTileSize / 2;
      for (std::size_t r = 0; r < kTileSize / 2; ++r)
        std::memcpy(out.data() + ((r0 + r) * kTileSize + c0) * bpp, q[k].px.data() + r * row, row);
    }
    return out;
  }

  /// The 2 x 2 reduction of a child into `out` (kTileSize / 2 pixels a side); whether any
  /// pixel is opaque.
  template <bool kImagery>
  static bool reduce_into(const TilePixels& c, TilePixels& out) {
    constexpr std::size_t bpp = kImagery ? 4 : 1;
    bool any = false;
    constexpr int half = kTileSize / 2;
    for (int r = 0; r < half; ++r) {
      const std::uint8_t* up = c.data() + static_cast<std::size_t>(2 * r) * kTileSize * bpp;
      const std::uint8_t* down = up + kTileSize * bpp;
      std::uint8_t* d = out.data() + static_cast<std::size_t>(r) * half * bpp;
      for (int k = 0; k < half; ++k) {
        if constexpr (kImagery) {
          const std::uint8_t* p[4] = {up + 8 * k, up + 8 * k + 4, down + 8 * k, down + 8 * k + 4};
          unsigned sa = 0, sr = 0, sg = 0, sb = 0;
          for (const std::uint8_t* v : p)
            sa += v[3], sr += v[0] * v[3], sg += v[1] * v[3], sb += v[2] * v[3];
          if (!sa) continue;
          if (sa == 4 * 255) {  // all four opaque: the same sums, divided by a constant
            d[4 * k + 0] = static_cast<std::uint8_t>((sr + 2 * 255) / (4 * 255));
            d[4 * k + 1] = static_cast<std::uint8_t>((sg + 2 * 255) / (4 * 255));
            d[4 * k + 2] = static_cast<std::uint8_t>((sb + 2 * 255) / (4 * 255));
            d[4 * k + 3] = 255;
            any = true;
            continue;
          }
          d[4 * k + 0] = static_cast<std::uint8_t>((sr + sa / 2) / sa);
          d[4 * k + 1] = static_cast<std::uint8_t>((sg + sa / 2) / sa);
          d[4 * k + 2] = static_cast<std::uint8_t>((sb + sa / 2) / sa);
          d[4 * k + 3] = static_cast<std::uint8_t>((sa + 2) / 4);
          any = true;
        } else {
          d[k] = mode4(up[2 * k], up[2 * k + 1], down[2 * k], down[2 * k + 1]);
        }
      }
    }
    if constexpr (!kImagery)
      any = std::any_of(out.begin(), out.end(), [](std::uint8_t v) { return v != 0; });
    return any;
  }

  /// The most frequent of four palette indices, 0 (transparent) aside; ties: the lowest.
  static std::uint8_t mode4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    if (a == b && b == c && c == d) return a;  // most pixels: inside one field
    std::array<std::uint8_t, 4> v{a, b, c, d};
    std::sort(v.begin(), v.end());
    std::uint8_t best = 0;
    int best_n = 0;
    for (int i = 0; i < 4;) {
      int j = i;
      while (j < 4 && v[j] == v[i]) ++j;
      if (v[i] != 0 && j - i > best_n) best = v[i], best_n = j - i;
      i = j;
    }
    return best;
  }

  /// Encodes and writes a level's tiles in parallel; an empty tile is not written (nor linked
  /// from the previous set).
  void write_level(const Level& level) {
    std::vector<const std::pair<const TileAddress, TilePixels>*> items;
    for (const auto& e : level) {
      items.push_back(&e);
      touched_.insert(e.first);
    }
    std::vector<std::uint64_t> bytes(items.size(), 0);
    std::vector<std::uint32_t> crcs(items.size(), 0);
    std::vector<std::vector<std::uint8_t>> encoded(items.size());
    std::set<std::pair<int, int>> columns;
    for (const auto* e : items)
      if (!e->second.empty()) columns.insert({e->first.z, e->first.x});
    for (const auto& [z, x] : columns) {
      std::error_code ec;
      fs::create_directories(fs::path(req_.out_dir) / std::to_string(z) / std::to_string(x), ec);
    }
    tbb::parallel_for(std::size_t(0), items.size(), [&](std::size_t i) {
      const auto& [t, px] = *items[i];
      if (px.empty()) return;
      std::vector<std::uint8_t> png;
      if (style_.imagery) {
        png = encode_jpeg(px);
      } else {
        // The palette stops at the highest index the tile uses (PNG allows a short PLTE).
        const std::uint8_t top = *std::max_element(px.begin(), px.end());
        const std::vector<Rgba> palette(style_.palette.begin(), style_.palette.begin() + top + 1);
        png = encode_indexed_png(px.data(), kTileSize, kTileSize, palette);
      }
      const fs::path dir = fs::path(req_.out_dir) / std::to_string(t.z) / std::to_string(t.x);
      const fs::path file = dir / (std::to_string(t.y) + "." + style_.format());
      std::ofstream f(file, std::ios::binary | std::ios::trunc);
      f.write(reinterpret_cast<const char*>(png.data()), static_cast<std::streamsize>(png.size()));
      f.close();
      if (!f) throw ProcessingError("cannot write tile '" + file.string() + "' (disk full?)");
      bytes[i] = png.size();
      if (rendering_shard()) crcs[i] = crc_of(png.data(), png.size());
      if (!req_.mbtiles.empty()) encoded[i] = std::move(png);
    });
    for (std::size_t i = 0; i < items.size(); ++i)
      if (!encoded[i].empty()) encoded_.push_back({items[i]->first, std::move(encoded[i])});
    for (std::size_t i = 0; i < items.size(); ++i) {
      // A shard lists every tile of its own, transparent ones too (0 bytes, no file).
      if (rendering_shard()) listed_.push_back({items[i]->first, bytes[i], crcs[i]});
      if (bytes[i]) ++stats_.written, ++stats_.rendered, stats_.bytes += bytes[i];
    }
  }

  /// Incremental: every previous tile not rendered again is hard-linked (copied where links
  /// are refused) into the new set.
  void link_unchanged() {
    const fs::path prev(req_.previous_dir), out(req_.out_dir);
    for (const auto& e : fs::recursive_directory_iterator(prev)) {
      if (!e.is_regular_file() || e.path().extension() != ".png") continue;
      const fs::path rel = fs::relative(e.path(), prev);
      auto it = rel.begin();
      TileAddress t;
      try {
        t.z = std::stoi((it++)->string());
        t.x = std::stoi((it++)->string());
        t.y = std::stoi(it->stem().string());
      } catch (const std::exception&) {
        continue;
      }
      if (touched_.count(t)) continue;
      const fs::path dst = out / rel;
      std::error_code ec;
      fs::create_directories(dst.parent_path(), ec);
      fs::remove(dst, ec);
      fs::create_hard_link(e.path(), dst, ec);
      if (ec && !fs::copy_file(e.path(), dst, fs::copy_options::overwrite_existing, ec))
        throw ProcessingError("cannot copy tile '" + e.path().string() + "' to '" +
                              dst.string() + "': " + ec.message());
      ++stats_.written;
      stats_.bytes += fs::file_size(dst);
      if (!req_.mbtiles.empty()) {
        std::ifstream f(dst, std::ios::binary);
        encoded_.push_back({t, std::vector<std::uint8_t>(std::istreambuf_iterator<char>(f), {})});
      }
    }
  }

  /// Every tile of the layer (or with `dirty`, those over changed pixels and their parents),
  /// super tile by super tile down to level `top`, then the levels above from the super tiles.
  void render_all(int super, int top, const std::optional<std::set<TileAddress>>& dirty) {
    Level kept;  // tiles of the super level, for the levels above it
    for (const TileAddress& st : req_.set->tiles_covering(coverage_.in_set, super)) {
      std::vector<TileAddress> deepest;
      const int k = max_ - super;
      for (int x = st.x << k; x < (st.x + 1) << k; ++x)
        for (int y = st.y << k; y < (st.y + 1) << k; ++y) {
          const TileAddress t{max_, x, y};
          if (!exists(t) || (dirty && !dirty->count(t))) continue;
          deepest.push_back(t);
        }
      if (deepest.empty()) continue;
      Level level = render_deepest(st, deepest);
      write_level(level);
      while (level.begin()->first.z > top) {
        level = parents_of(level);
        write_level(level);
      }
      if (super > min_) kept.merge(level);
    }
    while (!kept.empty() && kept.begin()->first.z > min_) {
      kept = parents_of(kept);
      write_level(kept);
    }
  }

  /// Whether this call is a shard rendering its own tiles (TileShards).
  bool rendering_shard() const { return req_.shards && req_.shards->index >= 0; }

  /// Whether the layer has tile `t` (the deepest tiles over the raster's extent and their
  /// parents).
  bool exists(const TileAddress& t) const {
    return !req_.set->tile_bounds(t).intersect(coverage_.in_set).empty();
  }

  static TileAddress child_of(const TileAddress& t, int q) {
    return {t.z + 1, 2 * t.x + (q & 1), 2 * t.y + (q >> 1)};
  }

  /// Whether the raster pixels of tile `t`, grown by 8, touch a cell of shard `k`.
  bool near_cells_of(int k, const TileAddress& t) {
    const Box b = req_.set->tile_bounds(t).intersect(coverage_.in_set);
    if (b.empty()) return false;
    const Window w = window_of(to_raster_box(b), src_);
    const TileShards& sh = *req_.shards;
    const int c0 = std::max(0, (w.col - 8) / sh.cell), r0 = std::max(0, (w.row - 8) / sh.cell);
    const int c1 = std::min(sh.cols - 1, (w.col + w.width + 8) / sh.cell);
    const int r1 = std::min(sh.rows - 1, (w.row + w.height + 8) / sh.cell);
    for (int r = r0; r <= r1; ++r)
      for (int c = c0; c <= c1; ++c)
        if (sh.owner.at(static_cast<std::size_t>(r) * sh.cols + c) == k) return true;
    return false;
  }

  /// The shard that renders tile `t`, -1 for the merge (TileShards).
  int owner(const TileAddress& t) {
    if (!sharded_) return -1;
    if (const auto it = owners_->find(t); it != owners_->end()) return it->second;
    int o = -1;
    if (t.z == max_) {
      const Box b = req_.set->tile_bounds(t).intersect(coverage_.in_set);
      if (!b.empty()) o = req_.shards->owner_of(window_of(to_raster_box(b), src_));
    } else {
      int seen = -2;  // no child yet
      for (int q = 0; q < 4 && seen != -1; ++q)
        if (const TileAddress c = child_of(t, q); exists(c)) {
          const int k = owner(c);
          seen = (seen == -2 || seen == k) ? k : -1;
        }
      o = seen < 0 ? -1 : seen;
    }
    owners_->emplace(t, o);
    return o;
  }

  /// The layer's tiles this call renders (TileShards), level by level: within each super
  /// tile from the deepest level up to `top`, then above it from the super tiles' level.
  ///
  /// The merge, where shards rendered from rasters of their own (TileShards::sources), also
  /// makes the shards' tiles over pixels that differ (shard_differences) and their parents
  /// (`redone_`, which link_shard_tiles leaves out): a parent from its children made here, the
  /// quarters the shards kept, or the other children's own tiles as their shard wrote them.
  void render_sharded(int super, int top) {
    const int me = req_.shards->index;
    if (me < 0 && sharded_ && !req_.shards->sources.empty())
      for (TileAddress t : shard_differences())
        for (; t.z >= min_; t = parent_of(t)) redone_.insert(t);
    if (!redone_.empty() && shard_listed_.empty()) read_shard_manifests();
    auto made_here = [&](const TileAddress& t) { return owner(t) == me || redone_.count(t); };
    auto mine = [&](int z, int x0, int y0, int n) {  // n x n tiles of level z from (x0, y0)
      std::vector<TileAddress> ts;
      for (int x = x0; x < x0 + n; ++x)
        for (int y = y0; y < y0 + n; ++y)
          if (const TileAddress t{z, x, y}; exists(t) && made_here(t)) ts.push_back(t);
      return ts;
    };
    Level kept;
    std::set<TileAddress> present;  // tiles of the current level above `super`
    for (const TileAddress& st : req_.set->tiles_covering(coverage_.in_set, super)) {
      if (!exists(st)) continue;
      // A shard owns no tile of a super tile whose pixels (and a margin) miss its cells.
      if (me >= 0 && !near_cells_of(me, st)) continue;
      present.insert(st);
      Level level;
      for (int z = max_; z >= top; --z) {
        const int k = z - super;
        const auto ts = mine(z, st.x << k, st.y << k, 1 << k);
        if (z == max_)
          level = ts.empty() ? Level{} : render_deepest(st, ts);
        else
          level = reduce_level(ts, level);
        write_level(level);
        keep_quarters(level);
      }
      if (super > min_) kept.merge(level);
    }
    for (int z = super - 1; z >= min_; --z) {
      std::set<TileAddress> up;
      for (const TileAddress& t : present) up.insert(parent_of(t));
      present = std::move(up);
      std::vector<TileAddress> ts;
      for (const TileAddress& t : present)
        if (made_here(t)) ts.push_back(t);
      kept = reduce_level(ts, kept);
      write_level(kept);
      keep_quarters(kept);
    }
    if (quarters_out_.is_open()) {
      const auto quarters_bytes = static_cast<std::uint64_t>(quarters_out_.tellp());
      quarters_out_.close();
      if (!quarters_out_)
        throw ProcessingError("cannot write '" + quarters_path(req_.out_dir).string() +
                              "' (disk full?)");
      // What the merge checks the shard's result against before it takes any of it.
      json tiles = json::array();
      for (const Listed& l : listed_) tiles.push_back({l.t.z, l.t.x, l.t.y, l.bytes, l.crc});
      write_text_file(fs::path(req_.out_dir) / kShardTilesManifest,
                      json{{"format", style_.format()},
                           {"tiles", tiles},
                           {"quarters_bytes", quarters_bytes},
                           {"quarters_crc32", quarters_crc_}}
                              .dump() +
                          "\n");
    }
  }

  /// Where a shard keeps the quarters of its tiles whose parent the merge makes.
  static fs::path quarters_path(const std::string& dir) { return fs::path(dir) / "quarters.bin"; }

  /// A shard: opens the quarters file. Each record: level, column, row (int32), whether any
  /// pixel is opaque (uint8), the byte count (uint32, 0: transparent) and the pixels.
  void open_quarters() {
    std::error_code ec;
    fs::create_directories(req_.out_dir, ec);
    quarters_out_.open(quarters_path(req_.out_dir), std::ios::binary | std::ios::trunc);
    if (!quarters_out_)
      throw ProcessingError("cannot write '" + quarters_path(req_.out_dir).string() + "'");
  }

  /// A shard: the quarter each of `level`'s tiles makes of its parent, where the merge makes
  /// the parent.
  void keep_quarters(const Level& level) {
    if (!quarters_out_.is_open()) return;  // the merge
    for (const auto& [t, px] : level) {
      if (t.z <= min_ || owner(parent_of(t)) == req_.shards->index) continue;
      const Quadrant q = px.empty() ? Quadrant{} : quadrant(px);
      const std::int32_t head[3] = {t.z, t.x, t.y};
      const std::uint8_t any = q.any;
      const auto n = static_cast<std::uint32_t>(q.px.size());
      auto put = [&](const void* bytes, std::size_t size) {
        quarters_out_.write(static_cast<const char*>(bytes), static_cast<std::streamsize>(size));
        quarters_crc_ = crc_of(static_cast<const std::uint8_t*>(bytes), size, quarters_crc_);
      };
      put(head, sizeof head);
      put(&any, 1);
      put(&n, sizeof n);
      put(q.px.data(), n);
    }
  }

  /// Tiles `ts` from their children: in `below` (this call's), else the quarter a shard kept
  /// (the merge).
  Level reduce_level(const std::vector<TileAddress>& ts, const Level& below) {
    std::vector<int> shard(ts.size() * 4, -1);  // a child's shard where a shard rendered it
    for (std::size_t i = 0; i < ts.size(); ++i)
      for (int q = 0; q < 4; ++q)
        if (const TileAddress c = child_of(ts[i], q); !below.count(c) && exists(c))
          shard[4 * i + q] = owner(c);
    std::vector<int> made_for(ts.size());  // each tile's own shard (-1: the merge's)
    for (std::size_t i = 0; i < ts.size(); ++i) made_for[i] = owner(ts[i]);
    std::vector<TilePixels> out(ts.size());
    tbb::parallel_for(std::size_t(0), ts.size(), [&](std::size_t i) {
      std::array<Quadrant, 4> quarter;
      for (int q = 0; q < 4; ++q) {
        const TileAddress c = child_of(ts[i], q);
        if (const auto it = below.find(c); it != below.end()) {
          if (!it->second.empty()) quarter[q] = quadrant(it->second);
        } else if (const int k = shard[4 * i + q]; k >= 0 && k != req_.shards->index) {
          // A shard keeps the quarters of its tiles whose parent is not its own; a parent of
          // its made again here takes its other children as the shard wrote them.
          if (made_for[i] != k) {
            quarter[q] = shard_quarter(c);
          } else {
            const TilePixels px = shard_tile_pixels(k, c);
            if (!px.empty()) quarter[q] = quadrant(px);
          }
        }
      }
      out[i] = assemble(quarter);
    });
    Level next;
    for (std::size_t i = 0; i < ts.size(); ++i) next.emplace(ts[i], std::move(out[i]));
    return next;
  }

  /// The merge: the quarter of its parent that tile `t` makes, as its shard kept it.
  Quadrant shard_quarter(const TileAddress& t) const {
    const auto it = quarters_.find(t);
    if (it == quarters_.end())
      throw DamagedFileError(
          quarters_path(req_.shards->dirs.at(static_cast<std::size_t>(owners_->at(t)))).string(),
          "lacks tile " + std::to_string(t.z) + "/" + std::to_string(t.x) + "/" +
              std::to_string(t.y));
    const QuarterRecord& r = it->second;
    Quadrant q;
    q.any = r.any;
    q.px.resize(r.bytes);
    std::ifstream f(r.file, std::ios::binary);
    f.seekg(r.offset);
    f.read(reinterpret_cast<char*>(q.px.data()), static_cast<std::streamsize>(r.bytes));
    if (!f) throw DamagedFileError(r.file.string(), "cannot be read (cut short?)");
    return q;
  }

  /// The merge: the pixels of shard `k`'s tile `t` as it wrote it (empty: transparent), checked
  /// against the size and CRC-32 its manifest lists. DamagedFileError naming the file otherwise.
  /// (Thread-safe once read_shard_manifests has run.)
  TilePixels shard_tile_pixels(int k, const TileAddress& t) const {
    const std::string& dir = req_.shards->dirs.at(static_cast<std::size_t>(k));
    const auto& listed = shard_listed_.at(static_cast<std::size_t>(k));
    const fs::path manifest = fs::path(dir) / kShardTilesManifest;
    const auto it = listed.find(t);
    if (it == listed.end())
      throw DamagedFileError(manifest.string(), "does not list the tiles of the shard's cells");
    if (!it->second.first) return {};  // transparent
    const fs::path p = fs::path(dir) / std::to_string(t.z) / std::to_string(t.x) /
                       (std::to_string(t.y) + "." + style_.format());
    const auto png = file_bytes(p, it->second.first);
    if (!png || crc_of(png->data(), png->size()) != it->second.second)
      throw DamagedFileError(p.string(), "is missing or not as the shard wrote it");
    DecodedPng d = decode_png(p.string());
    if (d.width != kTileSize || d.height != kTileSize || d.indexed == style_.imagery)
      throw DamagedFileError(p.string(), "is not a tile of this layer");
    return std::move(d.pixels);
  }

  /// The merge: every shard's manifest (each tile once), for link_shard_tiles and
  /// shard_tile_pixels. DamagedFileError naming one that is not such a list.
  void read_shard_manifests() {
    shard_listed_.assign(req_.shards->dirs.size(), {});
    for (std::size_t k = 0; k < req_.shards->dirs.size(); ++k) {
      const fs::path manifest = fs::path(req_.shards->dirs[k]) / kShardTilesManifest;
      std::ifstream mf(manifest);
      const json m = json::parse(mf, nullptr, /*allow_exceptions=*/false);
      if (!m.is_object() || !m.contains("tiles") || !m["tiles"].is_array())
        throw DamagedFileError(manifest.string(), "does not list the tiles of the shard's cells");
      bool once = true;
      try {
        for (const json& e : m["tiles"])
          once &= shard_listed_[k]
                      .emplace(TileAddress{e.at(0).get<int>(), e.at(1).get<int>(),
                                           e.at(2).get<int>()},
                               std::pair{e.at(3).get<std::uint64_t>(), e.at(4).get<std::uint32_t>()})
                      .second;
      } catch (const json::exception&) {
        once = false;
      }
      if (!once)
        throw DamagedFileError(manifest.string(), "does not list the tiles of the shard's cells");
    }
  }

  /// The merge: each shard's tiles were made with the same levels and colours; where its
  /// quarters are.
  void check_shard_sets() {
    for (const std::string& dir : req_.shards->dirs) {
      index_quarters(quarters_path(dir));
      const fs::path p = fs::path(dir) / "tilejson.json";
      std::ifstream f(p);
      const json tj = json::parse(f, nullptr, /*allow_exceptions=*/false);
      if (!tj.is_object() || tj.value("minzoom", -1) != min_ || tj.value("maxzoom", -1) != max_ ||
          tj.value("farmwatch:style", std::string()) != style_.fingerprint)
        throw ProcessingError("shard tiles '" + p.string() + "' are missing or were made with " +
                              "other levels or colours than the merge's");
    }
  }

  /// The merge: the records of a shard's quarters file.
  void index_quarters(const fs::path& file) {
    std::ifstream f(file, std::ios::binary);
    if (!f) throw DamagedFileError(file.string(), "cannot be read");
    const std::uint32_t expected = kTilePixels / 4 * static_cast<std::uint32_t>(style_.bytes_per_pixel());
    while (true) {
      std::int32_t head[3];
      std::uint8_t any = 0;
      std::uint32_t n = 0;
      if (!f.read(reinterpret_cast<char*>(head), sizeof head)) {
        if (f.gcount() != 0) throw DamagedFileError(file.string(), "is cut short");
        break;
      }
      if (!f.read(reinterpret_cast<char*>(&any), 1) ||
          !f.read(reinterpret_cast<char*>(&n), sizeof n) || (n != 0 && n != expected))
        throw DamagedFileError(file.string(), "is damaged");
      const std::streamoff at = f.tellg();
      quarters_[TileAddress{head[0], head[1], head[2]}] = {file, at, n, any != 0};
      f.seekg(n, std::ios::cur);
    }
  }

  /// The merge: every shard's tiles, as its manifest lists them, hard-linked (copied where
  /// links are refused) into the set. The manifest lists exactly the tiles this merge finds the
  /// shard's (DamagedFileError naming it otherwise).
  void link_shard_tiles() {
    const fs::path out(req_.out_dir);
    std::set<std::string> made;  // folders made (one call per folder, not per tile)
    std::vector<std::set<TileAddress>> own(req_.shards->dirs.size());
    for (const auto& [t, k] : *owners_)
      if (k >= 0 && static_cast<std::size_t>(k) < own.size()) own[static_cast<std::size_t>(k)].insert(t);
    if (shard_listed_.empty()) read_shard_manifests();
    // The tiles to take, in the shards' and their lists' order, their folders made here.
    struct Taken {
      TileAddress t;
      fs::path rel, src, dst;
      std::uint64_t bytes = 0;
      std::uint32_t crc = 0;
      std::vector<std::uint8_t> png;
      std::exception_ptr failed;
    };
    std::vector<Taken> taken;
    for (std::size_t k = 0; k < req_.shards->dirs.size(); ++k) {
      const std::string& dir = req_.shards->dirs[k];
      const fs::path manifest = fs::path(dir) / kShardTilesManifest;
      if (shard_listed_[k].size() != own[k].size())
        throw DamagedFileError(manifest.string(), "does not list the tiles of the shard's cells");
      for (const auto& [t, listed] : shard_listed_[k]) {
        if (!own[k].erase(t))
          throw DamagedFileError(manifest.string(), "does not list the tiles of the shard's cells");
        const auto [bytes, crc] = listed;
        if (!bytes || redone_.count(t)) continue;  // transparent, or made again here
        Taken x;
        x.t = t;
        x.rel = fs::path(std::to_string(t.z)) / std::to_string(t.x) /
                (std::to_string(t.y) + "." + style_.format());
        x.src = fs::path(dir) / x.rel;
        x.dst = out / x.rel;
        x.bytes = bytes;
        x.crc = crc;
        std::error_code ec;
        if (made.insert(x.dst.parent_path().string()).second)
          fs::create_directories(x.dst.parent_path(), ec);
        taken.push_back(std::move(x));
      }
    }
    // Each tile is read once, here, side by side: checked against the size and CRC-32 the
    // shard listed (check_shard_tiles checked the list), linked, then kept for the MBTiles
    // file. The first failure in the lists' order is the one thrown.
    tbb::parallel_for(std::size_t(0), taken.size(), [&](std::size_t i) {
      Taken& x = taken[i];
      try {
        std::optional<std::vector<std::uint8_t>> png = file_bytes(x.src, x.bytes);
        if (!png || crc_of(png->data(), png->size()) != x.crc)
          throw DamagedFileError(x.src.string(), "is missing or not as the shard wrote it");
        std::error_code ec;
        fs::create_hard_link(x.src, x.dst, ec);
        if (ec == std::errc::file_exists)
          throw std::logic_error("write_tile_layer: tile " + x.rel.string() + " rendered twice");
        if (ec && !fs::copy_file(x.src, x.dst, ec))
          throw ProcessingError("cannot copy tile '" + x.src.string() + "' to '" +
                                x.dst.string() + "': " + ec.message());
        if (!req_.mbtiles.empty()) x.png = std::move(*png);
      } catch (...) {
        x.failed = std::current_exception();
      }
    });
    for (const Taken& x : taken)
      if (x.failed) std::rethrow_exception(x.failed);
    for (Taken& x : taken) {
      ++stats_.written, ++stats_.rendered;
      stats_.bytes += x.bytes;
      if (!req_.mbtiles.empty()) encoded_.push_back({x.t, std::move(x.png)});
    }
  }

  json tilejson() const {
    const Box& ll = coverage_.lonlat;
    const int center_level = std::min(max_, std::max(min_, max_ - 3));
    json tj = {
        {"tilejson", "3.0.0"},
        {"name", req_.name.empty() ? fs::path(req_.out_dir).filename().string() : req_.name},
        {"description", req_.description},
        {"version", "1.0.0"},
        {"attribution", "farmwatch"},
        {"scheme", "xyz"},
        {"tiles", {"{z}/{x}/{y}." + style_.format()}},
        {"minzoom", min_},
        {"maxzoom", max_},
        {"bounds", {ll.xmin, ll.ymin, ll.xmax, ll.ymax}},
        {"center", {0.5 * (ll.xmin + ll.xmax), 0.5 * (ll.ymin + ll.ymax), center_level}},
        {"farmwatch:tile_matrix_set", {{"id", req_.set->id}, {"href", "../tilematrixset.json"}}},
        {"farmwatch:kind", style_.imagery ? "imagery" : "classes"},
        {"farmwatch:style", style_.fingerprint},
    };
    if (!style_.imagery) tj["farmwatch:legend"] = style_.legend;
    return tj;
  }

  const TileLayerRequest& req_;
  const Log& log_;
  DatasetPtr ds_;
  DatasetPtr full_ds_;  ///< req_.full_resolution, where the deepest level reads it
  Grid grid_;
  LayerStyle style_;
  std::string set_wkt_;
  OGRSpatialReference set_crs_;
  bool incremental_ = false;
  Coverage coverage_;
  double ground_res_ = 0;
  double tile_ground_ = 0;    ///< metres on the ground of a deepest tile's pixel
  int source_overview_ = -1;  ///< the overview the deepest level reads; -1 full resolution
  bool sharded_ = false;      ///< shards render their tiles (TileShards)
  /// Each tile's shard (-1: the merge's), as found: in TileShards::owner_cache, shared by the
  /// layers on the same grid and levels.
  std::map<TileAddress, int>* owners_ = nullptr;
  std::set<TileAddress> redone_;       ///< the merge: shards' tiles it made again (render_sharded)
  /// The merge: per shard, its manifest's tiles (bytes, CRC-32) (read_shard_manifests).
  std::vector<std::map<TileAddress, std::pair<std::uint64_t, std::uint32_t>>> shard_listed_;
  std::ofstream quarters_out_;           ///< a shard: its quarters file
  struct Listed {
    TileAddress t;
    std::uint64_t bytes = 0;
    std::uint32_t crc = 0;
  };
  std::vector<Listed> listed_;  ///< a shard: its tiles, bytes and CRC-32
  std::uint32_t quarters_crc_ = 0;  ///< a shard: CRC-32 of its quarters file so far
  struct QuarterRecord {
    fs::path file;
    std::streamoff offset = 0;
    std::uint32_t bytes = 0;
    bool any = false;
  };
  std::map<TileAddress, QuarterRecord> quarters_;  ///< the merge: the shards' quarters
  int min_ = 0, max_ = 0;
  SourceLevel src_;
  tbb::enumerable_thread_specific<TransformPtr> transforms_;
  std::set<TileAddress> touched_;
  std::vector<EncodedTile> encoded_;  ///< for the MBTiles file
  TileLayerStats stats_;
};

}  // namespace

void check_shard_tiles(const std::string& dir) {
  const fs::path manifest = fs::path(dir) / kShardTilesManifest;
  std::ifstream mf(manifest);
  const json m = json::parse(mf, nullptr, /*allow_exceptions=*/false);
  auto damaged = [](const fs::path& f) {
    throw DamagedFileError(f.string(), "is missing or not as the shard wrote it");
  };
  auto count = [](const json& v) { return v.is_number_unsigned() || (v.is_number_integer() && v.get<std::int64_t>() >= 0); };
  if (!m.is_object() || !m.contains("tiles") || !m["tiles"].is_array() || !m.contains("format") ||
      !m["format"].is_string() || !m.contains("quarters_bytes") || !count(m["quarters_bytes"]) ||
      !m.contains("quarters_crc32") || !count(m["quarters_crc32"]))
    damaged(manifest);
  const fs::path quarters = fs::path(dir) / "quarters.bin";
  const auto q = file_crc(quarters);
  if (!q || q->first != m["quarters_bytes"].get<std::uint64_t>() ||
      q->second != m["quarters_crc32"].get<std::uint64_t>())
    damaged(quarters);
  std::set<TileAddress> seen;
  for (const json& t : m["tiles"]) {
    if (!t.is_array() || t.size() != 5 || !std::all_of(t.begin(), t.end(), count)) damaged(manifest);
    const TileAddress a{t[0].get<int>(), t[1].get<int>(), t[2].get<int>()};
    if (!seen.insert(a).second) damaged(manifest);
    // Each tile file is checked where the merge reads it (link_shard_tiles).
  }
}

int TileShards::owner_of(const Window& w) const {
  if (cell <= 0 || w.empty() || w.col < 0 || w.row < 0) return -1;
  const int c0 = w.col / cell, c1 = (w.col + w.width - 1) / cell;
  const int r0 = w.row / cell, r1 = (w.row + w.height - 1) / cell;
  if (c1 >= cols || r1 >= rows) return -1;
  const int o = owner.at(static_cast<std::size_t>(r0) * cols + c0);
  for (int r = r0; r <= r1; ++r)
    for (int c = c0; c <= c1; ++c)
      if (owner.at(static_cast<std::size_t>(r) * cols + c) != o) return -1;
  return o;
}

TileLayerStats write_tile_layer(const TileLayerRequest& req, const Log& log) {
  return TileRenderer(req, log).run();
}

}  // namespace farmwatch::io
