#include "farmwatch/core/building_change.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace farmwatch {

namespace {

using Planes = std::array<cv::Mat1f, 3>;

/// Runs `f(row)` for every row, rows in parallel (each row's result is its own: the same
/// whatever the thread count).
template <class F>
void for_each_row(int rows, const F& f) {
  tbb::parallel_for(tbb::blocked_range<int>(0, rows, 16), [&](const tbb::blocked_range<int>& rr) {
    for (int r = rr.begin(); r != rr.end(); ++r) f(r);
  });
}

Planes planes_of(RgbImage& im) {
  return {cv::Mat1f(im.height, im.width, im.red.data()),
          cv::Mat1f(im.height, im.width, im.green.data()),
          cv::Mat1f(im.height, im.width, im.blue.data())};
}

/// The distinct values of a sample and how many samples lie below each: its sorted order
/// without sorting every sample when the values are whole numbers of 0-65535 (8- and 16-bit
/// images), by counting.
struct Distribution {
  std::vector<float> values;
  std::vector<std::size_t> below;  ///< samples smaller than values[k]
  std::size_t n = 0;

  explicit Distribution(std::vector<float> v) : n(v.size()) {
    const bool counted = std::all_of(
        v.begin(), v.end(), [](float x) { return x >= 0 && x <= 65535 && x == std::floor(x); });
    if (counted) {
      std::vector<std::size_t> count(65536, 0);
      for (float x : v) ++count[static_cast<std::size_t>(x)];
      std::size_t acc = 0;
      for (std::size_t k = 0; k < count.size(); ++k)
        if (count[k]) {
          values.push_back(static_cast<float>(k));
          below.push_back(acc);
          acc += count[k];
        }
      return;
    }
    std::sort(v.begin(), v.end());
    for (std::size_t k = 0; k < v.size(); ++k)
      if (k == 0 || v[k] != v[k - 1]) {
        values.push_back(v[k]);
        below.push_back(k);
      }
  }
  /// The sample of rank `i` (0-based) in sorted order.
  float at_rank(std::size_t i) const {
    const auto it = std::upper_bound(below.begin(), below.end(), i);
    return values[static_cast<std::size_t>(it - below.begin()) - 1];
  }
};

/// Maps `later`'s values onto `earlier`'s distribution (quantile matching on valid pixels):
/// the two dates' colour balance and contrast stop mattering, the order of values is kept.
void match_histogram(cv::Mat1f& later, const cv::Mat1f& earlier, const cv::Mat1b& valid) {
  std::vector<float> a, b;
  for (int r = 0; r < valid.rows; ++r)
    for (int c = 0; c < valid.cols; ++c)
      if (valid(r, c)) {
        a.push_back(earlier(r, c));
        b.push_back(later(r, c));
      }
  if (a.size() < 2) return;
  const Distribution da(std::move(a)), db(std::move(b));
  // Each distinct later value maps to the earlier value at the same rank (the rank of its
  // first occurrence), interpolated; pixels then look the value up in that short table.
  std::vector<float> to(db.values.size());
  const double na = double(da.n - 1), nb = double(db.n);
  for (std::size_t k = 0; k < db.values.size(); ++k) {
    const double pos = double(db.below[k]) / nb * na;
    const auto i = static_cast<std::size_t>(pos);
    const double f = pos - double(i);
    const double lo = da.at_rank(i), hi = i + 1 < da.n ? da.at_rank(i + 1) : lo;
    to[k] = static_cast<float>(lo + f * (hi - lo));
  }
  for (int r = 0; r < valid.rows; ++r)
    for (int c = 0; c < valid.cols; ++c)
      if (valid(r, c))
        later(r, c) = to[std::lower_bound(db.values.begin(), db.values.end(), later(r, c)) -
                         db.values.begin()];
}

/// (max - min) / (max + 1) of the three bands: 0 for grey, towards 1 for pure colours.
cv::Mat1f saturation(const Planes& p) {
  cv::Mat1f out(p[0].size());
  for_each_row(out.rows, [&](int r) {
    for (int c = 0; c < out.cols; ++c) {
      const float v[3] = {p[0](r, c), p[1](r, c), p[2](r, c)};
      const auto [mn, mx] = std::minmax({v[0], v[1], v[2]});
      out(r, c) = (mx - mn) / (mx + 1.0f);
    }
  });
  return out;
}

cv::Mat1f box(cv::InputArray m, int w) {
  cv::Mat1f out;
  cv::blur(m, out, {w, w}, {-1, -1}, cv::BORDER_REFLECT);
  return out;
}

struct Gradient {
  cv::Mat1f x, y;
};

Gradient gradient(const Planes& p) {
  cv::Mat1f grey, smooth;
  grey = (p[0] + p[1] + p[2]) / 3.0f;
  cv::GaussianBlur(grey, smooth, {0, 0}, 1.0);
  Gradient g;
  cv::Sobel(smooth, g.x, CV_32F, 1, 0, 3);
  cv::Sobel(smooth, g.y, CV_32F, 0, 1, 3);
  return g;
}

/// Removes 4-connected foreground components smaller than `min_pixels`, then fills the
/// background components that do not touch the image border.
cv::Mat1b clean_objects(const cv::Mat1b& mask, int min_pixels) {
  cv::Mat1i lab;
  cv::Mat stats, centroids;
  cv::connectedComponentsWithStats(mask, lab, stats, centroids, 4, CV_32S);
  cv::Mat1b out(mask.size(), uchar(0));
  for (int r = 0; r < mask.rows; ++r)
    for (int c = 0; c < mask.cols; ++c) {
      const int l = lab(r, c);
      if (l && stats.at<int>(l, cv::CC_STAT_AREA) >= min_pixels) out(r, c) = 255;
    }
  cv::Mat1b background;
  background = out == 0;
  const int nb = cv::connectedComponentsWithStats(background, lab, stats, centroids, 4, CV_32S);
  std::vector<char> hole(nb, 1);
  hole[0] = 0;
  for (int l = 1; l < nb; ++l) {
    const int x = stats.at<int>(l, cv::CC_STAT_LEFT), y = stats.at<int>(l, cv::CC_STAT_TOP);
    const int w = stats.at<int>(l, cv::CC_STAT_WIDTH), h = stats.at<int>(l, cv::CC_STAT_HEIGHT);
    if (x == 0 || y == 0 || x + w == mask.cols || y + h == mask.rows) hole[l] = 0;
  }
  for (int r = 0; r < mask.rows; ++r)
    for (int c = 0; c < mask.cols; ++c)
      if (hole[lab(r, c)]) out(r, c) = 255;
  return out;
}

int odd_pixels(double metres, double pixel_size, int min) {
  const int n = std::max(min, static_cast<int>(std::lround(metres / pixel_size)));
  return n | 1;
}

}  // namespace

BuildingChange detect_building_change(RgbImage before, RgbImage after,
                                      const BuildingChangeParams& params) {
  if (before.width != after.width || before.height != after.height)
    throw std::invalid_argument("detect_building_change: images differ in size");
  if (!(params.pixel_size_m > 0))
    throw std::invalid_argument("detect_building_change: pixel size must be positive");
  const int w = before.width, h = before.height;
  const std::size_t n = std::size_t(w) * h;
  for (const RgbImage* im : {&before, &after})
    if (im->red.size() != n || im->green.size() != n || im->blue.size() != n ||
        (!im->valid.empty() && im->valid.size() != n))
      throw std::invalid_argument("detect_building_change: plane size differs from the image's");

  cv::Mat1b valid(h, w, uchar(255));
  for (std::size_t i = 0; i < n; ++i)
    if ((!before.valid.empty() && !before.valid[i]) || (!after.valid.empty() && !after.valid[i]))
      valid(int(i / w), int(i % w)) = 0;
  Planes a = planes_of(before), b = planes_of(after);
  for (int k = 0; k < 3; ++k) {
    match_histogram(b[k], a[k], valid);
    // No-data pixels get the earlier date's mean in both dates: no colour, no edge of their own.
    const float fill = static_cast<float>(cv::mean(a[k], valid)[0]);
    a[k].setTo(fill, valid == 0);
    b[k].setTo(fill, valid == 0);
  }

  const int win = odd_pixels(params.window_m, params.pixel_size_m, 3);
  const int tol =
      std::max(1, static_cast<int>(std::lround(params.tolerance_m / params.pixel_size_m)));
  const int min_pixels =
      std::max(1, static_cast<int>(
                      std::ceil(params.min_area_m2 / (params.pixel_size_m * params.pixel_size_m))));

  // Candidates: less saturated and a different gradient field.
  const cv::Mat1f drop = box(saturation(a) - saturation(b), win);
  const Gradient ga = gradient(a), gb = gradient(b);
  const cv::Mat1f dot = box(ga.x.mul(gb.x) + ga.y.mul(gb.y), win);
  const cv::Mat1f ea = box(ga.x.mul(ga.x) + ga.y.mul(ga.y), win);
  const cv::Mat1f eb = box(gb.x.mul(gb.x) + gb.y.mul(gb.y), win);
  cv::Mat1b near_nodata;
  cv::erode(valid, near_nodata, cv::Mat::ones(win, win, CV_8U), {-1, -1}, 1, cv::BORDER_CONSTANT,
            cv::Scalar(255));
  cv::Mat1b candidate(h, w, uchar(0));
  for_each_row(h, [&](int r) {
    for (int c = 0; c < w; ++c) {
      const double denom = std::sqrt(std::max(double(ea(r, c)) * eb(r, c), 0.0)) + 1e-6;
      const double change = 1.0 - dot(r, c) / denom;
      if (near_nodata(r, c) && drop(r, c) > params.saturation_drop &&
          change > params.structure_change)
        candidate(r, c) = 255;
    }
  });
  const cv::Mat1b objects = clean_objects(candidate, min_pixels);

  // Outline check: the later date's gradient magnitude along each object's outline (a ring
  // `tol` wide either side) against the earlier date's gradient in the same direction, best
  // over shifts up to `tol`.
  cv::Mat1i lab;
  cv::Mat stats, centroids;
  const int nobj = cv::connectedComponentsWithStats(objects, lab, stats, centroids, 4, CV_32S);
  const cv::Mat se = cv::Mat::ones(2 * tol + 1, 2 * tol + 1, CV_8U);
  cv::Mat1b grown, shrunk;
  cv::dilate(objects, grown, se);
  cv::erode(objects, shrunk, se);
  cv::Mat1f ring_label;  // the largest label within reach of each ring pixel (exact in float)
  lab.convertTo(ring_label, CV_32F);
  cv::dilate(ring_label, ring_label, se);
  cv::Mat1f mag_b;
  cv::magnitude(gb.x, gb.y, mag_b);
  cv::Mat1f support(h, w, 0.0f);  // computed on the ring only: nothing else reads it
  for_each_row(h, [&](int r) {
    for (int c = 0; c < w; ++c) {
      if (!grown(r, c) || shrunk(r, c)) continue;
      const float ux = gb.x(r, c) / (mag_b(r, c) + 1e-6f), uy = gb.y(r, c) / (mag_b(r, c) + 1e-6f);
      float best = 0;
      for (int dy = -tol; dy <= tol; ++dy) {
        const int rr = std::clamp(r - dy, 0, h - 1);
        for (int dx = -tol; dx <= tol; ++dx) {
          const int cc = std::clamp(c - dx, 0, w - 1);
          best = std::max(best, std::fabs(ga.x(rr, cc) * ux + ga.y(rr, cc) * uy));
        }
      }
      support(r, c) = best;
    }
  });
  std::vector<double> edge_b(nobj, 0), edge_a(nobj, 0), drop_sum(nobj, 0);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      if (grown(r, c) && !shrunk(r, c)) {
        const auto l = static_cast<std::size_t>(ring_label(r, c));
        edge_b[l] += mag_b(r, c);
        edge_a[l] += support(r, c);
      }
      drop_sum[lab(r, c)] += drop(r, c);
    }

  BuildingChange out;
  out.labels.assign(n, 0);
  std::vector<int> new_id(nobj, 0);
  for (int l = 1; l < nobj; ++l) {
    const double ratio = edge_a[l] / (edge_b[l] + 1e-6);
    if (!(ratio < params.max_edge_support)) continue;
    BuildingObject o;
    o.id = int(out.objects.size()) + 1;
    o.pixels = stats.at<int>(l, cv::CC_STAT_AREA);
    o.col_min = stats.at<int>(l, cv::CC_STAT_LEFT);
    o.row_min = stats.at<int>(l, cv::CC_STAT_TOP);
    o.col_max = o.col_min + stats.at<int>(l, cv::CC_STAT_WIDTH) - 1;
    o.row_max = o.row_min + stats.at<int>(l, cv::CC_STAT_HEIGHT) - 1;
    o.centroid_col = centroids.at<double>(l, 0) + 0.5;
    o.centroid_row = centroids.at<double>(l, 1) + 0.5;
    o.saturation_drop = drop_sum[l] / double(o.pixels);
    o.edge_support = ratio;
    new_id[l] = o.id;
    out.objects.push_back(o);
  }
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) out.labels[std::size_t(r) * w + c] = new_id[lab(r, c)];
  return out;
}

double building_confidence(const BuildingObject& o, double max_edge_support) {
  return std::clamp(1.0 - o.edge_support / max_edge_support, 0.0, 1.0);
}

}  // namespace farmwatch
