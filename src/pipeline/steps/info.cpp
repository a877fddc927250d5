#include "farmwatch/pipeline/steps/info.h"

#include "farmwatch/io/info.h"

namespace farmwatch::pipeline {

const ParamSet& InfoParams::params() {
  static const ParamSet set = Params<InfoParams>("info")
                                  .path("file", &InfoParams::file, "raster or vector file", true)
                                  .flag("json", &InfoParams::json, "print JSON")
                                  .set();
  return set;
}

nlohmann::json info(const InfoParams& p) { return io::describe_file(p.file); }

}  // namespace farmwatch::pipeline
