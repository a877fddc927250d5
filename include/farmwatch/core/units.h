#pragma once
// Area units used in Chinese land administration.

namespace farmwatch {

/// 1 亩 = 2000/3 m².
inline constexpr double kSquareMetresPerMu = 2000.0 / 3.0;
double m2_to_mu(double m2);

/// An area as every output reports it: square metres rounded to 0.01 m².
double round_area_m2(double m2);
/// A class's share of a parcel as every output reports it: part / total rounded to 1e-4
/// (0.01 %); 0 when the total is 0.
double area_share(double part_m2, double total_m2);

}  // namespace farmwatch
