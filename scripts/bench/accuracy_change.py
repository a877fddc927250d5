#!/usr/bin/env python3
"""Change-detection accuracy on every real pair of ../shared/data, side by side with the
unsupervised baselines of ../shared/docs/benchmarks.md, in one run:
  - CVA magnitude over bands z-scored per date, thresholded by Otsu;
  - OTB MultivariateAlterationDetector, chi-square of the MAD variates > 95 % critical value
    (multispectral pairs only: the VHR table of issue 15 compares with CVA+Otsu alone);
  - farmwatch change --before A --after B [--bands ...] (no farmland layer; one configuration
    for all pairs of a kind: the band order of the files is the only option given);
  - on the Sentinel-2 cities also "fw refl": the same with --scale 0.0001, the files' DNs
    declared as L1C reflectance x 10000, as a user with a DN-to-reflectance rule (or L2A
    products) runs it: the land-use classes then take part in the change.
  - with --learned, on the VHR pairs also "fw LOPO": a change model (farmwatch train --before
    --after) trained on every other VHR pair's labels, leave-one-pair-out, then farmwatch change
    --model on the pair: what an office's own labels can do on a place they do not cover.
Pixel F1 of the change class per pair, then pooled per set (true and false positives and
negatives summed over its pairs) and over all Sentinel-2 cities and all VHR pairs; beside
them farmwatch's precision and recall ("fw P", "fw R"; "-" where undefined). Nanjing is
scored on its labelled pixels only; a pair with no change in its reference (one LEVIR-CD
sample) prints the share of pixels flagged (%) instead of F1 and still counts in the pools.
  scripts/bench/accuracy_change.py [FARMWATCH] [DATA_DIR] [--only SET,SET...] [--learned]
Sets: landsat, oscd_s2, levir_cd_samples, levir_cd_1024, whu_cd, dsifn, sztaki_airchange.
Needs python3-gdal, numpy and otbcli_MultivariateAlterationDetector (Debian's otb-bin).
"""
import argparse
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
cli = argparse.ArgumentParser(description="change accuracy on the shared pairs")
cli.add_argument("farmwatch", nargs="?", default=root + "/build/farmwatch")
cli.add_argument("data", nargs="?", default=root + "/../shared/data")
cli.add_argument("--only", help="comma-separated sets to score (default: all)")
cli.add_argument("--learned", action="store_true",
                 help="also a change model on the VHR pairs, leave-one-pair-out: for each pair, "
                      "farmwatch train --before/--after on every other VHR pair's labels, then "
                      "farmwatch change --model on the pair (column 'fw LOPO'; about 40 min on 2 cores)")
opts = cli.parse_args()
exe, data, only = opts.farmwatch, opts.data, opts.only

OSCD = [("abudhabi", "20160120", "20180328"), ("beihai", "20161209", "20180309"),
        ("cupertino", "20150918", "20180326"), ("nantes", "20150821", "20171014"),
        ("paris", "20161130", "20171107"), ("pisa", "20150704", "20180211"),
        ("rennes", "20150821", "20170621")]
S2_BANDS = ["--bands", "blue=1,green=2,red=3,nir=4"]
S2_REFLECTANCE = ["--scale", "0.0001"]
RGB_BANDS = ["--bands", "red=1,green=2,blue=3"]
everywhere = lambda r: np.ones_like(r, bool)  # noqa: E731


def vhr(folder, names, change):
    return [(f"{os.path.basename(folder)} {n}", f"{folder}/A/{n}.png", f"{folder}/B/{n}.png",
             f"{folder}/label/{n}.png", lambda r: (change(r), everywhere(r)), RGB_BANDS, False)
            for n in names]


# set -> [(name, before, after, reference, reference -> (change, scored), bands, with MAD)];
# sets in REFLECTANCE are also run with those options ("fw refl").
SETS = {
    "landsat": [("nanjing", "landsat_change_cn/nanjing_20000503_6band.tif",
                 "landsat_change_cn/nanjing_20020712_6band.tif",
                 "landsat_change_cn/nanjing_reference_samples.tif",
                 lambda r: (r == 2, r != 0), [], True)],
    "oscd_s2": [(c, f"oscd_s2_change/{c}_{d1}_B02B03B04B08.tif",
                 f"oscd_s2_change/{c}_{d2}_B02B03B04B08.tif", f"oscd_s2_change/{c}_change_gt.tif",
                 lambda r: (r == 1, everywhere(r)), S2_BANDS, True) for c, d1, d2 in OSCD],
    "levir_cd_samples": vhr("levir_cd_samples", ("train_36_0512_0512", "train_412_0512_0768",
                                                 "val_27_0000_0256", "train_386_0512_0768"),
                            lambda r: r > 0),
    "levir_cd_1024": vhr("vhr_building_change/levir_cd_1024", ("test_1", "test_3", "test_12"),
                         lambda r: r > 0),
    "whu_cd": vhr("vhr_building_change/whu_cd", ("000121",), lambda r: r > 0),
    "dsifn": vhr("vhr_building_change/dsifn", ("0_2", "2_4", "4_4", "6_3", "8_3"),
                 lambda r: r > 0),
    # The palette label: an index above 127 is change.
    "sztaki_airchange": vhr("vhr_building_change/sztaki_airchange",
                            ("szada_2", "szada_3", "szada_4", "tiszadob_1", "tiszadob_2",
                             "tiszadob_5"), lambda r: r > 127),
}
REFLECTANCE = {"oscd_s2": S2_REFLECTANCE}
VHR_SETS = ("levir_cd_samples", "levir_cd_1024", "whu_cd", "dsifn", "sztaki_airchange")


class Counts:
    """True positives, false positives and false negatives, summed."""

    def __init__(self):
        self.tp = self.fp = self.fn = 0

    def add(self, pred, truth, scored):
        p, t = pred[scored], truth[scored]
        self.tp += int(np.sum(p & t))
        self.fp += int(np.sum(p & ~t))
        self.fn += int(np.sum(~p & t))
        return self

    def __iadd__(self, other):
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        return self

    def f1(self):
        return 2 * self.tp / max(2 * self.tp + self.fp + self.fn, 1)

    def precision(self):
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    def recall(self):
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def score(pred, truth, scored, counts):
    """F1 of one pair (its `counts`), or the share flagged (%) where its reference has no
    change."""
    if not truth[scored].any():
        return 100.0 * pred[scored].mean(), True
    return counts.f1(), False


def otb_mad(a_path, b_path, tmp):
    out = os.path.join(tmp, "mad.tif")
    subprocess.run(["otbcli_MultivariateAlterationDetector", "-in1", a_path, "-in2", b_path,
                    "-out", out], check=True, capture_output=True)
    mad = read(out)
    chi2 = np.sum((mad / mad.std(axis=(1, 2), keepdims=True)) ** 2, axis=0)
    crit = {3: 7.8147, 4: 9.4877, 6: 12.5916}[mad.shape[0]]
    return chi2 > crit


def farmwatch(a_path, b_path, bands, tmp):
    out = os.path.join(tmp, "fw")
    r = subprocess.run([exe, "change", "--before", a_path, "--after", b_path, *bands,
                        "--out", out, "-q"], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"farmwatch change failed on {a_path}: " + r.stdout + r.stderr)
    c = read(os.path.join(out, "change.tif"))[0]
    return (c >= 1) & (c <= 3)


# Pixels of change and of no change each VHR pair gives a learned model at most.
LEARNED_PER_CLASS = "5000"


def farmwatch_learned(held, bands, tmp):
    """farmwatch train on every VHR pair but `held` (its name), then change --model on it."""
    model = os.path.join(tmp, "change_model.yml")
    train = [exe, "train", *bands, "--out", model, "--max-per-class", LEARNED_PER_CLASS, "-q"]
    target = None
    for set_name in VHR_SETS:
        for name, a, b, ref, _, _, _ in SETS[set_name]:
            if name == held:
                target = (a, b)
                continue
            train += ["--before", os.path.join(data, a), "--after", os.path.join(data, b),
                      "--labels", os.path.join(data, ref)]
    r = subprocess.run(train, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"farmwatch train failed without {held}: " + r.stdout + r.stderr)
    out = os.path.join(tmp, "learned")
    r = subprocess.run([exe, "change", "--before", os.path.join(data, target[0]), "--after",
                        os.path.join(data, target[1]), *bands, "--model", model, "--out", out,
                        "-q"], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"farmwatch change --model failed on {held}: " + r.stdout + r.stderr)
    c = read(os.path.join(out, "change.tif"))[0]
    return (c >= 1) & (c <= 3)


def cell(v, share=False):
    return f"{'-':>9s}" if v is None else (f"{v:8.2f}%" if share else f"{v:9.3f}")


def main():
    if not os.path.exists(os.path.join(data, "MANIFEST.md")):
        raise SystemExit(f"no shared data at {data}")
    methods = ("CVA+Otsu", "OTB MAD", "farmwatch", "fw refl") + (
        ("fw LOPO",) if opts.learned else ())
    # farmwatch's precision and recall beside its F1: which side of the F1 is weak.
    pr = ("fw P", "fw R")
    print(f"{'set':17s} {'pair':22s} " + " ".join(f"{m:>9s}" for m in methods + pr))
    pools = {}  # (set or group, method) -> Counts
    for set_name, pairs in SETS.items():
        if only and set_name not in only.split(","):
            continue
        groups = [set_name] + (["all VHR"] if set_name in VHR_SETS else [])
        for name, a, b, ref, masks, bands, with_mad in pairs:
            a_path, b_path = os.path.join(data, a), os.path.join(data, b)
            truth, scored = masks(read(os.path.join(data, ref))[0])
            with tempfile.TemporaryDirectory() as tmp:
                preds = [cva_otsu(read(a_path), read(b_path)),
                         otb_mad(a_path, b_path, tmp) if with_mad else None,
                         farmwatch(a_path, b_path, bands, tmp),
                         farmwatch(a_path, b_path, bands + REFLECTANCE[set_name], tmp + "/refl")
                         if set_name in REFLECTANCE else None]
                if opts.learned:
                    preds.append(farmwatch_learned(name, bands, tmp)
                                 if set_name in VHR_SETS else None)
            cells, counts = [], {}
            for m, p in zip(methods, preds):
                if p is None:
                    cells.append(cell(None))
                    continue
                counts[m] = Counts().add(p, truth, scored)
                v, share = score(p, truth, scored, counts[m])
                cells.append(cell(v, share))
                for g in groups:
                    pool = pools.setdefault((g, m), Counts())
                    pool += counts[m]
            fw = counts["farmwatch"]
            cells += [cell(fw.precision()), cell(fw.recall())]
            short = name.split(" ")[-1]
            print(f"{set_name:17s} {short:22s} " + " ".join(cells), flush=True)
    print()
    print(f"{'pooled F1':40s} " + " ".join(f"{m:>9s}" for m in methods + pr))
    for g in [s for s in SETS if len(SETS[s]) > 1] + ["all VHR"]:
        if not any((g, m) in pools for m in methods):
            continue
        fw = pools[(g, "farmwatch")]
        print(f"{g:40s} " + " ".join(cell(pools[(g, m)].f1() if (g, m) in pools else None)
                                     for m in methods)
              + " " + " ".join((cell(fw.precision()), cell(fw.recall()))))


main()
