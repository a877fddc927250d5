#pragma once
// Area units used in Chinese land administration.

namespace farmwatch {

/// 1 亩 = 2000/3 m².
inline constexpr double kSquareMetresPerMu = 2000.0 / 3.0;
double m2_to_mu(double m2);

}  // namespace farmwatch
