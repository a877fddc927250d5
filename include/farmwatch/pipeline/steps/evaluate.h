#pragma once
// farmwatch evaluate: a class map against reference labels; accuracy and area estimates.
#include <nlohmann/json.hpp>
#include <string>

#include "farmwatch/io/evaluate.h"
#include "farmwatch/pipeline/params.h"
#include "farmwatch/pipeline/step.h"

namespace farmwatch::pipeline {

struct EvaluateParams {
  std::string map, reference, field, layer, where, out;
  static const ParamSet& params();
};

/// The 95 % two-sided normal quantile used for every confidence interval reported.
inline constexpr double kZ95 = 1.96;

/// accuracy.json's content: samples, overall accuracy, kappa, the area-weighted accuracy and
/// per-class precision, recall, F1 and area estimates with 95 % intervals (Olofsson et al.
/// 2014, "Good practices for estimating area and assessing accuracy of land change",
/// stratified by map class). Areas in m² of the map's pixels.
nlohmann::json evaluation_json(const io::Evaluation& ev, const io::EvaluateRequest& req);

/// Compares the map with the reference; with `out`, writes accuracy.json, confusion.csv and
/// classes.csv into that folder (swapped in whole). InputError for unreadable inputs or grids
/// that do not overlap.
io::Evaluation evaluate(const EvaluateParams& p, const StepEnv& env);

}  // namespace farmwatch::pipeline
