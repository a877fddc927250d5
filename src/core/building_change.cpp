#include "farmwatch/core/building_change.h"

#include "raster_objects.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <opencv2/imgproc.hpp>
#include <stdexcept>

namespace farmwatch {

namespace {

using Planes = std::array<cv::Mat1f, 3>;
using detail::clean_objects;
using detail::odd_pixels;

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

/// Normalised excess green (2g - r - b) / (r + g + b) (Woebbecke et al. 1995): above about 0
/// for green vegetation.
cv::Mat1f excess_green(const Planes& p) {
  cv::Mat1f out(p[0].size());
  for_each_row(out.rows, [&](int r) {
    for (int c = 0; c < out.cols; ++c) {
      const float sum = p[0](r, c) + p[1](r, c) + p[2](r, c);
      out(r, c) = (2 * p[1](r, c) - p[0](r, c) - p[2](r, c)) / (sum + 1.0f);
    }
  });
  return out;
}

/// `e` less its median over the valid pixels.
cv::Mat1f over_median(cv::Mat1f e, const cv::Mat1b& valid) {
  std::vector<float> v;
  for (int r = 0; r < e.rows; ++r)
    for (int c = 0; c < e.cols; ++c)
      if (valid(r, c)) v.push_back(e(r, c));
  if (v.empty()) return e;
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
  e -= v[v.size() / 2];
  return e;
}

/// excess_green less its median over the valid pixels: a scene's colour cast does not count.
cv::Mat1f excess_green_over_median(const Planes& p, const cv::Mat1b& valid) {
  return over_median(excess_green(p), valid);
}

/// Brightness (the largest of the three bands: a saturated red roof is bright in its red)
/// relative to its median over the valid pixels: value / median - 1, so 0 at the median
/// whatever the exposure (on 8- and 16-bit values; the +1 that keeps it finite weighs on
/// 0-1 reflectances).
cv::Mat1f brightness_over_median(const Planes& p, const cv::Mat1b& valid) {
  cv::Mat1f value(p[0].size());
  for_each_row(value.rows, [&](int r) {
    for (int c = 0; c < value.cols; ++c)
      value(r, c) = std::max({p[0](r, c), p[1](r, c), p[2](r, c)});
  });
  const cv::Mat1f above = over_median(value.clone(), valid);  // value - median
  cv::Mat1f out(value.size());
  for_each_row(out.rows, [&](int r) {
    for (int c = 0; c < out.cols; ++c) {
      const float median = value(r, c) - above(r, c);
      out(r, c) = above(r, c) / (std::fabs(median) + 1.0f);
    }
  });
  return out;
}

/// 255 where a pixel's hue is that of colour-coated steel: red to orange (hue under 40° or
/// over 330°) or blue (185° to 265°), not the yellows and greens of flowers, straw and crops.
cv::Mat1b roof_hue(const Planes& p) {
  cv::Mat1b out(p[0].size(), uchar(0));
  for_each_row(out.rows, [&](int r) {
    for (int c = 0; c < out.cols; ++c) {
      const float red = p[0](r, c), green = p[1](r, c), blue = p[2](r, c);
      const float mx = std::max({red, green, blue}), mn = std::min({red, green, blue});
      if (mx - mn <= 0) continue;
      float hue;
      if (mx == red) hue = 60 * std::fmod((green - blue) / (mx - mn) + 6, 6.0f);
      else if (mx == green) hue = 60 * ((blue - red) / (mx - mn) + 2);
      else hue = 60 * ((red - green) / (mx - mn) + 4);
      if (hue < 40 || hue > 330 || (hue >= 185 && hue <= 265)) out(r, c) = 255;
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



/// One direction of the test: objects that are less saturated in `to` than in `from` with a
/// changed gradient field, and the ratio of `from`'s edge support along each object's outline in
/// `to` (label l's ratio at index l; index 0 unused).
struct Objects {
  cv::Mat1i labels;
  cv::Mat stats, centroids;
  int count = 0;  ///< including the background label 0
  std::vector<double> edge_ratio, drop_mean;
  std::vector<double> green_to;  ///< mean excess green (over the median) in `to`
  std::vector<double> saturation_to;  ///< mean saturation (over the median) in `to`
  std::vector<double> brightness_to;  ///< mean brightness (over the median) in `to`
  /// Mean gradient magnitude of `to` along the outline over its mean over the image.
  std::vector<double> outline_contrast;
};

Objects find_objects(const cv::Mat1f& drop, const cv::Mat1f& edge_gain,
                     const cv::Mat1f& structure_change, const cv::Mat1b& near_nodata,
                     const Gradient& g_from, const Gradient& g_to,
                     const cv::Mat1f& exg_to, const cv::Mat1f& sat_to,
                     const cv::Mat1f& bright_to, const BuildingChangeParams& params,
                     int min_pixels, int tol, int win) {
  const int h = drop.rows, w = drop.cols;
  cv::Mat1b candidate(h, w, uchar(0));
  for_each_row(h, [&](int r) {
    for (int c = 0; c < w; ++c)
      if (near_nodata(r, c) && structure_change(r, c) > params.structure_change &&
          (drop(r, c) > params.saturation_drop ||
           (params.edge_gain > 0 && edge_gain(r, c) >= params.edge_gain &&
            drop(r, c) > -params.saturation_drop)))
        candidate(r, c) = 255;
  });
  const cv::Mat1b objects = clean_objects(candidate, min_pixels);

  // Outline check: `to`'s gradient magnitude along each object's outline (a ring `tol` wide
  // either side) against `from`'s gradient in the same direction, best over shifts up to `tol`.
  Objects o;
  o.count = cv::connectedComponentsWithStats(objects, o.labels, o.stats, o.centroids, 4, CV_32S);
  const cv::Mat se = cv::Mat::ones(2 * tol + 1, 2 * tol + 1, CV_8U);
  cv::Mat1b grown, shrunk;
  cv::dilate(objects, grown, se);
  cv::erode(objects, shrunk, se);
  cv::Mat1f ring_label;  // the largest label within reach of each ring pixel (exact in float)
  o.labels.convertTo(ring_label, CV_32F);
  cv::dilate(ring_label, ring_label, se);
  cv::Mat1f mag_to;
  cv::magnitude(g_to.x, g_to.y, mag_to);
  cv::Mat1f support(h, w, 0.0f);  // computed on the ring only: nothing else reads it
  for_each_row(h, [&](int r) {
    for (int c = 0; c < w; ++c) {
      if (!grown(r, c) || shrunk(r, c)) continue;
      const float ux = g_to.x(r, c) / (mag_to(r, c) + 1e-6f);
      const float uy = g_to.y(r, c) / (mag_to(r, c) + 1e-6f);
      float best = 0;
      for (int dy = -tol; dy <= tol; ++dy) {
        const int rr = std::clamp(r - dy, 0, h - 1);
        for (int dx = -tol; dx <= tol; ++dx) {
          const int cc = std::clamp(c - dx, 0, w - 1);
          best = std::max(best, std::fabs(g_from.x(rr, cc) * ux + g_from.y(rr, cc) * uy));
        }
      }
      support(r, c) = best;
    }
  });
  std::vector<double> edge_to(o.count, 0), edge_from(o.count, 0), drop_sum(o.count, 0);
  o.green_to.assign(o.count, 0);
  o.saturation_to.assign(o.count, 0);
  o.brightness_to.assign(o.count, 0);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      if (grown(r, c) && !shrunk(r, c)) {
        const auto l = static_cast<std::size_t>(ring_label(r, c));
        edge_to[l] += mag_to(r, c);
        edge_from[l] += support(r, c);
      }
      const int l = o.labels(r, c);
      drop_sum[l] += drop(r, c);
      o.green_to[l] += exg_to(r, c);
      o.saturation_to[l] += sat_to(r, c);
      o.brightness_to[l] += bright_to(r, c);
    }
  // The outline's sharpness: the strongest gradient of `to` within half a window of each ring
  // pixel (the object reaches about that far beyond the edge that made it), averaged along the
  // ring, over the same local maximum averaged over the image.
  cv::Mat1f local_max;
  const int reach = win / 2;
  cv::dilate(mag_to, local_max, cv::Mat::ones(2 * reach + 1, 2 * reach + 1, CV_8U));
  std::vector<double> ring_pixels(o.count, 0), ring_max(o.count, 0);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c)
      if (grown(r, c) && !shrunk(r, c)) {
        const auto l = static_cast<std::size_t>(ring_label(r, c));
        ++ring_pixels[l];
        ring_max[l] += local_max(r, c);
      }
  const double mean_max = cv::mean(local_max)[0] + 1e-6;
  o.outline_contrast.assign(o.count, 0);
  for (int l = 1; l < o.count; ++l)
    o.outline_contrast[l] = ring_max[l] / std::max(1.0, ring_pixels[l]) / mean_max;
  o.edge_ratio.assign(o.count, 0);
  o.drop_mean.assign(o.count, 0);
  for (int l = 1; l < o.count; ++l) {
    o.edge_ratio[l] = edge_from[l] / (edge_to[l] + 1e-6);
    const double area = std::max(1, o.stats.at<int>(l, cv::CC_STAT_AREA));
    o.drop_mean[l] = drop_sum[l] / area;
    o.green_to[l] /= area;
    o.saturation_to[l] /= area;
    o.brightness_to[l] /= area;
  }
  return o;
}

/// Change-vector magnitude (CVA; Malila 1980) per pixel: the Euclidean distance between the
/// two dates' three bands, each band z-scored over the valid pixels of its own date (less its
/// mean there, over its standard deviation), so that colour balance and contrast do not count;
/// 0 where `valid` is 0.
cv::Mat1f change_magnitude(const Planes& a, const Planes& b, const cv::Mat1b& valid) {
  std::array<double, 3> mean_a{}, mean_b{}, inv_a{}, inv_b{};
  for (int k = 0; k < 3; ++k) {
    cv::Scalar m, sd;
    cv::meanStdDev(a[k], m, sd, valid);
    mean_a[k] = m[0], inv_a[k] = 1.0 / (sd[0] + 1e-6);
    cv::meanStdDev(b[k], m, sd, valid);
    mean_b[k] = m[0], inv_b[k] = 1.0 / (sd[0] + 1e-6);
  }
  cv::Mat1f out(valid.size(), 0.0f);
  for_each_row(out.rows, [&](int r) {
    for (int c = 0; c < out.cols; ++c) {
      if (!valid(r, c)) continue;
      double sum = 0;
      for (int k = 0; k < 3; ++k) {
        const double d = (b[k](r, c) - mean_b[k]) * inv_b[k] - (a[k](r, c) - mean_a[k]) * inv_a[k];
        sum += d * d;
      }
      out(r, c) = static_cast<float>(std::sqrt(sum));
    }
  });
  return out;
}

/// The gaps of development blocks, each a connected piece (4-connected) of what closing
/// `converted` (new buildings and converted ground) with a disc of radius `block_gap_m` adds,
/// with the holes of up to `max_block_hole_m2` the closed blocks enclose; `kept` where it is
/// at least `min_pixels`. Only valid pixels; a hole reaching the image's border is not filled.
/// None when `ground_converted` is off.
struct BlockGaps {
  int count = 0;  ///< labels 1..count-1
  cv::Mat1i labels;
  std::vector<char> kept;
  std::vector<double> drop_mean;  ///< mean windowed saturation drop (earlier - later)
};

/// The closing of `mask` (255: set) with a Euclidean disc of `radius` pixels: a dilation and
/// an erosion, each a distance transform (exact Euclidean distances, Felzenszwalb and
/// Huttenlocher 2012, as OpenCV's DIST_MASK_PRECISE computes them), so the cost does not grow
/// with the radius. Outside the image counts as unset for the dilation only: objects near the
/// border close as they do inside.
cv::Mat1b close_with_disc(const cv::Mat1b& mask, int radius) {
  const int pad = radius + 2;  // the dilation stops a ring short of the padding's edge
  cv::Mat1b padded;
  cv::copyMakeBorder(mask, padded, pad, pad, pad, pad, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::Mat1f to_set, to_unset;
  cv::Mat1b unset;
  unset = padded == 0;
  cv::distanceTransform(unset, to_set, cv::DIST_L2, cv::DIST_MASK_PRECISE);  // 0 on the mask
  const float r = static_cast<float>(radius);
  cv::Mat1b dilated;
  dilated = to_set <= r;
  cv::distanceTransform(dilated, to_unset, cv::DIST_L2, cv::DIST_MASK_PRECISE);
  cv::Mat1b closed;
  closed = to_unset > r;
  return closed(cv::Rect(pad, pad, mask.cols, mask.rows)).clone();
}

BlockGaps block_gaps(const cv::Mat1b& converted, const cv::Mat1b& valid, const cv::Mat1f& drop,
                     const BuildingChangeParams& params, int min_pixels) {
  BlockGaps g;
  const double radius_px = params.block_gap_m / params.pixel_size_m;
  if (!params.ground_converted || !(radius_px >= 0.5) || cv::countNonZero(converted) == 0)
    return g;
  // A disc wider than the image joins whatever the image holds: no need to go further.
  const int radius = static_cast<int>(
      std::lround(std::min(radius_px, double(std::max(converted.rows, converted.cols)))));
  cv::Mat1b closed = close_with_disc(converted, radius);
  // The holes the closed blocks enclose (background not reaching the border), small ones only.
  const double max_hole_px =
      params.max_block_hole_m2 / (params.pixel_size_m * params.pixel_size_m);
  {
    cv::Mat1b open_ground;
    open_ground = closed == 0;
    cv::Mat1i lab;
    cv::Mat stats, centroids;
    const int n = cv::connectedComponentsWithStats(open_ground, lab, stats, centroids, 4, CV_32S);
    std::vector<char> fill(n, 0);
    for (int l = 1; l < n; ++l) {
      const int x = stats.at<int>(l, cv::CC_STAT_LEFT), y = stats.at<int>(l, cv::CC_STAT_TOP);
      const int bw = stats.at<int>(l, cv::CC_STAT_WIDTH), bh = stats.at<int>(l, cv::CC_STAT_HEIGHT);
      const bool border = x == 0 || y == 0 || x + bw == closed.cols || y + bh == closed.rows;
      fill[l] = !border && stats.at<int>(l, cv::CC_STAT_AREA) <= max_hole_px;
    }
    for_each_row(closed.rows, [&](int r) {
      for (int c = 0; c < closed.cols; ++c)
        if (fill[lab(r, c)]) closed(r, c) = 255;
    });
  }
  cv::Mat1b added;
  added = closed & ~converted & valid;
  cv::Mat stats, centroids;
  g.count = cv::connectedComponentsWithStats(added, g.labels, stats, centroids, 4, CV_32S);
  g.kept.assign(g.count, 0);
  g.drop_mean.assign(g.count, 0);
  for (int r = 0; r < added.rows; ++r)
    for (int c = 0; c < added.cols; ++c)
      if (const int l = g.labels(r, c)) g.drop_mean[l] += drop(r, c);
  for (int l = 1; l < g.count; ++l) {
    const int area = stats.at<int>(l, cv::CC_STAT_AREA);
    g.kept[l] = area >= min_pixels;
    g.drop_mean[l] /= std::max(1, area);
  }
  return g;
}

/// `labels` (the first test's objects) with each new building (`kind` of its label; its pixels
/// where `own`) grown as BuildingChangeParams::grow_magnitude says: a breadth-first search from
/// every seed pixel at once (in row-major order, neighbours in a fixed order: the same result
/// whatever the thread count), through pixels not `taken` (by another object, or water), up to
/// `grow_distance_m` in 8-connected steps; a grown pixel takes the label of the seed that
/// reached it first, so a building's growth stays connected to it. Sets the grown pixels in
/// `grown` (255).
cv::Mat1i grow_new_buildings(const cv::Mat1b& own, const cv::Mat1b& taken, const cv::Mat1i& labels,
                             const std::vector<int>& kind, const cv::Mat1f& magnitude,
                             const cv::Mat1b& valid, const cv::Mat1f& green,
                             const BuildingChangeParams& params, cv::Mat1b& grown) {
  const double reach = params.grow_distance_m / params.pixel_size_m;
  if (!(params.grow_magnitude > 0) || !(reach >= 1)) return labels;
  const int h = labels.rows, w = labels.cols;
  const auto steps = static_cast<int>(std::min(reach, double(std::numeric_limits<int>::max() / 2)));
  cv::Mat1i out = labels.clone();
  cv::Mat1i depth(h, w, -1);  // steps from the seed that reached the pixel; -1: not reached
  std::vector<std::size_t> queue;
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c)
      if (own(r, c) && kind[labels(r, c)] == int(VhrChangeKind::new_building)) {
        depth(r, c) = 0;
        queue.push_back(std::size_t(r) * w + c);
      }
  if (queue.empty()) return labels;
  const cv::Mat1f mean_magnitude =
      box(magnitude, odd_pixels(params.grow_window_m, params.pixel_size_m, 3));
  static constexpr int kStep[8][2] = {{-1, -1}, {0, -1}, {1, -1}, {-1, 0},
                                      {1, 0},   {-1, 1}, {0, 1},  {1, 1}};
  for (std::size_t k = 0; k < queue.size(); ++k) {
    const int r = static_cast<int>(queue[k] / std::size_t(w));
    const int c = static_cast<int>(queue[k] % std::size_t(w));
    if (depth(r, c) >= steps) continue;
    for (const auto& d : kStep) {
      const int rr = r + d[1], cc = c + d[0];
      if (rr < 0 || cc < 0 || rr >= h || cc >= w || depth(rr, cc) >= 0 || taken(rr, cc) ||
          !valid(rr, cc) || !(mean_magnitude(rr, cc) >= params.grow_magnitude) ||
          !(green(rr, cc) <= params.max_excess_green))
        continue;
      depth(rr, cc) = depth(r, c) + 1;
      out(rr, cc) = out(r, c);
      queue.push_back(std::size_t(rr) * w + cc);
      grown(rr, cc) = 255;
    }
  }
  return out;
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
  // Excess green and saturation in each date's own colours, before matching: matching maps a
  // colour the earlier date lacked (new concrete where crops were) onto the earlier date's.
  const cv::Mat1f exg_a = excess_green_over_median(a, valid);
  const cv::Mat1f exg_b = excess_green_over_median(b, valid);
  const cv::Mat1f sat_a = over_median(saturation(a), valid);
  const cv::Mat1f sat_b = over_median(saturation(b), valid);
  const cv::Mat1f bright_a = brightness_over_median(a, valid);
  const cv::Mat1f bright_b = brightness_over_median(b, valid);
  const cv::Mat1b roof_hue_b = roof_hue(b);
  const cv::Mat1f magnitude = change_magnitude(a, b, valid);  // in each date's own colours
  for (int k = 0; k < 3; ++k) {
    match_histogram(b[k], a[k], valid);
    // No-data pixels get the earlier date's mean in both dates: no colour, no edge of their own.
    const float fill = static_cast<float>(cv::mean(a[k], valid)[0]);
    a[k].setTo(fill, valid == 0);
    b[k].setTo(fill, valid == 0);
  }

  const double px2 = params.pixel_size_m * params.pixel_size_m;
  const int win = odd_pixels(params.window_m, params.pixel_size_m, 3);
  const int tol =
      std::max(1, static_cast<int>(std::lround(params.tolerance_m / params.pixel_size_m)));
  const int min_pixels = std::max(1, static_cast<int>(std::ceil(params.min_area_m2 / px2)));
  const double ground_min_pixels = params.ground_min_area_m2 / px2;

  // Both directions share the saturation change and the gradient fields: a new building is
  // less saturated later, a demolished one less saturated earlier.
  const cv::Mat1f drop = box(saturation(a) - saturation(b), win);
  cv::Mat1f rise;
  rise = -drop;
  const Gradient ga = gradient(a), gb = gradient(b);
  const cv::Mat1f dot = box(ga.x.mul(gb.x) + ga.y.mul(gb.y), win);
  const cv::Mat1f ea = box(ga.x.mul(ga.x) + ga.y.mul(ga.y), win);
  const cv::Mat1f eb = box(gb.x.mul(gb.x) + gb.y.mul(gb.y), win);
  cv::Mat1f structure_change(h, w);
  for_each_row(h, [&](int r) {
    for (int c = 0; c < w; ++c) {
      const double denom = std::sqrt(std::max(double(ea(r, c)) * eb(r, c), 0.0)) + 1e-6;
      structure_change(r, c) = static_cast<float>(1.0 - dot(r, c) / denom);
    }
  });
  cv::Mat1b near_nodata;
  cv::erode(valid, near_nodata, cv::Mat::ones(win, win, CV_8U), {-1, -1}, 1, cv::BORDER_CONSTANT,
            cv::Scalar(255));
  // Edges gained over the window: the later date's gradient energy over the earlier's, and
  // the reverse for what was pulled down, each over a floor of a quarter of the image's mean
  // (smooth ground in both dates gives ratios of noise, not edges).
  cv::Mat1f edges_gained(h, w), edges_lost(h, w);
  const float floor_a = static_cast<float>(0.25 * cv::mean(ea)[0]) + 1e-6f;
  const float floor_b = static_cast<float>(0.25 * cv::mean(eb)[0]) + 1e-6f;
  for_each_row(h, [&](int r) {
    for (int c = 0; c < w; ++c) {
      const float earlier = ea(r, c), later = eb(r, c);
      edges_gained(r, c) = later / (earlier + floor_a);
      edges_lost(r, c) = earlier / (later + floor_b);
    }
  });
  const Objects built = find_objects(drop, edges_gained, structure_change, near_nodata, ga, gb,
                                     exg_b, sat_b, bright_b, params, min_pixels, tol, win);
  const Objects removed = find_objects(rise, edges_lost, structure_change, near_nodata, gb, ga,
                                       exg_a, sat_a, bright_a, params, min_pixels, tol, win);
  // Coloured roofs (colour-coated steel, 彩钢瓦; glazed tiles): the later date more saturated,
  // found by that gain alone (the edge cue is the first test's).
  // Each candidate pixel must itself look like a roof in the later date's own colours: the
  // window's mean alone would join a roof to the ground around it.
  BuildingChangeParams saturation_only = params;
  saturation_only.edge_gain = 0;
  // The gain is measured in each date's own colours (over its median): matching each band
  // to the earlier date maps a colour that date lacked (blue steel over brown soil) onto its
  // greys. A pixel already that saturated in the earlier date is not a new roof: a roof
  // standing in both dates, in a scene whose later colour balance is greyer, gains
  // saturation over its median too.
  cv::Mat1f roof_rise = box(sat_b - sat_a, win);
  for_each_row(h, [&](int r) {
    for (int c = 0; c < w; ++c)
      if (!(sat_b(r, c) >= params.min_roof_saturation && sat_a(r, c) < params.min_roof_saturation &&
            roof_hue_b(r, c)))
        roof_rise(r, c) = 0;
  });
  const Objects coloured =
      params.min_roof_saturation > 0
          ? find_objects(roof_rise, edges_gained, structure_change, near_nodata, ga, gb, exg_b, sat_b,
                         bright_b, saturation_only, min_pixels, tol, win)
          : Objects{};

  // Kinds, in the order a pixel is given to them: a new building (its outline absent earlier),
  // ground converted (a large object that lost its colour without a new outline: hardened,
  // excavated or filled ground), a demolished building (its outline absent later).
  auto kind_of = [&](const Objects& o, int l, bool later_less_saturated) -> int {
    const bool outline_new = o.edge_ratio[l] < params.max_edge_support;
    // Whichever date shows the building or the converted ground is not vegetated.
    if (o.green_to[l] > params.max_excess_green) return 0;
    if (later_less_saturated) {
      // Darker and more saturated than the scene's typical surface: water (a new pond), whose
      // dark colour matched onto the earlier date's shadows looks like a lost saturation.
      const bool water = o.saturation_to[l] > 0 && o.brightness_to[l] < params.max_water_brightness;
      if (water) return 0;
      if (outline_new) return int(VhrChangeKind::new_building);
      // Ground converted lost its colour: not an object the edge cue alone found.
      if (params.ground_converted && o.stats.at<int>(l, cv::CC_STAT_AREA) >= ground_min_pixels &&
          o.saturation_to[l] <= params.max_ground_saturation &&
          o.drop_mean[l] > params.saturation_drop)
        return int(VhrChangeKind::ground_converted);
      return 0;
    }
    return params.demolished && outline_new && o.outline_contrast[l] >= params.min_outline_contrast
               ? int(VhrChangeKind::demolished_building)
               : 0;
  };
  // A coloured roof: a new outline around a bright, saturated, not green object.
  auto is_coloured_roof = [&](int l) {
    return coloured.edge_ratio[l] < params.max_roof_edge_support &&
           coloured.green_to[l] <= params.max_excess_green &&
           coloured.saturation_to[l] >= params.min_roof_saturation &&
           coloured.brightness_to[l] >= params.min_roof_brightness;
  };
  std::vector<int> kind_built(built.count, 0), kind_removed(removed.count, 0);
  std::vector<int> kind_coloured(coloured.count, 0);
  for (int l = 1; l < built.count; ++l) kind_built[l] = kind_of(built, l, true);
  for (int l = 1; l < removed.count; ++l) kind_removed[l] = kind_of(removed, l, false);
  for (int l = 1; l < coloured.count; ++l)
    if (is_coloured_roof(l)) kind_coloured[l] = int(VhrChangeKind::new_building);

  // Which test's object each pixel goes to, in the order a pixel is given to them: the first
  // test's new building or converted ground, the coloured roof, the demolished building.
  enum Source : uchar { none, by_built, by_coloured, by_removed, by_gap };
  cv::Mat1b source(h, w, uchar(none));
  for_each_row(h, [&](int r) {
    for (int c = 0; c < w; ++c) {
      const int lb = built.labels(r, c), lr = removed.labels(r, c);
      const int lc = coloured.count ? coloured.labels(r, c) : 0;
      source(r, c) = lb && kind_built[lb]       ? by_built
                     : lc && kind_coloured[lc]  ? by_coloured
                     : lr && kind_removed[lr]   ? by_removed
                                                : none;
    }
  });

  // Roofs filled out: each new building whose own colours changed (min_change_magnitude over
  // its pixels) grows into the changed pixels around it (its smooth inside, between the
  // outline and shadow the tests found), each pixel joining the building that reaches it
  // first. Not into another object, nor water (as kind_of tells it, pixel by pixel).
  std::vector<double> built_magnitude(built.count, 0);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c)
      if (source(r, c) == by_built) built_magnitude[built.labels(r, c)] += magnitude(r, c);
  for (int l = 1; l < built.count; ++l)
    built_magnitude[l] /= std::max(1, built.stats.at<int>(l, cv::CC_STAT_AREA));
  cv::Mat1b own(h, w, uchar(0)), taken(h, w, uchar(0));
  for_each_row(h, [&](int r) {
    for (int c = 0; c < w; ++c) {
      own(r, c) = source(r, c) == by_built &&
                  built_magnitude[built.labels(r, c)] >= params.min_change_magnitude;
      taken(r, c) = source(r, c) != none ||
                    (sat_b(r, c) > 0 && bright_b(r, c) < params.max_water_brightness);
    }
  });
  cv::Mat1b grown(h, w, uchar(0));
  const cv::Mat1i built_labels = grow_new_buildings(own, taken, built.labels, kind_built,
                                                    magnitude, valid, exg_b, params, grown);
  source.setTo(uchar(by_built), grown);

  // Development blocks: the ground between the new buildings and converted ground of one
  // estate or compound (yards, lanes, hardened ground), and the holes they enclose, is
  // converted ground too (objects of their own, `block_gap_m`), where no object took it.
  cv::Mat1b converted;
  converted = (source == by_built) | (source == by_coloured);
  const BlockGaps gaps = block_gaps(converted, valid, drop, params, min_pixels);
  if (gaps.count)
    for_each_row(h, [&](int r) {
      for (int c = 0; c < w; ++c)
        if (const int lg = gaps.labels(r, c); lg && gaps.kept[lg] && source(r, c) == none)
          source(r, c) = by_gap;
    });

  // Regions of change (4-connected, every kind) whose colours barely changed are dropped: a
  // roof standing in both dates found by a shifted outline, a field in another season found by
  // a shift of saturation (min_change_magnitude).
  cv::Mat1b changed;
  changed = source != none;
  cv::Mat1i region;
  cv::Mat region_stats, region_centroids;
  const int regions =
      cv::connectedComponentsWithStats(changed, region, region_stats, region_centroids, 4, CV_32S);
  std::vector<double> magnitude_sum(regions, 0);
  std::vector<char> has_object(regions, 0);  // a gap that no data cut off from its block is none
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c)
      if (const int l = region(r, c)) {
        magnitude_sum[l] += magnitude(r, c);
        if (source(r, c) != by_gap) has_object[l] = 1;
      }
  std::vector<char> region_kept(regions, 0);
  for (int l = 1; l < regions; ++l)
    region_kept[l] =
        has_object[l] &&
        magnitude_sum[l] / std::max(1, region_stats.at<int>(l, cv::CC_STAT_AREA)) >=
            params.min_change_magnitude;

  // Each pixel's kind and source object: an object is what is left of one source object
  // after the earlier kinds took their pixels (its measures, saturation drop and edge support,
  // are the source object's), numbered in row-major order of its first pixel. The blocks'
  // gaps take what no object took.
  BuildingChange out;
  out.labels.assign(n, 0);
  std::vector<int> id_built(built.count, 0), id_removed(removed.count, 0);
  std::vector<int> id_coloured(coloured.count, 0), id_gap(gaps.count, 0);
  std::vector<int> object_region;  ///< by object id - 1: the region of its first pixel
  auto new_object = [&](const Objects& o, int l, int kind) {
    BuildingObject obj;
    obj.id = int(out.objects.size()) + 1;
    obj.kind = static_cast<VhrChangeKind>(kind);
    obj.col_min = w, obj.row_min = h, obj.col_max = -1, obj.row_max = -1;
    obj.coloured_roof = &o == &coloured;
    obj.saturation_drop = obj.coloured_roof ? -o.drop_mean[l] : o.drop_mean[l];
    obj.edge_support = o.edge_ratio[l];
    out.objects.push_back(obj);
    return obj.id;
  };
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) {
      if (!region_kept[region(r, c)]) continue;
      int id = 0;
      if (source(r, c) == by_built) {
        const int lb = built_labels(r, c);
        if (!id_built[lb]) id_built[lb] = new_object(built, lb, kind_built[lb]);
        id = id_built[lb];
      } else if (source(r, c) == by_coloured) {
        const int lc = coloured.labels(r, c);
        if (!id_coloured[lc]) id_coloured[lc] = new_object(coloured, lc, kind_coloured[lc]);
        id = id_coloured[lc];
      } else if (source(r, c) == by_removed) {
        const int lr = removed.labels(r, c);
        if (!id_removed[lr]) id_removed[lr] = new_object(removed, lr, kind_removed[lr]);
        id = id_removed[lr];
      } else if (source(r, c) == by_gap) {
        const int lg = gaps.labels(r, c);
        if (!id_gap[lg]) {
          BuildingObject obj;
          obj.id = int(out.objects.size()) + 1;
          obj.kind = VhrChangeKind::ground_converted;
          obj.col_min = w, obj.row_min = h, obj.col_max = -1, obj.row_max = -1;
          obj.saturation_drop = gaps.drop_mean[lg];
          obj.block_gap = true;
          out.objects.push_back(obj);
          id_gap[lg] = obj.id;
        }
        id = id_gap[lg];
      }
      if (!id) continue;
      if (object_region.size() < out.objects.size()) object_region.push_back(region(r, c));
      out.labels[std::size_t(r) * w + c] = id;
      BuildingObject& obj = out.objects[id - 1];
      ++obj.pixels;
      obj.col_min = std::min(obj.col_min, c), obj.col_max = std::max(obj.col_max, c);
      obj.row_min = std::min(obj.row_min, r), obj.row_max = std::max(obj.row_max, r);
      obj.centroid_col += c + 0.5, obj.centroid_row += r + 0.5;
    }
  for (auto& obj : out.objects) {
    obj.centroid_col /= double(obj.pixels);
    obj.centroid_row /= double(obj.pixels);
  }
  // A block's gaps are as sure as the block's own objects: their confidence, pixel-weighted,
  // over the region (4-connected change) the gap lies in.
  std::vector<double> region_confidence(regions, 0), region_pixels(regions, 0);
  for (const auto& obj : out.objects)
    if (!obj.block_gap) {
      const auto k = static_cast<std::size_t>(object_region[std::size_t(obj.id - 1)]);
      region_confidence[k] += vhr_change_confidence(obj, params) * double(obj.pixels);
      region_pixels[k] += double(obj.pixels);
    }
  for (auto& obj : out.objects)
    if (obj.block_gap) {
      const auto k = static_cast<std::size_t>(object_region[std::size_t(obj.id - 1)]);
      obj.block_confidence = region_pixels[k] > 0 ? region_confidence[k] / region_pixels[k] : 0;
    }
  return out;
}

double vhr_change_confidence(const BuildingObject& o, const BuildingChangeParams& params) {
  if (o.votes >= 0) return o.votes;
  if (o.block_gap) return o.block_confidence;
  if (o.kind == VhrChangeKind::ground_converted)
    return std::clamp(o.saturation_drop / (4 * params.saturation_drop), 0.0, 1.0);
  const double largest = o.coloured_roof ? params.max_roof_edge_support : params.max_edge_support;
  return std::clamp(1.0 - o.edge_support / largest, 0.0, 1.0);
}

}  // namespace farmwatch
