// farmwatch zonal: parses, runs the zonal step, prints what it wrote.
#include <iostream>

#include "farmwatch/pipeline/steps/zonal.h"
#include "step_options.h"

namespace farmwatch::cli {

int cmd_zonal(const std::vector<std::string>& args) {
  CommonOptions common;
  const auto p = parse_step<pipeline::ZonalParams>(
      {"zonal", "zonal --classes MAP --parcels F --id-field ID --out STATS.csv",
       "The area of each class in each parcel, from the exact share of each cell\n"
       "the parcel covers, in ellipsoidal square metres."},
      args, common);
  if (!p) return 0;
  const auto r = pipeline::zonal(*p, {common.threads, cli_log()});
  std::cout << r.path << ": " << r.parcels << " parcels\n";
  return 0;
}

}  // namespace farmwatch::cli
