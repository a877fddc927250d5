#include "stages.h"

namespace farmwatch::pipeline {

std::vector<std::unique_ptr<Stage>> standard_stages() {
  std::vector<std::unique_ptr<Stage>> s;
  s.push_back(stages::validate());
  s.push_back(stages::screen());
  s.push_back(stages::coregister());
  s.push_back(stages::normalise());
  s.push_back(stages::spectral());
  s.push_back(stages::merged_calibration());
  s.push_back(stages::prepare());
  s.push_back(stages::farmland());
  s.push_back(stages::classify());
  s.push_back(stages::buildings());
  s.push_back(stages::start_rasters());
  s.push_back(stages::patches());
  s.push_back(stages::annotate());
  s.push_back(stages::rasters());
  s.push_back(stages::reports());
  s.push_back(stages::tiles());
  s.push_back(stages::viewer());
  check_stage_order(s);
  return s;
}

namespace stages {

std::string patch_id_prefix(const RunContext& ctx) {
  std::string s = "FW";
  for (char c : ctx.spec.dates[1].date)
    if (c != '-') s += c;
  return s;
}

nlohmann::json for_each_later_scene(RunContext& ctx,
                                    const std::function<nlohmann::json(io::ImageInfo&)>& report) {
  nlohmann::json reports = nlohmann::json::array();
  for (auto& scene : ctx.images[1].scenes) {
    reports.push_back(report(scene));
    reports.back()["image"] = scene.path;
  }
  return reports.size() == 1 ? reports[0] : nlohmann::json{{"scenes", reports}};
}

}  // namespace stages
}  // namespace farmwatch::pipeline
