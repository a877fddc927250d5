#include "sampling.h"

#include <algorithm>

namespace farmwatch::pipeline::stages {

std::vector<Window> sample_windows(const Grid& g, int size) {
  std::vector<Window> out;
  const int w = std::min(size, g.width), h = std::min(size, g.height);
  for (int j = 0; j < 3; ++j)
    for (int i = 0; i < 3; ++i) {
      const Window win{(g.width - w) * i / 2, (g.height - h) * j / 2, w, h};
      if (std::find(out.begin(), out.end(), win) == out.end()) out.push_back(win);
    }
  return out;
}

}  // namespace farmwatch::pipeline::stages
