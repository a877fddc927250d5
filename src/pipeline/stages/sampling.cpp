#include "sampling.h"

#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "farmwatch/core/spectral_change.h"

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

namespace {
/// The samples (`values[band][sample]`) whose `drop` is 0.
std::vector<std::vector<float>> kept_samples(const std::vector<std::vector<float>>& values,
                                             const std::vector<std::uint8_t>& drop) {
  std::vector<std::vector<float>> out(values.size());
  for (std::size_t b = 0; b < values.size(); ++b)
    for (std::size_t i = 0; i < drop.size(); ++i)
      if (!drop[i]) out[b].push_back(values[b][i]);
  return out;
}
}  // namespace

NoChangeFit fit_no_change(const std::vector<BandRole>& roles,
                          const std::vector<std::vector<float>>& x,
                          const std::vector<std::vector<float>>& y, bool without_turned) {
  NoChangeFit out;
  if (roles.empty()) return out;
  const SpectralChangeTest test;
  const auto turned = vegetation_turned_samples(test, roles, x, y);
  const auto n = std::ssize(turned);
  out.turned = std::count(turned.begin(), turned.end(), std::uint8_t{1});
  const bool others_enough = out.turned > 0 && n - out.turned >= kMinNoChangeFitSamples;
  if (without_turned && others_enough) {
    out.fit = irmad_normalise(kept_samples(x, turned), kept_samples(y, turned));
    out.refitted = true;
    return out;
  }
  out.fit = irmad_normalise(x, y);
  if (!out.fit || !others_enough) return out;
  // The share of the samples that did not turn which the fit calls unchanged, at the change
  // test's false-alarm rate.
  const double critical = chi_square_quantile(1 - test.false_alarm, out.fit->mad.p);
  std::vector<float> a(roles.size()), b(roles.size());
  std::int64_t unchanged = 0;
  for (std::size_t i = 0; i < turned.size(); ++i) {
    if (turned[i]) continue;
    for (std::size_t j = 0; j < roles.size(); ++j) {
      a[j] = x[j][i];
      b[j] = y[j][i];
    }
    unchanged += out.fit->mad.chi_square(a.data(), b.data()) <= critical;
  }
  out.other_unchanged = static_cast<double>(unchanged) / static_cast<double>(n - out.turned);
  if (out.other_unchanged < kMinOtherUnchangedShare) {
    out.season_absorbed = true;
    out.fit = irmad_normalise(kept_samples(x, turned), kept_samples(y, turned));
    out.refitted = true;
  }
  return out;
}

}  // namespace farmwatch::pipeline::stages
