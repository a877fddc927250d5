#pragma once
// What every step (a subcommand, or a part of `farmwatch run`) is given besides its parameters.
#include "farmwatch/core/log.h"

namespace farmwatch::pipeline {

/// The environment of one step: worker threads (0 = all cores; outputs are the same bytes for
/// any value) and the logger it reports through.
struct StepEnv {
  int threads = 0;
  const Log& log;
};

}  // namespace farmwatch::pipeline
