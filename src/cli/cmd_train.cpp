// farmwatch train: parses, runs the train step, prints the classes it learned.
#include <iostream>

#include "farmwatch/pipeline/steps/train.h"
#include "step_options.h"

namespace farmwatch::cli {

int cmd_train(const std::vector<std::string>& args) {
  CommonOptions common;
  const auto p = parse_step<pipeline::TrainParams>(
      {"train",
       "train --image IMAGE [--image IMAGE2 ...] --labels REF --out MODEL.yml\n"
       "       farmwatch train --before A --after B --labels CHANGE [--before ...] --out "
       "CHANGE.yml",
       "Learns a random forest (OpenCV) from labelled pixels: every band of every\n"
       "date, spectral indices and multi-date NDVI statistics as features. The\n"
       "map it makes carries the label values as class codes.\n"
       "With --before/--after: a change model for very-high-resolution RGB pairs\n"
       "(farmwatch change --model), from change rasters on each pair's pixel grid\n"
       "(0 no change, other values change)."},
      args, common);
  if (!p) return 0;
  const auto r = pipeline::train(*p, {common.threads, cli_log()});
  std::cout << r.path << ": " << r.samples << " samples, " << r.features << " features, "
            << r.classes.size() << " classes\n";
  for (const auto& c : r.classes)
    std::cout << "  " << c.code << (c.name.empty() ? "" : " " + c.name) << ": " << c.pixels
              << " labelled pixels\n";
  return 0;
}

}  // namespace farmwatch::cli
