#include "farmwatch/io/change_sieve.h"

#include <gdal_alg.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "farmwatch/core/error.h"
#include "farmwatch/core/quality_mask.h"
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

/// What one changed pixel tells the cloud screening (ChangeRegionSky, per pixel).
struct PixelSky {
  std::uint8_t bits = 0;  ///< TemporalSkyBit
  bool pattern = false;   ///< kPatternKeptBit
  bool boundary = false;  ///< a 4-neighbour observed on both dates and unchanged
  float gradient = 0, brightening = 0;
  float outside = 0;           ///< the sum of those neighbours' brightening
  std::uint8_t outside_n = 0;  ///< and how many
};

/// 8-connected regions of flagged pixels, fed one row at a time from the top: each run of
/// flagged pixels gets a provisional label; labels that meet are united (union-find), and a
/// region counts its pixels and its seasonal ones (kSeasonalBit) and is seeded when any of its
/// pixels is; with `sky`, it also sums what its pixels tell the cloud screening. Memory: the
/// runs (12 bytes each) and 13 bytes per label (at most one per run), about 110 more with
/// `sky`; no raster of labels.
class SeededRegions {
 public:
  SeededRegions(int width, bool sky)
      : prev_(static_cast<std::size_t>(width), 0), cur_(static_cast<std::size_t>(width), 0) {
    row_start_.push_back(0);
    if (sky) sky_.emplace_back();
  }

  /// Labels the next row (`flag`, `seed`, `season`: 0/1 per pixel, null: none; `sky` only if
  /// constructed with it).
  void row(const std::uint8_t* flag, const std::uint8_t* seed, const PixelSky* sky = nullptr,
           const std::uint8_t* season = nullptr) {
    const int w = static_cast<int>(cur_.size());
    for (int c = 0; c < w; ++c) {
      std::int32_t l = 0;
      if (flag[c]) {
        const std::int32_t around[4] = {c > 0 ? cur_[c - 1] : 0, c > 0 ? prev_[c - 1] : 0, prev_[c],
                                        c + 1 < w ? prev_[c + 1] : 0};
        for (std::int32_t n : around)
          if (n) l = l ? unite(l, n) : find(n);
        if (!l) {
          l = static_cast<std::int32_t>(parent_.size());
          parent_.push_back(l);
          seeded_.push_back(0);
          size_.push_back(0);
          seasonal_.push_back(0);
          if (!sky_.empty()) sky_.emplace_back();
        }
        // l is a root here (new, or what find or unite returned).
        auto& n = size_[static_cast<std::size_t>(l)];
        n += n < kMaxCount;
        if (season && season[c]) {
          auto& m = seasonal_[static_cast<std::size_t>(l)];
          m += m < kMaxCount;
        }
        if (seed && seed[c]) seeded_[static_cast<std::size_t>(l)] = 1;
        if (sky) {
          auto& g = sky_[static_cast<std::size_t>(l)];
          const PixelSky& p = sky[c];
          ++g.pixels;
          for (std::size_t k = 0; k < g.flagged.size(); ++k) g.flagged[k] += (p.bits >> k) & 1u;
          g.pattern_kept += p.pattern;
          if (p.boundary) {
            ++g.boundary;
            g.boundary_gradient += p.gradient;
            g.outside += p.outside;
            g.outside_pixels += p.outside_n;
          }
          g.brightening += p.brightening;
          g.row_sum += row_;
          g.col_sum += c;
        }
        if (c > 0 && cur_[c - 1] && runs_.size() > row_start_.back() && runs_.back().end == c)
          ++runs_.back().end;
        else
          runs_.push_back({c, c + 1, l});
      }
      cur_[c] = l;
    }
    std::swap(prev_, cur_);
    row_start_.push_back(runs_.size());
    ++row_;
  }
  /// Judges the regions `clear` keeps (every row fed) for the cloud screening (constructed
  /// with `sky`): verdict() then tells each region's.
  void judge_sky(int min_pixels, bool need_seed, std::int64_t min_cloud_pixels,
                 double max_shadow_distance_px) {
    std::vector<ChangeRegionSky> regions;
    std::vector<std::size_t> roots;
    for (std::size_t x = 1; x < parent_.size(); ++x)
      if (parent_[x] == static_cast<std::int32_t>(x) && kept(x, min_pixels, need_seed)) {
        roots.push_back(x);
        regions.push_back(sky_[x]);
      }
    const auto verdicts = screen_change_regions(regions, min_cloud_pixels, max_shadow_distance_px);
    verdict_.assign(parent_.size(), {});
    for (std::size_t k = 0; k < roots.size(); ++k) verdict_[roots[k]] = verdicts[k];
  }

  /// How many regions `clear` keeps (every row fed) are at least `share` seasonal.
  int seasonal_regions(int min_pixels, bool need_seed, double share) {
    int n = 0;
    for (std::size_t x = 1; x < parent_.size(); ++x)
      n += parent_[x] == static_cast<std::int32_t>(x) && kept(x, min_pixels, need_seed) &&
           seasonal(x, share);
    return n;
  }
  /// Marks, in `out` (row `r`, every row already fed), the pixels of the regions `clear` keeps
  /// that are at least `share` seasonal 1, those of other regions 0; leaves the rest.
  void mark_seasonal(int r, std::uint8_t* out, int min_pixels, bool need_seed, double share) {
    for (std::size_t k = row_start_[static_cast<std::size_t>(r)];
         k < row_start_[static_cast<std::size_t>(r) + 1]; ++k) {
      const Run& run = runs_[k];
      const auto root = static_cast<std::size_t>(find(run.label));
      std::fill(out + run.begin, out + run.end,
                kept(root, min_pixels, need_seed) && seasonal(root, share) ? 1 : 0);
    }
  }

  /// Marks, in `flag` (row `r`, every row already fed; 1 changed), the pixels of regions smaller
  /// than `min_pixels`, and with `need_seed` of regions that hold no seed, 0; after judge_sky,
  /// those of a cloud or its shadow 2 + the date.
  void clear(int r, std::uint8_t* flag, int min_pixels, bool need_seed) {
    for (std::size_t k = row_start_[static_cast<std::size_t>(r)];
         k < row_start_[static_cast<std::size_t>(r) + 1]; ++k) {
      const Run& run = runs_[k];
      const auto root = static_cast<std::size_t>(find(run.label));
      std::uint8_t v = 0;
      if (kept(root, min_pixels, need_seed))
        v = !verdict_.empty() && verdict_[root].kind != RegionSkyVerdict::ground
                ? static_cast<std::uint8_t>(2 + verdict_[root].date)
                : 1;
      std::fill(flag + run.begin, flag + run.end, v);
    }
  }

  /// Each pixel's region in row `r` (every row already fed): its root label, 0 outside the
  /// regions; with a verdict after judge_sky.
  void roots(int r, std::int32_t* out) {
    const std::size_t w = cur_.size();
    std::fill(out, out + w, 0);
    for (std::size_t k = row_start_[static_cast<std::size_t>(r)];
         k < row_start_[static_cast<std::size_t>(r) + 1]; ++k) {
      const Run& run = runs_[k];
      std::fill(out + run.begin, out + run.end, find(run.label));
    }
  }
  /// The verdict of region `root` (after judge_sky).
  RegionSkyVerdict::Kind verdict(std::int32_t root) const {
    return verdict_.empty() ? RegionSkyVerdict::ground
                            : verdict_[static_cast<std::size_t>(root)].kind;
  }

 private:
  bool kept(std::size_t root, int min_pixels, bool need_seed) const {
    return size_[root] >= static_cast<std::uint32_t>(min_pixels) && (!need_seed || seeded_[root]);
  }
  bool seasonal(std::size_t root, double share) const {
    return double(seasonal_[root]) >= share * double(size_[root]);
  }
  struct Run {
    int begin, end;  ///< columns [begin, end)
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
    parent_[static_cast<std::size_t>(b)] = a;
    seeded_[static_cast<std::size_t>(a)] |= seeded_[static_cast<std::size_t>(b)];
    const std::uint64_t n =
        std::uint64_t(size_[static_cast<std::size_t>(a)]) + size_[static_cast<std::size_t>(b)];
    size_[static_cast<std::size_t>(a)] =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(n, kMaxCount));
    const std::uint64_t m = std::uint64_t(seasonal_[static_cast<std::size_t>(a)]) +
                            seasonal_[static_cast<std::size_t>(b)];
    seasonal_[static_cast<std::size_t>(a)] =
        static_cast<std::uint32_t>(std::min<std::uint64_t>(m, kMaxCount));
    if (!sky_.empty()) sky_[static_cast<std::size_t>(a)].add(sky_[static_cast<std::size_t>(b)]);
    return a;
  }
  static constexpr std::uint32_t kMaxCount = 0xffffffffu;  ///< sizes saturate: only compared
  std::vector<std::int32_t> parent_{0};
  std::vector<char> seeded_{0};
  std::vector<std::uint32_t> size_{0};
  std::vector<std::uint32_t> seasonal_{0};  ///< pixels with kSeasonalBit, per label
  int row_ = 0;                             ///< rows fed
  std::vector<ChangeRegionSky> sky_;        ///< per label, with the cloud screening
  std::vector<RegionSkyVerdict> verdict_;   ///< per root, after judge_sky
  std::vector<std::int32_t> prev_, cur_;
  std::vector<Run> runs_;
  std::vector<std::size_t> row_start_;  ///< first run of each row, and the end
};

}  // namespace

namespace {

/// The cloud screening's view of rows [r, r + n) of a w-wide grid h high: which pixels
/// changed, and the brightening (the change vector's blue, green and red, averaged) over the
/// columns of the changed pixels and one either side, with a row of halo above and below.
/// About 10 bytes per pixel of those columns and 2 per pixel of the rows (the change values
/// and the candidates); row() then gives one row's PixelSky at a time.
class ChunkSky {
 public:
  ChunkSky(GDALRasterBand* change_band, const std::string& change, GDALRasterBand* candidates_band,
           const std::string& candidates, GDALDataset& delta, const CloudScreening& scr, int r,
           int n, int w, int h)
      : r_(r), w_(w), h_(h), r0_(std::max(0, r - 1)), r1_(std::min(h, r + n + 1)) {
    const int m = r1_ - r0_;
    // Per pixel: 1 changed, 0 observed and unchanged, 2 no data on either date, 3 no data
    // but judged with the regions (is_sky_only).
    changed_.resize(static_cast<std::size_t>(w) * m);
    rows(change_band, GF_Read, r0_, w, m, changed_.data(), change);
    cand_.resize(changed_.size());
    rows(candidates_band, GF_Read, r0_, w, m, cand_.data(), candidates);
    for (std::size_t i = 0; i < changed_.size(); ++i) {
      const std::uint8_t v = changed_[i];
      changed_[i] = v >= 1 && v <= 3 ? 1 : v == 0 ? 0 : is_sky_only(cand_[i]) ? 3 : 2;
    }
    int cmin = w, cmax = -1;
    for (int row = r; row < r + n; ++row)
      for (int c = 0; c < w; ++c)
        if (changed_[static_cast<std::size_t>(row - r0_) * w + c] & 1) {
          cmin = std::min(cmin, c);
          cmax = std::max(cmax, c);
        }
    if (cmax < 0) return;
    c0_ = std::max(0, cmin - 1);
    c1_ = std::min(w, cmax + 2);
    const int cw = c1_ - c0_;
    bright_.assign(static_cast<std::size_t>(cw) * m, 0.0f);
    finite_.assign(bright_.size(), 1);
    std::vector<float> band(bright_.size());
    for (int b : {scr.blue_band, scr.green_band, scr.red_band}) {
      GDALRasterBand* rb = delta.GetRasterBand(b);
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

  /// Row k of the chunk as 1 where changed, 0 elsewhere; with `sky_only`, also 1 where
  /// is_sky_only (the regions the screening judges).
  void flags(int k, std::uint8_t* out, bool sky_only = false) const {
    for (int c = 0; c < w_; ++c) {
      const std::uint8_t s = state(r_ + k, c);
      out[c] = s == 1 || (sky_only && s == 3);
    }
  }
  /// Row k of the chunk's candidates (its rows follow one another).
  const std::uint8_t* candidates(int k) const {
    return cand_.data() + static_cast<std::size_t>(r_ + k - r0_) * w_;
  }

  /// Row k of the chunk: each changed or is_sky_only pixel's sky bits, whether it lies on its
  /// region's boundary with observed unchanged ground, the brightening and, on the boundary,
  /// its gradient (3 x 3 Sobel / 8; a neighbour off the grid or with no data repeats the pixel
  /// itself).
  void row(int k, std::vector<PixelSky>& out) const {
    out.assign(static_cast<std::size_t>(w_), {});
    if (bright_.empty()) return;
    const int row = r_ + k;
    const std::uint8_t* cand = candidates(k);
    for (int c = 0; c < w_; ++c) {
      if (!(state(row, c) & 1)) continue;
      PixelSky& p = out[static_cast<std::size_t>(c)];
      p.bits = static_cast<std::uint8_t>((cand[c] >> kSkyShift) & 0x0f);
      p.pattern = is_pattern_kept(cand[c]);
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
  std::uint8_t state(int row, int col) const {  // 2 (no data) off the grid
    if (row < r0_ || row >= r1_ || col < 0 || col >= w_) return 2;
    return changed_[static_cast<std::size_t>(row - r0_) * w_ + col];
  }
  /// The brightening at a pixel of the columns read (every pixel within one of a changed
  /// one); outside them or where it is missing, `fallback`.
  float brightening(int row, int col, float fallback) const {
    if (row < r0_ || row >= r1_ || col < c0_ || col >= c1_) return fallback;
    const std::size_t i = static_cast<std::size_t>(row - r0_) * (c1_ - c0_) + (col - c0_);
    return finite_[i] ? bright_[i] : fallback;
  }

  int r_, w_, h_, r0_, r1_, c0_ = 0, c1_ = 0;
  std::vector<std::uint8_t> changed_, cand_, finite_;
  std::vector<float> bright_;
};

}  // namespace

std::array<std::int64_t, 256> sieve_change(const std::string& change, const std::string& candidates,
                                           const ChangeSieveRules& rules) {
  const int min_pixels = rules.min_pixels;
  const bool need_seed = rules.need_seed;
  CloudScreening* const screening = rules.screening;
  SeasonalExclusion* const seasonal = rules.seasonal;
  auto ds = open_raster(change, true);
  GDALRasterBand* band = ds->GetRasterBand(1);
  auto cand = open_raster(candidates, true);
  GDALRasterBand* out = cand->GetRasterBand(1);
  const int w = ds->GetRasterXSize(), h = ds->GetRasterYSize();
  DatasetPtr delta;
  if (screening) {
    delta = open_raster(screening->change_vector);
    for (int b : {screening->blue_band, screening->green_band, screening->red_band})
      if (b < 1 || b > delta->GetRasterCount())
        throw ProcessingError("change vector '" + screening->change_vector + "' has no band " +
                              std::to_string(b));
    if (delta->GetRasterXSize() != w || delta->GetRasterYSize() != h)
      throw ProcessingError("change vector '" + screening->change_vector +
                            "' is not the size of '" + change + "'");
    screening->pixels = {};
    screening->clouds = screening->shadows = 0;
  }
  // Changed or not, whatever the category: a region of 非农化 and other change side by side
  // is one region. Pass 1 labels the regions row by row (their sizes, their seeds, what they
  // tell the cloud screening); pass 2 clears the small and the unseeded ones and marks the
  // clouds and shadows no data. GDAL's sieve filter did the sizes before: it also labels the
  // unchanged regions and held 23 GB on a 21960² grid, where this holds the runs.
  // With the screening, the regions it judges are labelled apart: the changed pixels joined
  // by the is_sky_only ones (a cloud's core the rules took out, with its edge). The size and
  // seed rule keeps regions of changed pixels alone, as without the screening.
  SeededRegions regions(w, false);
  std::optional<SeededRegions> judged, rest;
  if (screening) judged.emplace(w, true);
  // With the seasonal exclusion, the changed pixels that are not seasonal are labelled apart
  // too: where a region is the season's, they stay change only as regions of their own that
  // pass the size and seed rule (a roof beside a ploughed field), not as its scattered pixels.
  if (seasonal) rest.emplace(w, false);
  std::vector<std::uint8_t> buf, seeds, season, raw, members, others;
  std::vector<PixelSky> sky;
  for (int r = 0; r < h; r += kRows) {
    const int n = std::min(kRows, h - r);
    buf.resize(static_cast<std::size_t>(w) * n);
    // The screening reads these rows with their halo: the flags come from that read.
    std::optional<ChunkSky> chunk;
    if (screening) {
      chunk.emplace(band, change, out, candidates, *delta, *screening, r, n, w, h);
      for (int k = 0; k < n; ++k) chunk->flags(k, buf.data() + static_cast<std::size_t>(k) * w);
    } else {
      rows(band, GF_Read, r, w, n, buf.data(), change);
      for (auto& v : buf) v = v >= 1 && v <= 3 ? 1 : 0;
    }
    if (need_seed || seasonal) {
      // The chunk's rows of candidates, as the screening read them or read here.
      const std::uint8_t* rows_read = chunk ? chunk->candidates(0) : nullptr;
      if (!rows_read) {
        raw.resize(buf.size());
        rows(out, GF_Read, r, w, n, raw.data(), candidates);
        rows_read = raw.data();
      }
      seeds.resize(need_seed ? buf.size() : 0);
      for (std::size_t i = 0; i < seeds.size(); ++i) seeds[i] = (rows_read[i] & kSeedBit) ? 1 : 0;
      season.resize(seasonal ? buf.size() : 0);
      for (std::size_t i = 0; i < season.size(); ++i)
        season[i] = buf[i] && is_seasonal(rows_read[i]);
    }
    members.resize(static_cast<std::size_t>(w));
    for (int k = 0; k < n; ++k) {
      const std::size_t o = static_cast<std::size_t>(k) * w;
      regions.row(buf.data() + o, need_seed ? seeds.data() + o : nullptr, nullptr,
                  seasonal ? season.data() + o : nullptr);
      if (rest) {
        others.resize(static_cast<std::size_t>(w));
        for (int c = 0; c < w; ++c) others[c] = buf[o + c] && !season[o + c];
        rest->row(others.data(), need_seed ? seeds.data() + o : nullptr);
      }
      if (!chunk) continue;
      chunk->row(k, sky);
      chunk->flags(k, members.data(), /*sky_only=*/true);
      judged->row(members.data(), need_seed ? seeds.data() + o : nullptr, sky.data());
    }
  }
  if (screening)
    judged->judge_sky(min_pixels, need_seed, screening->min_cloud_pixels,
                      screening->max_shadow_distance_px);
  if (seasonal) {
    seasonal->regions = regions.seasonal_regions(min_pixels, need_seed, seasonal->min_share);
    seasonal->pixels = 0;
  }
  std::array<std::int64_t, 256> counts{};
  std::vector<std::uint8_t> flags, verdicts, marks, kept_apart;
  std::vector<std::int32_t> roots;
  std::set<std::int32_t> screened;  ///< the judged regions that took changed pixels out
  for (int r = 0; r < h; r += kRows) {
    const int n = std::min(kRows, h - r);
    buf.resize(static_cast<std::size_t>(w) * n);
    flags.resize(buf.size());
    rows(band, GF_Read, r, w, n, buf.data(), change);
    for (std::size_t i = 0; i < buf.size(); ++i) flags[i] = buf[i] >= 1 && buf[i] <= 3;
    for (int k = 0; k < n; ++k)
      regions.clear(r + k, flags.data() + static_cast<std::size_t>(k) * w, min_pixels, need_seed);
    if (seasonal) {
      // In a region the season explains: its seasonal pixels are no change, its others change
      // where their own region passes the size and seed rule.
      marks.assign(buf.size(), 0);
      kept_apart.assign(buf.size(), 0);
      for (int k = 0; k < n; ++k) {
        const std::size_t o = static_cast<std::size_t>(k) * w;
        regions.mark_seasonal(r + k, marks.data() + o, min_pixels, need_seed, seasonal->min_share);
        rest->clear(r + k, kept_apart.data() + o, min_pixels, need_seed);
      }
      for (std::size_t i = 0; i < buf.size(); ++i)
        if (marks[i]) {
          flags[i] = kept_apart[i];
          seasonal->pixels += !kept_apart[i];
        }
    }
    if (judged) {
      // Each pixel's verdict from the judged regions (every changed pixel lies in one): 2 + the
      // date for a cloud or its shadow; and which region it is, to count those that screened.
      verdicts.assign(buf.size(), 0);
      roots.resize(buf.size());
      for (int k = 0; k < n; ++k) {
        const std::size_t o = static_cast<std::size_t>(k) * w;
        judged->clear(r + k, verdicts.data() + o, min_pixels, need_seed);
        judged->roots(r + k, roots.data() + o);
      }
    }
    for (std::size_t i = 0; i < buf.size(); ++i) {
      if (buf[i] < 1 || buf[i] > 3) continue;
      if (flags[i] == 0) {
        buf[i] = 0;
      } else if (judged && verdicts[i] >= 2) {  // a cloud or its shadow: no observation
        buf[i] = 255;
        ++screening->pixels[verdicts[i] - 2u];
        screened.insert(roots[i]);
      }
    }
    rows(band, GF_Write, r, w, n, buf.data(), change);
    for (auto& v : buf) {
      ++counts[v];
      if (v == 255) v = 0;
    }
    rows(out, GF_Write, r, w, n, buf.data(), candidates);
  }
  // Counted by what they took out: a cloud whose changed pixels the size and seed rule had
  // already removed is no cloud of the change.
  for (const std::int32_t root : screened) {
    screening->clouds += judged->verdict(root) == RegionSkyVerdict::cloud;
    screening->shadows += judged->verdict(root) == RegionSkyVerdict::shadow;
  }
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
