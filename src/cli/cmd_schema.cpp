// farmwatch schema: the JSON Schema of pipeline files, from the same declarations that
// `farmwatch run` reads them with.
#include <iostream>

#include "farmwatch/pipeline/area.h"
#include "farmwatch/pipeline/pipeline_params.h"
#include "step_options.h"

namespace farmwatch::cli {

namespace {
struct SchemaParams {
  bool area = false;
  static const pipeline::ParamSet& params() {
    static const pipeline::ParamSet set =
        pipeline::Params<SchemaParams>("schema")
            .flag("area", &SchemaParams::area, "the schema of area files (farmwatch nightly)")
            .set();
    return set;
  }
};
}  // namespace

int cmd_schema(const std::vector<std::string>& args) {
  CommonOptions common;
  const auto p = parse_step<SchemaParams>(
      {"schema", "schema > farmwatch-pipeline.schema.json",
       "Prints the JSON Schema (draft 2020-12) of pipeline files. Editors check and\n"
       "complete pipeline files with it, e.g. through yaml-language-server:\n"
       "  # yaml-language-server: $schema=farmwatch-pipeline.schema.json"},
      args, common);
  if (!p) return 0;
  std::cout << (p->area ? pipeline::area_schema() : pipeline::pipeline_schema()).dump(2) << "\n";
  return 0;
}

}  // namespace farmwatch::cli
