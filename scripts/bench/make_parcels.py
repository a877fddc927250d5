#!/usr/bin/env python3
"""Benchmark inputs for per-parcel statistics: a SIZE x SIZE class map (10 m, UTM 50N, Byte,
tiled DEFLATE, blocky classes 1-6) and N jittered quadrilateral parcels (~170 m) over it as a
GeoPackage with a unique `pid` field.
  make_parcels.py CLASSES.tif PARCELS.gpkg [SIZE] [N]"""
import sys

import numpy as np
from osgeo import gdal, ogr, osr

out_tif, out_gpkg = sys.argv[1], sys.argv[2]
size = int(sys.argv[3]) if len(sys.argv) > 3 else 5490
n = int(sys.argv[4]) if len(sys.argv) > 4 else 100000
rng = np.random.default_rng(7)
x0, y0, res = 500000.0, 3600000.0, 10.0
srs = osr.SpatialReference()
srs.ImportFromEPSG(32650)

ds = gdal.GetDriverByName("GTiff").Create(out_tif, size, size, 1, gdal.GDT_Byte,
                                          ["TILED=YES", "COMPRESS=DEFLATE"])
ds.SetGeoTransform((x0, res, 0, y0, 0, -res))
ds.SetProjection(srs.ExportToWkt())
ds.GetRasterBand(1).SetNoDataValue(255)
coarse = rng.integers(1, 7, size=(size // 16 + 1, size // 16 + 1)).astype(np.uint8)
for r0 in range(0, size, 512):
    h = min(512, size - r0)
    rows = np.arange(r0, r0 + h) // 16
    block = coarse[rows][:, np.arange(size) // 16]
    noise = rng.random((h, size)) < 0.1
    block[noise] = rng.integers(1, 7, size=int(noise.sum()))
    ds.GetRasterBand(1).WriteArray(block, 0, r0)
ds = None

drv = ogr.GetDriverByName("GPKG")
vds = drv.CreateDataSource(out_gpkg)
layer = vds.CreateLayer("parcels", srs, ogr.wkbPolygon)
layer.CreateField(ogr.FieldDefn("pid", ogr.OFTInteger))
extent = size * res
side = int(np.ceil(np.sqrt(n)))
step = (extent - 400) / side
vds.StartTransaction()
for i in range(n):
    cx = x0 + 200 + (i % side + 0.5) * step
    cy = y0 - 200 - (i // side + 0.5) * step
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)):
        jx, jy = rng.uniform(-15, 15, 2) if (dx, dy) != (-1, -1) or ring.GetPointCount() == 0 else (0, 0)
        ring.AddPoint(cx + dx * 85 + jx, cy + dy * 85 + jy)
    ring.SetPoint(4, *ring.GetPoint(0)[:2])
    poly = ogr.Geometry(ogr.wkbPolygon)
    poly.AddGeometry(ring)
    f = ogr.Feature(layer.GetLayerDefn())
    f.SetField("pid", i + 1)
    f.SetGeometry(poly)
    layer.CreateFeature(f)
vds.CommitTransaction()
vds = None
