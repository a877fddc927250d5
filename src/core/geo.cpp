#include "farmwatch/core/geo.h"

#include <algorithm>
#include <cmath>

namespace farmwatch {

Box Box::intersect(const Box& o) const {
  return {std::max(xmin, o.xmin), std::max(ymin, o.ymin), std::min(xmax, o.xmax),
          std::min(ymax, o.ymax)};
}

void GeoTransform::to_map(double col, double row, double& x, double& y) const {
  x = c[0] + col * c[1] + row * c[2];
  y = c[3] + col * c[4] + row * c[5];
}

double GeoTransform::pixel_width() const { return std::hypot(c[1], c[4]); }
double GeoTransform::pixel_height() const { return std::hypot(c[2], c[5]); }

Grid Grid::north_up() const {
  if (transform.north_up()) return *this;
  const auto& t = transform.c;
  const Box e = extent();
  Grid g;
  g.crs_wkt = crs_wkt;
  if (t[2] == 0 && t[4] == 0) {
    g.width = width;
    g.height = height;
    g.transform.c = {e.xmin, std::fabs(t[1]), 0, e.ymax, 0, -std::fabs(t[5])};
    return g;
  }
  const double res = std::sqrt(std::fabs(t[1] * t[5] - t[2] * t[4]));
  // Whole pixels over the footprint; the tolerance keeps an exact fit from gaining a column.
  auto count = [res](double length) {
    return std::max(1, static_cast<int>(std::ceil(length / res - 1e-9)));
  };
  g.width = count(e.width());
  g.height = count(e.height());
  g.transform.c = {e.xmin, res, 0, e.ymax, 0, -res};
  return g;
}

Box Grid::extent() const {
  double xs[4], ys[4];
  transform.to_map(0, 0, xs[0], ys[0]);
  transform.to_map(width, 0, xs[1], ys[1]);
  transform.to_map(0, height, xs[2], ys[2]);
  transform.to_map(width, height, xs[3], ys[3]);
  return {*std::min_element(xs, xs + 4), *std::min_element(ys, ys + 4),
          *std::max_element(xs, xs + 4), *std::max_element(ys, ys + 4)};
}

Grid Grid::snapped(const Box& box, double resolution, std::string crs_wkt) {
  const double x0 = std::floor(box.xmin / resolution) * resolution;
  const double y1 = std::ceil(box.ymax / resolution) * resolution;
  const double x1 = std::ceil(box.xmax / resolution) * resolution;
  const double y0 = std::floor(box.ymin / resolution) * resolution;
  Grid g;
  g.width = static_cast<int>(std::lround((x1 - x0) / resolution));
  g.height = static_cast<int>(std::lround((y1 - y0) / resolution));
  g.transform.c = {x0, resolution, 0, y1, 0, -resolution};
  g.crs_wkt = std::move(crs_wkt);
  return g;
}

std::vector<Window> Grid::blocks(int block_w, int block_h) const {
  std::vector<Window> out;
  for (int r = 0; r < height; r += block_h)
    for (int c = 0; c < width; c += block_w)
      out.push_back({c, r, std::min(block_w, width - c), std::min(block_h, height - r)});
  return out;
}

Grid Grid::subgrid(const Window& w) const {
  Grid g;
  g.width = w.width;
  g.height = w.height;
  g.transform = transform;
  transform.to_map(w.col, w.row, g.transform.c[0], g.transform.c[3]);
  g.crs_wkt = crs_wkt;
  return g;
}

Window Grid::window_for(const Box& box) const {
  // North-up grids only: the engine always works on such grids.
  const auto& t = transform.c;
  const int c0 = std::max(0, static_cast<int>(std::floor((box.xmin - t[0]) / t[1])));
  const int c1 = std::min(width, static_cast<int>(std::ceil((box.xmax - t[0]) / t[1])));
  const int r0 = std::max(0, static_cast<int>(std::floor((box.ymax - t[3]) / t[5])));
  const int r1 = std::min(height, static_cast<int>(std::ceil((box.ymin - t[3]) / t[5])));
  if (c1 <= c0 || r1 <= r0) return {};
  return {c0, r0, c1 - c0, r1 - r0};
}

}  // namespace farmwatch
