#pragma once
// Per-pixel change: post-classification comparison gated by the farmland mask, confirmed by the
// spectral change test where there is one, plus a spectral change magnitude that later weighs
// each patch's confidence.
#include <cstdint>
#include <vector>

#include "farmwatch/core/change_rules.h"
#include "farmwatch/core/features.h"

namespace farmwatch {

/// A classifier's class probabilities per pixel: the most and second most likely class and
/// their probabilities in percent (core/rf_model.h ClassVotes, as planes).
struct ClassProbabilities {
  const std::vector<std::uint8_t>* first = nullptr;
  const std::vector<std::uint8_t>* p_first = nullptr;
  const std::vector<std::uint8_t>* second = nullptr;
  const std::vector<std::uint8_t>* p_second = nullptr;
};

/// A runner-up class is considered only with at least this probability (percent): where the
/// classifier was nearly undecided, not at every mixed pixel.
inline constexpr int kMinRunnerUpPercent = 40;

struct ChangeInputs {
  const std::vector<std::uint8_t>* before = nullptr;  ///< class codes, date 1
  const std::vector<std::uint8_t>* after = nullptr;   ///< class codes, date 2
  /// Parcel index per pixel (0 = outside farmland); null = the whole area is watched.
  const std::vector<std::uint32_t>* parcels = nullptr;
  /// Reflectance of both dates; may be null when only land-use maps are compared.
  const ReflectanceBlock* before_refl = nullptr;
  const ReflectanceBlock* after_refl = nullptr;
  /// The spectral change test per pixel (spectral_change.h: 1 changed, 2 changed between
  /// vegetation, 0 not, 255 unknown); null: none. With it,
  /// a class change is reported only where the reflectance changed too (a class change without
  /// one is one map being wrong), and, where the whole area is watched, a spectral change
  /// between pixels of one class is other change (one map being wrong the other way).
  const std::vector<std::uint8_t>* spectral = nullptr;
  /// False when the images had no DN-to-reflectance rule: the classes mean little, so the
  /// spectral test alone decides (as other change).
  bool classes_reliable = true;
  /// Class probabilities of both dates (null: classes only). Where the spectral test says the
  /// surface changed but the most likely classes do not (one map wrong), the most likely pair
  /// of different classes among each date's two best is taken instead, if each swapped-in
  /// class has at least kMinRunnerUpPercent: a conversion is caught even where one class map
  /// is wrong, and a seasonal pair still explains a seasonal change away.
  const ClassProbabilities* before_prob = nullptr;
  const ClassProbabilities* after_prob = nullptr;
};

struct ChangeOutputs {
  std::vector<std::uint8_t> category;  ///< ChangeCategory codes
  std::vector<std::uint8_t> evidence;  ///< spectral change evidence 0..100 (0 if unknown)
  /// Probability (percent) of the reported transition, p(before) x p(after); 255 without class
  /// probabilities. Classes are replaced where a runner-up pair was taken.
  std::vector<std::uint8_t> class_confidence;
  /// With class probabilities: both dates' classes as the change explains them (a copy of
  /// the inputs but where a runner-up pair was taken); empty otherwise.
  std::vector<std::uint8_t> before, after;
};

class ChangeKernel {
 public:
  /// spectral_scale: reflectance change magnitude at which evidence reaches 1 - 1/e.
  ChangeKernel(const ClassTable& classes, const ChangeRules& rules, float spectral_scale)
      : classes_(classes), rules_(rules), spectral_scale_(spectral_scale) {}
  void compute(const ChangeInputs& in, ChangeOutputs& out) const;

 private:
  /// Whether pixel `i`, a class that is no observation (the rules' one-date cloud) in one of
  /// the dates, is bright ground instead: the spectral test judged it, the other date is an
  /// observed class, both dates have positive blue, green and red, and the date the rules call
  /// cloud did not gain white light against it (core/quality_mask.h temporal_cloud_flags).
  bool bright_ground(const ChangeInputs& in, std::uint8_t before, std::uint8_t after,
                     std::size_t i) const;
  const ClassTable& classes_;
  const ChangeRules& rules_;
  float spectral_scale_;
};

/// Whether a pixel is a cloud's core to both tests: a date whose class (`before`, `after`) is no
/// observation (the rules' one-date cloud) gained white light there against the other date
/// (`sky`: core/quality_mask.h temporal_cloud_flags bits).
bool cloud_core(const ClassTable& classes, std::uint8_t before, std::uint8_t after,
                std::uint8_t sky);

/// Change-vector magnitude over the bands both blocks have, plus |dNDVI|; NaN if undefined.
float spectral_change(const ReflectanceBlock& a, const ReflectanceBlock& b, std::size_t i);

}  // namespace farmwatch
