#pragma once
// Residual shift between two dates of one place, by phase correlation (OpenCV), so the later
// date can be moved onto the earlier one before any pixel is compared.
#include <optional>
#include <vector>

namespace farmwatch {

struct Shift {
  double dx = 0, dy = 0;  ///< pixels: the later image's content sits at (col + dx, row + dy)
  double response = 0;    ///< phase-correlation peak (0..1); low means unreliable
};

/// Shift of `later` relative to `earlier` (same size, row-major; NaN = no data, filled with
/// the mean). nullopt when fewer than 80 % of the pixels are valid in either image, or when the
/// window is under kMinShiftWindowPx pixels on a side (too little to correlate).
inline constexpr int kMinShiftWindowPx = 16;
std::optional<Shift> phase_shift(const std::vector<float>& earlier, const std::vector<float>& later,
                                 int width, int height);

/// One shift from several windows: the median of those whose response reaches `min_response`
/// and whose shift is at most `max_px` (windows of uniform fields give wild peaks).
std::optional<Shift> combine_shifts(const std::vector<Shift>& shifts, double min_response,
                                    double max_px);

}  // namespace farmwatch
