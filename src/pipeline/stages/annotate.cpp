// What the office asks of every parcel and patch: class areas per parcel and date, the parcels
// each patch takes and how much of them, the administrative unit, whether an exemption layer
// makes the patch reasonable (合理), and the patch's monitoring id and status.
#include <cmath>
#include <fstream>

#include "farmwatch/core/units.h"
#include "farmwatch/io/csv_writer.h"
#include "farmwatch/io/geodesic.h"
#include "farmwatch/io/parcel_stats.h"
#include "farmwatch/io/spatial_ref.h"
#include "stages.h"

namespace farmwatch::pipeline::stages {
namespace {

/// Share of a patch that must lie in an exemption layer for the patch to be reasonable.
constexpr double kExemptShare = 0.5;

double total_area(const std::vector<io::Overlap>& o) {
  double a = 0;
  for (const auto& x : o) a += x.area_m2;
  return a;
}

/// The unit (code, name) covering most of a geometry; empty without an admin layer or overlap.
std::pair<std::string, std::string> unit_of(const RunContext& ctx,
                                            const std::vector<std::uint8_t>& wkb) {
  if (!ctx.admin) return {};
  const auto o = ctx.admin->overlaps(wkb);
  if (o.empty()) return {};
  const auto best = std::max_element(
      o.begin(), o.end(), [](const auto& a, const auto& b) { return a.area_m2 < b.area_m2; });
  return {ctx.admin->parcel_id(best->index), ctx.admin->parcel_name(best->index)};
}

class Annotate : public Stage {
 public:
  Annotate() : Stage("annotate", {Product::landuse_change, Product::patches}, {Product::parcel_stats}) {}

 private:
  bool applies(const RunContext& ctx) const override { return ctx.compares_dates(); }

  void run(RunContext& ctx, const Log& log) override {
    const io::EllipsoidalArea area(ctx.grid.crs_wkt);
    if (ctx.farmland) parcels(ctx, area, log);
    for (auto& p : ctx.patches.patches) {
      if (ctx.farmland)
        for (const auto& o : ctx.farmland->overlaps(p.wkb))
          p.parcel_areas.emplace_back(ctx.farmland->parcel_id(o.index), o.area_m2);
      std::tie(p.unit_code, p.unit_name) = unit_of(ctx, p.wkb);
      const double a = p.area_m2;  // ellipsoidal, measured by the patches stage
      for (std::size_t k = 0; k < ctx.exemptions.size() && p.exempt_by.empty(); ++k)
        if (a > 0 && total_area(ctx.exemptions[k].overlaps(p.wkb)) >= kExemptShare * a)
          p.exempt_by = ctx.spec.exemptions[k].name;
      p.first_seen = ctx.spec.dates[1].date;
    }
    if (ctx.db) {
      ctx.db->match_patches(ctx.patches.patches, patch_id_prefix(ctx));
      int found_again = 0;
      for (const auto& p : ctx.patches.patches) found_again += p.status != "new";
      log.info("monitoring database " + ctx.db->target() + ": " + std::to_string(found_again) +
               " of " + std::to_string(ctx.patches.patches.size()) +
               " patches were found before and keep their ids");
    }
  }

  /// Each parcel's unit and area, and its class areas on both dates (exact coverage).
  void parcels(RunContext& ctx, const io::EllipsoidalArea& area, const Log& log) {
    const io::FarmlandLayer& f = *ctx.farmland;
    const io::ToLonLat to_lonlat(ctx.grid.crs_wkt);
    for (std::size_t i = 0; i < f.size(); ++i) {
      io::ParcelRecord r;
      r.id = f.parcel_id(i);
      std::tie(r.unit_code, r.unit_name) = unit_of(ctx, f.parcel_wkb(i));
      r.area_m2 = area.area_m2(f.parcel_wkb(i));
      r.wkb_lonlat = to_lonlat(f.parcel_wkb(i));
      ctx.parcels.push_back(std::move(r));
    }
    const ClassTable& classes = ctx.spec.classifier->classes();
    io::CsvTable csv;
    csv.header = {"parcel_id", "unit_name", "date",     "class_code",
                  "class_name", "gbt21010", "area_m2", "share"};
    for (std::size_t d = 0; d < 2; ++d) {
      const auto per_parcel = io::parcel_class_areas(f, ctx.job.landuse_out[d]);
      for (std::size_t i = 0; i < per_parcel.size(); ++i) {
        double total = 0;
        for (const auto& c : per_parcel[i]) total += c.area_m2;
        for (const auto& c : per_parcel[i]) {
          const LandClass* lc = classes.find(c.code);
          io::ParcelClassRecord rec;
          rec.parcel_id = f.parcel_id(i);
          rec.date = ctx.spec.dates[d].date;
          rec.code = c.code;
          rec.class_name = lc ? lc->name : c.code == 255 ? "无数据" : "未知";
          rec.gbt_code = lc ? lc->gbt_code : "";
          rec.area_m2 = round_area_m2(c.area_m2);
          rec.share = area_share(c.area_m2, total);
          csv.rows.push_back({rec.parcel_id, ctx.parcels[i].unit_name, rec.date,
                              std::to_string(rec.code), rec.class_name, rec.gbt_code,
                              io::csv_number(rec.area_m2, 2), io::csv_number(rec.share, 4)});
          ctx.parcel_classes.push_back(std::move(rec));
        }
      }
    }
    write_file_atomically(ctx.out->staging() / "parcel_classes.csv", csv.text());
    ctx.files.push_back("parcel_classes.csv");
    log.info("parcel class areas: " + std::to_string(f.size()) + " parcels x 2 dates");
  }
};

}  // namespace

std::unique_ptr<Stage> annotate() { return std::make_unique<Annotate>(); }

}  // namespace farmwatch::pipeline::stages
