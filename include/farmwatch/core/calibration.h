#pragma once
// DN to reflectance: the arithmetic of each sensor's calibration, on plain numbers. The product
// metadata they come from is read in io/ (sensor_profile.cpp, gaofen.cpp).

namespace farmwatch {

/// reflectance = DN × mult + add (unitless reflectance 0..1).
struct Calibration {
  double mult = 1.0, add = 0.0;
  double apply(double dn) const { return dn * mult + add; }
};

/// Landsat Level-1 TOA reflectance corrected for the sun angle: (M·DN + A) / sin(θ_SE), with
/// the REFLECTANCE_MULT/ADD_BAND_n rescaling factors of the MTL file and the sun elevation in
/// degrees (0, 90] (USGS Landsat 8-9 OLI/TIRS Collection 2 Level 1 Data Format Control Book,
/// LSDS-1822, and the Landsat 8 Data Users Handbook §5.2).
Calibration landsat_toa(double mult, double add, double sun_elevation_deg);

/// Sentinel-2 L1C/L2A: reflectance = (DN + offset) / 10000, offset the RADIO/BOA_ADD_OFFSET in
/// DN (−1000 from processing baseline 04.00, ESA S2 Products Specification Document).
Calibration sentinel2_dn_to_reflectance(double offset_dn);
/// The offset a Sentinel-2 product of `baseline` (e.g. 4.0 for "04.00") has when its metadata
/// does not say: −1000 from 04.00 on, else 0.
double sentinel2_default_offset(double baseline);

/// TOA reflectance from a radiance calibration L = gain·DN + offset (W·m⁻²·sr⁻¹·µm⁻¹):
/// ρ = π·L·d² / (ESUN·cos θ_z), d the Earth–Sun distance in AU, θ_z the solar zenith in degrees
/// (CRESDA's absolute calibration of the Gaofen sensors; Chander et al. 2009, RSE 113).
Calibration toa_from_radiance(double gain, double offset, double esun, double earth_sun_au,
                              double solar_zenith_deg);

}  // namespace farmwatch
