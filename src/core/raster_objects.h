#pragma once
// Object masks shared by the very-high-resolution change methods (building_change.cpp,
// vhr_change_model.cpp); private to the core library.
#include <opencv2/imgproc.hpp>

namespace farmwatch::detail {

/// Removes 4-connected foreground components smaller than `min_pixels`, then fills the
/// background components that do not touch the image border.
inline cv::Mat1b clean_objects(const cv::Mat1b& mask, int min_pixels) {
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

/// A window of `metres` in whole pixels: odd, at least `min`.
inline int odd_pixels(double metres, double pixel_size, int min) {
  const int n = std::max(min, static_cast<int>(std::lround(metres / pixel_size)));
  return n | 1;
}

}  // namespace farmwatch::detail
