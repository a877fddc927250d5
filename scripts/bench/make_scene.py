#!/usr/bin/python3
"""Generate a Sentinel-2-like benchmark scene: 4 bands UInt16, tiled 512, DEFLATE + predictor 2.

Usage: make_scene.py OUT.tif [SIZE] [CHANGED]
  SIZE     pixels a side (default 5490, one 20 m Sentinel-2 tile)
  CHANGED  share of fields whose cover differs from the base scene (default 0): a later date
The land cover is a patchwork of fields (~200 m), woods, water and built-up blocks with sensor
noise, so classification work and compression resemble a real scene. Deterministic (fixed seed).
Written block by block: memory stays small whatever the size.
"""
import sys

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()
if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
    sys.exit(__doc__)  # not an output path: never write a scene named "--help"
out = sys.argv[1]
size = int(sys.argv[2]) if len(sys.argv) > 2 else 5490
changed = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
# blue, green, red, nir reflectance of crop, bare, forest, grass, water, built
spectra = np.array([(0.035, 0.075, 0.045, 0.42), (0.09, 0.13, 0.18, 0.24), (0.025, 0.045, 0.03, 0.30),
                    (0.05, 0.08, 0.08, 0.25), (0.07, 0.08, 0.05, 0.02), (0.17, 0.18, 0.19, 0.22)])
weights = np.array([0.45, 0.15, 0.15, 0.12, 0.05, 0.08])
field = 20  # pixels per field cell (200 m at 10 m)
cells = size // field + 2
rng = np.random.default_rng(5490)
cover = rng.choice(len(spectra), size=(cells, cells), p=weights)
if changed > 0:
    later = np.random.default_rng(2024)
    flip = later.random((cells, cells)) < changed
    cover[flip] = later.choice(len(spectra), size=int(flip.sum()), p=weights)
    rng = np.random.default_rng(5491)  # other sensor noise on the later date

drv = gdal.GetDriverByName("GTiff")
ds = drv.Create(out, size, size, 4, gdal.GDT_UInt16,
                ["TILED=YES", "BLOCKXSIZE=512", "BLOCKYSIZE=512", "COMPRESS=DEFLATE", "PREDICTOR=2",
                 "BIGTIFF=IF_SAFER"])
ds.SetGeoTransform((300000, 10, 0, 3600000, 0, -10))
s = osr.SpatialReference()
s.ImportFromEPSG(32650)
ds.SetProjection(s.ExportToWkt())
for b, name in enumerate(["blue", "green", "red", "nir"]):
    band = ds.GetRasterBand(b + 1)
    band.SetDescription(name)
    band.SetScale(0.0001)
    band.SetNoDataValue(0)
step = 512
for r0 in range(0, size, step):
    h = min(step, size - r0)
    rows = (np.arange(r0, r0 + h) // field)[:, None]
    cols = (np.arange(size) // field)[None, :]
    cls = cover[rows, cols]
    refl = spectra[cls] * (1 + rng.normal(0, 0.03, (h, size, 4)))
    dn = np.clip(np.round(refl * 10000), 1, 65535).astype(np.uint16)
    for b in range(4):
        ds.GetRasterBand(b + 1).WriteArray(dn[:, :, b], 0, r0)
ds = None
