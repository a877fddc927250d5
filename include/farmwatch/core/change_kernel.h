#pragma once
// Per-pixel change: post-classification comparison gated by the farmland mask, plus a
// spectral change magnitude that later weighs each patch's confidence.
#include <cstdint>
#include <vector>

#include "farmwatch/core/change_rules.h"
#include "farmwatch/core/features.h"

namespace farmwatch {

struct ChangeInputs {
  const std::vector<std::uint8_t>* before = nullptr;  ///< class codes, date 1
  const std::vector<std::uint8_t>* after = nullptr;   ///< class codes, date 2
  /// Parcel index per pixel (0 = outside farmland); null = the whole area is watched.
  const std::vector<std::uint32_t>* parcels = nullptr;
  /// Reflectance of both dates; may be null when only land-use maps are compared.
  const ReflectanceBlock* before_refl = nullptr;
  const ReflectanceBlock* after_refl = nullptr;
};

struct ChangeOutputs {
  std::vector<std::uint8_t> category;  ///< ChangeCategory codes
  std::vector<std::uint8_t> evidence;  ///< spectral change evidence 0..100 (0 if unknown)
};

class ChangeKernel {
 public:
  /// spectral_scale: reflectance change magnitude at which evidence reaches 1 - 1/e.
  ChangeKernel(const ClassTable& classes, const ChangeRules& rules, float spectral_scale)
      : classes_(classes), rules_(rules), spectral_scale_(spectral_scale) {}
  void compute(const ChangeInputs& in, ChangeOutputs& out) const;

 private:
  const ClassTable& classes_;
  const ChangeRules& rules_;
  float spectral_scale_;
};

/// Change-vector magnitude over the bands both blocks have, plus |dNDVI|; NaN if undefined.
float spectral_change(const ReflectanceBlock& a, const ReflectanceBlock& b, std::size_t i);

}  // namespace farmwatch
