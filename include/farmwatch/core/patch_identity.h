#pragma once
// Which stored patch a newly detected patch is, across runs: the rule that keeps a patch's
// monitoring id (监测编号) and the analyst's decision on it from night to night.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace farmwatch {

/// A new patch overlaps a stored one by at least this share of the smaller of the two outlines
/// to be the same patch.
inline constexpr double kSamePatchShare = 0.3;

/// A new patch and a stored one that overlap; `share` = intersection area / the smaller of the
/// two areas (0..1, any area unit as long as all three agree).
struct PatchOverlap {
  std::size_t patch;   ///< index of the new patch
  std::size_t stored;  ///< index of the stored patch
  double share;
};

/// Per new patch, the index of the stored patch it is, or -1 for a new one. Pairs under
/// kSamePatchShare are ignored; the rest are taken best share first (ties: lower patch, then
/// lower stored index), each new and each stored patch at most once. Deterministic.
std::vector<std::int64_t> match_patches(std::size_t patch_count,
                                        std::vector<PatchOverlap> overlaps);

/// The status of a patch found again: an analyst's verified or dismissed stays, anything else
/// becomes persisting.
std::string status_when_found_again(const std::string& stored_status);

/// A monitoring id: `prefix`-NNNN (at least four digits), e.g. FW20240820-0001.
std::string patch_id(const std::string& prefix, int number);

}  // namespace farmwatch
