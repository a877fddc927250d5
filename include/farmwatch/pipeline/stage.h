#pragma once
// A step of a run. Every stage is executed the same way: skipped when it has nothing to do,
// logged under its own name, and timed into summary.json.
#include <memory>
#include <string>
#include <vector>

#include "farmwatch/pipeline/run_context.h"

namespace farmwatch::pipeline {

class Stage {
 public:
  explicit Stage(std::string name) : name_(std::move(name)) {}
  virtual ~Stage() = default;
  const std::string& name() const { return name_; }
  /// Runs the stage if it applies to this run.
  void execute(RunContext& ctx);

 private:
  /// Whether the stage has work in this run (e.g. patches need two dates).
  virtual bool applies(const RunContext&) const { return true; }
  virtual void run(RunContext& ctx, const Log& log) = 0;
  std::string name_;
};

/// The stages of `farmwatch run`, in order (an explicit list: see stages.cpp).
std::vector<std::unique_ptr<Stage>> standard_stages();

}  // namespace farmwatch::pipeline
