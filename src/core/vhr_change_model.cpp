#include "farmwatch/core/vhr_change_model.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <array>
#include <iterator>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/ml.hpp>
#include <stdexcept>

#include "farmwatch/core/error.h"
#include "forest.h"
#include "raster_objects.h"

namespace farmwatch {

namespace {

using detail::odd_pixels;

// Windows of the features, in metres (see the header).
constexpr double kStructureWindowsM[] = {4.5, 10.5};
constexpr double kTextureWindowsM[] = {2.5, 7.5, 20.5};
constexpr double kMethodWindowsM[] = {4.5, 15.5};
constexpr double kWidestWindowM = 20.5;
constexpr const char* kKind = "vhr_change";

std::string metres(double m) {
  std::string s = std::to_string(m);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s + "m";
}

/// A matrix expression's value (OpenCV's implicit conversions are ambiguous under -Wconversion).
cv::Mat1f mat(const cv::MatExpr& e) {
  cv::Mat1f m;
  m = e;
  return m;
}

cv::Mat1f box(const cv::Mat1f& m, int w) {
  cv::Mat1f out;
  cv::blur(m, out, {w, w}, {-1, -1}, cv::BORDER_REFLECT);
  return out;
}

/// A window of one band of `im` (0 red, 1 green, 2 blue), as a matrix (no copy).
cv::Mat1f band_window(const RgbImage& im, int band, const cv::Rect& w) {
  const std::vector<float>& v = band == 0 ? im.red : band == 1 ? im.green : im.blue;
  return cv::Mat1f(im.height, im.width, const_cast<float*>(v.data()))(w);
}

bool valid_at(const RgbImage& im, std::size_t i) { return im.valid.empty() || im.valid[i] != 0; }

/// One date's planes over a strip with its halo.
struct DatePlanes {
  cv::Mat1f z[3], grey, gx, gy, saturation, excess_green;
};

DatePlanes date_planes(const RgbImage& im, const RgbStats& st, const cv::Rect& w) {
  DatePlanes d;
  cv::Mat1f raw[3];
  for (int b = 0; b < 3; ++b) {
    raw[b] = band_window(im, b, w);
    d.z[b] = (raw[b] - st.mean[b]) / st.sd[b];
  }
  // No data counts as the image's mean: neutral in every window it reaches.
  if (!im.valid.empty())
    for (int r = 0; r < w.height; ++r)
      for (int c = 0; c < w.width; ++c)
        if (!im.valid[static_cast<std::size_t>(r + w.y) * im.width + c + w.x])
          for (auto& z : d.z) z(r, c) = 0;
  d.grey = (d.z[0] + d.z[1] + d.z[2]) / 3.0f;
  cv::Sobel(d.grey, d.gx, CV_32F, 1, 0, 3);
  cv::Sobel(d.grey, d.gy, CV_32F, 0, 1, 3);
  d.saturation.create(w.height, w.width);
  d.excess_green.create(w.height, w.width);
  for (int r = 0; r < w.height; ++r)
    for (int c = 0; c < w.width; ++c) {
      const float red = raw[0](r, c), green = raw[1](r, c), blue = raw[2](r, c);
      const float hi = std::max({red, green, blue}), lo = std::min({red, green, blue});
      const float sum = red + green + blue;
      d.saturation(r, c) = hi > 0 ? (hi - lo) / hi : 0.0f;
      d.excess_green(r, c) = sum > 0 ? (2 * green - red - blue) / sum : 0.0f;
    }
  return d;
}

cv::Mat1f local_sd(const cv::Mat1f& g, int w) {
  const cv::Mat1f m = box(g, w), m2 = box(mat(g.mul(g)), w);
  cv::Mat1f v = mat(m2 - m.mul(m));
  cv::max(v, 0.0f, v);
  cv::sqrt(v, v);
  return v;
}

}  // namespace

const std::vector<std::string>& vhr_change_feature_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    const char* bands[] = {"red", "green", "blue"};
    for (const char* d : {"d1", "d2"})
      for (const char* b : bands) n.push_back(std::string(d) + "_" + b + "_z");
    for (const char* b : bands) n.push_back(std::string("diff_") + b);
    n.push_back("cva_magnitude");
    for (const char* d : {"d1", "d2"}) {
      n.push_back(std::string(d) + "_saturation");
      n.push_back(std::string(d) + "_excess_green");
    }
    n.push_back("d1_gradient");
    n.push_back("d2_gradient");
    for (double w : kStructureWindowsM) {
      n.push_back("gradient_correlation_" + metres(w));
      n.push_back("gradient_energy_log_ratio_" + metres(w));
    }
    for (double w : kTextureWindowsM) {
      n.push_back("cva_mean_" + metres(w));
      n.push_back("d1_sd_" + metres(w));
      n.push_back("d2_sd_" + metres(w));
      for (const char* b : bands) n.push_back(std::string("diff_") + b + "_mean_" + metres(w));
    }
    // Named for the method's result they read (with development blocks, the regions' change
    // magnitude and new buildings grown over their roofs, 2026-12-03): a model trained on an
    // earlier result is refused.
    n.push_back("method_change");
    for (double w : kMethodWindowsM) n.push_back("method_change_share_" + metres(w));
    return n;
  }();
  return names;
}

std::vector<Window> vhr_change_tiles(int width, int height) {
  constexpr int kTile = 256;
  std::vector<Window> tiles;
  for (int r = 0; r < height; r += kTile)
    for (int c = 0; c < width; c += kTile)
      tiles.push_back({c, r, std::min(kTile, width - c), std::min(kTile, height - r)});
  return tiles;
}

int vhr_change_feature_halo(double pixel_size_m) {
  return odd_pixels(kWidestWindowM, pixel_size_m, 3) / 2 + 2;
}

RgbStats rgb_stats(const RgbImage& im) {
  double sum[3] = {0, 0, 0}, sum2[3] = {0, 0, 0};
  std::size_t n = 0;
  const std::size_t count = static_cast<std::size_t>(im.width) * im.height;
  for (std::size_t i = 0; i < count; ++i) {
    if (!valid_at(im, i)) continue;
    const float v[3] = {im.red[i], im.green[i], im.blue[i]};
    for (int b = 0; b < 3; ++b) {
      sum[b] += v[b];
      sum2[b] += double(v[b]) * v[b];
    }
    ++n;
  }
  if (n == 0) throw std::invalid_argument("rgb_stats: the image has no valid pixel");
  RgbStats s;
  for (int b = 0; b < 3; ++b) {
    s.mean[b] = sum[b] / double(n);
    const double var = sum2[b] / double(n) - s.mean[b] * s.mean[b];
    s.sd[b] = var > 1e-12 ? std::sqrt(var) : 1.0;
  }
  return s;
}

std::vector<float> vhr_change_features(const RgbImage& before, const RgbImage& after,
                                       const RgbStats& before_stats, const RgbStats& after_stats,
                                       const std::vector<std::int32_t>& method, double pixel_size_m,
                                       const Window& tile) {
  const int width = before.width, height = before.height;
  if (after.width != width || after.height != height ||
      method.size() != static_cast<std::size_t>(width) * height || tile.col < 0 || tile.row < 0 ||
      tile.width <= 0 || tile.height <= 0 || tile.col + tile.width > width ||
      tile.row + tile.height > height)
    throw std::invalid_argument("vhr_change_features: sizes or window do not match");
  const int halo = vhr_change_feature_halo(pixel_size_m);
  const int r0 = std::max(0, tile.row - halo), r1 = std::min(height, tile.row + tile.height + halo);
  const int c0 = std::max(0, tile.col - halo), c1 = std::min(width, tile.col + tile.width + halo);
  const cv::Rect extended(c0, r0, c1 - c0, r1 - r0);
  const DatePlanes a = date_planes(before, before_stats, extended);
  const DatePlanes b = date_planes(after, after_stats, extended);
  std::vector<cv::Mat1f> planes;
  cv::Mat1f diff[3];
  for (int k = 0; k < 3; ++k) planes.push_back(a.z[k]);
  for (int k = 0; k < 3; ++k) planes.push_back(b.z[k]);
  for (int k = 0; k < 3; ++k) planes.push_back(diff[k] = b.z[k] - a.z[k]);
  cv::Mat1f magnitude;
  cv::sqrt(diff[0].mul(diff[0]) + diff[1].mul(diff[1]) + diff[2].mul(diff[2]), magnitude);
  planes.push_back(magnitude);
  for (const DatePlanes* d : {&a, &b}) {
    planes.push_back(d->saturation);
    planes.push_back(d->excess_green);
  }
  const cv::Mat1f energy_a = mat(a.gx.mul(a.gx) + a.gy.mul(a.gy));
  const cv::Mat1f energy_b = mat(b.gx.mul(b.gx) + b.gy.mul(b.gy));
  for (const cv::Mat1f* e : {&energy_a, &energy_b}) {
    cv::Mat1f g;
    cv::sqrt(*e, g);
    planes.push_back(g);
  }
  const cv::Mat1f cross = mat(a.gx.mul(b.gx) + a.gy.mul(b.gy));
  for (double wm : kStructureWindowsM) {
    const int w = odd_pixels(wm, pixel_size_m, 3);
    const cv::Mat1f ea = box(energy_a, w), eb = box(energy_b, w);
    cv::Mat1f denominator;
    cv::sqrt(ea.mul(eb) + 1e-6f, denominator);
    planes.push_back(mat(box(cross, w) / denominator));
    cv::Mat1f la, lb;
    cv::log(ea + 1.0f, la);
    cv::log(eb + 1.0f, lb);
    planes.push_back(mat(lb - la));
  }
  for (double wm : kTextureWindowsM) {
    const int w = odd_pixels(wm, pixel_size_m, 3);
    planes.push_back(box(magnitude, w));
    planes.push_back(local_sd(a.grey, w));
    planes.push_back(local_sd(b.grey, w));
    for (const auto& d : diff) planes.push_back(box(d, w));
  }
  cv::Mat1f flag(r1 - r0, c1 - c0);
  for (int r = r0; r < r1; ++r)
    for (int c = c0; c < c1; ++c)
      flag(r - r0, c - c0) = method[static_cast<std::size_t>(r) * width + c] != 0 ? 1.0f : 0.0f;
  planes.push_back(flag);
  for (double wm : kMethodWindowsM) planes.push_back(box(flag, odd_pixels(wm, pixel_size_m, 3)));

  const std::size_t f = planes.size();
  std::vector<float> out(static_cast<std::size_t>(tile.pixels()) * f);
  for (int r = 0; r < tile.height; ++r)
    for (int c = 0; c < tile.width; ++c) {
      float* o = out.data() + (static_cast<std::size_t>(r) * tile.width + c) * f;
      for (std::size_t k = 0; k < f; ++k) o[k] = planes[k](tile.row + r - r0, tile.col + c - c0);
    }
  return out;
}

// ---- the model file ----

struct VhrChangeForest::Impl {
  cv::Ptr<cv::ml::RTrees> forest;
  VhrChangeModelInfo info;
};

VhrChangeForest::VhrChangeForest() : impl_(std::make_unique<Impl>()) {}
VhrChangeForest::~VhrChangeForest() = default;
VhrChangeForest::VhrChangeForest(VhrChangeForest&&) noexcept = default;
VhrChangeForest& VhrChangeForest::operator=(VhrChangeForest&&) noexcept = default;
const VhrChangeModelInfo& VhrChangeForest::info() const { return impl_->info; }

VhrChangeForest VhrChangeForest::train(const std::vector<float>& features,
                                       const std::vector<std::uint8_t>& labels,
                                       VhrChangeModelInfo info, int trees, int max_depth) {
  const int n = static_cast<int>(labels.size());
  const int f = static_cast<int>(vhr_change_feature_names().size());
  if (n == 0 || features.size() != static_cast<std::size_t>(n) * f)
    throw std::invalid_argument("change training: features and labels do not match");
  std::int64_t changed = 0;
  for (auto l : labels) changed += l != 0;
  if (changed == 0 || changed == n)
    throw std::invalid_argument("change training: needs samples of change and of no change");
  cv::Mat x(n, f, CV_32F, const_cast<float*>(features.data()));
  cv::Mat y(n, 1, CV_32S);
  for (int i = 0; i < n; ++i) y.at<int>(i) = labels[static_cast<std::size_t>(i)] ? 1 : 0;
  // Each class weighted by the other's share: as many changed as unchanged pixels in effect.
  cv::Mat weights(n, 1, CV_32F);
  for (int i = 0; i < n; ++i)
    weights.at<float>(i) = labels[static_cast<std::size_t>(i)] ? float(n - changed) / float(n)
                                                               : float(changed) / float(n);
  auto data =
      cv::ml::TrainData::create(x, cv::ml::ROW_SAMPLE, y, cv::noArray(), cv::noArray(), weights);
  VhrChangeForest m;
  m.impl_->forest = detail::train_forest(data, trees, max_depth, 5);
  info.samples = n;
  info.changed_samples = changed;
  info.trees = trees;
  info.max_depth = max_depth;
  m.impl_->info = std::move(info);
  return m;
}

void VhrChangeForest::save(const std::string& path) const {
  cv::FileStorage fs;
  detail::begin_model_file(fs, path);
  fs << "kind" << kKind;
  const VhrChangeModelInfo& i = impl_->info;
  fs << "classifier"
     << "random forest (OpenCV RTrees) of change between two very-high-resolution RGB dates";
  fs << "labels" << i.labels << "pixel_size_m" << i.pixel_size_m;
  fs << "samples" << static_cast<double>(i.samples) << "changed_samples"
     << static_cast<double>(i.changed_samples);
  fs << "trees" << i.trees << "max_depth" << i.max_depth;
  fs << "pairs"
     << "[";
  for (const auto& p : i.pairs) fs << p;
  fs << "]";
  fs << "features"
     << "[";
  for (const auto& s : vhr_change_feature_names()) fs << s;
  fs << "]";
  fs << "}";
  fs << "forest"
     << "{";
  impl_->forest->write(fs);
  fs << "}";
}

bool VhrChangeForest::is_change_model(const std::string& path) {
  try {
    cv::FileStorage fs(path, cv::FileStorage::READ);
    if (!fs.isOpened()) return false;
    const cv::FileNode k = fs["farmwatch_model"]["kind"];
    return !k.empty() && k.isString() && static_cast<std::string>(k) == kKind;
  } catch (const cv::Exception&) {
    return false;
  }
}

VhrChangeForest VhrChangeForest::load(const std::string& path) {
  cv::FileStorage fs;
  const cv::FileNode h = detail::open_model_file(fs, path);
  if (h["kind"].empty() || static_cast<std::string>(h["kind"]) != kKind)
    throw std::runtime_error("model '" + path +
                             "' is a land-use model (one date, classes), not a change model "
                             "(farmwatch train --before A --after B makes one)");
  std::vector<std::string> names;
  for (const auto& s : h["features"]) names.push_back(static_cast<std::string>(s));
  if (names != vhr_change_feature_names())
    throw std::runtime_error("model '" + path +
                             "' was trained on other change features than this farmwatch "
                             "computes: train it again");
  VhrChangeForest m;
  VhrChangeModelInfo& i = m.impl_->info;
  i.labels = static_cast<std::string>(h["labels"]);
  i.pixel_size_m = static_cast<double>(h["pixel_size_m"]);
  i.samples = static_cast<std::int64_t>(static_cast<double>(h["samples"]));
  i.changed_samples = static_cast<std::int64_t>(static_cast<double>(h["changed_samples"]));
  i.trees = static_cast<int>(h["trees"]);
  i.max_depth = static_cast<int>(h["max_depth"]);
  for (const auto& p : h["pairs"]) i.pairs.push_back(static_cast<std::string>(p));
  m.impl_->forest = detail::read_forest(fs, path);
  if (m.impl_->forest->getVarCount() != static_cast<int>(names.size()))
    throw std::runtime_error("model '" + path + "': its forest takes " +
                             std::to_string(m.impl_->forest->getVarCount()) + " features, not " +
                             std::to_string(names.size()));
  return m;
}

void VhrChangeForest::predict(const float* features, std::size_t n, float* change_share) const {
  if (n == 0) return;
  const int f = static_cast<int>(vhr_change_feature_names().size());
  cv::Mat x(static_cast<int>(n), f, CV_32F, const_cast<float*>(features));
  cv::Mat votes;
  impl_->forest->getVotes(x, votes, 0);
  // Row 0 holds the class labels, one column each; rows 1..n the votes.
  int change_col = -1;
  for (int c = 0; c < votes.cols; ++c)
    if (votes.at<int>(0, c) == 1) change_col = c;
  for (std::size_t i = 0; i < n; ++i) {
    const int row = static_cast<int>(i) + 1;
    int total = 0;
    for (int c = 0; c < votes.cols; ++c) total += votes.at<int>(row, c);
    const int yes = change_col < 0 ? 0 : votes.at<int>(row, change_col);
    change_share[i] = total > 0 ? float(yes) / float(total) : 0.0f;
  }
}

// ---- detection ----

BuildingChange detect_vhr_change_learned(const RgbImage& before, const RgbImage& after,
                                         const VhrChangeForest& model,
                                         const BuildingChangeParams& params) {
  const int width = before.width, height = before.height;
  const BuildingChange method = detect_building_change(before, after, params);
  const RgbStats sa = rgb_stats(before), sb = rgb_stats(after);
  const std::size_t count = static_cast<std::size_t>(width) * height;
  std::vector<float> share(count, 0.0f);
  const std::vector<Window> tiles = vhr_change_tiles(width, height);
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, tiles.size(), 1),
                    [&](const tbb::blocked_range<std::size_t>& rr) {
                      std::vector<float> tile_share;
                      for (std::size_t t = rr.begin(); t != rr.end(); ++t) {
                        const Window& w = tiles[t];
                        const auto x = vhr_change_features(before, after, sa, sb, method.labels,
                                                           params.pixel_size_m, w);
                        tile_share.resize(static_cast<std::size_t>(w.pixels()));
                        model.predict(x.data(), tile_share.size(), tile_share.data());
                        for (int r = 0; r < w.height; ++r)
                          std::copy_n(tile_share.begin() + std::ptrdiff_t(r) * w.width, w.width,
                                      share.begin() + std::ptrdiff_t(w.row + r) * width + w.col);
                      }
                    });
  cv::Mat1b changed(height, width, uchar(0));
  for (std::size_t i = 0; i < count; ++i)
    if (share[i] > 0.5f && valid_at(before, i) && valid_at(after, i))
      changed(static_cast<int>(i / width), static_cast<int>(i % width)) = 255;
  const int min_pixels =
      std::max(1, static_cast<int>(std::lround(params.min_area_m2 /
                                               (params.pixel_size_m * params.pixel_size_m))));
  cv::Mat1b objects = detail::clean_objects(changed, min_pixels);
  // Holes filled, but never with pixels a date has no data on.
  for (std::size_t i = 0; i < count; ++i)
    if (!valid_at(before, i) || !valid_at(after, i))
      objects(static_cast<int>(i / width), static_cast<int>(i % width)) = 0;

  // Objects numbered in row-major order of their first pixel.
  cv::Mat1i lab;
  const int n = cv::connectedComponents(objects, lab, 4, CV_32S);
  std::vector<std::int32_t> id_of(static_cast<std::size_t>(n), 0);
  // The method's kind per object id (id 0, no object: land changed).
  std::vector<VhrChangeKind> method_kind(method.objects.size() + 1, VhrChangeKind::land_changed);
  for (const auto& o : method.objects) method_kind[static_cast<std::size_t>(o.id)] = o.kind;
  BuildingChange out;
  out.labels.assign(count, 0);
  std::vector<std::array<std::int64_t, std::size(kVhrChangeKinds) + 1>> kinds;  // by kind code
  std::vector<double> vote_sum, col_sum, row_sum;
  for (int r = 0; r < height; ++r)
    for (int c = 0; c < width; ++c) {
      const int l = lab(r, c);
      if (!l) continue;
      auto& id = id_of[static_cast<std::size_t>(l)];
      if (!id) {
        BuildingObject o;
        o.id = id = static_cast<std::int32_t>(out.objects.size() + 1);
        o.col_min = o.col_max = c;
        o.row_min = o.row_max = r;
        out.objects.push_back(o);
        kinds.push_back({});
        vote_sum.push_back(0);
        col_sum.push_back(0);
        row_sum.push_back(0);
      }
      const std::size_t i = static_cast<std::size_t>(r) * width + c;
      const std::size_t k = static_cast<std::size_t>(id - 1);
      BuildingObject& o = out.objects[k];
      out.labels[i] = id;
      ++o.pixels;
      o.col_min = std::min(o.col_min, c);
      o.col_max = std::max(o.col_max, c);
      o.row_max = r;
      vote_sum[k] += share[i];
      col_sum[k] += c;
      row_sum[k] += r;
      const std::int32_t m = method.labels[i];
      ++kinds[k][static_cast<std::size_t>(method_kind[static_cast<std::size_t>(m)])];
    }
  for (std::size_t k = 0; k < out.objects.size(); ++k) {
    BuildingObject& o = out.objects[k];
    const double px = static_cast<double>(o.pixels);
    o.centroid_col = col_sum[k] / px + 0.5;  // pixel centres, as the method's
    o.centroid_row = row_sum[k] / px + 0.5;
    o.votes = vote_sum[k] / px;
    std::int64_t best = 0;
    for (VhrChangeKind kind : kVhrChangeKinds)
      if (kinds[k][static_cast<std::size_t>(kind)] > best) {
        best = kinds[k][static_cast<std::size_t>(kind)];
        o.kind = kind;
      }
  }
  return out;
}

}  // namespace farmwatch
