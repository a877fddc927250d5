#pragma once
// How several scenes of one date make one composite: which scene a pixel is taken from.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "farmwatch/core/calendar.h"
#include "farmwatch/core/features.h"
#include "farmwatch/core/quality_mask.h"

namespace farmwatch {

/// The order a composite takes the scenes of `date`: the nearest acquisition (|days|) first,
/// ties in the order listed. An invalid `date` keeps the listed order; `acquired` are dates
/// YYYY-MM-DD.
std::vector<std::size_t> scene_priority(const std::string& date,
                                        const std::vector<std::string>& acquired);

/// Adds the next scene, in priority order, to a composite block: every pixel not yet clear
/// takes the scene's values (the roles marked in `roles`) where the scene saw the ground clear,
/// and records `source` (1-based scene number) in `sources` if given; a pixel still without a
/// clear view becomes cloud where this scene saw cloud. All vectors hold the block's pixels,
/// row-major. Returns how many pixels this scene filled.
std::size_t add_to_composite(const ReflectanceBlock& scene,
                             const std::vector<PixelState>& scene_state,
                             const std::array<bool, kRoleCount>& roles, std::uint8_t source,
                             ReflectanceBlock& composite, std::vector<PixelState>& state,
                             std::vector<std::uint8_t>* sources);

}  // namespace farmwatch
