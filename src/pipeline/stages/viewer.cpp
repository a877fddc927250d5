// The one map's viewer (index.html) over the run's tiles, patches and farmland parcels.
#include <set>

#include "farmwatch/core/change_rules.h"
#include "farmwatch/io/monitoring_db.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/pipeline/viewer.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

class Viewer : public Stage {
 public:
  Viewer() : Stage("viewer", {Product::tiles, Product::reports}, {}) {}

 private:
  bool applies(const RunContext& ctx) const override { return ctx.spec.outputs.tiles; }
  void run(RunContext& ctx, const Log& log) override {
    const auto& staging = ctx.out->staging();
    ViewerMap m;
    m.title = "farmwatch 一张图: " + ctx.spec.name;
    for (const auto& d : ctx.spec.dates) m.title += " " + d.date;
    m.generated = ctx.generated_utc;
    m.bounds = io::transform_box(ctx.grid.extent(), ctx.grid.crs_wkt,
                                 io::crs_from_user("OGC:CRS84"));
    m.tiles = ctx.tiles;
    const ClassTable& classes = ctx.spec.classifier->classes();
    auto name = [&](std::uint8_t code) {
      const LandClass* c = classes.find(code);
      return c ? c->name : std::to_string(code);
    };
    // The chips the reports stage wrote (listed among the run's files): no look at the disk
    // for each patch.
    const std::set<std::string> files(ctx.files.begin(), ctx.files.end());
    for (const auto& p : ctx.patches.patches) {
      ViewerPatch v;
      v.id = p.id;
      v.category = category_key(p.category);
      v.category_label = category_label(p.category);
      if (p.kind) v.change_kind = vhr_change_kind_label(*p.kind);
      v.class_before = name(p.class_before);
      v.class_after = name(p.class_after);
      for (const auto& id : p.parcel_ids) v.parcels += (v.parcels.empty() ? "" : ", ") + id;
      v.unit_name = p.unit_name;
      v.status = p.status;
      v.status_label = io::patch_status_label(p.status);
      v.area_m2 = p.area_m2;
      v.area_mu = p.area_mu;
      v.lon = p.centroid_lon;
      v.lat = p.centroid_lat;
      v.confidence = p.confidence;
      for (const char* side : {"_before.png", "_after.png"}) {
        const std::string chip = "chips/" + p.id + side;
        if (files.count(chip)) v.chips.push_back(chip);
      }
      v.wkb_lonlat = p.wkb_lonlat;
      m.patches.push_back(std::move(v));
    }
    if (ctx.farmland) {
      const io::ToLonLat to_lonlat(ctx.grid.crs_wkt);
      const auto& f = *ctx.farmland;
      for (std::size_t i = 0; i < f.size(); ++i)
        m.parcels.push_back(
            viewer_parcel(f.parcel_id(i), f.parcel_name(i), to_lonlat(f.parcel_wkb(i))));
    }
    for (const auto& f : write_viewer(staging, m, log)) ctx.files.push_back(f);
  }
};

}  // namespace

std::unique_ptr<Stage> viewer() { return std::make_unique<Viewer>(); }

}  // namespace farmwatch::pipeline::stages
