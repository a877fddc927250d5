#include "farmwatch/io/change_sieve.h"

#include <cpl_conv.h>
#include <gdal_alg.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <fstream>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "farmwatch/core/error.h"
#include "farmwatch/core/quality_mask.h"
#include "farmwatch/io/gdal_setup.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {
namespace {

constexpr int kRows = 256;

void rows(GDALRasterBand* band, GDALRWFlag flag, const Window& win, std::uint8_t* buf,
          const std::string& path) {
  if (band->RasterIO(flag, win.col, win.row, win.width, win.height, buf, win.width, win.height,
                     GDT_Byte, 0, 0, nullptr) != CE_None)
    throw ProcessingError("cannot " + std::string(flag == GF_Read ? "read" : "write") + " '" +
                          path + "': " + gdal_last_error());
}

/// Fixed point of the cloud screening's sums: 2^-16 of the change vector's unit per pixel. Sums
/// of integers are the same in any order, so a region's sums do not depend on how the grid is
/// cut into cells (one machine, N shards), as sums of floating point would.
constexpr double kSkyUnit = 65536.0;
std::int64_t fixed(float v) { return std::llround(double(v) * kSkyUnit); }

/// What one changed pixel tells the cloud screening (ChangeRegionSky, per pixel).
struct PixelSky {
  std::uint8_t bits = 0;  ///< TemporalSkyBit
  bool pattern = false;   ///< kPatternKeptBit
  bool boundary = false;  ///< a 4-neighbour observed on both dates and unchanged
  float gradient = 0, brightening = 0;
  float outside = 0;           ///< the sum of those neighbours' brightening
  std::uint8_t outside_n = 0;  ///< and how many
  /// Forgets what the change vector told (the pixel is measured elsewhere).
  void drop_vector() {
    boundary = false;
    gradient = brightening = outside = 0;
    outside_n = 0;
  }
};

/// The part of a region's ChangeRegionSky read from the change vector, in fixed point: what a
/// shard measures of its cells' inner pixels (measure_cell_sky).
struct VectorSums {
  std::int64_t brightening = 0, boundary = 0, boundary_gradient = 0, outside = 0,
               outside_pixels = 0;
  bool empty() const {
    return !brightening && !boundary && !boundary_gradient && !outside && !outside_pixels;
  }
  void add(const VectorSums& o) {
    brightening += o.brightening;
    boundary += o.boundary;
    boundary_gradient += o.boundary_gradient;
    outside += o.outside;
    outside_pixels += o.outside_pixels;
  }
};

/// A region's ChangeRegionSky as exact sums (fixed point where the pixel's values are not
/// integers).
struct SkySums {
  std::int64_t pixels = 0, pattern_kept = 0, row_sum = 0, col_sum = 0;
  std::array<std::int64_t, 4> flagged{};
  VectorSums vector;
  void add(const SkySums& o) {
    pixels += o.pixels;
    pattern_kept += o.pattern_kept;
    row_sum += o.row_sum;
    col_sum += o.col_sum;
    for (std::size_t k = 0; k < flagged.size(); ++k) flagged[k] += o.flagged[k];
    vector.add(o.vector);
  }
  void add(const PixelSky& p, std::int64_t row, std::int64_t col) {
    ++pixels;
    for (std::size_t k = 0; k < flagged.size(); ++k) flagged[k] += (p.bits >> k) & 1u;
    pattern_kept += p.pattern;
    if (p.boundary) {
      ++vector.boundary;
      vector.boundary_gradient += fixed(p.gradient);
      vector.outside += fixed(p.outside);
      vector.outside_pixels += p.outside_n;
    }
    vector.brightening += fixed(p.brightening);
    row_sum += row;
    col_sum += col;
  }
  ChangeRegionSky region() const {
    ChangeRegionSky g;
    g.pixels = pixels;
    g.flagged = flagged;
    g.pattern_kept = pattern_kept;
    g.boundary = vector.boundary;
    g.boundary_gradient = double(vector.boundary_gradient) / kSkyUnit;
    g.brightening = double(vector.brightening) / kSkyUnit;
    g.outside = double(vector.outside) / kSkyUnit;
    g.outside_pixels = vector.outside_pixels;
    g.row_sum = double(row_sum);
    g.col_sum = double(col_sum);
    return g;
  }
};

/// 8-connected regions of flagged pixels in a window of the grid (a cell, or the whole grid),
/// fed one row at a time from the top: each run of flagged pixels gets a provisional label;
/// labels that meet are united (union-find), and a region counts its pixels and its seasonal
/// ones (kSeasonalBit), is seeded when any of its pixels is, and keeps its first pixel in
/// raster order (its root is the label made there: the smallest); with `sky`, it also sums
/// what its pixels tell the cloud screening. Memory: the runs (12 bytes each) and 29 bytes per
/// label (at most one per run), about 100 more with `sky`; no raster of labels.
class Regions {
 public:
  Regions(const Window& window, bool sky) : window_(window) {
    row_start_.push_back(0);
    if (sky) sky_.emplace_back();
  }

  /// Labels the next row (`flag`, `seed`, `season`: 0/1 per pixel of the window's row, null:
  /// none; `sky` only if constructed with it). Run by run: a run of flagged pixels takes the
  /// label of the previous row's runs that touch its first pixel (8-connected), a new one if
  /// none does, and unites with every run of that row it touches; the same labels, unions and
  /// sums as taking the pixels one by one, in a time that grows with the runs.
  void row(const std::uint8_t* flag, const std::uint8_t* seed, const PixelSky* sky = nullptr,
           const std::uint8_t* season = nullptr) {
    const int w = window_.width;
    // The previous row's runs, [p, p_end), swept left to right with this row's.
    std::size_t p = row_start_.size() >= 2 ? row_start_[row_start_.size() - 2] : 0;
    const std::size_t p_end = row_start_.back();
    for (int c = 0; c < w;) {
      if (!flag[c]) {
        // Skip unflagged pixels eight at a time where the row is empty.
        while (c + 8 <= w) {
          std::uint64_t eight;
          std::memcpy(&eight, flag + c, 8);
          if (eight) break;
          c += 8;
        }
        while (c < w && !flag[c]) ++c;
        continue;
      }
      const int b = c;
      while (c < w && flag[c]) ++c;
      const int e = c;  // the run is [b, e)
      // Runs of the previous row ending left of b - 1 touch neither this run nor later ones.
      while (p < p_end && runs_[p].end < b) ++p;
      std::int32_t l = 0;
      // The first pixel's neighbours above: b - 1, b, b + 1.
      for (std::size_t q = p; q < p_end && runs_[q].begin <= b + 1; ++q)
        l = l ? unite(l, runs_[q].label) : find(runs_[q].label);
      if (!l) {
        l = static_cast<std::int32_t>(parent_.size());
        parent_.push_back(l);
        seeded_.push_back(0);
        size_.push_back(0);
        seasonal_.push_back(0);
        first_.push_back(std::int64_t(window_.row + row_) << 32 | std::uint32_t(window_.col + b));
        if (!sky_.empty()) sky_.emplace_back();
      }
      // The rest of the run's neighbours above: up to column e (the last pixel's diagonal).
      for (std::size_t q = p; q < p_end && runs_[q].begin <= e; ++q)
        if (runs_[q].begin > b + 1) l = unite(l, runs_[q].label);
      // l is a root here (new, or what find or unite returned).
      const auto il = static_cast<std::size_t>(l);
      size_[il] += static_cast<std::uint64_t>(e - b);
      if (season)
        for (int k = b; k < e; ++k) seasonal_[il] += season[k] != 0;
      if (seed && !seeded_[il])
        for (int k = b; k < e; ++k)
          if (seed[k]) {
            seeded_[il] = 1;
            break;
          }
      if (sky)
        for (int k = b; k < e; ++k) sky_[il].add(sky[k], window_.row + row_, window_.col + k);
      runs_.push_back({b, e, l});
    }
    row_start_.push_back(runs_.size());
    ++row_;
  }

  /// Labels the next row as one with no flagged pixel (a cell sieve_change leaves alone).
  void empty_row() {
    row_start_.push_back(runs_.size());
    ++row_;
  }

  /// The regions' roots (every row fed), in raster order of their first pixels.
  std::vector<std::int32_t> roots() {
    std::vector<std::int32_t> out;
    for (std::size_t x = 1; x < parent_.size(); ++x)
      if (parent_[x] == static_cast<std::int32_t>(x)) out.push_back(static_cast<std::int32_t>(x));
    return out;
  }
  /// The root of the region holding the window's pixel (r, c) (every row fed), 0 if none.
  std::int32_t root_at(int r, int c) {
    const auto b =
        runs_.begin() + static_cast<std::ptrdiff_t>(row_start_[static_cast<std::size_t>(r)]);
    const auto e =
        runs_.begin() + static_cast<std::ptrdiff_t>(row_start_[static_cast<std::size_t>(r) + 1]);
    const auto it =
        std::upper_bound(b, e, c, [](int col, const Run& run) { return col < run.end; });
    return it != e && it->begin <= c ? find(it->label) : 0;
  }
  std::int32_t labels() const { return static_cast<std::int32_t>(parent_.size()); }
  std::uint64_t size(std::int32_t root) const { return size_[static_cast<std::size_t>(root)]; }
  std::uint64_t seasonal(std::int32_t root) const {
    return seasonal_[static_cast<std::size_t>(root)];
  }
  bool seeded(std::int32_t root) const { return seeded_[static_cast<std::size_t>(root)]; }
  /// The first pixel, as row << 32 | column: raster order.
  std::int64_t first(std::int32_t root) const { return first_[static_cast<std::size_t>(root)]; }
  SkySums& sky(std::int32_t root) { return sky_[static_cast<std::size_t>(root)]; }
  bool has_sky() const { return !sky_.empty(); }

  /// Writes, for each run of the window's row `r` (every row fed), `value[root]` over its
  /// pixels of `out` (the row); leaves the rest.
  template <class T>
  void paint(int r, T* out, const std::vector<T>& value) {
    for (std::size_t k = row_start_[static_cast<std::size_t>(r)];
         k < row_start_[static_cast<std::size_t>(r) + 1]; ++k) {
      const Run& run = runs_[k];
      std::fill(out + run.begin, out + run.end, value[static_cast<std::size_t>(find(run.label))]);
    }
  }

 private:
  struct Run {
    int begin, end;  ///< columns of the window [begin, end)
    std::int32_t label;
  };
  std::int32_t find(std::int32_t x) {
    while (parent_[static_cast<std::size_t>(x)] != x) {
      auto& p = parent_[static_cast<std::size_t>(x)];
      p = parent_[static_cast<std::size_t>(p)];
      x = p;
    }
    return x;
  }
  std::int32_t unite(std::int32_t a, std::int32_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return a;
    if (b < a) std::swap(a, b);
    const auto ia = static_cast<std::size_t>(a), ib = static_cast<std::size_t>(b);
    parent_[ib] = a;
    seeded_[ia] |= seeded_[ib];
    size_[ia] += size_[ib];
    seasonal_[ia] += seasonal_[ib];
    if (!sky_.empty()) sky_[ia].add(sky_[ib]);
    return a;
  }
  Window window_;
  std::vector<std::int32_t> parent_{0};
  std::vector<char> seeded_{0};
  std::vector<std::uint64_t> size_{0};
  std::vector<std::uint64_t> seasonal_{0};  ///< pixels with kSeasonalBit, per label
  std::vector<std::int64_t> first_{0};      ///< per label, where it was made
  int row_ = 0;                             ///< rows fed
  std::vector<SkySums> sky_;                ///< per label, with the cloud screening
  std::vector<Run> runs_;
  std::vector<std::size_t> row_start_;  ///< first run of each row, and the end
};

/// The rasters sieve_change and measure_cell_sky read: change.tif, the candidates and, with the
/// cloud screening, the change vector.
struct SieveRasters {
  GDALRasterBand* change_band = nullptr;
  std::string change;
  GDALRasterBand* candidates_band = nullptr;
  std::string candidates;
  GDALDataset* delta = nullptr;  ///< with the screening
  const CloudScreening* screening = nullptr;
  int width = 0, height = 0;
};

/// The cloud screening's view of a window of the grid: which pixels changed and, with the
/// change vector, the brightening (the change vector's blue, green and red, averaged) over the
/// columns of the changed pixels and one either side, with a pixel of halo all round (clipped
/// to the grid). About 10 bytes per pixel of those columns and 2 per pixel of the window (the
/// change values and the candidates); row() then gives one row's PixelSky at a time.
class ChunkSky {
 public:
  ChunkSky(const SieveRasters& in, const Window& win, bool with_vector)
      : win_(win),
        h_(in.height),
        r0_(std::max(0, win.row - 1)),
        r1_(std::min(in.height, win.row + win.height + 1)),
        e0_(std::max(0, win.col - 1)),
        e1_(std::min(in.width, win.col + win.width + 1)) {
    const int m = r1_ - r0_, ew = e1_ - e0_;
    const Window read{e0_, r0_, ew, m};
    // Per pixel: 1 changed, 0 observed and unchanged, 2 no data on either date, 3 no data
    // but judged with the regions (is_sky_only).
    changed_.resize(static_cast<std::size_t>(ew) * m);
    rows(in.change_band, GF_Read, read, changed_.data(), in.change);
    cand_.resize(changed_.size());
    rows(in.candidates_band, GF_Read, read, cand_.data(), in.candidates);
    for (std::size_t i = 0; i < changed_.size(); ++i) {
      const std::uint8_t v = changed_[i];
      changed_[i] = v >= 1 && v <= 3 ? 1 : v == 0 ? 0 : is_sky_only(cand_[i]) ? 3 : 2;
    }
    if (!with_vector) return;
    int cmin = in.width, cmax = -1;
    for (int row = win.row; row < win.row + win.height; ++row)
      for (int c = win.col; c < win.col + win.width; ++c)
        if (state(row, c) & 1) {
          cmin = std::min(cmin, c);
          cmax = std::max(cmax, c);
        }
    if (cmax < 0) return;
    c0_ = std::max(0, cmin - 1);
    c1_ = std::min(in.width, cmax + 2);
    const int cw = c1_ - c0_;
    bright_.assign(static_cast<std::size_t>(cw) * m, 0.0f);
    finite_.assign(bright_.size(), 1);
    std::vector<float> band(bright_.size());
    const CloudScreening& scr = *in.screening;
    for (int b : {scr.blue_band, scr.green_band, scr.red_band}) {
      GDALRasterBand* rb = in.delta->GetRasterBand(b);
      if (rb->RasterIO(GF_Read, c0_, r0_, cw, m, band.data(), cw, m, GDT_Float32, 0, 0, nullptr) !=
          CE_None)
        throw ProcessingError("cannot read '" + scr.change_vector + "': " + gdal_last_error());
      for (std::size_t i = 0; i < band.size(); ++i) {
        if (std::isfinite(band[i]))
          bright_[i] += band[i] / 3.0f;
        else
          finite_[i] = 0;
      }
    }
  }

  /// Row k of the window as 1 where changed, 0 elsewhere; with `sky_only`, also 1 where
  /// is_sky_only (the regions the screening judges).
  void flags(int k, std::uint8_t* out, bool sky_only = false) const {
    const std::uint8_t* s = states(k);
    if (sky_only)
      for (int c = 0; c < win_.width; ++c) out[c] = s[c] == 1 || s[c] == 3;
    else
      for (int c = 0; c < win_.width; ++c) out[c] = s[c] == 1;
  }
  /// Row k of the window's candidates (its rows are e1 - e0 apart).
  const std::uint8_t* candidates(int k) const {
    return cand_.data() + static_cast<std::size_t>(win_.row + k - r0_) * (e1_ - e0_) +
           (win_.col - e0_);
  }

  /// Row k of the window: each changed or is_sky_only pixel's sky bits and, with the change
  /// vector, whether it lies on its region's boundary with observed unchanged ground, the
  /// brightening and, on the boundary, its gradient (3 x 3 Sobel / 8; a neighbour off the grid
  /// or with no data repeats the pixel itself). A function of the pixel's 3 x 3 neighbourhood
  /// alone, whatever the window.
  void row(int k, std::vector<PixelSky>& out) const {
    // Only the changed and is_sky_only pixels are written (and read by the labelling).
    out.resize(static_cast<std::size_t>(win_.width));
    const int row = win_.row + k;
    const std::uint8_t* cand = candidates(k);
    const std::uint8_t* s = states(k);
    for (int i = 0; i < win_.width; ++i) {
      if (!(s[i] & 1)) continue;
      const int c = win_.col + i;
      PixelSky& p = out[static_cast<std::size_t>(i)];
      p = {};
      p.bits = static_cast<std::uint8_t>((cand[i] >> kSkyShift) & 0x0f);
      p.pattern = is_pattern_kept(cand[i]);
      if (bright_.empty()) continue;
      p.brightening = brightening(row, c, 0.0f);
      // The region's edge against observed, unchanged ground: not against no data, which says
      // nothing about how the region ends, nor the grid's edge.
      for (const auto& [dr, dc] :
           {std::pair{0, -1}, std::pair{0, 1}, std::pair{-1, 0}, std::pair{1, 0}})
        if (state(row + dr, c + dc) == 0) {
          const float b = brightening(row + dr, c + dc, std::nanf(""));
          if (!std::isfinite(b)) continue;
          p.boundary = true;
          p.outside += b;
          ++p.outside_n;
        }
      if (p.boundary) {
        const auto v = [&](int dr, int dc) {
          return state(row + dr, c + dc) == 2 ? p.brightening
                                              : brightening(row + dr, c + dc, p.brightening);
        };
        const float gx = v(-1, 1) + 2 * v(0, 1) + v(1, 1) - v(-1, -1) - 2 * v(0, -1) - v(1, -1);
        const float gy = v(1, -1) + 2 * v(1, 0) + v(1, 1) - v(-1, -1) - 2 * v(-1, 0) - v(-1, 1);
        p.gradient = std::hypot(gx, gy) / 8.0f;
      }
    }
  }

 private:
  /// Row k of the window's states (the window lies within the rows and columns read).
  const std::uint8_t* states(int k) const {
    return changed_.data() + static_cast<std::size_t>(win_.row + k - r0_) * (e1_ - e0_) +
           (win_.col - e0_);
  }
  std::uint8_t state(int row, int col) const {  // 2 (no data) off the grid
    if (row < r0_ || row >= r1_ || col < e0_ || col >= e1_) return 2;
    return changed_[static_cast<std::size_t>(row - r0_) * (e1_ - e0_) + (col - e0_)];
  }
  /// The brightening at a pixel of the columns read (every pixel within one of a changed
  /// one); outside them or where it is missing, `fallback`.
  float brightening(int row, int col, float fallback) const {
    if (row < r0_ || row >= r1_ || col < c0_ || col >= c1_) return fallback;
    const std::size_t i = static_cast<std::size_t>(row - r0_) * (c1_ - c0_) + (col - c0_);
    return finite_[i] ? bright_[i] : fallback;
  }

  Window win_;
  int h_, r0_, r1_, e0_, e1_, c0_ = 0, c1_ = 0;
  std::vector<std::uint8_t> changed_, cand_, finite_;
  std::vector<float> bright_;
};

/// Which of a cell's pixels lie on its edge with another cell of the grid (not the grid's own
/// edge): their 3 x 3 neighbourhood reaches into that cell, which another shard may have made.
struct CellRing {
  CellRing(const Window& window, int width, int height)
      : cell(window),
        top(window.row > 0),
        bottom(window.row + window.height < height),
        left(window.col > 0),
        right(window.col + window.width < width) {}
  bool at(int row, int col) const {
    return (top && row == cell.row) || (bottom && row == cell.row + cell.height - 1) ||
           (left && col == cell.col) || (right && col == cell.col + cell.width - 1);
  }
  Window cell;
  bool top, bottom, left, right;
};

/// Where a cell's pixels get what the change vector tells the screening: all of them read here
/// (one machine), only the ring (a merge: the shards measured the rest), only the inner ones (a
/// shard's measure_cell_sky).
enum class VectorPart { all, ring, inner };

/// The three labellings of sieve_change over one cell: the change regions (the size and seed
/// rule), with the screening the regions it judges (changed and is_sky_only pixels), with the
/// seasonal exclusion the changed pixels that are not seasonal.
struct CellRegions {
  std::optional<Regions> regions, judged, rest;
};

/// Labels `cell` (pass 1 of sieve_change), in chunks of kRows rows. `only_judged`: the judged
/// regions alone (measure_cell_sky).
CellRegions label_cell(const SieveRasters& in, const Window& cell, VectorPart part, bool need_seed,
                       bool seasonal, bool only_judged = false, bool absent = false) {
  CellRegions out;
  const bool screening = in.screening != nullptr;
  if (!only_judged) out.regions.emplace(cell, false);
  if (screening) out.judged.emplace(cell, true);
  if (seasonal && !only_judged) out.rest.emplace(cell, false);
  if (absent) {  // a cell left alone: nothing read, no region
    for (int r = 0; r < cell.height; ++r)
      for (auto* x : {&out.regions, &out.judged, &out.rest})
        if (*x) (*x)->empty_row();
    return out;
  }
  const CellRing ring(cell, in.width, in.height);
  // In a merge, the ring's pixels read the change vector here, a strip per side.
  std::optional<ChunkSky> top, bottom, left, right;
  if (screening && part == VectorPart::ring) {
    if (ring.top) top.emplace(in, Window{cell.col, cell.row, cell.width, 1}, true);
    if (ring.bottom)
      bottom.emplace(in, Window{cell.col, cell.row + cell.height - 1, cell.width, 1}, true);
    if (ring.left) left.emplace(in, Window{cell.col, cell.row, 1, cell.height}, true);
    if (ring.right)
      right.emplace(in, Window{cell.col + cell.width - 1, cell.row, 1, cell.height}, true);
  }
  const int w = cell.width;
  std::vector<std::uint8_t> buf, seeds, season, raw, members(static_cast<std::size_t>(w)),
      others(static_cast<std::size_t>(w));
  std::vector<PixelSky> sky, strip;
  for (int r = cell.row; r < cell.row + cell.height; r += kRows) {
    const int n = std::min(kRows, cell.row + cell.height - r);
    const Window win{cell.col, r, w, n};
    buf.resize(static_cast<std::size_t>(w) * n);
    // The screening reads these rows with their halo: the flags come from that read.
    std::optional<ChunkSky> chunk;
    if (screening) {
      chunk.emplace(in, win, part != VectorPart::ring);
      for (int k = 0; k < n; ++k) chunk->flags(k, buf.data() + static_cast<std::size_t>(k) * w);
    } else {
      rows(in.change_band, GF_Read, win, buf.data(), in.change);
      for (auto& v : buf) v = v >= 1 && v <= 3 ? 1 : 0;
    }
    if (need_seed || seasonal) {
      // The chunk's rows of candidates, as the screening read them or read here.
      raw.resize(buf.size());
      if (chunk)
        for (int k = 0; k < n; ++k)
          std::memcpy(raw.data() + static_cast<std::size_t>(k) * w, chunk->candidates(k),
                      static_cast<std::size_t>(w));
      else
        rows(in.candidates_band, GF_Read, win, raw.data(), in.candidates);
      seeds.resize(need_seed ? buf.size() : 0);
      for (std::size_t i = 0; i < seeds.size(); ++i) seeds[i] = (raw[i] & kSeedBit) ? 1 : 0;
      season.resize(seasonal ? buf.size() : 0);
      for (std::size_t i = 0; i < season.size(); ++i) season[i] = buf[i] && is_seasonal(raw[i]);
    }
    for (int k = 0; k < n; ++k) {
      const std::size_t o = static_cast<std::size_t>(k) * w;
      const std::uint8_t* seed = need_seed ? seeds.data() + o : nullptr;
      if (out.regions)
        out.regions->row(buf.data() + o, seed, nullptr, seasonal ? season.data() + o : nullptr);
      if (out.rest) {
        for (int c = 0; c < w; ++c) others[c] = buf[o + c] && !season[o + c];
        out.rest->row(others.data(), seed);
      }
      if (!chunk) continue;
      chunk->row(k, sky);
      const int row = r + k;
      if (part == VectorPart::inner) {
        for (int c = 0; c < w; ++c)
          if (ring.at(row, cell.col + c)) sky[static_cast<std::size_t>(c)].drop_vector();
      } else if (part == VectorPart::ring) {
        if (top && row == cell.row) {
          top->row(0, sky);
        } else if (bottom && row == cell.row + cell.height - 1) {
          bottom->row(0, sky);
        } else {
          if (left) {
            left->row(row - cell.row, strip);
            sky.front() = strip.front();
          }
          if (right) {
            right->row(row - cell.row, strip);
            sky.back() = strip.front();
          }
        }
      }
      chunk->flags(k, members.data(), /*sky_only=*/true);
      out.judged->row(members.data(), seed, sky.data());
    }
  }
  return out;
}

/// A measure_cell_sky file: a header of 8 bytes and the number of regions (64 bits), then
/// per region its first pixel (row << 32 | column) and its VectorSums, 64 bits each, in the
/// machine's byte order (the shards and the merge run one build).
constexpr char kCellSkyMagic[8] = {'F', 'W', 'C', 'S', 'K', 'Y', '0', '1'};
constexpr std::size_t kCellSkyEntry = 6 * sizeof(std::int64_t);

struct CellSkyEntry {
  VectorSums sums;
  std::size_t file = 0;  ///< which of the files
  bool used = false;
};

std::unordered_map<std::int64_t, CellSkyEntry> read_cell_sky(
    const std::vector<std::string>& paths) {
  std::unordered_map<std::int64_t, CellSkyEntry> out;
  for (std::size_t f = 0; f < paths.size(); ++f) {
    std::ifstream in(paths[f], std::ios::binary);
    if (!in) throw ProcessingError("cannot read '" + paths[f] + "'");
    char magic[8];
    std::uint64_t n = 0;
    in.read(magic, sizeof magic);
    in.read(reinterpret_cast<char*>(&n), sizeof n);
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::uint64_t>(in.tellg());
    if (!in || std::memcmp(magic, kCellSkyMagic, sizeof magic) != 0 ||
        size != 16 + n * kCellSkyEntry)
      throw DamagedFileError(paths[f], "is not a whole cloud-screening table of a shard");
    in.seekg(16);
    std::vector<std::int64_t> v(static_cast<std::size_t>(n) * 6);
    in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * 8));
    if (!in) throw ProcessingError("cannot read '" + paths[f] + "'");
    for (std::size_t i = 0; i < v.size(); i += 6) {
      CellSkyEntry e;
      e.sums = {v[i + 1], v[i + 2], v[i + 3], v[i + 4], v[i + 5]};
      e.file = f;
      if (!out.emplace(v[i], e).second)
        throw DamagedFileError(paths[f], "holds a region another cloud-screening table holds");
    }
  }
  return out;
}

/// Union-find over the regions of every cell (one labelling), by index.
class Joins {
 public:
  explicit Joins(std::size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  std::size_t find(std::size_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  void unite(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);
  }

 private:
  std::vector<std::size_t> parent_;
};

/// One labelling (regions, judged or rest) joined across the cells of a lattice: each cell's
/// regions get global numbers, those that meet across a cell edge (8-connected) are united,
/// and each global region sums its parts.
struct Joined {
  std::vector<std::vector<std::int32_t>> node;  ///< per cell, per label: the global number
  std::vector<std::size_t> root;                ///< per global number: its region's
  struct Sums {
    std::uint64_t size = 0, seasonal = 0;
    bool seeded = false;
    std::int64_t first = std::numeric_limits<std::int64_t>::max();
    SkySums sky;
  };
  std::vector<Sums> sums;  ///< per region (at its root's number)

  /// `part(cell)`: the cell's labelling of this kind; `windows`: the cells, row-major in a
  /// lattice `cols` wide.
  template <class Part>
  Joined(std::vector<CellRegions>& cells, const std::vector<Window>& windows, int cols, Part part) {
    std::size_t n = 0;
    node.resize(cells.size());
    for (std::size_t k = 0; k < cells.size(); ++k) {
      Regions& r = part(cells[k]);
      node[k].assign(static_cast<std::size_t>(r.labels()), -1);
      for (const std::int32_t x : r.roots())
        node[k][static_cast<std::size_t>(x)] = static_cast<std::int32_t>(n++);
    }
    Joins joins(n);
    auto join = [&](std::size_t a, int ra, int ca, std::size_t b, int rb, int cb) {
      const std::int32_t x = part(cells[a]).root_at(ra, ca);
      if (!x) return;
      const std::int32_t y = part(cells[b]).root_at(rb, cb);
      if (y)
        joins.unite(static_cast<std::size_t>(node[a][static_cast<std::size_t>(x)]),
                    static_cast<std::size_t>(node[b][static_cast<std::size_t>(y)]));
    };
    const int rows = static_cast<int>(cells.size()) / cols;
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < cols; ++j) {
        const std::size_t a = static_cast<std::size_t>(i) * cols + j;
        const int h = windows[a].height, w = windows[a].width;
        if (j + 1 < cols)  // the cell on the right: the same rows
          for (int r = 0; r < h; ++r)
            for (int d = std::max(0, r - 1); d <= std::min(h - 1, r + 1); ++d)
              join(a, r, w - 1, a + 1, d, 0);
        if (i + 1 < rows) {  // the cells below
          const std::size_t b = a + static_cast<std::size_t>(cols);
          for (int c = 0; c < w; ++c)
            for (int d = std::max(0, c - 1); d <= std::min(w - 1, c + 1); ++d)
              join(a, h - 1, c, b, 0, d);
          if (j + 1 < cols) join(a, h - 1, w - 1, b + 1, 0, 0);
          if (j > 0) join(a, h - 1, 0, b - 1, 0, windows[b - 1].width - 1);
        }
      }
    root.resize(n);
    sums.resize(n);
    for (std::size_t k = 0; k < cells.size(); ++k) {
      Regions& r = part(cells[k]);
      for (const std::int32_t x : r.roots()) {
        const auto g = static_cast<std::size_t>(node[k][static_cast<std::size_t>(x)]);
        const std::size_t top = root[g] = joins.find(g);
        Sums& s = sums[top];
        s.size += r.size(x);
        s.seasonal += r.seasonal(x);
        s.seeded = s.seeded || r.seeded(x);
        s.first = std::min(s.first, r.first(x));
        if (r.has_sky()) s.sky.add(r.sky(x));
      }
    }
  }
  /// Per label of cell k, `value(sums of its region, its region's number)`.
  template <class T, class F>
  std::vector<T> per_label(std::size_t k, F value) const {
    std::vector<T> out(node[k].size(), T{});
    for (std::size_t x = 0; x < node[k].size(); ++x)
      if (node[k][x] >= 0) {
        const std::size_t g = root[static_cast<std::size_t>(node[k][x])];
        out[x] = value(sums[g], g);
      }
    return out;
  }
};

}  // namespace

namespace {

constexpr const char* kVirtualMemIo = "GTIFF_VIRTUAL_MEM_IO";

/// Opens what sieve_change and measure_cell_sky read; checks the change vector's bands and size.
struct OpenRasters {
  DatasetPtr change, candidates, delta;
  SieveRasters in;
  /// `map_class_rasters` false: change.tif and the candidates are read without mapping them
  /// (GTIFF_VIRTUAL_MEM_IO=NO for this thread while they are opened; GDAL reads the option
  /// when it opens a GeoTIFF): a pass over all their pixels would keep every page resident.
  OpenRasters(const std::string& change_path, const std::string& candidates_path,
              const CloudScreening* screening, bool update, bool map_class_rasters = true) {
    {
      std::optional<CPLConfigOptionSetter> unmapped;  // thread-local, restored on leaving
      if (!map_class_rasters) unmapped.emplace(kVirtualMemIo, "NO", false);
      change = open_raster(change_path, update);
      candidates = open_raster(candidates_path, update);
    }
    in.change_band = change->GetRasterBand(1);
    in.change = change_path;
    in.candidates_band = candidates->GetRasterBand(1);
    in.candidates = candidates_path;
    in.width = change->GetRasterXSize();
    in.height = change->GetRasterYSize();
    if (!screening) return;
    delta = open_raster(screening->change_vector);
    for (int b : {screening->blue_band, screening->green_band, screening->red_band})
      if (b < 1 || b > delta->GetRasterCount())
        throw ProcessingError("change vector '" + screening->change_vector + "' has no band " +
                              std::to_string(b));
    if (delta->GetRasterXSize() != in.width || delta->GetRasterYSize() != in.height)
      throw ProcessingError("change vector '" + screening->change_vector +
                            "' is not the size of '" + change_path + "'");
    in.delta = delta.get();
    in.screening = screening;
  }
};

/// The lattice of cells of side `cell` over a width x height grid, row-major from the top left;
/// the whole grid as one cell when `cell` is 0.
std::vector<Window> lattice(int width, int height, int cell) {
  if (cell <= 0) return {Window{0, 0, width, height}};
  std::vector<Window> out;
  for (int r = 0; r < height; r += cell)
    for (int c = 0; c < width; c += cell)
      out.push_back({c, r, std::min(cell, width - c), std::min(cell, height - r)});
  return out;
}

}  // namespace

void measure_cell_sky(const std::string& change, const std::string& candidates,
                      const CloudScreening& screening, const std::vector<Window>& cells,
                      const std::string& out) {
  OpenRasters rasters(change, candidates, &screening, false);
  std::vector<std::int64_t> v;
  for (const Window& w : cells) {
    CellRegions labelled = label_cell(rasters.in, w, VectorPart::inner, false, false, true);
    Regions& judged = *labelled.judged;
    for (const std::int32_t x : judged.roots()) {
      const VectorSums& s = judged.sky(x).vector;
      if (s.empty()) continue;
      v.insert(v.end(), {judged.first(x), s.brightening, s.boundary, s.boundary_gradient, s.outside,
                         s.outside_pixels});
    }
  }
  std::ofstream f(out, std::ios::binary | std::ios::trunc);
  const std::uint64_t n = v.size() / 6;
  f.write(kCellSkyMagic, sizeof kCellSkyMagic);
  f.write(reinterpret_cast<const char*>(&n), sizeof n);
  f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * 8));
  f.close();
  if (!f) throw ProcessingError("cannot write '" + out + "'");
}

std::array<std::int64_t, 256> sieve_change(const std::string& change, const std::string& candidates,
                                           const ChangeSieveRules& rules) {
  const int min_pixels = rules.min_pixels;
  const bool need_seed = rules.need_seed;
  CloudScreening* const screening = rules.screening;
  SeasonalExclusion* const seasonal = rules.seasonal;
  // A merge or a shard reads the change vector only on the cells' rings: mapped, those few
  // pages. One machine reads all of it: mapped, its every page would count in the resident
  // size (a 5490² nightly's change vector alone is 482 MB).
  std::optional<ScopedMappedReads> mapped;
  if (!rules.cell_sky.empty()) mapped.emplace();
  OpenRasters rasters(change, candidates, screening, true);
  const SieveRasters& in = rasters.in;
  const int w = in.width, h = in.height;
  if (screening) {
    screening->pixels = {};
    screening->clouds = screening->shadows = 0;
    screening->regions.clear();
    screening->verdicts.clear();
  }
  // Changed or not, whatever the category: a region of 非农化 and other change side by side
  // is one region. Pass 1 labels the regions cell by cell, row by row (their sizes, their
  // seeds, what they tell the cloud screening), then joins them across the cells' edges; pass 2
  // clears the small and the unseeded ones and marks the clouds and shadows no data. GDAL's
  // sieve filter did the sizes before: it also labels the unchanged regions and held 23 GB on
  // a 21960² grid, where this holds the runs.
  // With the screening, the regions it judges are labelled apart: the changed pixels joined
  // by the is_sky_only ones (a cloud's core the rules took out, with its edge). The size and
  // seed rule keeps regions of changed pixels alone, as without the screening.
  // With the seasonal exclusion, the changed pixels that are not seasonal are labelled apart
  // too: where a region is the season's, they stay change only as regions of their own that
  // pass the size and seed rule (a roof beside a ploughed field), not as its scattered pixels.
  // A merge's cells take the change vector's part from the shards' tables (measure_cell_sky)
  // but on their rings; the sums are exact, so every cutting gives the same regions and
  // verdicts.
  const std::vector<Window> cells = lattice(w, h, rules.cell);
  const int cols = rules.cell > 0 ? (w + rules.cell - 1) / rules.cell : 1;
  const VectorPart part = rules.cell_sky.empty() ? VectorPart::all : VectorPart::ring;
  std::unordered_map<std::int64_t, CellSkyEntry> measured;
  if (screening && part == VectorPart::ring) measured = read_cell_sky(rules.cell_sky);
  // Cells outside rules.only hold no change here: neither read nor written.
  auto left_alone = [&](const Window& cell) {
    return !rules.only.empty() &&
           std::find(rules.only.begin(), rules.only.end(), cell) == rules.only.end();
  };
  // Pass 1, the cells side by side: each thread reads through its own datasets (a GDAL
  // dataset serves one thread); a cell's labels do not depend on which thread made them.
  std::vector<CellRegions> labelled(cells.size());
  {
    tbb::enumerable_thread_specific<std::unique_ptr<OpenRasters>> readers;
    std::vector<std::exception_ptr> failed(cells.size());
    tbb::parallel_for(std::size_t(0), cells.size(), [&](std::size_t k) {
      try {
        auto& r = readers.local();
        if (!r)
          r = std::make_unique<OpenRasters>(change, candidates, screening, false,
                                            /*map_class_rasters=*/false);
        labelled[k] = label_cell(r->in, cells[k], part, need_seed, seasonal != nullptr, false,
                                 left_alone(cells[k]));
      } catch (...) {
        failed[k] = std::current_exception();  // the first in cell order is thrown
      }
    });
    for (const auto& e : failed)
      if (e) std::rethrow_exception(e);
  }
  for (CellRegions& cell_regions : labelled) {
    if (!screening || part != VectorPart::ring) continue;
    Regions& judged = *cell_regions.judged;
    for (const std::int32_t x : judged.roots()) {
      const auto it = measured.find(judged.first(x));
      if (it == measured.end()) continue;
      judged.sky(x).vector.add(it->second.sums);
      it->second.used = true;
    }
  }
  for (const auto& [first, e] : measured)
    if (!e.used)
      throw DamagedFileError(rules.cell_sky[e.file],
                             "holds a region that is not in '" + change + "'");
  auto kept = [&](const Joined::Sums& s) {
    return s.size >= static_cast<std::uint64_t>(min_pixels) && (!need_seed || s.seeded);
  };
  const Joined regions(labelled, cells, cols,
                       [](CellRegions& c) -> Regions& { return *c.regions; });
  std::optional<Joined> judged, rest;
  std::vector<RegionSkyVerdict> verdict;  ///< per judged region (at its root's number)
  if (screening) {
    judged.emplace(labelled, cells, cols, [](CellRegions& c) -> Regions& { return *c.judged; });
    // The regions in raster order of their first pixels.
    std::vector<std::size_t> order;
    for (std::size_t g = 0; g < judged->sums.size(); ++g)
      if (judged->root[g] == g && kept(judged->sums[g])) order.push_back(g);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return judged->sums[a].first < judged->sums[b].first;
    });
    std::vector<ChangeRegionSky> skies;
    for (const std::size_t g : order) skies.push_back(judged->sums[g].sky.region());
    const auto verdicts = screen_change_regions(skies, screening->min_cloud_pixels,
                                                screening->max_shadow_distance_px);
    verdict.assign(judged->sums.size(), {});
    for (std::size_t k = 0; k < order.size(); ++k) verdict[order[k]] = verdicts[k];
    screening->regions = std::move(skies);
    screening->verdicts = verdicts;
  }
  if (seasonal) {
    rest.emplace(labelled, cells, cols, [](CellRegions& c) -> Regions& { return *c.rest; });
    seasonal->regions = 0;
    seasonal->pixels = 0;
  }
  auto is_seasonal_region = [&](const Joined::Sums& s) {
    return kept(s) && double(s.seasonal) >= seasonal->min_share * double(s.size);
  };
  if (seasonal)
    for (std::size_t g = 0; g < regions.sums.size(); ++g)
      seasonal->regions += regions.root[g] == g && is_seasonal_region(regions.sums[g]);

  std::array<std::int64_t, 256> counts{};
  std::set<std::size_t> screened;  ///< the judged regions that took changed pixels out
  std::vector<std::uint8_t> buf, flags, verdicts, marks, kept_apart;
  std::vector<std::int32_t> where;
  for (std::size_t k = 0; k < cells.size(); ++k) {
    const Window& cell = cells[k];
    CellRegions& cr = labelled[k];
    if (left_alone(cell)) {
      cr = {};
      continue;
    }
    // What each of the cell's labels comes to.
    const auto keep = regions.per_label<std::uint8_t>(
        k, [&](const Joined::Sums& s, std::size_t) { return std::uint8_t(kept(s)); });
    std::vector<std::uint8_t> season_of, rest_keep, judged_value;
    std::vector<std::int32_t> judged_region;
    if (seasonal) {
      season_of = regions.per_label<std::uint8_t>(k, [&](const Joined::Sums& s, std::size_t) {
        return std::uint8_t(is_seasonal_region(s));
      });
      rest_keep = rest->per_label<std::uint8_t>(
          k, [&](const Joined::Sums& s, std::size_t) { return std::uint8_t(kept(s)); });
    }
    if (judged) {
      judged_value = judged->per_label<std::uint8_t>(k, [&](const Joined::Sums& s, std::size_t g) {
        if (!kept(s)) return std::uint8_t(0);
        return verdict[g].kind != RegionSkyVerdict::ground
                   ? static_cast<std::uint8_t>(2 + verdict[g].date)
                   : std::uint8_t(1);
      });
      judged_region = judged->per_label<std::int32_t>(
          k, [](const Joined::Sums&, std::size_t g) { return static_cast<std::int32_t>(g); });
    }
    const int cw = cell.width;
    for (int r = cell.row; r < cell.row + cell.height; r += kRows) {
      const int n = std::min(kRows, cell.row + cell.height - r);
      const Window win{cell.col, r, cw, n};
      const int r0 = r - cell.row;  // the window's row in the cell
      buf.resize(static_cast<std::size_t>(cw) * n);
      flags.resize(buf.size());
      rows(in.change_band, GF_Read, win, buf.data(), change);
      for (std::size_t i = 0; i < buf.size(); ++i) flags[i] = buf[i] >= 1 && buf[i] <= 3;
      for (int q = 0; q < n; ++q)
        cr.regions->paint(r0 + q, flags.data() + static_cast<std::size_t>(q) * cw, keep);
      if (seasonal) {
        // In a region the season explains: its seasonal pixels are no change, its others
        // change where their own region passes the size and seed rule.
        marks.assign(buf.size(), 0);
        kept_apart.assign(buf.size(), 0);
        for (int q = 0; q < n; ++q) {
          const std::size_t o = static_cast<std::size_t>(q) * cw;
          cr.regions->paint(r0 + q, marks.data() + o, season_of);
          cr.rest->paint(r0 + q, kept_apart.data() + o, rest_keep);
        }
        for (std::size_t i = 0; i < buf.size(); ++i)
          if (marks[i]) {
            flags[i] = kept_apart[i];
            seasonal->pixels += !kept_apart[i];
          }
      }
      if (judged) {
        // Each pixel's verdict from the judged regions (every changed pixel lies in one): 2 +
        // the date for a cloud or its shadow; and which region it is, to count those that
        // screened.
        verdicts.assign(buf.size(), 0);
        where.assign(buf.size(), -1);
        for (int q = 0; q < n; ++q) {
          const std::size_t o = static_cast<std::size_t>(q) * cw;
          cr.judged->paint(r0 + q, verdicts.data() + o, judged_value);
          cr.judged->paint(r0 + q, where.data() + o, judged_region);
        }
      }
      for (std::size_t i = 0; i < buf.size(); ++i) {
        if (buf[i] < 1 || buf[i] > 3) continue;
        if (flags[i] == 0) {
          buf[i] = 0;
        } else if (judged && verdicts[i] >= 2) {  // a cloud or its shadow: no observation
          buf[i] = 255;
          ++screening->pixels[verdicts[i] - 2u];
          screened.insert(static_cast<std::size_t>(where[i]));
        }
      }
      rows(in.change_band, GF_Write, win, buf.data(), change);
      for (auto& v : buf) {
        ++counts[v];
        if (v == 255) v = 0;
      }
      rows(in.candidates_band, GF_Write, win, buf.data(), candidates);
    }
    cr = {};  // its runs are done with
  }
  // Counted by what they took out: a cloud whose changed pixels the size and seed rule had
  // already removed is no cloud of the change.
  for (const std::size_t g : screened) {
    screening->clouds += verdict[g].kind == RegionSkyVerdict::cloud;
    screening->shadows += verdict[g].kind == RegionSkyVerdict::shadow;
  }
  close_or_throw(rasters.candidates, candidates);
  close_or_throw(rasters.change, change);
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
