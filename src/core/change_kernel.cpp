#include "farmwatch/core/change_kernel.h"

#include <cmath>

namespace farmwatch {

float spectral_change(const ReflectanceBlock& a, const ReflectanceBlock& b, std::size_t i) {
  float sum = 0.0f;
  int used = 0;
  for (std::size_t r = 0; r < kRoleCount; ++r) {
    const auto role = static_cast<BandRole>(r);
    if (!a.has(role) || !b.has(role)) continue;
    const float d = b.plane(role)[i] - a.plane(role)[i];
    if (std::isnan(d)) return kNaN;
    sum += d * d;
    ++used;
  }
  if (used == 0) return kNaN;
  const float dv = feature_value(b, Feature::ndvi, i) - feature_value(a, Feature::ndvi, i);
  return std::sqrt(sum) + (std::isnan(dv) ? 0.0f : std::fabs(dv));
}

void ChangeKernel::compute(const ChangeInputs& in, ChangeOutputs& out) const {
  const auto& before = *in.before;
  const auto& after = *in.after;
  const std::size_t n = before.size();
  out.category.assign(n, static_cast<std::uint8_t>(ChangeCategory::nodata));
  out.evidence.assign(n, 0);
  const bool spectral = in.before_refl && in.after_refl;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t tested = in.spectral ? (*in.spectral)[i] : 255;
    ChangeCategory category;
    if (in.spectral && !in.classes_reliable) {
      // Classes from uncalibrated DNs (cloud among them) mean little: the test alone decides.
      if (tested == 255) continue;
      category = tested == 1 ? ChangeCategory::other : ChangeCategory::none;
    } else {
      if (!classes_.observed(before[i]) || !classes_.observed(after[i])) continue;
      const bool farmland = !in.parcels || (*in.parcels)[i] != 0;
      category = rules_.categorize(before[i], after[i], farmland);
      // Spectral change confirms a class transition; none means one map is wrong. Watching
      // the whole area (no farmland layer), a spectral change the classes do not name (same
      // class, a seasonal transition) is other change. A change between vegetation (2) counts
      // only where the classes name a transition (cropland to orchard: 非粮化).
      if (tested == 0)
        category = ChangeCategory::none;
      else if (tested == 1 && category == ChangeCategory::none && !in.parcels)
        category = ChangeCategory::other;
    }
    out.category[i] = static_cast<std::uint8_t>(category);
    if (spectral) {
      const float m = spectral_change(*in.before_refl, *in.after_refl, i);
      if (!std::isnan(m))
        out.evidence[i] = static_cast<std::uint8_t>(
            std::lround(100.0f * (1.0f - std::exp(-m / spectral_scale_))));
    }
  }
}

}  // namespace farmwatch
