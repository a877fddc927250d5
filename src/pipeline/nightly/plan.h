#pragma once
// What a night decides (private to the nightly sources): which scenes of the inbox to compare
// and which are settled at sight (plan.cpp), and what a comparison says of the patches already
// stored (revisits, revisit.cpp).
#include <nlohmann/json.hpp>
#include <vector>

#include "farmwatch/io/monitoring_db.h"
#include "farmwatch/io/scene_inbox.h"
#include "farmwatch/pipeline/run_context.h"

namespace farmwatch::pipeline::nightly {

/// A scene as the database records it, with a status and reason.
io::SceneRecord record_of(const io::SceneCandidate& c, const std::string& status,
                          const std::string& reason = "");

/// What the night does with each scene found.
struct Plan {
  std::vector<io::SceneCandidate> process;  ///< oldest first
  std::vector<io::SceneRecord> settled;     ///< recorded at once: duplicate, unidentifiable
  std::vector<nlohmann::json> listing;      ///< every scene found and its fate (dry run)
};

/// Deliveries already handled (same product, checksum and path) are skipped; unidentifiable
/// ones fail; the same bytes as a delivery handled before (or planned tonight) are duplicates;
/// the rest are compared, oldest first.
Plan plan_night(const std::vector<io::SceneCandidate>& found,
                const std::vector<io::SceneRecord>& known);

/// Stored patches that a comparison (a run of two dates, its database open) saw again: still
/// changed (persisting) or back to their class before (reverted). Patches the run found that
/// only undo a stored one are taken out of `found` and reported reverted. An older view than a
/// patch's last sighting does not overturn it.
std::vector<io::PatchRevisit> revisit_patches(const RunContext& ctx, std::vector<Patch>& found);

}  // namespace farmwatch::pipeline::nightly
