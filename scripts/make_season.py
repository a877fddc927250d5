#!/usr/bin/python3
"""A season of scenes over the bundled sample area, delivered night by night, for `farmwatch
nightly` (pipelines/nightly-sample.yaml) and its tests.

    scripts/make_season.py OUT                 writes OUT/scenes/ and OUT/nights.json
    scripts/make_season.py OUT --inbox DIR --night N
                                               delivers night N's files into DIR (1-based)

The area and its farmland are the sample's (make_sample_tiles.py): 49 parcels near Hefei, the
imagery Sentinel-2-like (10 m, UInt16 DN x 0.0001) on UTM 50N. Through 2024:
  - every crop parcel is bare in March, green from April to August, harvested (bare) from
    September: seasonal, never a change;
  - an orchard is planted on a field in May and grubbed up in September: found, then reverted;
  - a yard is built on farmland in July and stays (非农化, found then persisting);
  - a pond is dug into a field in September and stays (非粮化);
  - clouds over part of April's and August's scenes; June's scene is cloud from edge to edge.
How it is delivered (nights.json): out of order, July's scene first cut short mid-file and
delivered whole a night later (after August's), August's delivered twice, November's with a
damaged tile in the middle of the file, and a last night with nothing new. Dates are given the
three ways GeoTIFF stacks carry them: ACQUISITION_DATE, TIFFTAG_DATETIME, or only the file name.
Deterministic (fixed seeds). Requires python3-gdal and python3-numpy.
"""
import importlib.util
import json
import os
import shutil
import sys

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()
HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("sample", os.path.join(HERE, "make_sample_tiles.py"))
S = importlib.util.module_from_spec(_spec)
_argv, sys.argv = sys.argv, sys.argv[:1]
_spec.loader.exec_module(S)
sys.argv = _argv

ORCHARD = next(c[4] for c in S.CHANGES if c[0] == "orchard")
YARD = next(c[4] for c in S.CHANGES if c[0] == "yard")
POND = next(c[4] for c in S.CHANGES if c[0] == "pond")

# (date, crop phase, orchard, yard, pond, cloud ellipses (u, v, ru, rv) or "all", how dated)
SCENES = [
    ("2024-03-15", "bare", False, False, False, [], "metadata"),
    ("2024-04-20", "green", False, False, False, [(900, 2600, 400, 260)], "tifftag"),
    ("2024-05-25", "green", True, False, False, [], "name"),
    ("2024-06-18", "green", True, False, False, "all", "metadata"),
    ("2024-07-10", "green", True, True, False, [], "metadata"),
    ("2024-08-20", "green", True, True, False, [(3000, 1500, 300, 220)], "name"),
    ("2024-09-15", "bare", False, True, True, [], "metadata"),
    ("2024-10-20", "bare", False, True, True, [], "tifftag"),
    ("2024-11-05", "bare", False, True, True, [], "metadata"),
]
NIGHTS = [
    ["2024-03-15"],
    ["2024-04-20"],
    ["2024-05-25", "2024-06-18"],
    ["2024-08-20", "2024-07-10:cut"],
    ["2024-07-10"],
    ["2024-09-15", "2024-08-20:again"],
    ["2024-10-20", "2024-11-05:damaged"],
    [],
]


def file_name(date, how):
    compact = date.replace("-", "")
    return f"S2X_{compact}_sample.tif" if how == "name" else f"scene_{SCENES_INDEX[date]:02d}.tif"


SCENES_INDEX = {s[0]: i + 1 for i, s in enumerate(SCENES)}


def surface(u, v, phase, orchard, yard, pond):
    c = np.full(u.shape, S.CLASSES.index("grassland"), np.uint8)
    c[(u > 3200) & (v > 3250)] = S.CLASSES.index("forest")
    c[(u < 500) & (v < 700)] = S.CLASSES.index("built_up")
    c[(v >= 300) & (v < 360)] = S.CLASSES.index("water")
    c[(u >= 590) & (u < 3410) & (v >= 890) & (v < 3010)] = S.CLASSES.index("built_up")
    crop = S.CLASSES.index("cropland" if phase == "green" else "bare_soil")
    for p in S.PARCELS:
        c[S.inside(p["box"], u, v)] = crop
    if orchard:
        c[S.inside(ORCHARD, u, v)] = S.CLASSES.index("orchard")
    if yard:
        c[S.inside(YARD, u, v)] = S.CLASSES.index("built_up")
    if pond:
        c[S.inside(POND, u, v)] = S.CLASSES.index("water")
    return c


def render(scene, path, gt, w, h):
    date, phase, orchard, yard, pond, clouds, how = scene
    to_scene = osr.CoordinateTransformation(S.UTM, S.GK)
    ss = 5
    off = (np.arange(ss) + 0.5) / ss
    cols = (np.arange(w)[:, None] + off[None, :]).ravel()
    rows = (np.arange(h)[:, None] + off[None, :]).ravel()
    X, Y = np.meshgrid(gt[0] + cols * gt[1], gt[3] + rows * gt[5])
    pts = np.array(to_scene.TransformPoints(np.column_stack([X.ravel(), Y.ravel()])))
    u = (pts[:, 0] - S.X0).reshape(X.shape)
    v = (pts[:, 1] - S.Y0).reshape(X.shape)
    cls = surface(u, v, phase, orchard, yard, pond)
    if clouds == "all":
        cls[:] = S.CLASSES.index("cloud")
    else:
        for cu, cv, ru, rv in clouds:
            cls[((u - cu) / ru) ** 2 + ((v - cv) / rv) ** 2 <= 1] = S.CLASSES.index("cloud")
    spectra = np.array([S.SPECTRA[k] for k in S.CLASSES], np.float64)
    refl = spectra[cls].reshape(h, ss, w, ss, 4).mean(axis=(1, 3))
    rng = np.random.default_rng(int(date.replace("-", "")))
    refl = refl * (1 + rng.normal(0, 0.03, refl.shape)) + rng.normal(0, 0.003, refl.shape)
    dn = np.clip(np.round(refl * 10000), 1, 65535).astype(np.uint16)
    ds = gdal.GetDriverByName("GTiff").Create(
        path, w, h, 4, gdal.GDT_UInt16,
        ["TILED=YES", "BLOCKXSIZE=128", "BLOCKYSIZE=128", "COMPRESS=DEFLATE"])
    ds.SetGeoTransform(gt)
    ds.SetProjection(S.UTM.ExportToWkt())
    if how == "metadata":
        ds.SetMetadataItem("ACQUISITION_DATE", date)
    elif how == "tifftag":
        ds.SetMetadataItem("TIFFTAG_DATETIME", date.replace("-", ":") + " 02:48:00")
    ds.SetMetadataItem("SENSOR", "synthetic Sentinel-2-like (farmwatch season)")
    S.write_bands(ds, dn)
    ds = None


def damage_middle(path):
    """Overwrites bytes in the middle of the file (inside a compressed tile), as a bad copy."""
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.seek(size // 2)
        f.write(bytes((i * 37 + 11) % 256 for i in range(4096)))


def make(out):
    os.makedirs(os.path.join(out, "scenes"), exist_ok=True)
    gt, w, h = S.utm_grid()
    files = {}
    for scene in SCENES:
        name = file_name(scene[0], scene[6])
        render(scene, os.path.join(out, "scenes", name), gt, w, h)
        files[scene[0]] = name
    nights = []
    for n, entries in enumerate(NIGHTS, start=1):
        night = []
        for e in entries:
            date, _, variant = e.partition(":")
            src = files[date]
            if variant == "cut":
                cut = "cut_" + src
                shutil.copy(os.path.join(out, "scenes", src), os.path.join(out, "scenes", cut))
                p = os.path.join(out, "scenes", cut)
                os.truncate(p, os.path.getsize(p) * 6 // 10)
                night.append({"file": cut, "as": src})
            elif variant == "damaged":
                dmg = "damaged_" + src
                shutil.copy(os.path.join(out, "scenes", src), os.path.join(out, "scenes", dmg))
                damage_middle(os.path.join(out, "scenes", dmg))
                night.append({"file": dmg, "as": src})
            elif variant == "again":
                night.append({"file": src, "as": os.path.join("redelivered", src)})
            else:
                night.append({"file": src, "as": src})
        nights.append(night)
    with open(os.path.join(out, "nights.json"), "w") as f:
        json.dump({"scenes": files, "nights": nights}, f, indent=2)
    print(f"wrote {out}: {len(SCENES)} scenes, {len(NIGHTS)} nights (nights.json)")


def deliver(out, inbox, night):
    """Copies night N's files into the inbox, as a provider would (copy, then rename)."""
    with open(os.path.join(out, "nights.json")) as f:
        nights = json.load(f)["nights"]
    for item in nights[night - 1]:
        dst = os.path.join(inbox, item["as"])
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(os.path.join(out, "scenes", item["file"]), dst + ".part")
        os.replace(dst + ".part", dst)
    return len(nights[night - 1])


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    if "--inbox" in sys.argv:
        inbox = sys.argv[sys.argv.index("--inbox") + 1]
        night = int(sys.argv[sys.argv.index("--night") + 1])
        if not os.path.exists(os.path.join(out, "nights.json")):
            make(out)
        print(f"night {night}: {deliver(out, inbox, night)} file(s) delivered to {inbox}")
    else:
        make(out)
