// farmwatch evaluate: a class map against reference labels; accuracy and area estimates.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "farmwatch/io/evaluate.h"
#include "farmwatch/pipeline/output_dir.h"
#include "options.h"

namespace farmwatch::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

constexpr double kZ95 = 1.96;

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

nlohmann::json to_json(const io::Evaluation& ev, const io::EvaluateRequest& req) {
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

void print(const io::Evaluation& ev) {
  const auto& r = ev.report;
  std::cout << "confusion matrix (rows: map, columns: reference), " << r.samples
            << " reference pixels\n       ";
  for (auto c : r.codes) std::printf("%9d", c);
  std::cout << "\n";
  for (std::size_t a = 0; a < r.codes.size(); ++a) {
    std::printf("%7d", r.codes[a]);
    for (auto v : r.matrix[a]) std::printf("%9lld", static_cast<long long>(v));
    std::cout << "\n";
  }
  std::cout << "overall accuracy " << fixed(r.overall, 4) << ", kappa " << fixed(r.kappa, 4)
            << "; area-weighted overall accuracy " << fixed(r.overall_weighted, 4) << " ± "
            << fixed(kZ95 * r.overall_weighted_se, 4) << " (95 %)\n";
  std::int64_t mapped = 0;
  for (const auto& c : r.classes) mapped += c.map_pixels;
  std::printf("%6s %9s %9s %9s %14s %22s\n", "class", "precision", "recall", "F1", "map area ha",
              "estimated area ha");
  for (const auto& c : r.classes) {
    const double ha = ev.pixel_area_m2 / 1e4;
    const double est = c.area_share * static_cast<double>(mapped) * ha;
    const double ci = kZ95 * c.area_share_se * static_cast<double>(mapped) * ha;
    std::printf("%6d %9.4f %9.4f %9.4f %14.2f %12.2f ± %7.2f\n", c.code, c.precision, c.recall,
                c.f1, static_cast<double>(c.map_pixels) * ha, est, ci);
  }
}

}  // namespace

int cmd_evaluate(const std::vector<std::string>& args) {
  io::EvaluateRequest req;
  std::string out;
  po::options_description desc;
  desc.add_options()("map", po::value<std::string>(&req.map)->required(),
                     "class map (one Byte band of class codes)")(
      "reference", po::value<std::string>(&req.reference)->required(),
      "label raster (0 = unlabelled) or labelled polygons")(
      "field", po::value<std::string>(&req.field), "polygons: attribute with the class code")(
      "layer", po::value<std::string>(&req.layer), "polygons: layer name")(
      "where", po::value<std::string>(&req.where),
      "polygons: OGR SQL filter, e.g. \"fid % 2 = 1\"")(
      "out", po::value<std::string>(&out),
      "folder for accuracy.json, confusion.csv and classes.csv");
  CommonOptions common;
  po::variables_map vm;
  if (!parse_command("evaluate --map MAP --reference REF [--field F] [--out DIR]",
                     "Compares a class map with reference labels: confusion matrix, overall\n"
                     "accuracy, kappa, per-class precision/recall/F1, and area estimates with\n"
                     "95 % confidence intervals (Olofsson et al. 2014).",
                     desc, {}, args, common, vm))
    return 0;
  const io::Evaluation ev = io::evaluate_map(req);
  print(ev);
  if (out.empty()) return 0;
  pipeline::StagedDir staged(out);
  const fs::path dir = staged.staging();
  std::ofstream(dir / "accuracy.json") << to_json(ev, req).dump(2) << "\n";
  {
    std::ofstream csv(dir / "confusion.csv");
    csv << "map\\reference";
    for (auto c : ev.report.codes) csv << "," << static_cast<int>(c);
    csv << "\n";
    for (std::size_t a = 0; a < ev.report.codes.size(); ++a) {
      csv << static_cast<int>(ev.report.codes[a]);
      for (auto v : ev.report.matrix[a]) csv << "," << v;
      csv << "\n";
    }
  }
  {
    const auto j = to_json(ev, req);
    std::ofstream csv(dir / "classes.csv");
    csv << "code,precision,recall,f1,samples_map,samples_reference,map_area_m2,"
           "estimated_area_m2,estimated_area_ci95_m2\n";
    for (const auto& c : j["classes"])
      csv << c["code"] << "," << fixed(c["precision"], 6) << "," << fixed(c["recall"], 6) << ","
          << fixed(c["f1"], 6) << "," << c["samples_map"] << "," << c["samples_reference"] << ","
          << fixed(c["map_area_m2"], 2) << "," << fixed(c["estimated_area_m2"], 2) << ","
          << fixed(c["estimated_area_ci95_m2"], 2) << "\n";
  }
  staged.commit();
  std::cout << staged.target().string() << "\n";
  return 0;
}

}  // namespace farmwatch::cli
