#!/usr/bin/env python3
"""The unsupervised change baseline of ../shared/docs/benchmarks.md: CVA magnitude over bands
z-scored per date, thresholded by Otsu. As a module for accuracy_change.py; as a command it
writes the change mask of two images (GDAL-readable, same size) for the speed benchmarks:
  scripts/bench/cva_otsu.py A B OUT.tif
"""
import sys

import numpy as np


def otsu(values):
    hist, edges = np.histogram(values, bins=256)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres) / np.maximum(w0, 1)
    m1 = (np.sum(hist * centres) - np.cumsum(hist * centres)) / np.maximum(w1, 1)
    between = w0 * w1 * (m0 - m1) ** 2
    return centres[np.argmax(between)]


def cva_otsu(a, b):
    z = lambda x: (x - x.mean(axis=(1, 2), keepdims=True)) / x.std(axis=(1, 2), keepdims=True)
    mag = np.sqrt(np.sum((z(b) - z(a)) ** 2, axis=0))
    return mag > otsu(mag.ravel())


def read(path):
    from osgeo import gdal
    gdal.UseExceptions()
    ds = gdal.Open(path)
    return np.stack([ds.GetRasterBand(i + 1).ReadAsArray().astype(np.float64)
                     for i in range(ds.RasterCount)])


if __name__ == "__main__":
    from osgeo import gdal
    mask = cva_otsu(read(sys.argv[1]), read(sys.argv[2])).astype(np.uint8)
    out = gdal.GetDriverByName("GTiff").Create(sys.argv[3], mask.shape[1], mask.shape[0], 1,
                                               gdal.GDT_Byte, ["COMPRESS=DEFLATE"])
    out.GetRasterBand(1).WriteArray(mask)
    out = None
