#include "sampling.h"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <memory>

namespace farmwatch::pipeline::stages {

std::vector<Window> sample_windows(const Window& area, int size) {
  std::vector<Window> out;
  if (area.empty()) return out;
  const int w = std::min(size, area.width), h = std::min(size, area.height);
  for (int j = 0; j < 3; ++j)
    for (int i = 0; i < 3; ++i) {
      const Window win{area.col + (area.width - w) * i / 2, area.row + (area.height - h) * j / 2, w,
                       h};
      if (std::find(out.begin(), out.end(), win) == out.end()) out.push_back(win);
    }
  return out;
}

std::vector<Window> sample_windows(const Grid& g, int size) {
  return sample_windows(Window{0, 0, g.width, g.height}, size);
}

PairedWindows read_pairs(const io::Mosaic& earlier, const io::Mosaic& later, const Grid& grid,
                         const std::vector<Window>& windows) {
  PairedWindows p;
  p.earlier.resize(windows.size());
  p.later.resize(windows.size());
  // One pair of readers per thread, not per window: setting up a reader that warps searches
  // PROJ's database for the coordinate operation.
  struct Readers {
    io::MosaicReader a, b;
  };
  tbb::enumerable_thread_specific<std::unique_ptr<Readers>> readers;
  tbb::parallel_for(std::size_t(0), windows.size(), [&](std::size_t k) {
    auto& r = readers.local();
    if (!r)
      r = std::make_unique<Readers>(
          Readers{io::MosaicReader(earlier, grid, io::Resampling::reflectance),
                  io::MosaicReader(later, grid, io::Resampling::reflectance)});
    r->a.read_reflectance(windows[k], p.earlier[k]);
    r->b.read_reflectance(windows[k], p.later[k]);
  });
  return p;
}

void paired_samples(const PairedWindows& p, const std::vector<BandRole>& roles,
                    std::vector<std::vector<float>>& x, std::vector<std::vector<float>>& y) {
  constexpr std::size_t kStride = 3;
  x.assign(roles.size(), {});
  y.assign(roles.size(), {});
  if (roles.empty()) return;
  for (std::size_t k = 0; k < p.earlier.size(); ++k) {
    const auto& a = p.earlier[k];
    const auto& b = p.later[k];
    for (std::size_t i = 0; i < a.plane(roles[0]).size(); i += kStride) {
      bool valid = true;
      for (BandRole r : roles)
        valid = valid && std::isfinite(a.plane(r)[i]) && std::isfinite(b.plane(r)[i]);
      if (!valid) continue;
      for (std::size_t j = 0; j < roles.size(); ++j) {
        x[j].push_back(a.plane(roles[j])[i]);
        y[j].push_back(b.plane(roles[j])[i]);
      }
    }
  }
}

}  // namespace farmwatch::pipeline::stages
