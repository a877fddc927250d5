#include <map>

#include "farmwatch/io/area_geometry.h"
#include "farmwatch/io/raster_writer.h"
#include "plan.h"

namespace farmwatch::pipeline::nightly {

namespace {

/// A stored patch's class code by the name the database keeps; 255 if the table lacks it.
std::uint8_t code_of(const ClassTable& t, const std::string& name) {
  for (const auto& c : t.classes())
    if (c.name == name) return c.code;
  return 255;
}

}  // namespace

std::vector<io::PatchRevisit> revisit_patches(const RunContext& ctx, std::vector<Patch>& found) {
  std::vector<io::PatchRevisit> out;
  const ClassTable& classes = ctx.spec.classifier->classes();
  const ChangeRules& rules = ctx.spec.change.rules;
  std::map<std::string, io::StoredPatch> stored;
  for (auto& p : ctx.db->patches({})) stored.emplace(p.id, std::move(p));
  // A change back to the stored patch's class before is the patch reverting, not a new change.
  for (auto it = found.begin(); it != found.end();) {
    const auto s = stored.find(it->id);
    const std::uint8_t before = s == stored.end() ? 255 : code_of(classes, s->second.class_before);
    if (before != 255 && rules.categorize(before, it->class_after, true) == ChangeCategory::none) {
      out.push_back({it->id, "reverted", s->second.status});
      stored.erase(s);
      it = found.erase(it);
    } else {
      stored.erase(it->id);
      ++it;
    }
  }
  io::BlockRasterReader after(ctx.job.landuse_out[1]);
  const std::string date = ctx.spec.dates.back().date;
  for (const auto& [id, p] : stored) {
    if (p.status != "new" && p.status != "persisting" && p.status != "verified") continue;
    if (date < p.last_seen) continue;  // an older view does not overturn a newer one
    const auto category = parse_category(p.category);
    const std::uint8_t before = code_of(classes, p.class_before);
    if (!category || before == 255 || p.wkb_lonlat.empty()) continue;
    const io::GridMask m = io::rasterize_lonlat(p.wkb_lonlat, ctx.grid);
    if (m.window.empty()) continue;
    std::vector<std::uint8_t> cls(static_cast<std::size_t>(m.window.pixels()));
    after.read(m.window, 1, io::PixelType::u8, cls.data());
    std::int64_t inside = 0, seen = 0, still = 0, back = 0;
    for (std::size_t i = 0; i < cls.size(); ++i) {
      if (!m.inside[i]) continue;
      ++inside;
      if (cls[i] == 255 || !classes.observed(cls[i])) continue;
      ++seen;
      const ChangeCategory c = rules.categorize(before, cls[i], true);
      still += c == *category;
      back += c == ChangeCategory::none;
    }
    if (inside == 0 || seen * 2 < inside) continue;  // not seen clear enough to tell
    if (still * 2 > seen) out.push_back({id, "persisting", p.status});
    else if (back * 2 > seen) out.push_back({id, "reverted", p.status});
  }
  return out;
}

}  // namespace farmwatch::pipeline::nightly
