#pragma once
// Sub-pixel boundary refinement of a change patch.
//
// On 10 m pixels a patch's edge pixels are mixtures, and a threshold classifier labels them
// with whatever class the mixture resembles: the ring of a new building in forest turns into
// "grassland", the rim of a new pond into "grassland" too. Post-classification comparison then
// grows or shrinks patches by up to a pixel all round, which is 15-20 % of the area of a 1 ha
// patch. Here each pixel's change vector is projected on the patch's own change direction
// (the median change of its core): a linear mixture of the two surfaces changes by f times the
// full change, so f >= 0.5 keeps exactly the pixels that are mostly changed. Only the rim moves:
// a member inside the patch is another material of the same change (a building site), not a
// mixture, and stays.
#include <cstdint>
#include <optional>
#include <vector>

namespace farmwatch {

struct RefineInput {
  int width = 0, height = 0;                            ///< the window around the patch
  const std::vector<std::uint8_t>* member = nullptr;    ///< 1 = pixel of the patch
  const std::vector<std::uint8_t>* core = nullptr;      ///< 1 = pixel showing the patch's change
  const std::vector<std::uint8_t>* eligible = nullptr;  ///< 1 = non-member that may join
  std::vector<const std::vector<float>*> delta;         ///< per band: after - before (NaN invalid)
};

/// Refined membership (same window), or nullopt when the patch's change direction is undefined
/// (no valid core pixel, or no spectral change). Members inside the patch (every 4-neighbour a
/// member) and members with an invalid change keep their membership; only eligible pixels
/// 4-adjacent to a member may join.
std::optional<std::vector<std::uint8_t>> refine_patch(const RefineInput& in);

}  // namespace farmwatch
