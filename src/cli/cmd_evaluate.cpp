// farmwatch evaluate: a class map against reference labels; accuracy and area estimates.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "farmwatch/pipeline/steps/evaluate.h"
#include "step_options.h"

namespace farmwatch::cli {
namespace fs = std::filesystem;

namespace {

using pipeline::kZ95;

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
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
  CommonOptions common;
  const auto p = parse_step<pipeline::EvaluateParams>(
      {"evaluate", "evaluate --map MAP --reference REF [--field F] [--out DIR]",
       "Compares a class map with reference labels: confusion matrix, overall\n"
       "accuracy, kappa, per-class precision/recall/F1, and area estimates with\n"
       "95 % confidence intervals (Olofsson et al. 2014)."},
      args, common);
  if (!p) return 0;
  const io::Evaluation ev = pipeline::evaluate(*p, {common.threads, cli_log()});
  print(ev);
  if (!p->out.empty()) std::cout << fs::absolute(p->out).lexically_normal().string() << "\n";
  return 0;
}

}  // namespace farmwatch::cli
