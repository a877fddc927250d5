#include "farmwatch/core/change_kernel.h"

#include <cmath>

#include "farmwatch/core/class_table.h"
#include "farmwatch/core/quality_mask.h"

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

namespace {

/// The most likely pair of different classes from each date's two best, if each class that
/// replaces a date's best has at least kMinRunnerUpPercent; false if there is none.
bool best_different_pair(const ClassTable& classes, const ClassProbabilities& b,
                         const ClassProbabilities& a, std::size_t i, std::uint8_t& from,
                         std::uint8_t& to, int& joint) {
  const std::uint8_t bc[2] = {(*b.first)[i], (*b.second)[i]};
  const int bp[2] = {(*b.p_first)[i], (*b.p_second)[i]};
  const std::uint8_t ac[2] = {(*a.first)[i], (*a.second)[i]};
  const int ap[2] = {(*a.p_first)[i], (*a.p_second)[i]};
  joint = -1;
  for (int x = 0; x < 2; ++x)
    for (int y = 0; y < 2; ++y) {
      if (bc[x] == kNodataCode || ac[y] == kNodataCode || bc[x] == ac[y]) continue;
      if (!classes.observed(bc[x]) || !classes.observed(ac[y])) continue;
      if ((x == 1 && bp[x] < kMinRunnerUpPercent) || (y == 1 && ap[y] < kMinRunnerUpPercent))
        continue;
      const int j = bp[x] * ap[y];
      if (j > joint) {
        joint = j;
        from = bc[x];
        to = ac[y];
      }
    }
  return joint >= 0;
}

}  // namespace

bool cloud_core(const ClassTable& classes, std::uint8_t before, std::uint8_t after,
                std::uint8_t sky) {
  return (!classes.observed(before) && (sky & kCloudEarlier)) ||
         (!classes.observed(after) && (sky & kCloudLater));
}

bool ChangeKernel::bright_ground(const ChangeInputs& in, std::uint8_t before, std::uint8_t after,
                                 std::size_t i) const {
  if (!in.spectral || (*in.spectral)[i] == 255 || !in.before_refl || !in.after_refl) return false;
  if (before == kNodataCode || after == kNodataCode) return false;
  // Whether the date gained white light needs its visible bands in both dates: where one is
  // missing or not positive (clipped), the one-date rule is all there is.
  for (const BandRole r : {BandRole::blue, BandRole::green, BandRole::red})
    if (!in.before_refl->has(r) || !in.after_refl->has(r) || !(in.before_refl->plane(r)[i] > 0) ||
        !(in.after_refl->plane(r)[i] > 0))
      return false;
  // Cloud to the rules in both dates: nothing known of either surface (on the OSCD cities,
  // what the test flagged there was mostly not change).
  if (!classes_.observed(before) && !classes_.observed(after)) return false;
  return !cloud_core(classes_, before, after,
                     temporal_cloud_flags(*in.before_refl, *in.after_refl, i));
}

void ChangeKernel::compute(const ChangeInputs& in, ChangeOutputs& out) const {
  const auto& before = *in.before;
  const auto& after = *in.after;
  const std::size_t n = before.size();
  out.category.assign(n, static_cast<std::uint8_t>(ChangeCategory::nodata));
  out.evidence.assign(n, 0);
  const bool probabilities = in.before_prob && in.after_prob;
  out.class_confidence.assign(probabilities ? n : 0, 255);
  if (probabilities) {
    out.before = before;
    out.after = after;
  }
  const bool spectral = in.before_refl && in.after_refl;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t tested = in.spectral ? (*in.spectral)[i] : 255;
    ChangeCategory category;
    const bool farmland = !in.parcels || (*in.parcels)[i] != 0;
    if (in.spectral && !in.classes_reliable) {
      // Classes from uncalibrated DNs (cloud among them) mean little: the test alone decides.
      if (tested == 255) continue;
      category = tested == 1 ? ChangeCategory::other : ChangeCategory::none;
    } else if (!classes_.observed(before[i]) || !classes_.observed(after[i])) {
      if (!bright_ground(in, before[i], after[i], i)) continue;
      // Bright ground to a one-date cloud rule (sand, concrete, a white roof in both dates):
      // no class to compare, the spectral test decides, as other change.
      category = tested == 1 && (farmland || rules_.report_outside_farmland())
                     ? ChangeCategory::other
                     : ChangeCategory::none;
    } else {
      std::uint8_t from = before[i], to = after[i];
      int joint = -1;
      if (probabilities) {
        joint = (*in.before_prob->p_first)[i] * (*in.after_prob->p_first)[i];
        // The surface changed but the best classes agree: one map is wrong; the most likely
        // different pair explains the change (and may explain it as seasonal).
        if (tested == 1 && from == to) {
          std::uint8_t f = from, t = to;
          int j = 0;
          if (best_different_pair(classes_, *in.before_prob, *in.after_prob, i, f, t, j)) {
            from = out.before[i] = f;
            to = out.after[i] = t;
            joint = j;
          }
        }
        out.class_confidence[i] = static_cast<std::uint8_t>(std::lround(joint / 100.0));
      }
      category = rules_.categorize(from, to, farmland);
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
