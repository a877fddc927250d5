#!/usr/bin/env python3
"""Change-detection accuracy on the real pairs of ../shared/data, side by side with the two
unsupervised baselines of ../shared/docs/benchmarks.md, in one run:
  - CVA magnitude over bands z-scored per date, thresholded by Otsu;
  - OTB MultivariateAlterationDetector, chi-square of the MAD variates > 95 % critical value;
  - farmwatch change --before A --after B (no farmland layer; one configuration for all pairs).
Pixel F1 of the change class; Nanjing is scored on its labelled pixels only. The LEVIR-CD
pairs (0.5 m RGB PNG, no georeference, building-change labels) are compared on the pixel grid;
on the pair where nothing was built the share of pixels flagged is printed instead (in %).
  scripts/bench/accuracy_change.py [FARMWATCH] [DATA_DIR]
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from osgeo import gdal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cva_otsu import cva_otsu, read  # noqa: E402

gdal.UseExceptions()
root = os.path.dirname(os.path.abspath(__file__)) + "/../.."
exe = sys.argv[1] if len(sys.argv) > 1 else root + "/build/farmwatch"
data = sys.argv[2] if len(sys.argv) > 2 else root + "/../shared/data"

PAIRS = [
    # name, before, after, reference, reference -> (change, scored) masks
    ("Nanjing Landsat-5 2000/2002", "landsat_change_cn/nanjing_20000503_6band.tif",
     "landsat_change_cn/nanjing_20020712_6band.tif", "landsat_change_cn/nanjing_reference_samples.tif",
     lambda r: (r == 2, r != 0)),
    ("Rennes OSCD S2 2015/2017", "oscd_s2_change/rennes_20150821_B02B03B04B08.tif",
     "oscd_s2_change/rennes_20170621_B02B03B04B08.tif", "oscd_s2_change/rennes_change_gt.tif",
     lambda r: (r == 1, np.ones_like(r, bool))),
] + [
    (f"LEVIR-CD {n}", f"levir_cd_samples/A/{n}.png", f"levir_cd_samples/B/{n}.png",
     f"levir_cd_samples/label/{n}.png", lambda r: (r > 0, np.ones_like(r, bool)))
    for n in ("train_36_0512_0512", "train_412_0512_0768", "val_27_0000_0256",
              "train_386_0512_0768")
]


def f1(pred, truth, scored):
    p, t = pred[scored], truth[scored]
    if not t.any():  # nothing changed: the share flagged, in %
        return 100.0 * p.mean()
    tp = np.sum(p & t)
    prec = tp / max(np.sum(p), 1)
    rec = tp / max(np.sum(t), 1)
    return 0.0 if tp == 0 else 2 * prec * rec / (prec + rec)


def otb_mad(a_path, b_path, tmp):
    out = os.path.join(tmp, "mad.tif")
    subprocess.run(["otbcli_MultivariateAlterationDetector", "-in1", a_path, "-in2", b_path,
                    "-out", out], check=True, capture_output=True)
    mad = read(out)
    chi2 = np.sum((mad / mad.std(axis=(1, 2), keepdims=True)) ** 2, axis=0)
    crit = {3: 7.8147, 4: 9.4877, 6: 12.5916}[mad.shape[0]]
    return chi2 > crit


def farmwatch(a_path, b_path, tmp):
    out = os.path.join(tmp, "fw")
    r = subprocess.run([exe, "change", "--before", a_path, "--after", b_path, "--out", out, "-q"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("farmwatch change failed: " + r.stdout + r.stderr)
    c = read(os.path.join(out, "change.tif"))[0]
    return (c >= 1) & (c <= 3)


def main():
    if not os.path.exists(os.path.join(data, "MANIFEST.md")):
        raise SystemExit(f"no shared data at {data}")
    print(f"{'pair':36s} {'CVA+Otsu':>9s} {'OTB MAD':>9s} {'farmwatch':>10s}")
    for name, a, b, ref, masks in PAIRS:
        a_path, b_path = os.path.join(data, a), os.path.join(data, b)
        truth, scored = masks(read(os.path.join(data, ref))[0])
        with tempfile.TemporaryDirectory() as tmp:
            scores = [f1(cva_otsu(read(a_path), read(b_path)), truth, scored),
                      f1(otb_mad(a_path, b_path, tmp), truth, scored),
                      f1(farmwatch(a_path, b_path, tmp), truth, scored)]
        print(f"{name:36s} {scores[0]:9.3f} {scores[1]:9.3f} {scores[2]:10.3f}")


main()
