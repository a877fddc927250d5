#include "farmwatch/core/patch_refine.h"

#include <algorithm>
#include <cmath>

namespace farmwatch {
namespace {

bool valid_delta(const RefineInput& in, std::size_t i) {
  for (const auto* d : in.delta)
    if (std::isnan((*d)[i])) return false;
  return true;
}

float median(std::vector<float>& v) {
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

}  // namespace

std::optional<std::vector<std::uint8_t>> refine_patch(const RefineInput& in) {
  const std::size_t n = static_cast<std::size_t>(in.width) * in.height;
  const auto& member = *in.member;
  // The patch's change direction: per-band median change over its core pixels.
  std::vector<float> dir(in.delta.size());
  std::vector<float> values;
  for (std::size_t b = 0; b < in.delta.size(); ++b) {
    values.clear();
    for (std::size_t i = 0; i < n; ++i)
      if ((*in.core)[i] && valid_delta(in, i)) values.push_back((*in.delta[b])[i]);
    if (values.empty()) return std::nullopt;
    dir[b] = median(values);
  }
  double norm2 = 0;
  for (float d : dir) norm2 += double(d) * d;
  if (norm2 < 1e-6) return std::nullopt;

  auto fraction = [&](std::size_t i) {
    double dot = 0;
    for (std::size_t b = 0; b < dir.size(); ++b) dot += double((*in.delta[b])[i]) * dir[b];
    return dot / norm2;
  };
  auto next_to_member = [&](int c, int r) {
    return (c > 0 && member[r * in.width + c - 1]) ||
           (c + 1 < in.width && member[r * in.width + c + 1]) ||
           (r > 0 && member[(r - 1) * in.width + c]) ||
           (r + 1 < in.height && member[(r + 1) * in.width + c]);
  };
  // Only a member on the patch's rim (a 4-neighbour outside it) can be a mixture with the
  // surroundings; one inside is another material of the same change (a building site of
  // several surfaces), which the projection on the median would cut out as a hole.
  auto on_rim = [&](int c, int r) {
    return c == 0 || c + 1 == in.width || r == 0 || r + 1 == in.height ||
           !member[r * in.width + c - 1] || !member[r * in.width + c + 1] ||
           !member[(r - 1) * in.width + c] || !member[(r + 1) * in.width + c];
  };
  std::vector<std::uint8_t> out(n, 0);
  for (int r = 0; r < in.height; ++r)
    for (int c = 0; c < in.width; ++c) {
      const std::size_t i = static_cast<std::size_t>(r) * in.width + c;
      if (member[i]) {
        out[i] = !on_rim(c, r) || !valid_delta(in, i) || fraction(i) >= 0.5;
      } else if ((*in.eligible)[i] && valid_delta(in, i) && next_to_member(c, r)) {
        out[i] = fraction(i) >= 0.5;
      }
    }
  return out;
}

}  // namespace farmwatch
