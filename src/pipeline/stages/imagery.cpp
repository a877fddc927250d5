#include "imagery.h"

#include <algorithm>
#include <cstdio>

#include "farmwatch/io/mosaic.h"
#include "farmwatch/io/raster_writer.h"

namespace farmwatch::pipeline::stages {
namespace {

/// The value below which `share` of the counted pixels lie (histogram of reflectance x 10000).
double percentile(const std::vector<std::int64_t>& h, std::int64_t total, double share) {
  std::int64_t seen = 0;
  for (std::size_t v = 0; v < h.size(); ++v) {
    seen += h[v];
    if (static_cast<double>(seen) >= share * static_cast<double>(total)) return double(v);
  }
  return double(h.size() - 1);
}

/// n x n windows of size² pixels spread evenly over `area`, its edges included.
std::vector<Window> lattice(const Window& area, int n, int size) {
  std::vector<Window> out;
  if (area.empty()) return out;
  const int w = std::min(size, area.width), h = std::min(size, area.height);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) {
      const Window win{area.col + (area.width - w) * i / (n - 1),
                       area.row + (area.height - h) * j / (n - 1), w, h};
      if (std::find(out.begin(), out.end(), win) == out.end()) out.push_back(win);
    }
  return out;
}

}  // namespace

std::string ImageryStretch::describe() const {
  static const char* names[3] = {"Red", "Green", "Blue"};
  std::string s;
  for (int b = 0; b < 3; ++b) {
    char part[64];
    std::snprintf(part, sizeof part, "%s%s %.4f-%.4f", b ? ", " : "", names[b], lo[b] / 1e4,
                  hi[b] / 1e4);
    s += part;
  }
  return s;
}

ImageryStretch imagery_stretch(const engine::LanduseChangeJob& job, std::size_t date) {
  const io::Mosaic& m = job.images.at(date);
  // The bounding window of the date's scenes on the grid.
  int c0 = job.grid.width, r0 = job.grid.height, c1 = 0, r1 = 0;
  for (const auto& scene : m.scenes) {
    const Window f = io::footprint_on(scene, job.grid);
    if (f.empty()) continue;
    c0 = std::min(c0, f.col), r0 = std::min(r0, f.row);
    c1 = std::max(c1, f.col + f.width), r1 = std::max(r1, f.row + f.height);
  }
  std::array<std::vector<std::int64_t>, 3> hist;
  for (auto& h : hist) h.assign(10001, 0);
  std::int64_t total = 0;
  if (c1 > c0 && r1 > r0) {
    io::MosaicReader reader(m, job.grid, io::Resampling::reflectance);
    ReflectanceBlock block;
    std::vector<std::uint16_t> rgb;
    const Window area{c0, r0, c1 - c0, r1 - r0};
    // A small grid is read whole.
    const auto windows = area.pixels() <= 6 * 6 * 128 * 128 ? std::vector<Window>{area}
                                                             : lattice(area, 6, 128);
    for (const Window& w : windows) {
      reader.read_reflectance(w, block);
      engine::true_colour(block, rgb);
      const std::size_t n = static_cast<std::size_t>(w.pixels());
      if (rgb.size() != 3 * n) continue;
      for (std::size_t k = 0; k < n; ++k) {
        if (!rgb[k]) continue;  // no valid true colour
        ++total;
        for (std::size_t b = 0; b < 3; ++b)
          ++hist[b][std::min<std::uint16_t>(rgb[b * n + k], 10000)];
      }
    }
  }
  ImageryStretch s;
  for (int b = 0; b < 3; ++b) {
    if (!total) {
      s.lo[b] = 0, s.hi[b] = 3000;
      continue;
    }
    s.lo[b] = percentile(hist[b], total, 0.02);
    s.hi[b] = std::max(s.lo[b] + 1, percentile(hist[b], total, 0.98));
  }
  return s;
}

void write_imagery(const std::string& rgb, const ImageryStretch& stretch, const std::string& out,
                   const std::string& date, const std::vector<Window>* windows) {
  io::BlockRasterReader in(rgb);
  io::RasterLayout l;
  l.grid = in.grid();
  l.bands = 4;
  l.compress = "NONE";
  l.sparse = windows != nullptr;
  l.metadata["FARMWATCH_LAYER"] = "imagery";
  const char* names[3] = {"Red", "Green", "Blue"};
  for (int b = 0; b < 3; ++b)
    l.band_info.push_back({std::string(names[b]) + " (true colour " + date + ")", std::nullopt,
                           std::nullopt, std::nullopt, names[b], {}});
  l.band_info.push_back({"alpha: 0 no data", std::nullopt, std::nullopt, std::nullopt, "Alpha", {}});
  l.metadata["FARMWATCH_STRETCH"] = "reflectance " + stretch.describe();
  io::BlockRasterWriter w(out, l);
  // The stretch of every 16-bit value, per band, looked up (a province's imagery is billions of
  // pixels).
  std::array<std::vector<std::uint8_t>, 3> stretched;
  for (int b = 0; b < 3; ++b) {
    const double scale = 255.0 / (stretch.hi[b] - stretch.lo[b]);
    stretched[b].resize(65536);
    for (std::size_t v = 0; v < 65536; ++v)
      stretched[b][v] = static_cast<std::uint8_t>(
          std::clamp((static_cast<double>(v) - stretch.lo[b]) * scale + 0.5, 0.0, 255.0));
  }
  std::vector<Window> strips;
  for (const Window& area : windows ? *windows : std::vector<Window>{{0, 0, l.grid.width, l.grid.height}})
    for (int row = area.row; row < area.row + area.height; row += 256)
      strips.push_back({area.col, row, area.width, std::min(256, area.row + area.height - row)});
  std::vector<std::uint16_t> v;
  std::vector<std::uint8_t> o, alpha;
  for (const Window& win : strips) {
    const std::size_t n = static_cast<std::size_t>(win.pixels());
    alpha.assign(n, 255);
    for (int b = 0; b < 3; ++b) {
      v.resize(n);
      o.resize(n);
      in.read(win, b + 1, io::PixelType::u16, v.data());
      const std::uint8_t* lut = stretched[b].data();
      for (std::size_t k = 0; k < n; ++k) {
        if (!v[k]) alpha[k] = 0;
        o[k] = lut[v[k]];
      }
      w.write(win, o.data(), b + 1);
    }
    w.write(win, alpha.data(), 4);
  }
  w.close();
}

}  // namespace farmwatch::pipeline::stages
