#include "farmwatch/core/change_fragments.h"

#include <opencv2/imgproc.hpp>
#include <stdexcept>
#include <vector>

namespace farmwatch {

std::int64_t adopt_change_fragments(const std::uint8_t* window, int width, int rows, int core_begin,
                                    int core_end, bool top_is_edge, bool bottom_is_edge,
                                    const std::array<double, 4>& below, std::uint8_t* out) {
  if (width < 0 || rows < 0 || core_begin < 0 || core_end < core_begin || core_end > rows)
    throw std::invalid_argument("adopt_change_fragments: core rows outside the window");
  if (!width || core_begin == core_end) return 0;
  const cv::Mat1b all(rows, width, const_cast<std::uint8_t*>(window));
  // Per category: its components, their sizes, and whether each is a fragment.
  struct Components {
    cv::Mat1i labels;
    std::vector<char> fragment;
  };
  std::array<Components, 4> comp;
  bool any = false;
  for (int c = 2; c <= 3; ++c) {    // 非农化 is never taken into another category
    if (!(below[c] > 1)) continue;  // no component has under one pixel
    cv::Mat mask;
    cv::compare(all, cv::Scalar(c), mask, cv::CMP_EQ);
    cv::Mat stats, centroids;
    const int n =
        cv::connectedComponentsWithStats(mask, comp[c].labels, stats, centroids, 4, CV_32S);
    comp[c].fragment.assign(static_cast<std::size_t>(n), 0);
    for (int l = 1; l < n; ++l) {
      const int top = stats.at<int>(l, cv::CC_STAT_TOP);
      const int bottom = top + stats.at<int>(l, cv::CC_STAT_HEIGHT);
      const bool cut = (top == 0 && !top_is_edge) || (bottom == rows && !bottom_is_edge);
      const bool fragment = !cut && stats.at<int>(l, cv::CC_STAT_AREA) < below[c];
      comp[c].fragment[static_cast<std::size_t>(l)] = fragment;
      any = any || (fragment && bottom > core_begin && top < core_end);
    }
  }
  if (!any) return 0;
  std::int64_t rewritten = 0;
  for (int c = 2; c <= 3; ++c) {
    if (comp[c].labels.empty()) continue;
    const cv::Mat1i& lab = comp[c].labels;
    // Each fragment's pixels and its neighbours' categories, in one scan of the window.
    const std::size_t n = comp[c].fragment.size();
    std::vector<std::array<std::int64_t, 4>> votes(n, std::array<std::int64_t, 4>{});
    for (int r = 0; r < rows; ++r)
      for (int x = 0; x < width; ++x) {
        const int l = lab(r, x);
        if (!l || !comp[c].fragment[static_cast<std::size_t>(l)]) continue;
        constexpr int dr[4] = {-1, 1, 0, 0}, dx[4] = {0, 0, -1, 1};
        for (int k = 0; k < 4; ++k) {
          const int rr = r + dr[k], xx = x + dx[k];
          if (rr < 0 || rr >= rows || xx < 0 || xx >= width) continue;
          const std::uint8_t u = window[static_cast<std::size_t>(rr) * width + xx];
          if (u < 1 || u >= c) continue;  // no change, or not before c
          ++votes[static_cast<std::size_t>(l)][u];
        }
      }
    std::vector<std::uint8_t> to(n, 0);
    for (std::size_t l = 1; l < n; ++l) {
      std::int64_t best = 0;
      for (std::uint8_t d = 1; d < c; ++d)
        if (votes[l][d] > best) best = votes[l][d], to[l] = d;
    }
    for (int r = core_begin; r < core_end; ++r)
      for (int x = 0; x < width; ++x) {
        const int l = lab(r, x);
        if (l && to[static_cast<std::size_t>(l)]) {
          out[static_cast<std::size_t>(r - core_begin) * width + x] =
              to[static_cast<std::size_t>(l)];
          ++rewritten;
        }
      }
  }
  return rewritten;
}

}  // namespace farmwatch
