#include "farmwatch/core/coregistration.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace farmwatch {
namespace {

/// The image as a CV_64F matrix with NaN replaced by the mean of the valid pixels.
std::optional<cv::Mat> filled(const std::vector<float>& v, int width, int height) {
  double sum = 0;
  std::size_t n = 0;
  for (float x : v)
    if (!std::isnan(x)) sum += x, ++n;
  if (5 * n < 4 * v.size()) return std::nullopt;  // under 80 % valid
  const double mean = sum / static_cast<double>(n);
  cv::Mat m(height, width, CV_64F);
  for (int r = 0; r < height; ++r)
    for (int c = 0; c < width; ++c) {
      const float x = v[static_cast<std::size_t>(r) * width + c];
      m.at<double>(r, c) = std::isnan(x) ? mean : x;
    }
  return m;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

namespace {

/// Beyond this shift (pixels) a peak is weighed against a peak near no shift (phase_shift).
constexpr double kNearPeakPx = 2.0;
/// A peak near no shift is taken instead of the far one where its edge correlation is at least
/// this share of the far peak's...
constexpr double kNearPeakShare = 0.8;
/// ...and a step of one pixel from it towards the far peak keeps at most this share of it.
constexpr double kNearPeakStepShare = 0.9;

/// Edges (gradient magnitude) survive the seasons better than the intensities themselves:
/// a field turning green changes its brightness, not where its borders are.
cv::Mat edges(const cv::Mat& m) {
  cv::Mat gx, gy, mag;
  cv::Sobel(m, gx, CV_64F, 1, 0, 3);
  cv::Sobel(m, gy, CV_64F, 0, 1, 3);
  cv::magnitude(gx, gy, mag);
  return mag;
}

/// The margin (pixels) inside which a shift of `p` is compared (ncc_at), and whether `m` holds
/// such a comparison.
int margin_for(cv::Point2d p) {
  return 3 + static_cast<int>(std::ceil(std::max(std::fabs(p.x), std::fabs(p.y)))) + 1;
}
bool fits(const cv::Mat& m, int margin) {
  return m.cols > 2 * margin + 8 && m.rows > 2 * margin + 8;
}

/// Normalised cross-correlation of `a` with `b` moved back by (dx, dy), on the inner part.
double ncc_at(const cv::Mat& a, const cv::Mat& b, double dx, double dy, int margin) {
  cv::Mat moved;
  const cv::Mat t = (cv::Mat_<double>(2, 3) << 1, 0, -dx, 0, 1, -dy);
  cv::warpAffine(b, moved, t, b.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  const cv::Rect inner(margin, margin, a.cols - 2 * margin, a.rows - 2 * margin);
  cv::Mat ra = a(inner), rb = moved(inner);
  cv::Scalar ma, sa, mb, sb;
  cv::meanStdDev(ra, ma, sa);
  cv::meanStdDev(rb, mb, sb);
  if (sa[0] == 0 || sb[0] == 0) return -1;
  return (ra - ma[0]).dot(rb - mb[0]) / (sa[0] * sb[0] * static_cast<double>(ra.total()));
}

/// The sub-pixel shift maximising NCC near `start`: NCC on a 0.25-pixel lattice around it,
/// then a parabola through the best lattice point and its neighbours, in x and in y.
/// (OpenCV's own sub-pixel estimate is a peak centroid, biased towards whole pixels.)
/// `peak`, if given, tells whether the best lattice point lies inside the lattice, not on its
/// edge: a maximum near `start` rather than a slope climbing away from it.
cv::Point2d refine(const cv::Mat& a, const cv::Mat& b, cv::Point2d start, bool* peak = nullptr) {
  if (peak) *peak = false;
  const int margin = margin_for(start);
  if (!fits(a, margin)) return start;
  constexpr double step = 0.25;
  constexpr int half = 3;  // lattice of 7 x 7 points, +-0.75 pixel
  double score[2 * half + 1][2 * half + 1];
  for (int j = -half; j <= half; ++j)
    for (int i = -half; i <= half; ++i)
      score[j + half][i + half] = ncc_at(a, b, start.x + i * step, start.y + j * step, margin);
  // The best point: the centre unless another is better, then the first in row order among
  // equals. (The scores were compared as they were computed, against the centre's before it
  // was: a value left on the stack, so that the same images could give another shift from one
  // run to the next.)
  int bi = half, bj = half;
  for (int j = 0; j <= 2 * half; ++j)
    for (int i = 0; i <= 2 * half; ++i)
      if (score[j][i] > score[bj][bi]) bi = i, bj = j;
  auto vertex = [](double l, double c, double r) {
    const double d = l - 2 * c + r;
    return d < 0 ? std::clamp(0.5 * (l - r) / d, -0.5, 0.5) : 0.0;
  };
  if (peak) *peak = bi > 0 && bi < 2 * half && bj > 0 && bj < 2 * half;
  double fx = 0, fy = 0;
  if (bi > 0 && bi < 2 * half) fx = vertex(score[bj][bi - 1], score[bj][bi], score[bj][bi + 1]);
  if (bj > 0 && bj < 2 * half) fy = vertex(score[bj - 1][bi], score[bj][bi], score[bj + 1][bi]);
  return {start.x + (bi - half + fx) * step, start.y + (bj - half + fy) * step};
}

}  // namespace

std::optional<Shift> phase_shift(const std::vector<float>& earlier, const std::vector<float>& later,
                                 int width, int height) {
  if (width < kMinShiftWindowPx || height < kMinShiftWindowPx) return std::nullopt;
  const auto a = filled(earlier, width, height), b = filled(later, width, height);
  if (!a || !b) return std::nullopt;
  const cv::Mat ea = edges(*a), eb = edges(*b);
  cv::Mat hann;
  cv::createHanningWindow(hann, a->size(), CV_64F);
  Shift s;
  const cv::Point2d coarse = cv::phaseCorrelate(ea, eb, hann, &s.response);
  // Implausible peaks (a window of uniform fields) are left to combine_shifts to discard.
  cv::Point2d p = std::hypot(coarse.x, coarse.y) < 0.25 * std::min(width, height)
                      ? refine(ea, eb, coarse)
                      : coarse;
  // Two peaks: regular fields or blocks, much of them changed, also correlate at a shift of one
  // field's width, and the change test then compares each field with its neighbour (a
  // generated 30 m scene of 10-pixel blocks, 60 % built up, was moved by a block and nothing
  // was found). Where the edges also have a peak of their own near no shift, nearly as high
  // and falling off steeply, that one is taken. A real shift of a few pixels leaves only a
  // slope or a shallow bump there (README: measured on shifted Sentinel-2 pairs, where the
  // step test, not the share, is what keeps them apart).
  if (std::isfinite(p.x) && std::isfinite(p.y) && std::hypot(p.x, p.y) > kNearPeakPx) {
    const int margin = margin_for(p);
    bool peak = false;
    // Both are compared inside the far shift's margin; a window too small for it is left to
    // combine_shifts' limit.
    const cv::Point2d near = fits(ea, margin) ? refine(ea, eb, {0, 0}, &peak) : cv::Point2d{};
    if (peak) {
      const double far_ncc = ncc_at(ea, eb, p.x, p.y, margin),
                   near_ncc = ncc_at(ea, eb, near.x, near.y, margin);
      const double len = std::hypot(p.x - near.x, p.y - near.y);
      const double towards =
          ncc_at(ea, eb, near.x + (p.x - near.x) / len, near.y + (p.y - near.y) / len, margin);
      if (far_ncc > 0 && near_ncc > 0 && near_ncc >= kNearPeakShare * far_ncc &&
          towards < kNearPeakStepShare * near_ncc)
        p = near;
    }
  }
  s.dx = p.x;
  s.dy = p.y;
  return s;
}

std::optional<Shift> combine_shifts(const std::vector<Shift>& shifts, double min_response,
                                    double max_px) {
  std::vector<double> dx, dy, resp;
  for (const auto& s : shifts)
    if (s.response >= min_response && std::hypot(s.dx, s.dy) <= max_px) {
      dx.push_back(s.dx);
      dy.push_back(s.dy);
      resp.push_back(s.response);
    }
  if (dx.empty()) return std::nullopt;
  return Shift{median(dx), median(dy), median(resp)};
}

}  // namespace farmwatch
