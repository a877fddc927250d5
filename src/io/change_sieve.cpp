#include "farmwatch/io/change_sieve.h"

#include <gdal_alg.h>

#include <algorithm>
#include <optional>
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

/// 8-connected regions of flagged pixels, fed one row at a time from the top: each run of
/// flagged pixels gets a provisional label; labels that meet are united (union-find), and a
/// region counts its pixels and is seeded when any of its pixels is. Memory: the runs (12
/// bytes each) and 9 bytes per label (at most one per run); no raster of labels.
class SeededRegions {
 public:
  explicit SeededRegions(int width)
      : prev_(static_cast<std::size_t>(width), 0), cur_(static_cast<std::size_t>(width), 0) {
    row_start_.push_back(0);
  }

  /// Labels the next row (`flag`, `seed`: 0/1 per pixel).
  void row(const std::uint8_t* flag, const std::uint8_t* seed) {
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
        }
        // l is a root here (new, or what find or unite returned).
        auto& n = size_[static_cast<std::size_t>(l)];
        n += n < kMaxCount;
        if (seed && seed[c]) seeded_[static_cast<std::size_t>(l)] = 1;
        if (c > 0 && cur_[c - 1] && runs_.size() > row_start_.back() && runs_.back().end == c)
          ++runs_.back().end;
        else
          runs_.push_back({c, c + 1, l});
      }
      cur_[c] = l;
    }
    std::swap(prev_, cur_);
    row_start_.push_back(runs_.size());
  }
  /// Clears, in `flag` (row `r`, every row already fed), the pixels of regions smaller than
  /// `min_pixels`, and with `need_seed` of regions that hold no seed.
  void clear(int r, std::uint8_t* flag, int min_pixels, bool need_seed) {
    for (std::size_t k = row_start_[static_cast<std::size_t>(r)];
         k < row_start_[static_cast<std::size_t>(r) + 1]; ++k) {
      const Run& run = runs_[k];
      const auto root = static_cast<std::size_t>(find(run.label));
      if (size_[root] < static_cast<std::uint32_t>(min_pixels) || (need_seed && !seeded_[root]))
        std::fill(flag + run.begin, flag + run.end, std::uint8_t{0});
    }
  }

 private:
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
    const std::uint64_t n = std::uint64_t(size_[static_cast<std::size_t>(a)]) +
                            size_[static_cast<std::size_t>(b)];
    size_[static_cast<std::size_t>(a)] = static_cast<std::uint32_t>(std::min<std::uint64_t>(n, kMaxCount));
    return a;
  }
  static constexpr std::uint32_t kMaxCount = 0xffffffffu;  ///< sizes saturate: only compared
  std::vector<std::int32_t> parent_{0};
  std::vector<char> seeded_{0};
  std::vector<std::uint32_t> size_{0};
  std::vector<std::int32_t> prev_, cur_;
  std::vector<Run> runs_;
  std::vector<std::size_t> row_start_;  ///< first run of each row, and the end
};

}  // namespace

std::array<std::int64_t, 256> sieve_change(const std::string& change, const std::string& candidates,
                                           int min_pixels, bool need_seed) {
  auto ds = open_raster(change, true);
  GDALRasterBand* band = ds->GetRasterBand(1);
  auto cand = open_raster(candidates, true);
  GDALRasterBand* out = cand->GetRasterBand(1);
  const int w = ds->GetRasterXSize(), h = ds->GetRasterYSize();
  // Changed or not, whatever the category: a region of 非农化 and other change side by side
  // is one region. Pass 1 labels the regions row by row (their sizes, their seeds); pass 2
  // clears the small and the unseeded ones. GDAL's sieve filter did the sizes before: it also
  // labels the unchanged regions and held 23 GB on a 21960² grid, where this holds the runs.
  SeededRegions regions(w);
  std::vector<std::uint8_t> buf, seeds;
  for (int r = 0; r < h; r += kRows) {
    const int n = std::min(kRows, h - r);
    buf.resize(static_cast<std::size_t>(w) * n);
    rows(band, GF_Read, r, w, n, buf.data(), change);
    for (auto& v : buf) v = v >= 1 && v <= 3 ? 1 : 0;
    if (need_seed) {
      seeds.resize(buf.size());
      rows(out, GF_Read, r, w, n, seeds.data(), candidates);
      for (auto& v : seeds) v = (v & kSeedBit) ? 1 : 0;
    }
    for (int k = 0; k < n; ++k) {
      const std::size_t o = static_cast<std::size_t>(k) * w;
      regions.row(buf.data() + o, need_seed ? seeds.data() + o : nullptr);
    }
  }
  std::array<std::int64_t, 256> counts{};
  std::vector<std::uint8_t> flags;
  for (int r = 0; r < h; r += kRows) {
    const int n = std::min(kRows, h - r);
    buf.resize(static_cast<std::size_t>(w) * n);
    flags.resize(buf.size());
    rows(band, GF_Read, r, w, n, buf.data(), change);
    for (std::size_t i = 0; i < buf.size(); ++i) flags[i] = buf[i] >= 1 && buf[i] <= 3;
    for (int k = 0; k < n; ++k)
      regions.clear(r + k, flags.data() + static_cast<std::size_t>(k) * w, min_pixels, need_seed);
    for (std::size_t i = 0; i < buf.size(); ++i)
      if (buf[i] >= 1 && buf[i] <= 3 && !flags[i]) buf[i] = 0;
    rows(band, GF_Write, r, w, n, buf.data(), change);
    for (auto& v : buf) {
      ++counts[v];
      if (v == 255) v = 0;
    }
    rows(out, GF_Write, r, w, n, buf.data(), candidates);
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
