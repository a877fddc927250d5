#include "farmwatch/core/units.h"

#include <cmath>

namespace farmwatch {
double m2_to_mu(double m2) { return m2 / kSquareMetresPerMu; }
double round_area_m2(double m2) { return std::round(m2 * 100) / 100; }

double area_share(double part_m2, double total_m2) {
  return total_m2 > 0 ? std::round(part_m2 / total_m2 * 1e4) / 1e4 : 0;
}

}  // namespace farmwatch
