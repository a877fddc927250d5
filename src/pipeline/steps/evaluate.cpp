#include "farmwatch/pipeline/steps/evaluate.h"

#include "farmwatch/io/csv_writer.h"
#include "farmwatch/pipeline/output_dir.h"

namespace farmwatch::pipeline {

const ParamSet& EvaluateParams::params() {
  using P = EvaluateParams;
  static const ParamSet set =
      Params<P>("evaluate")
          .path("map", &P::map, "class map (one Byte band of class codes)", true)
          .path("reference", &P::reference, "label raster (0 = unlabelled) or labelled polygons",
                true)
          .text("field", &P::field, "polygons: attribute with the class code")
          .text("layer", &P::layer, "polygons: layer name")
          .text("where", &P::where, "polygons: OGR SQL filter, e.g. \"fid % 2 = 1\"")
          .path("out", &P::out, "folder for accuracy.json, confusion.csv and classes.csv")
          .set();
  return set;
}

nlohmann::json evaluation_json(const io::Evaluation& ev, const io::EvaluateRequest& req) {
  const auto& r = ev.report;
  const double total_m2 = static_cast<double>(ev.grid.width) * ev.grid.height * ev.pixel_area_m2;
  nlohmann::json j = {{"map", req.map},
                      {"reference", req.reference},
                      {"samples", r.samples},
                      {"overall_accuracy", r.overall},
                      {"kappa", r.kappa},
                      {"area_weighted",
                       {{"overall_accuracy", r.overall_weighted},
                        {"overall_accuracy_ci95", kZ95 * r.overall_weighted_se},
                        {"method", "Olofsson et al. 2014, stratified by map class"}}},
                      {"pixel_area_m2", ev.pixel_area_m2},
                      {"codes", r.codes},
                      {"confusion_matrix", r.matrix},
                      {"confusion_matrix_axes", "rows: map class, columns: reference class"}};
  if (!req.field.empty()) j["field"] = req.field;
  if (!req.where.empty()) j["where"] = req.where;
  std::int64_t mapped = 0;
  for (const auto& c : r.classes) mapped += c.map_pixels;
  for (const auto& c : r.classes) {
    const double area = c.area_share * static_cast<double>(mapped) * ev.pixel_area_m2;
    j["classes"].push_back(
        {{"code", c.code},
         {"precision", c.precision},
         {"recall", c.recall},
         {"f1", c.f1},
         {"samples_map", c.sample_map},
         {"samples_reference", c.sample_ref},
         {"map_area_m2", static_cast<double>(c.map_pixels) * ev.pixel_area_m2},
         {"estimated_area_m2", area},
         {"estimated_area_ci95_m2",
          kZ95 * c.area_share_se * static_cast<double>(mapped) * ev.pixel_area_m2},
         {"producers_accuracy_area_weighted", c.producers_weighted}});
  }
  j["grid_area_m2"] = total_m2;
  return j;
}

namespace {

io::CsvTable confusion_csv(const io::Evaluation& ev) {
  io::CsvTable t;
  t.header = {"map\\reference"};
  for (auto c : ev.report.codes) t.header.push_back(std::to_string(static_cast<int>(c)));
  for (std::size_t a = 0; a < ev.report.codes.size(); ++a) {
    std::vector<std::string> row = {std::to_string(static_cast<int>(ev.report.codes[a]))};
    for (auto v : ev.report.matrix[a]) row.push_back(std::to_string(v));
    t.rows.push_back(std::move(row));
  }
  return t;
}

io::CsvTable classes_csv(const nlohmann::json& j) {
  io::CsvTable t;
  t.header = {"code",        "precision",         "recall",      "f1",
              "samples_map", "samples_reference", "map_area_m2", "estimated_area_m2",
              "estimated_area_ci95_m2"};
  auto n = [](const nlohmann::json& v, int d) { return io::csv_number(v.get<double>(), d); };
  for (const auto& c : j["classes"])
    t.rows.push_back({c["code"].dump(), n(c["precision"], 6), n(c["recall"], 6), n(c["f1"], 6),
                      c["samples_map"].dump(), c["samples_reference"].dump(),
                      n(c["map_area_m2"], 2), n(c["estimated_area_m2"], 2),
                      n(c["estimated_area_ci95_m2"], 2)});
  return t;
}

}  // namespace

io::Evaluation evaluate(const EvaluateParams& p, const StepEnv&) {
  io::EvaluateRequest req;
  if (!p.out.empty()) check_output_folder(p.out, {p.map, p.reference});
  req.map = p.map;
  req.reference = p.reference;
  req.field = p.field;
  req.layer = p.layer;
  req.where = p.where;
  io::Evaluation ev = io::evaluate_map(req);
  if (p.out.empty()) return ev;
  StagedDir staged(p.out);
  const auto j = evaluation_json(ev, req);
  write_file_atomically(staged.staging() / "accuracy.json", j.dump(2) + "\n");
  write_file_atomically(staged.staging() / "confusion.csv", confusion_csv(ev).text());
  write_file_atomically(staged.staging() / "classes.csv", classes_csv(j).text());
  staged.commit();
  return ev;
}

}  // namespace farmwatch::pipeline
