#!/usr/bin/python3
"""Writes a large generated class map for the tile benchmarks: fields of 40 x 40 pixels (10 m,
UTM 50N) with classes 1-7, a colour table, tiled and DEFLATE-compressed, with overviews.
   make_class_map.py OUT.tif SIZE [--edit FRACTION]
--edit: the same map with new classes in the fields of its top FRACTION of rows (a new scene
over a tenth of the area), for the incremental benchmark."""
import sys
import numpy as np
from osgeo import gdal, osr

COLOURS = {1: (242, 209, 107), 2: (200, 155, 109), 3: (154, 205, 50), 4: (31, 122, 31),
           5: (181, 224, 140), 6: (58, 143, 217), 7: (200, 60, 60)}


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, size = sys.argv[1], int(sys.argv[2])
    edit = None
    if len(sys.argv) == 5 and sys.argv[3] == "--edit":
        edit = (float(sys.argv[4]),)
    gdal.UseExceptions()
    cell = 40
    cells = (size + cell - 1) // cell
    rng = np.random.default_rng(2024)
    grid = rng.integers(1, 8, size=(cells, cells), dtype=np.uint8)
    if edit:
        rows = int(cells * edit[0])
        grid[:rows] = rng.integers(1, 8, size=(rows, cells), dtype=np.uint8)
    drv = gdal.GetDriverByName("GTiff")
    ds = drv.Create(out, size, size, 1, gdal.GDT_Byte,
                    ["TILED=YES", "COMPRESS=DEFLATE", "BIGTIFF=IF_SAFER", "BLOCKXSIZE=512",
                     "BLOCKYSIZE=512"])
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32650)
    ds.SetProjection(srs.ExportToWkt())
    ds.SetGeoTransform((400000, 10, 0, 3700000, 0, -10))
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(255)
    ct = gdal.ColorTable()
    for k, c in COLOURS.items():
        ct.SetColorEntry(k, c + (255,))
    band.SetColorTable(ct)
    strip = 512
    for r0 in range(0, size, strip):
        h = min(strip, size - r0)
        rows = np.arange(r0, r0 + h) // cell
        block = np.repeat(grid[rows], cell, axis=1)[:, :size]
        band.WriteArray(block, 0, r0)
    ds.BuildOverviews("NEAREST", [2, 4, 8, 16, 32])
    ds = None


if __name__ == "__main__":
    main()
