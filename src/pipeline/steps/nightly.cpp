#include "farmwatch/pipeline/steps/nightly.h"

#include <filesystem>

#include "farmwatch/core/error.h"

namespace farmwatch::pipeline {

const ParamSet& NightlyParams::params() {
  using P = NightlyParams;
  static const ParamSet set =
      Params<P>("nightly")
          .path("area", &P::area, "area file (YAML or JSON)", true)
          .flag("wait", &P::wait, "wait for another night on the area to finish (default: exit 75)")
          .flag("dry_run", &P::dry_run,
                "list the scenes found and what would be done with each; change nothing")
          .choice("log_format", &P::log_format, {"text", "json"},
                  "text lines, or one JSON object per line (run_id, stage, scene, seconds)")
          .default_value("text")
          .set();
  return set;
}

NightResult nightly(const NightlyParams& p, const StepEnv& env,
                    std::function<void(std::size_t, std::size_t, const std::string&)> progress) {
  const AreaSpec area = load_area(p.area);
  NightlyOptions o;
  o.threads = env.threads;
  o.wait = p.wait;
  o.dry_run = p.dry_run;
  o.progress = std::move(progress);
  try {
    return run_night(area, o, env.log);
  } catch (const std::filesystem::filesystem_error& e) {
    throw ProcessingError(std::string("nightly: ") + e.what());
  }
}

}  // namespace farmwatch::pipeline
