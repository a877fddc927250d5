#include "farmwatch/io/patches.h"

#include <gdal_alg.h>
#include <malloc.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <tuple>
#include <type_traits>
#include <unordered_map>

#include "farmwatch/core/change_fragments.h"
#include "farmwatch/core/error.h"
#include "farmwatch/core/patch_refine.h"
#include "farmwatch/core/units.h"
#include "farmwatch/io/farmland.h"
#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/io/geodesic.h"
#include "farmwatch/io/raster_writer.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {
namespace {

/// A window of band 1 into (read) or from (write) a buffer sized to the window.
template <class T>
void window_io(GDALDataset& ds, GDALRWFlag rw, const Window& w, std::vector<T>& buf,
               GDALDataType type) {
  if (rw == GF_Read) buf.resize(static_cast<std::size_t>(w.pixels()));
  io::window_io(*ds.GetRasterBand(1), rw, w, buf.data(), type, ds.GetDescription());
}

DatasetPtr mem_raster(const Grid& grid, const Window& w) {
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  DatasetPtr ds(mem->Create("", w.width, w.height, 1, GDT_Byte, nullptr));
  const Grid sub = grid.subgrid(w);
  double gt[6];
  std::copy(sub.transform.c.begin(), sub.transform.c.end(), gt);
  ds->SetGeoTransform(gt);
  return ds;
}

/// Pixels of `w` whose centres fall inside `geom`.
std::vector<std::uint8_t> pixel_mask(const Grid& grid, const Window& w, OGRGeometry& geom) {
  auto ds = mem_raster(grid, w);
  int band = 1;
  double burn = 1;
  OGRGeometryH h = OGRGeometry::ToHandle(&geom);
  if (GDALRasterizeGeometries(GDALDataset::ToHandle(ds.get()), 1, &band, 1, &h, nullptr, nullptr,
                              &burn, nullptr, nullptr, nullptr) != CE_None)
    throw ProcessingError("cannot rasterize a patch: " + gdal_last_error());
  std::vector<std::uint8_t> mask;
  window_io(*ds, GF_Read, {0, 0, w.width, w.height}, mask, GDT_Byte);
  return mask;
}

/// The polygons of a mask's pixels as one (multi)polygon in the grid's CRS.
GeometryPtr mask_polygon(const Grid& grid, const Window& w, std::vector<std::uint8_t>& mask) {
  auto ds = mem_raster(grid, w);
  window_io(*ds, GF_Write, {0, 0, w.width, w.height}, mask, GDT_Byte);
  GDALDriver* memv = GetGDALDriverManager()->GetDriverByName("Memory");
  DatasetPtr vds(memv->Create("", 0, 0, 0, GDT_Unknown, nullptr));
  OGRLayer* layer = vds->CreateLayer("p", nullptr, wkbPolygon, nullptr);
  OGRFieldDefn f("v", OFTInteger);
  if (layer->CreateField(&f) != OGRERR_NONE) throw ProcessingError("cannot create a field");
  GDALRasterBand* b = ds->GetRasterBand(1);
  if (GDALPolygonize(GDALRasterBand::ToHandle(b), GDALRasterBand::ToHandle(b),
                     OGRLayer::ToHandle(layer), 0, nullptr, nullptr, nullptr) != CE_None)
    throw ProcessingError("cannot polygonise a patch: " + gdal_last_error());
  auto multi = std::make_unique<OGRMultiPolygon>();
  for (auto& feat : *layer)
    if (const OGRGeometry* g = feat->GetGeometryRef()) multi->addGeometry(g);
  if (multi->getNumGeometries() == 1) return GeometryPtr(multi->getGeometryRef(0)->clone());
  return GeometryPtr(multi.release());
}

/// Windows of the rasters a patch is measured on.
struct Pixels {
  std::vector<std::uint8_t> before, after, evidence, candidates, class_confidence, kinds;
  std::vector<std::uint32_t> parcels;
};

/// The most frequent class of `h`; with `classes`, of those that observe the land, and
/// kNodataCode (reported as unknown) where none does: a bright-ground patch
/// (core/change_kernel.h) keeps the rules' cloud class in its date's map, and is no change to
/// cloud.
std::uint8_t majority(const std::array<std::int64_t, 256>& h, const ClassTable* classes) {
  if (!classes) return static_cast<std::uint8_t>(std::max_element(h.begin(), h.end()) - h.begin());
  int best = -1;
  for (int c = 0; c < 256; ++c)
    if (h[c] > 0 && classes->observed(static_cast<std::uint8_t>(c)) && (best < 0 || h[c] > h[best]))
      best = c;
  return best >= 0 ? static_cast<std::uint8_t>(best) : kNodataCode;
}

/// GDAL's block cache for measuring patches: two block rows of every raster a patch reads (the
/// change raster, read and written, included) per thread, since each thread reads through its
/// own datasets and GDAL caches each dataset's blocks apart; at least 256 MB
/// (ScopedBlockCache::grown_to). Patch windows come down the grid in polygon order, several
/// in flight at once. Two 4-band dates on a grid 21960 pixels wide take 21 bytes a pixel (the
/// change vector 16 of them), 472 MB a thread. With 256 MB, about one block row, the patches of
/// a 21960² grid on two threads took 88 s (a 512² block read again for each small patch), with
/// 800 MB 38 s. A shard's patches come down its cells only: `width`, their bounding box's.
std::int64_t patch_cache_bytes(const PatchInputs& in, int width) {
  std::int64_t pixel_bytes = 0;
  for (const std::string* path :
       {&in.candidates, &in.change, &in.before_classes, &in.after_classes, &in.evidence,
        &in.class_confidence, &in.parcels, &in.change_kinds, &in.delta}) {
    if (path->empty()) continue;
    DatasetPtr ds = open_raster(*path);
    for (int b = 1; b <= ds->GetRasterCount(); ++b)
      pixel_bytes += GDALGetDataTypeSizeBytes(ds->GetRasterBand(b)->GetRasterDataType());
  }
  const std::int64_t rows = pixel_bytes * width * std::int64_t(2) * std::int64_t(kBlockSize) *
                            tbb::this_task_arena::max_concurrency();
  return ScopedBlockCache::grown_to(std::max<std::int64_t>(rows, std::int64_t(256) << 20));
}

/// A kept patch and the pixels it reports.
struct MeasuredPatch {
  Patch patch;
  Window window;
  /// The patch's pixels in `window`; empty for a patch measured piece by piece (its pixels
  /// are those of patch.wkb, rasterised again piece by piece when marked).
  std::vector<std::uint8_t> mask;
  bool refined = false;  // the boundary was refined
};

/// A patch whose window has more pixels than this is measured in pieces of kPieceSize²: a
/// change region that percolates across a province-sized grid would otherwise need its whole
/// bounding window in memory (about 30 bytes a pixel: 23 GB on a 21960² grid).
constexpr std::int64_t kMaxWindowPixels = 4096LL * 4096;
/// Rows of the grid a thread's PatchMeasurer serves before it is made again (for_each_polygon).
constexpr int kRecycleRows = 1024;
constexpr int kPieceSize = 2048;

/// A polygon a shard measured (measure_cell_patches), as extract_patches finds it in the
/// shards' tables: by its category and outline.
struct TakenPatch {
  Window window;
  std::pair<int, int> seed;  ///< a pixel of the polygon (column, row in `window`)
  std::string candidates;    ///< what it read of the candidates (candidate_runs)
  bool kept = false;         ///< false: dropped below the minimum area
  bool refined = false;
  std::vector<std::uint8_t> mask;  ///< MeasuredPatch::mask
  Patch patch;
};

/// The shards' tables by category (1 byte) and outline (WKB); a key two polygons share is
/// measured again.
using PatchTable = std::unordered_map<std::string, std::optional<TakenPatch>>;

constexpr char kPatchTableMagic[8] = {'F', 'W', 'P', 'T', 'C', 'H', '0', '2'};

std::string table_key(ChangeCategory cat, const std::vector<std::uint8_t>& outline) {
  std::string key(1, static_cast<char>(cat));
  key.append(outline.begin(), outline.end());
  return key;
}

/// `n` bytes as runs of one value: the value, then the run's length in 7-bit groups, low
/// first (LEB128). The same bytes give the same runs.
void append_runs(std::string& out, const std::uint8_t* p, std::size_t n) {
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i + 1;
    while (j < n && p[j] == p[i]) ++j;
    out.push_back(static_cast<char>(p[i]));
    for (std::uint64_t len = j - i;;) {
      const auto b = static_cast<std::uint8_t>(len & 0x7f);
      len >>= 7;
      out.push_back(static_cast<char>(b | (len ? 0x80 : 0)));
      if (!len) break;
    }
    i = j;
  }
}

/// The bytes of append_runs' `runs`, `n` of them; nullopt when the runs do not make `n`.
std::optional<std::vector<std::uint8_t>> bytes_of_runs(const std::string& runs, std::size_t n) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < runs.size();) {
    const auto v = static_cast<std::uint8_t>(runs[i++]);
    std::uint64_t len = 0;
    for (int shift = 0;; shift += 7) {
      if (i >= runs.size() || shift > 56) return std::nullopt;
      const auto b = static_cast<std::uint8_t>(runs[i++]);
      len |= std::uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    if (len > n - out.size()) return std::nullopt;
    out.insert(out.end(), len, v);
  }
  if (out.size() != n) return std::nullopt;
  return out;
}

/// Appends values and length-prefixed byte strings to a table record.
class RecordWriter {
 public:
  template <class T>
  void put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out_.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  template <class Bytes>
  void put_bytes(const Bytes& b) {
    put(static_cast<std::uint32_t>(b.size()));
    out_.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

/// Reads what RecordWriter wrote; DamagedFileError naming `file` past the end.
class RecordReader {
 public:
  RecordReader(const std::string& data, std::string file) : data_(data), file_(std::move(file)) {}
  template <class T>
  T get() {
    T v;
    need(sizeof v);
    std::memcpy(&v, data_.data() + at_, sizeof v);
    at_ += sizeof v;
    return v;
  }
  std::string get_bytes() {
    const auto n = get<std::uint32_t>();
    need(n);
    std::string out = data_.substr(at_, n);
    at_ += n;
    return out;
  }
  bool done() const { return at_ == data_.size(); }

 private:
  void need(std::size_t n) const {
    if (n > data_.size() - at_)
      throw DamagedFileError(file_, "is not a whole patch table of a shard");
  }
  const std::string& data_;
  std::string file_;
  std::size_t at_ = 0;
};

/// What a measurement depends on besides the rasters' pixels: the grid, the minimum areas,
/// which classes observe the land, which rasters it reads, and the libraries that compute
/// areas, centroids and outlines. A merge takes a shard's table only where they are its own.
std::string measurement_context(const PatchInputs& in) {
  RecordWriter r;
  r.put_bytes(in.grid.crs_wkt);
  r.put(static_cast<std::int32_t>(in.grid.width));
  r.put(static_cast<std::int32_t>(in.grid.height));
  for (double c : in.grid.transform.c) r.put(c);
  for (int c = 1; c <= 3; ++c) r.put(in.rules->min_area_m2(static_cast<ChangeCategory>(c)));
  for (int code = 0; code < 256; ++code)
    r.put(static_cast<std::uint8_t>(in.classes->observed(static_cast<std::uint8_t>(code))));
  for (const std::string* raster : {&in.parcels, &in.class_confidence, &in.change_kinds, &in.delta})
    r.put(static_cast<std::uint8_t>(!raster->empty()));
  for (const auto& [library, version] : library_versions()) r.put_bytes(library + " " + version);
  return std::move(r.str());
}

/// One polygon's record: its key, window, seed pixel, what it read of the candidates and its
/// measurement.
std::string patch_record(const std::string& key, const Window& w, std::pair<int, int> seed,
                         const std::string& candidates, const std::optional<MeasuredPatch>& m) {
  RecordWriter r;
  r.put_bytes(key);
  for (int v : {w.col, w.row, w.width, w.height, seed.first, seed.second})
    r.put(static_cast<std::int32_t>(v));
  r.put_bytes(candidates);
  r.put(static_cast<std::uint8_t>(m.has_value()));
  if (!m) return std::move(r.str());
  const Patch& p = m->patch;
  r.put(static_cast<std::uint8_t>(m->refined));
  std::string mask;
  append_runs(mask, m->mask.data(), m->mask.size());
  r.put_bytes(mask);
  r.put(static_cast<std::uint8_t>(p.kind.has_value()));
  r.put(static_cast<std::uint8_t>(p.kind ? static_cast<int>(*p.kind) : 0));
  r.put(p.class_before);
  r.put(p.class_after);
  for (double v : {p.area_m2, p.area_mu, p.centroid_x, p.centroid_y, p.centroid_lon, p.centroid_lat,
                   p.farmland_share, p.confidence})
    r.put(v);
  r.put(static_cast<std::int64_t>(p.pixels));
  r.put_bytes(p.wkb);
  r.put_bytes(p.wkb_lonlat);
  return std::move(r.str());
}

/// The shards' tables (measure_cell_patches) as one PatchTable; a table measured in another
/// `context` (measurement_context) is left out and counted in `other_context`. DamagedFileError
/// naming a table that is not whole; ProcessingError naming one that cannot be read.
PatchTable read_patch_tables(const std::vector<std::string>& paths, const std::string& context,
                             std::size_t& other_context) {
  PatchTable table;
  for (const std::string& path : paths) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw ProcessingError("cannot read '" + path + "'");
    const std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (f.bad()) throw ProcessingError("cannot read '" + path + "'");
    RecordReader file(data, path);
    char magic[sizeof kPatchTableMagic];
    for (char& c : magic) c = file.get<char>();
    if (std::memcmp(magic, kPatchTableMagic, sizeof magic) != 0)
      throw DamagedFileError(path, "is not a patch table of a shard");
    if (file.get_bytes() != context) {
      ++other_context;
      continue;
    }
    const auto count = file.get<std::uint64_t>();
    for (std::uint64_t i = 0; i < count; ++i) {
      const std::string record = file.get_bytes();
      RecordReader r(record, path);
      const std::string key = r.get_bytes();
      if (key.empty()) throw DamagedFileError(path, "is not a whole patch table of a shard");
      TakenPatch t;
      t.window.col = r.get<std::int32_t>();
      t.window.row = r.get<std::int32_t>();
      t.window.width = r.get<std::int32_t>();
      t.window.height = r.get<std::int32_t>();
      t.seed.first = r.get<std::int32_t>();
      t.seed.second = r.get<std::int32_t>();
      if (t.window.width <= 0 || t.window.height <= 0 || t.window.pixels() > kMaxWindowPixels)
        throw DamagedFileError(path, "is not a whole patch table of a shard");
      t.candidates = r.get_bytes();
      t.kept = r.get<std::uint8_t>() != 0;
      if (t.kept) {
        Patch& p = t.patch;
        p.category = static_cast<ChangeCategory>(static_cast<std::uint8_t>(key[0]));
        t.refined = r.get<std::uint8_t>() != 0;
        // A mask measured whole (a patch measured in pieces has none: never taken).
        if (const std::string runs = r.get_bytes(); !runs.empty()) {
          auto mask = bytes_of_runs(runs, static_cast<std::size_t>(t.window.pixels()));
          if (!mask) throw DamagedFileError(path, "is not a whole patch table of a shard");
          t.mask = std::move(*mask);
        }
        const bool has_kind = r.get<std::uint8_t>() != 0;
        const auto kind = r.get<std::uint8_t>();
        if (has_kind) p.kind = static_cast<VhrChangeKind>(kind);
        p.class_before = r.get<std::uint8_t>();
        p.class_after = r.get<std::uint8_t>();
        for (double* v : {&p.area_m2, &p.area_mu, &p.centroid_x, &p.centroid_y, &p.centroid_lon,
                          &p.centroid_lat, &p.farmland_share, &p.confidence})
          *v = r.get<double>();
        p.pixels = r.get<std::int64_t>();
        const std::string wkb = r.get_bytes(), wkb_lonlat = r.get_bytes();
        p.wkb.assign(wkb.begin(), wkb.end());
        p.wkb_lonlat.assign(wkb_lonlat.begin(), wkb_lonlat.end());
      }
      if (!r.done()) throw DamagedFileError(path, "is not a whole patch table of a shard");
      if (auto [it, fresh] = table.emplace(key, std::move(t)); !fresh) it->second.reset();
    }
    if (!file.done()) throw DamagedFileError(path, "is not a whole patch table of a shard");
  }
  return table;
}

/// `w` cut into pieces of kPieceSize², row-major.
std::vector<Window> pieces_of(const Window& w) {
  std::vector<Window> out;
  for (int r = 0; r < w.height; r += kPieceSize)
    for (int c = 0; c < w.width; c += kPieceSize)
      out.push_back({w.col + c, w.row + r, std::min(kPieceSize, w.width - c),
                     std::min(kPieceSize, w.height - r)});
  return out;
}

/// The change raster's reported pixels: marked patch by patch, then the rest cleared.
class ChangeMarks {
 public:
  explicit ChangeMarks(const std::string& path)
      : path_(path), change_(open_raster(path, /*update=*/true)) {}

  void mark(const MeasuredPatch& m, const Grid& grid) {
    const auto v = static_cast<std::uint8_t>(kKept | static_cast<int>(m.patch.category));
    auto paint = [&](const Window& w, const std::vector<std::uint8_t>& mask) {
      window_io(*change_, GF_Read, w, buf_, GDT_Byte);
      for (std::size_t i = 0; i < mask.size(); ++i)
        if (mask[i]) buf_[i] = v;
      window_io(*change_, GF_Write, w, buf_, GDT_Byte);
    };
    if (!m.mask.empty() || m.window.empty()) return paint(m.window, m.mask);
    GeometryPtr g = from_wkb(m.patch.wkb);
    for (const Window& piece : pieces_of(m.window)) paint(piece, pixel_mask(grid, piece, *g));
  }

  /// The change raster then shows the reported patches exactly: their marked pixels keep
  /// their category, every other changed pixel (specks, dropped or trimmed pixels) becomes 0.
  /// `only`: over those windows (null: the whole raster).
  void finish(const std::vector<Window>* only = nullptr) {
    std::vector<Window> windows;
    if (!only) windows = grid_of(*change_).blocks(512, 512);
    for (const Window& o : only ? *only : std::vector<Window>{})
      for (int r = o.row; r < o.row + o.height; r += 512)
        for (int c = o.col; c < o.col + o.width; c += 512)
          windows.push_back(
              {c, r, std::min(512, o.col + o.width - c), std::min(512, o.row + o.height - r)});
    for (const Window& w : windows) {
      window_io(*change_, GF_Read, w, buf_, GDT_Byte);
      for (auto& v : buf_)
        if (v >= 1 && v <= 3)
          v = 0;
        else if ((v & kKept) && v != 255)
          v = static_cast<std::uint8_t>(v & ~kKept);
      window_io(*change_, GF_Write, w, buf_, GDT_Byte);
    }
    close_or_throw(change_, path_);
  }

 private:
  static constexpr int kKept = 0x80;  // marks reported pixels until finish()
  std::string path_;
  DatasetPtr change_;
  std::vector<std::uint8_t> buf_;
};

/// Everything one thread of extract_patches reads, opened once per thread (GDAL datasets are
/// not shared between threads).
class PatchMeasurer {
 public:
  explicit PatchMeasurer(const PatchInputs& in, const PatchTable* table = nullptr)
      : in_(in),
        table_(table),
        before_(open_raster(in.before_classes)),
        after_(open_raster(in.after_classes)),
        evidence_(open_raster(in.evidence)),
        candidates_(open_raster(in.candidates)),
        area_(in.grid.crs_wkt),
        is_geographic_(srs_from_wkt(in.grid.crs_wkt).IsGeographic()) {
    if (!in.parcels.empty()) parcels_ = open_raster(in.parcels);
    if (!in.class_confidence.empty()) class_confidence_ = open_raster(in.class_confidence);
    if (!in.delta.empty()) delta_ = open_raster(in.delta);
    if (!in.change_kinds.empty()) kinds_ = open_raster(in.change_kinds);
  }

  /// Refines, measures and (unless too small) describes one polygonised patch.
  /// With `member`, the polygon's own pixels in its window are left there (when measured here
  /// whole, not taken from the table nor in pieces).
  std::optional<MeasuredPatch> measure(ChangeCategory cat, OGRGeometry& geom,
                                       std::vector<std::uint8_t>* member_out = nullptr) {
    const auto [w, speck] = window_of(cat, geom);
    if (speck) return std::nullopt;
    if (w.pixels() > kMaxWindowPixels) return measure_in_pieces(cat, geom, w);
    if (table_)
      if (const TakenPatch* t = find_taken(cat, geom, w)) {
        ++taken;
        return as_measured(*t);
      }
    std::vector<std::uint8_t> member = pixel_mask(in_.grid, w, geom);
    Pixels px;
    read(w, px);
    MeasuredPatch m;
    m.window = w;
    m.mask = member;
    GeometryPtr refined_geom;
    if (auto refined = refine(cat, w, member, px); refined && *refined != member) {
      m.mask = std::move(*refined);
      m.refined = true;
      refined_geom = mask_polygon(in_.grid, w, m.mask);
    }
    if (member_out) *member_out = std::move(member);
    const OGRGeometry& g = refined_geom ? *refined_geom : geom;
    Patch& p = m.patch;
    p.category = cat;
    p.wkb = to_wkb(g);
    p.area_m2 = std::any_of(m.mask.begin(), m.mask.end(), [](auto v) { return v != 0; })
                    ? area_.area_m2(p.wkb)
                    : 0.0;
    if (p.area_m2 < in_.rules->min_area_m2(cat) || p.area_m2 <= 0) return std::nullopt;
    Tally t;
    t.add(m.mask, px);
    p.class_before = majority(t.hb, in_.classes);
    p.class_after = majority(t.ha, in_.classes);
    t.add_pure(m.mask, px, p.class_before, p.class_after);
    describe(p, g, t);
    return m;
  }

  /// The window of the polygon `geom` and whether even its refined patch stays under the
  /// minimum area (a speck, not measured).
  std::pair<Window, bool> window_of(ChangeCategory cat, const OGRGeometry& geom) const {
    OGREnvelope env;
    geom.getEnvelope(&env);
    // Two pixels around the polygon: the ring that may join it (refine) and the pixels around
    // that ring, which tell whether another patch may take a pixel of it too.
    const double r = 2 * in_.grid.res();
    const Window w = in_.grid.window_for({env.MinX - r, env.MinY - r, env.MaxX + r, env.MaxY + r});
    return {w, cannot_reach_min_area(cat, geom)};
  }

  /// What a measurement of the polygon of category `cat` holding pixel `seed` (of window `w`)
  /// reads of the candidates, as runs: its pixels (the 4-connected pixels of its category from
  /// `seed`), whether each 4-neighbour of one is a candidate (refine: a pixel joins only if
  /// no other patch holds it), and whether each 4-neighbour of those that are not is one (nor
  /// if another patch could take it too). Other patches' pixels elsewhere in the window, which
  /// the merge's sieve may remove, do not count. Empty when `seed` is not of the category.
  std::string candidate_runs(ChangeCategory cat, const Window& w, std::pair<int, int> seed) {
    window_io(*candidates_, GF_Read, w, runs_buf_, GDT_Byte);
    const auto& v = runs_buf_;
    const auto c = static_cast<std::uint8_t>(cat);
    const auto [sc, sr] = seed;
    if (sc < 0 || sr < 0 || sc >= w.width || sr >= w.height ||
        v[static_cast<std::size_t>(sr) * w.width + sc] != c)
      return {};
    std::vector<std::uint8_t> seen(v.size(), 0);
    std::vector<std::size_t> todo{static_cast<std::size_t>(sr) * w.width + sc};
    seen[todo.back()] = 1;
    while (!todo.empty()) {
      const std::size_t i = todo.back();
      todo.pop_back();
      const int q = static_cast<int>(i % w.width), r = static_cast<int>(i / w.width);
      for (auto [dq, dr] : {std::pair{-1, 0}, {1, 0}, {0, -1}, {0, 1}}) {
        if (q + dq < 0 || q + dq >= w.width || r + dr < 0 || r + dr >= w.height) continue;
        const std::size_t k = static_cast<std::size_t>(r + dr) * w.width + (q + dq);
        if (seen[k] == 1) continue;
        if (v[k] == c) {
          seen[k] = 1;
          todo.push_back(k);
        } else {
          seen[k] = v[k] == 0 ? 2 : 3;
        }
      }
    }
    // And whether each 4-neighbour of a pixel that may join is a candidate (refine: a pixel
    // another patch could take too does not join).
    for (std::size_t i = 0; i < seen.size(); ++i) {
      if (seen[i] != 2) continue;
      const int q = static_cast<int>(i % w.width), r = static_cast<int>(i / w.width);
      for (auto [dq, dr] : {std::pair{-1, 0}, {1, 0}, {0, -1}, {0, 1}}) {
        if (q + dq < 0 || q + dq >= w.width || r + dr < 0 || r + dr >= w.height) continue;
        const std::size_t k = static_cast<std::size_t>(r + dr) * w.width + (q + dq);
        if (!seen[k]) seen[k] = v[k] == 0 ? 4 : 5;
      }
    }
    std::string runs;
    append_runs(runs, seen.data(), seen.size());
    return runs;
  }

  /// Polygons whose measurement came from the table.
  std::size_t taken = 0;

  /// A patch too large to hold its window (kMaxWindowPixels): its pixels read piece by piece,
  /// twice (classes, then the pixels of its main transition), its boundary not refined.
  std::optional<MeasuredPatch> measure_in_pieces(ChangeCategory cat, OGRGeometry& geom,
                                                 const Window& w) {
    MeasuredPatch m;
    m.window = w;
    Patch& p = m.patch;
    p.category = cat;
    p.wkb = to_wkb(geom);
    p.area_m2 = area_.area_m2(p.wkb);
    if (p.area_m2 < in_.rules->min_area_m2(cat) || p.area_m2 <= 0) return std::nullopt;
    Tally t;
    const auto pieces = pieces_of(w);
    auto each_piece = [&](const auto& use) {
      for (const Window& piece : pieces) {
        const auto mask = pixel_mask(in_.grid, piece, geom);
        if (std::none_of(mask.begin(), mask.end(), [](std::uint8_t v) { return v != 0; })) continue;
        Pixels px;
        read(piece, px);
        use(mask, px);
      }
    };
    each_piece([&](const auto& mask, const Pixels& px) { t.add(mask, px); });
    p.class_before = majority(t.hb, in_.classes);
    p.class_after = majority(t.ha, in_.classes);
    each_piece([&](const auto& mask, const Pixels& px) {
      t.add_pure(mask, px, p.class_before, p.class_after);
    });
    describe(p, geom, t);
    return m;
  }

 private:
  /// Whether even a refined patch (its pixels plus a full ring around them) stays under the
  /// minimum area: most noise specks, which then skip the refinement's image reads.
  bool cannot_reach_min_area(ChangeCategory cat, const OGRGeometry& geom) const {
    if (wkbFlatten(geom.getGeometryType()) != wkbPolygon) return false;
    const auto* poly = geom.toPolygon();
    const double r = in_.grid.res();
    const double bound = poly->get_Area() + poly->getExteriorRing()->get_Length() * r + 4 * r * r;
    // 1 % margin: planar (grid) and ellipsoidal areas differ by the projection's scale.
    return 1.01 * bound < in_.rules->min_area_m2(cat) && !is_geographic_;
  }

  /// The table's measurement of the polygon `geom` when a shard measured it with the same
  /// outline and window, and read the same of the candidates (candidate_runs) as here (then nothing
  /// else it read can differ: the shard's rasters are this grid's over its cells); null otherwise.
  const TakenPatch* find_taken(ChangeCategory cat, const OGRGeometry& geom, const Window& w) {
    const auto it = table_->find(table_key(cat, to_wkb(geom)));
    if (it == table_->end() || !it->second) return nullptr;
    const TakenPatch& t = *it->second;
    if (t.window != w || t.candidates.empty() || t.candidates != candidate_runs(cat, w, t.seed))
      return nullptr;
    return &t;
  }

  /// A TakenPatch as measure() returns it.
  static std::optional<MeasuredPatch> as_measured(const TakenPatch& t) {
    if (!t.kept) return std::nullopt;
    return MeasuredPatch{t.patch, t.window, t.mask, t.refined};
  }

  void read(const Window& w, Pixels& px) {
    window_io(*before_, GF_Read, w, px.before, GDT_Byte);
    window_io(*after_, GF_Read, w, px.after, GDT_Byte);
    window_io(*evidence_, GF_Read, w, px.evidence, GDT_Byte);
    window_io(*candidates_, GF_Read, w, px.candidates, GDT_Byte);
    if (parcels_) window_io(*parcels_, GF_Read, w, px.parcels, GDT_UInt32);
    if (class_confidence_) window_io(*class_confidence_, GF_Read, w, px.class_confidence, GDT_Byte);
    if (kinds_) window_io(*kinds_, GF_Read, w, px.kinds, GDT_Byte);
  }

  std::optional<std::vector<std::uint8_t>> refine(ChangeCategory cat, const Window& w,
                                                  const std::vector<std::uint8_t>& member,
                                                  const Pixels& px) {
    if (!delta_) return std::nullopt;
    std::vector<std::vector<float>> delta(static_cast<std::size_t>(delta_->GetRasterCount()));
    for (std::size_t b = 0; b < delta.size(); ++b) {
      delta[b].resize(static_cast<std::size_t>(w.pixels()));
      io::window_io(*delta_->GetRasterBand(static_cast<int>(b) + 1), GF_Read, w, delta[b].data(),
                    GDT_Float32, in_.delta);
    }
    // Core: members with the patch's main transition whose 4 neighbours are members too.
    std::array<std::int64_t, 256> hb{}, ha{};
    for (std::size_t i = 0; i < member.size(); ++i)
      if (member[i]) ++hb[px.before[i]], ++ha[px.after[i]];
    const std::uint8_t mb = majority(hb, in_.classes), ma = majority(ha, in_.classes);
    std::vector<std::uint8_t> core(member.size(), 0), eligible(member.size(), 0);
    bool any_core = false;
    for (int r = 0; r < w.height; ++r)
      for (int c = 0; c < w.width; ++c) {
        const std::size_t i = static_cast<std::size_t>(r) * w.width + c;
        const auto m = [&](int cc, int rr) {
          return cc >= 0 && rr >= 0 && cc < w.width && rr < w.height &&
                 member[static_cast<std::size_t>(rr) * w.width + cc];
        };
        core[i] = member[i] && px.before[i] == mb && px.after[i] == ma && m(c - 1, r) &&
                  m(c + 1, r) && m(c, r - 1) && m(c, r + 1);
        any_core = any_core || core[i];
        // A neighbour may join if both dates observed it, no other patch holds it or could
        // take it too (another changed pixel beside it: two patches a pixel apart, or touching
        // at a corner, each took the pixels between them, and their areas counted those
        // twice), and it lies where the category can occur (farmland for 非农化/非粮化).
        const bool farmland_ok =
            cat == ChangeCategory::other || px.parcels.empty() || px.parcels[i] != 0;
        const auto other = [&](int cc, int rr) {
          if (cc < 0 || rr < 0 || cc >= w.width || rr >= w.height) return false;
          const std::size_t k = static_cast<std::size_t>(rr) * w.width + cc;
          return px.candidates[k] != 0 && !member[k];
        };
        eligible[i] = !member[i] && px.candidates[i] == 0 && in_.classes->observed(px.before[i]) &&
                      in_.classes->observed(px.after[i]) && farmland_ok && !other(c - 1, r) &&
                      !other(c + 1, r) && !other(c, r - 1) && !other(c, r + 1);
      }
    if (!any_core)  // thin patches: every member with the main transition
      for (std::size_t i = 0; i < member.size(); ++i)
        core[i] = member[i] && px.before[i] == mb && px.after[i] == ma;
    RefineInput in{w.width, w.height, &member, &core, &eligible, {}};
    for (const auto& d : delta) in.delta.push_back(&d);
    return refine_patch(in);
  }

  /// What a patch's pixels say, summed over its window or its pieces.
  struct Tally {
    std::array<std::int64_t, 256> hb{}, ha{}, kinds{};
    std::int64_t n = 0, in_farmland = 0, pure = 0, with_probability = 0;
    double evidence = 0, probability = 0;
    void add(const std::vector<std::uint8_t>& mask, const Pixels& px) {
      for (std::size_t i = 0; i < mask.size(); ++i) {
        if (!mask[i]) continue;
        ++n;
        ++hb[px.before[i]];
        ++ha[px.after[i]];
        evidence += px.evidence[i];
        if (!px.class_confidence.empty() && px.class_confidence[i] != 255) {
          probability += px.class_confidence[i];
          ++with_probability;
        }
        if (px.parcels.empty() || px.parcels[i] != 0) ++in_farmland;
        if (!px.kinds.empty() && px.kinds[i] != 0) ++kinds[px.kinds[i]];
      }
    }
    /// The pixels of the main transition (before -> after).
    void add_pure(const std::vector<std::uint8_t>& mask, const Pixels& px, std::uint8_t before,
                  std::uint8_t after) {
      for (std::size_t i = 0; i < mask.size(); ++i)
        if (mask[i] && px.before[i] == before && px.after[i] == after) ++pure;
    }
  };

  /// Fills the patch's pixels, share of farmland, confidence and centroids from `t` and its
  /// outline `g` (class_before and class_after are set).
  void describe(Patch& p, const OGRGeometry& g, const Tally& t) {
    p.pixels = t.n;
    if (kinds_ && std::any_of(t.kinds.begin(), t.kinds.end(), [](auto k) { return k > 0; }))
      p.kind = static_cast<VhrChangeKind>(majority(t.kinds, nullptr));
    const double nn = static_cast<double>(std::max<std::int64_t>(t.n, 1));
    p.area_mu = m2_to_mu(p.area_m2);
    p.farmland_share = static_cast<double>(t.in_farmland) / nn;
    // Confidence: how probable the classifier finds the transition (a learned model's
    // p(before) x p(after), averaged over the patch) or, with rule classes, how many of its
    // pixels agree on one transition; and how strong the spectral change is.
    const double classes = t.with_probability
                               ? t.probability / static_cast<double>(t.with_probability) / 100.0
                               : static_cast<double>(t.pure) / nn;
    p.confidence = std::round(100.0 * (0.5 * classes + 0.5 * t.evidence / nn / 100.0)) / 100.0;
    OGRPoint centroid;
    g.Centroid(&centroid);
    p.centroid_x = centroid.getX();
    p.centroid_y = centroid.getY();
    centroid.transform(to_lonlat_.get());
    p.centroid_lon = centroid.getX();
    p.centroid_lat = centroid.getY();
    GeometryPtr ll(g.clone());
    ll->transform(to_lonlat_.get());
    p.wkb_lonlat = to_wkb(*ll);
  }

  const PatchInputs& in_;
  const PatchTable* table_;
  std::vector<std::uint8_t> runs_buf_;
  DatasetPtr before_, after_, evidence_, candidates_, parcels_, class_confidence_;
  DatasetPtr delta_, kinds_;
  EllipsoidalArea area_;
  bool is_geographic_;
  TransformPtr to_lonlat_ = make_transform(srs_from_wkt(in_.grid.crs_wkt), wgs84_lonlat());
};

/// Fragments of one category inside another's change taken into it, in `in.candidates`, in
/// place (core/change_fragments.h): a fragment is under its category's minimum area as drawn
/// (its pixels times the grid's planar pixel area; under 511 pixels here, so that bands of
/// 512 rows with 512 rows around them hold it and the pixels around it whole). Not on a geographic
/// grid (its pixels have no one area) nor for the very-high-resolution method's objects, whose
/// kinds decide their categories. Returns the pixels rewritten. ProcessingError naming the
/// raster that cannot be read or written.
std::int64_t adopt_fragments(const PatchInputs& in) {
  if (!in.change_kinds.empty() || !in.rules || srs_from_wkt(in.grid.crs_wkt).IsGeographic())
    return 0;
  // A band's margins reach no further than the next band's rows, which are written only after
  // the band below them is read: every band reads the raster as it was.
  constexpr double kMaxFragmentPixels = kBlockSize - 1;
  const double pixel_m2 = std::fabs(in.grid.transform.res_x() * in.grid.transform.res_y());
  std::array<double, 4> below{};
  double largest = 0;
  for (int c = 1; c <= 3; ++c) {
    below[c] = std::min(kMaxFragmentPixels,
                        in.rules->min_area_m2(static_cast<ChangeCategory>(c)) / pixel_m2);
    largest = std::max(largest, below[c]);
  }
  if (!(largest > 1)) return 0;  // no category drops a whole pixel
  const int margin = static_cast<int>(std::ceil(largest)) + 1;
  DatasetPtr ds = open_raster(in.candidates, /*update=*/true);
  const int width = ds->GetRasterXSize(), height = ds->GetRasterYSize();
  std::vector<std::uint8_t> window, core, pending;
  Window pending_at;
  std::int64_t rewritten = 0;
  for (int r0 = 0; r0 < height; r0 += kBlockSize) {
    const int rows = std::min(kBlockSize, height - r0);
    const int top = std::max(0, r0 - margin), bottom = std::min(height, r0 + rows + margin);
    // Read before the last band's rows are written.
    window_io(*ds, GF_Read, Window{0, top, width, bottom - top}, window, GDT_Byte);
    if (!pending.empty()) window_io(*ds, GF_Write, pending_at, pending, GDT_Byte);
    pending.clear();
    const auto w = static_cast<std::size_t>(width);
    core.assign(window.begin() + static_cast<std::ptrdiff_t>((r0 - top) * w),
                window.begin() + static_cast<std::ptrdiff_t>((r0 - top + rows) * w));
    const std::int64_t n =
        adopt_change_fragments(window.data(), width, bottom - top, r0 - top, r0 - top + rows,
                               top == 0, bottom == height, below, core.data());
    if (n) pending.swap(core), pending_at = Window{0, r0, width, rows};
    rewritten += n;
  }
  if (!pending.empty()) window_io(*ds, GF_Write, pending_at, pending, GDT_Byte);
  close_or_throw(ds, in.candidates);
  return rewritten;
}

/// The candidates' connected pixels of one value (4-connected) as polygons with that value
/// (field 0), in a FlatGeobuf file at `path`: GDAL reads the raster by lines and the polygons go
/// to disk, so memory does not grow with their number. Null when no pixel is set.
DatasetPtr polygonize_candidates(const std::string& candidates, const Grid& grid,
                                 const std::string& path) {
  auto cand = open_raster(candidates);
  GDALDriver* fgb = GetGDALDriverManager()->GetDriverByName("FlatGeobuf");
  DatasetPtr vds(fgb->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!vds) throw ProcessingError("cannot create '" + path + "': " + gdal_last_error());
  auto srs = srs_from_wkt(grid.crs_wkt);
  const char* lco[] = {"SPATIAL_INDEX=NO", nullptr};
  OGRLayer* layer = vds->CreateLayer("patches", &srs, wkbPolygon, const_cast<char**>(lco));
  OGRFieldDefn cat_field("cat", OFTInteger);
  if (!layer || layer->CreateField(&cat_field) != OGRERR_NONE)
    throw ProcessingError("cannot create '" + path + "': " + gdal_last_error());
  GDALRasterBand* band = cand->GetRasterBand(1);
  CPLErrorReset();
  if (GDALPolygonize(GDALRasterBand::ToHandle(band), GDALRasterBand::ToHandle(band->GetMaskBand()),
                     OGRLayer::ToHandle(layer), 0, nullptr, nullptr, nullptr) != CE_None)
    throw ProcessingError("cannot polygonise change raster '" + candidates +
                          "': " + gdal_last_error());
  cand.reset();
  close_or_throw(vds, path);
  // GDAL's FlatGeobuf writer leaves an empty file when no pixel changed.
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) == 0 && !ec) return nullptr;
  return open_vector(path);
}

/// Each polygon of `layer` through `measure(category, geometry)` in parallel, with a
/// PatchMeasurer of its thread's (made from `in` and `table`), then its result through
/// `take(result)` serially in the polygons' order, so that what `take` builds does not depend
/// on the thread count. Returns the polygons and how many the table measured.
template <class Measure, class Take>
std::pair<std::size_t, std::size_t> for_each_polygon(OGRLayer& layer, const PatchInputs& in,
                                                     const PatchTable* table,
                                                     const Measure& measure, const Take& take) {
  using Result = std::invoke_result_t<Measure, PatchMeasurer&, ChangeCategory, OGRGeometry&>;
  // Each thread's measurer, made again once the polygons (which come down the image, roughly)
  // are kRecycleRows from where it was made: the rasters it reads are mapped (ScopedMappedReads)
  // and every page a window touched stays resident until its dataset is closed, which held
  // about 9 GB of a 21960² grid's rasters by the last patch.
  struct ThreadMeasurer {
    std::unique_ptr<PatchMeasurer> m;
    double made_at_y = 0;   ///< the top of the first polygon it measured (grid CRS)
    std::size_t taken = 0;  ///< by the measurers it made before
  };
  const double recycle_span = kRecycleRows * in.grid.res();
  tbb::enumerable_thread_specific<ThreadMeasurer> measurers;
  std::size_t polygons = 0;
  using Item = std::pair<std::unique_ptr<OGRFeature>, Result>;
  layer.ResetReading();
  const auto tokens = static_cast<std::size_t>(4 * tbb::this_task_arena::max_concurrency());
  tbb::parallel_pipeline(
      tokens, tbb::make_filter<void, std::shared_ptr<Item>>(
                  tbb::filter_mode::serial_in_order,
                  [&](tbb::flow_control& fc) -> std::shared_ptr<Item> {
                    std::unique_ptr<OGRFeature> f;
                    while ((f.reset(layer.GetNextFeature()), f) && !f->GetGeometryRef()) {
                    }
                    if (!f) {
                      fc.stop();
                      return nullptr;
                    }
                    ++polygons;
                    return std::make_shared<Item>(std::move(f), Result{});
                  }) &
                  tbb::make_filter<std::shared_ptr<Item>, std::shared_ptr<Item>>(
                      tbb::filter_mode::parallel,
                      [&](std::shared_ptr<Item> item) {
                        auto& t = measurers.local();
                        OGREnvelope env;
                        item->first->GetGeometryRef()->getEnvelope(&env);
                        if (t.m && std::abs(t.made_at_y - env.MaxY) > recycle_span) {
                          t.taken += t.m->taken;
                          t.m.reset();
                        }
                        if (!t.m) {
                          t.m = std::make_unique<PatchMeasurer>(in, table);
                          t.made_at_y = env.MaxY;
                        }
                        auto& m = t.m;
                        const auto cat =
                            static_cast<ChangeCategory>(item->first->GetFieldAsInteger(0));
                        item->second = measure(*m, cat, *item->first->GetGeometryRef());
                        item->first.reset();
                        return item;
                      }) &
                  tbb::make_filter<std::shared_ptr<Item>, void>(
                      tbb::filter_mode::serial_in_order,
                      [&](std::shared_ptr<Item> item) { take(std::move(item->second)); }));
  std::size_t taken = 0;
  for (const auto& t : measurers) taken += t.taken + (t.m ? t.m->taken : 0);
  return {polygons, taken};
}

}  // namespace

PatchResult extract_patches(const PatchInputs& in, const Log& log) {
  // 1. Fragments taken into the change they lie in; then connected candidates of one category
  //    become polygons.
  const std::int64_t adopted = adopt_fragments(in);
  DatasetPtr vds =
      polygonize_candidates(in.candidates, in.grid, in.scratch_dir + "/patch_polygons.fgb");
  std::size_t other_context = 0;
  const PatchTable table = read_patch_tables(in.measured, measurement_context(in), other_context);
  if (other_context)
    log.warn(std::to_string(other_context) +
             " shard(s) measured their patches with other rules, classes or libraries: the "
             "merge measures those patches itself");

  // 2. Each is refined, measured (or taken from a shard's table), and kept or dropped, in
  //    parallel; the change raster is marked in the polygons' order, so the result does not
  //    depend on the thread count.
  PatchResult result;
  {
    // Patch windows come down the image in polygon order; a cache of a few block rows of
    // every raster read keeps each block read once (GDAL_CACHEMAX wins).
    ScopedBlockCache cache(!vds ? ScopedBlockCache::current()
                                : patch_cache_bytes(in, in.grid.width));
    const ScopedMappedReads mapped;  // patch windows, one after the other
    ChangeMarks marks(in.change);
    std::size_t polygons = 0;
    if (vds) {
      std::tie(polygons, result.taken) = for_each_polygon(
          *vds->GetLayer(0), in, in.measured.empty() ? nullptr : &table,
          [](PatchMeasurer& m, ChangeCategory cat, OGRGeometry& g) { return m.measure(cat, g); },
          [&](std::optional<MeasuredPatch> measured) {
            if (!measured) return;
            // The farmland layer's GEOS index is not for concurrent use: serial here.
            if (in.farmland)
              measured->patch.parcel_ids = in.farmland->parcels_intersecting(measured->patch.wkb);
            marks.mark(*measured, in.grid);
            result.refined += measured->refined;
            result.patches.push_back(std::move(measured->patch));
            // Patch windows of every size, GDAL's blocks and the kept patches' small
            // allocations interleave in the heap (main.cpp keeps blocks under 1 GB out of
            // mmap): freed pages stayed resident, 23 GB over the 72,000 patches of a 21960²
            // grid. glibc's malloc_trim hands the free pages back.
            if (result.patches.size() % 512 == 0) malloc_trim(0);
          });
    }
    marks.finish();
    result.dropped_below_min_area = polygons - result.patches.size();
  }

  // 3. Stable order: category, then north to south, then west to east.
  std::sort(result.patches.begin(), result.patches.end(), [](const Patch& x, const Patch& y) {
    if (x.category != y.category) return x.category < y.category;
    if (x.centroid_y != y.centroid_y) return x.centroid_y > y.centroid_y;
    return x.centroid_x < y.centroid_x;
  });
  for (std::size_t i = 0; i < result.patches.size(); ++i) {
    std::string seq = std::to_string(i + 1);
    if (seq.size() < 4) seq.insert(0, 4 - seq.size(), '0');
    result.patches[i].id = in.id_prefix + "-" + seq;
  }
  log.info(std::to_string(result.patches.size()) + " patches kept (" +
           std::to_string(result.refined) + " with refined boundaries), " +
           std::to_string(result.dropped_below_min_area) + " below the minimum area dropped" +
           (adopted ? ", " + std::to_string(adopted) +
                          " pixels of fragments taken into the change around them"
                    : std::string()) +
           (in.measured.empty()
                ? std::string()
                : ", " + std::to_string(result.taken) + " polygons measured by the shards"));
  return result;
}

void measure_cell_patches(const PatchInputs& in, const std::vector<Window>& cells,
                          const std::string& out, const Log& log, bool mark_change) {
  // The candidates as the merge's sieve leaves them where it changes nothing: the change
  // values, 0 elsewhere (cloud and no data included).
  PatchInputs shard = in;
  shard.candidates = in.scratch_dir + "/cell_patch_candidates.tif";
  {
    RasterLayout layout;
    layout.grid = in.grid;
    layout.nodata = 0;
    layout.compress = "NONE";
    layout.sparse = true;
    BlockRasterWriter writer(shard.candidates, layout);
    BlockRasterReader change(in.change);
    std::vector<std::uint8_t> buf;
    for (const Window& cell : cells)
      for (int r = cell.row; r < cell.row + cell.height; r += kBlockSize)
        for (int c = cell.col; c < cell.col + cell.width; c += kBlockSize) {
          const Window w{c, r, std::min(kBlockSize, cell.col + cell.width - c),
                         std::min(kBlockSize, cell.row + cell.height - r)};
          buf.resize(static_cast<std::size_t>(w.pixels()));
          change.read(w, 1, PixelType::u8, buf.data());
          for (auto& v : buf)
            if (v > 3) v = 0;
          writer.write(w, buf.data());
        }
    writer.close();
  }
  adopt_fragments(shard);
  DatasetPtr vds =
      polygonize_candidates(shard.candidates, in.grid, in.scratch_dir + "/cell_patch_polygons.fgb");
  std::optional<ChangeMarks> marks;
  if (mark_change) marks.emplace(in.change);
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  if (!f) throw ProcessingError("cannot write '" + out + "': " + std::strerror(errno));
  RecordWriter head;
  for (char c : kPatchTableMagic) head.put(c);
  head.put_bytes(measurement_context(in));
  const std::size_t count_at = head.str().size();
  head.put(std::uint64_t(0));
  f.write(head.str().data(), static_cast<std::streamsize>(head.str().size()));
  std::uint64_t records = 0;
  if (vds) {
    // A window all of whose pixels lie in the cells (the cells do not overlap).
    auto inside = [&](const Window& w) {
      std::int64_t covered = 0;
      for (const Window& c : cells) covered += c.intersect(w).pixels();
      return covered == w.pixels();
    };
    int c0 = in.grid.width, c1 = 0;
    for (const Window& c : cells) c0 = std::min(c0, c.col), c1 = std::max(c1, c.col + c.width);
    ScopedBlockCache cache(patch_cache_bytes(shard, std::max(c1 - c0, 1)));
    const ScopedMappedReads mapped;  // patch windows, one after the other
    using Result = std::pair<std::string, std::optional<MeasuredPatch>>;
    for_each_polygon(
        *vds->GetLayer(0), shard, nullptr,
        [&](PatchMeasurer& m, ChangeCategory cat, OGRGeometry& g) -> Result {
          const auto [w, speck] = m.window_of(cat, g);
          if (speck || w.pixels() > kMaxWindowPixels || !inside(w)) return {};
          std::vector<std::uint8_t> member;
          auto measured = m.measure(cat, g, &member);
          // The polygon's first pixel, from which the merge finds it again in its candidates.
          const auto first = std::find(member.begin(), member.end(), 1);
          if (first == member.end()) return {};
          const auto at = static_cast<int>(first - member.begin());
          const std::pair<int, int> seed{at % w.width, at / w.width};
          const std::string read = m.candidate_runs(cat, w, seed);
          if (read.empty()) return {};
          std::string record = patch_record(table_key(cat, to_wkb(g)), w, seed, read, measured);
          return {std::move(record), std::move(measured)};
        },
        [&](Result result) {
          if (result.first.empty()) return;
          RecordWriter r;
          r.put_bytes(result.first);
          f.write(r.str().data(), static_cast<std::streamsize>(r.str().size()));
          ++records;
          if (marks && result.second) marks->mark(*result.second, in.grid);
        });
  }
  if (marks) marks->finish(&cells);
  f.seekp(static_cast<std::streamoff>(count_at));
  f.write(reinterpret_cast<const char*>(&records), sizeof records);
  f.close();
  if (!f) throw ProcessingError("cannot write '" + out + "'");
  std::error_code ec;
  std::filesystem::remove(shard.candidates, ec);
  log.info(std::to_string(records) + " polygons of the shard's cells measured for the merge");
}

}  // namespace farmwatch::io
