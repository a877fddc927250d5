#include "sampling.h"

#include <algorithm>

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

}  // namespace farmwatch::pipeline::stages
