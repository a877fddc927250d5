#include "farmwatch/core/units.h"

namespace farmwatch {
double m2_to_mu(double m2) { return m2 / kSquareMetresPerMu; }
}  // namespace farmwatch
