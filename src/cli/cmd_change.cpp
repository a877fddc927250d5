// farmwatch change: parses, runs the change step, prints what it found.
#include <cmath>
#include <cstdint>
#include <iostream>

#include "farmwatch/pipeline/steps/change.h"
#include "step_options.h"

namespace farmwatch::cli {

int cmd_change(const std::vector<std::string>& args) {
  CommonOptions common;
  const auto p = parse_step<pipeline::ChangeParams>(
      {"change", "change --before A --after B --out DIR",
       "Compares two dates on A's grid. Writes DIR/change.tif (0 no change,\n"
       "1 非农化, 2 非粮化, 3 other change, 255 nodata), land-use maps, and the\n"
       "patches as changes.gpkg/.geojson/.csv with summary.json.\n"
       "Two RGB images with no georeference (PNG, JPEG) are compared on their\n"
       "pixel grid for new and demolished buildings and converted ground\n"
       "(change.tif 1 new building or ground converted, 3 demolished building\n"
       "or, with a change model (--model), land changed;\n"
       "changes.csv in pixels with each object's change_kind)."},
      args, common);
  if (!p) return 0;
  const auto summary = pipeline::change(*p, {common.threads, cli_log()});
  std::cout << summary["outputs"]["dir"].get<std::string>() << "/change.tif\n";
  const bool pixel_grid = summary.contains("grid") && summary["grid"].is_object() &&
                          summary["grid"].value("kind", "") == "pixel";
  if (pixel_grid) {
    for (const auto& [key, k] : summary["changes"]["kinds"].items())
      std::cout << k["label"].get<std::string>() << " (" << key << "): " << k["patches"]
                << " patches, " << k["area_px"] << " pixels (" << k["area_m2"] << " m2 at "
                << summary["grid"]["pixel_size_m"] << " m)\n";
    return 0;
  }
  for (const auto& [key, c] : summary["changes"]["categories"].items())
    std::cout << c["label"].get<std::string>() << ": " << c["patches"] << " patches, "
              << c["area_m2"] << " m2\n";
  if (summary["changes"].contains("kinds"))
    for (const auto& [key, k] : summary["changes"]["kinds"].items())
      std::cout << "  " << k["label"].get<std::string>() << " (" << key << "): " << k["patches"]
                << " patches, " << k["area_m2"] << " m2\n";
  // The seasonal exclusion: what it took out, or why it did not run; a spectral test not to be
  // trusted.
  const auto test = summary.value("spectral_change_test", nlohmann::json::object());
  if (test.contains("warning"))
    std::cout << "warning: spectral change test: " << test["warning"].get<std::string>() << "\n";
  // The change test's fit made again without the vegetation that turned (core: fit_no_change).
  if (test.value("fitted_without_turned_samples", false)) {
    std::cout << "spectral change test fitted without the "
              << test.value("vegetation_turned_samples", std::int64_t{0})
              << " samples whose vegetation turned";
    if (test.contains("other_samples_unchanged_share"))
      std::cout << ": fitted on every sample, it called "
                << std::lround(100 * test["other_samples_unchanged_share"].get<double>())
                << " % of the others unchanged (the season, or change over most of the scene, "
                   "taken for no change)";
    std::cout << "\n";
  }
  if (test.contains("seasonal_exclusion")) {
    const auto& s = test["seasonal_exclusion"];
    if (s["applied"].get<bool>())
      std::cout << "季节性变化 (not reported: the dates lie " << s["days_apart_in_year"]
                << " days apart in the year): " << s["regions"] << " regions, " << s["pixels"]
                << " pixels\n";
    else if (s["days_apart_in_year"].is_null())
      std::cout << "seasonal exclusion not run: the dates are unknown or the same (name the "
                   "files with their dates, or give --date-before and --date-after)\n";
    else
      std::cout << "seasonal exclusion not run: the dates are " << s["days_apart_in_year"]
                << " days apart in the year (the same season)\n";
  }
  return 0;
}

}  // namespace farmwatch::cli
