#include "farmwatch/core/patch_identity.h"

#include <algorithm>
#include <cstdio>
#include <set>

namespace farmwatch {

std::vector<std::int64_t> match_patches(std::size_t patch_count,
                                        std::vector<PatchOverlap> overlaps) {
  std::erase_if(overlaps, [](const PatchOverlap& o) { return !(o.share >= kSamePatchShare); });
  std::sort(overlaps.begin(), overlaps.end(), [](const PatchOverlap& a, const PatchOverlap& b) {
    if (a.share != b.share) return a.share > b.share;
    if (a.patch != b.patch) return a.patch < b.patch;
    return a.stored < b.stored;
  });
  std::vector<std::int64_t> match(patch_count, -1);
  std::set<std::size_t> claimed;
  for (const auto& o : overlaps) {
    if (match[o.patch] >= 0 || claimed.count(o.stored)) continue;
    match[o.patch] = static_cast<std::int64_t>(o.stored);
    claimed.insert(o.stored);
  }
  return match;
}

std::string status_when_found_again(const std::string& stored_status) {
  return stored_status == "verified" || stored_status == "dismissed" ? stored_status
                                                                     : "persisting";
}

std::string patch_id(const std::string& prefix, int number) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d", number);
  return prefix + "-" + buf;
}

}  // namespace farmwatch
