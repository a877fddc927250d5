#!/usr/bin/python3
"""Generate farmwatch's bundled sample: two dates of 4-band imagery, a farmland layer, and truth.

The scene is 4 km x 4 km near Hefei, Anhui. The imagery is Sentinel-2-like (10 m, UInt16 DN,
reflectance = DN * 0.0001) on a UTM zone 50N grid, as satellite products arrive; the farmland
layer is in CGCS2000 / 3-degree Gauss-Kruger zone 39 (EPSG:4527) with Chinese attributes, as
offices deliver it. farmwatch must warp the imagery onto the Gauss-Kruger analysis grid.

What happens between 2024-03-15 (before) and 2024-08-20 (after):
  - most farmland stays green crop (winter wheat, then maize): no change;
  - several parcels are bare in March and green in August, one is green then harvested:
    seasonal, must NOT be reported;
  - a built-up yard on farmland (非农化), a fish pond dug into a field and an orchard planted on
    a field (非粮化): must be reported with the right category and area;
  - a 10 m shed on farmland, below the 200 m2 minimum: must not be reported;
  - a factory built in forest outside the farmland: other change, 0 % farmland;
  - a cloud over farmland in August and a nodata strip on the west edge in March.

Pixels are rendered with 5x5 supersampling so feature edges are mixed pixels, as in real data.
Also: the villages (村级行政区, villages.gpkg) and an approved-construction layer
(approved_construction.gpkg) covering the factory, which makes it reasonable (合理).
Writes sample-tiles/{sample_20240315.tif, sample_20240820.tif, farmland.gpkg, villages.gpkg,
approved_construction.gpkg, truth.json}.
Deterministic: a fixed random seed. Requires Debian's python3-gdal and python3-numpy.
"""
import json
import os
import sys

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "sample-tiles")
SIZE_M, RES = 4000.0, 10.0
CENTER_LONLAT = (117.02, 31.85)

# Reflectance (blue, green, red, nir) of each surface.
SPECTRA = {
    "cropland": (0.035, 0.075, 0.045, 0.42),
    "bare_soil": (0.09, 0.13, 0.18, 0.24),
    "orchard": (0.03, 0.06, 0.05, 0.28),
    "forest": (0.025, 0.045, 0.03, 0.30),
    "grassland": (0.05, 0.08, 0.08, 0.25),
    "water": (0.07, 0.08, 0.05, 0.02),
    "built_up": (0.17, 0.18, 0.19, 0.22),
    "cloud": (0.45, 0.46, 0.47, 0.52),
}
CLASSES = list(SPECTRA)


def srs(epsg):
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


GK, UTM, LL = srs(4527), srs(32650), srs(4490)
to_gk = osr.CoordinateTransformation(LL, GK)
cx, cy, _ = to_gk.TransformPoint(*CENTER_LONLAT)
X0, Y0 = round((cx - SIZE_M / 2) / 10) * 10, round((cy - SIZE_M / 2) / 10) * 10  # GK SW corner


def rect(u0, v0, u1, v1):
    """A rectangle in scene coordinates (metres east/north of the GK SW corner)."""
    return (u0, v0, u1, v1)


# Farmland: 7 x 7 parcels of 380 x 280 m on a 400 x 300 m pitch (20 m roads between).
PARCELS = []
for j in range(7):
    for i in range(7):
        u0, v0 = 600 + i * 400, 900 + j * 300
        PARCELS.append({"i": i, "j": j, "box": rect(u0 + 10, v0 + 10, u0 + 390, v0 + 290)})
SEASONAL = [p for p in PARCELS if (p["i"] + 2 * p["j"]) % 6 == 0]           # bare -> green
HARVESTED = [p for p in PARCELS if (p["i"], p["j"]) == (6, 1)]               # green -> bare
parcel_at = {(p["i"], p["j"]): p for p in PARCELS}


def inset(p, du0, dv0, w, h):
    b = p["box"]
    return rect(b[0] + du0, b[1] + dv0, b[0] + du0 + w, b[1] + dv0 + h)


CHANGES = [  # (name, category, before, after, rectangle)
    ("yard", "non_agricultural", "cropland", "built_up", inset(parcel_at[(2, 4)], 120, 90, 120, 90)),
    ("pond", "non_grain", "cropland", "water", inset(parcel_at[(5, 5)], 150, 60, 130, 100)),
    ("orchard", "non_grain", "cropland", "orchard", inset(parcel_at[(1, 1)], 100, 80, 150, 120)),
    ("factory", "other_change", "forest", "built_up", rect(3560, 3300, 3700, 3400)),
]
SHED = inset(parcel_at[(4, 2)], 200, 150, 10, 10)
CLOUD = (600 + 2 * 400 + 200, 900 + 2 * 300 + 150, 170.0, 110.0)  # ellipse centre u, v, radii
NODATA_COLUMNS = 12


def inside(b, u, v):
    return (u >= b[0]) & (u < b[2]) & (v >= b[1]) & (v < b[3])


def surface(u, v, date):
    """Index into CLASSES of the surface at scene coordinates (u, v) on `date`."""
    c = np.full(u.shape, CLASSES.index("grassland"), np.uint8)
    c[(u > 3200) & (v > 3250)] = CLASSES.index("forest")          # NE woodland
    c[(u < 500) & (v < 700)] = CLASSES.index("built_up")           # SW village
    c[(v >= 300) & (v < 360)] = CLASSES.index("water")             # river
    c[(u >= 590) & (u < 3410) & (v >= 890) & (v < 3010)] = CLASSES.index("built_up")  # field roads
    for p in PARCELS:
        c[inside(p["box"], u, v)] = CLASSES.index("cropland")
    for p in SEASONAL if date == "before" else HARVESTED:
        c[inside(p["box"], u, v)] = CLASSES.index("bare_soil")
    if date == "after":
        for _, _, _, after, b in CHANGES:
            c[inside(b, u, v)] = CLASSES.index(after)
        c[inside(SHED, u, v)] = CLASSES.index("built_up")
    return c


def render(date, path, gt, w, h):
    # Scene coordinates of 5x5 sub-pixel samples of every UTM pixel, via GK.
    to_scene = osr.CoordinateTransformation(UTM, GK)
    ss = 5
    off = (np.arange(ss) + 0.5) / ss
    cols = (np.arange(w)[:, None] + off[None, :]).ravel()
    rows = (np.arange(h)[:, None] + off[None, :]).ravel()
    ex = gt[0] + cols * gt[1]
    ny = gt[3] + rows * gt[5]
    X, Y = np.meshgrid(ex, ny)
    pts = np.array(to_scene.TransformPoints(np.column_stack([X.ravel(), Y.ravel()])))
    u = (pts[:, 0] - X0).reshape(X.shape)
    v = (pts[:, 1] - Y0).reshape(X.shape)
    cls = surface(u, v, date)
    if date == "after":
        cu, cv, ru, rv = CLOUD
        cls[((u - cu) / ru) ** 2 + ((v - cv) / rv) ** 2 <= 1] = CLASSES.index("cloud")
    spectra = np.array([SPECTRA[k] for k in CLASSES], np.float64)
    refl = spectra[cls]  # (H*ss, W*ss, 4)
    refl = refl.reshape(h, ss, w, ss, 4).mean(axis=(1, 3))
    rng = np.random.default_rng(20240315 if date == "before" else 20240820)
    refl = refl * (1 + rng.normal(0, 0.03, refl.shape)) + rng.normal(0, 0.003, refl.shape)
    dn = np.clip(np.round(refl * 10000), 1, 65535).astype(np.uint16)
    if date == "before":
        dn[:, :NODATA_COLUMNS, :] = 0
    drv = gdal.GetDriverByName("GTiff")
    ds = drv.Create(path, w, h, 4, gdal.GDT_UInt16,
                    ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "PREDICTOR=2"])
    ds.SetGeoTransform(gt)
    ds.SetProjection(UTM.ExportToWkt())
    ds.SetMetadataItem("ACQUISITION_DATE", "2024-03-15" if date == "before" else "2024-08-20")
    ds.SetMetadataItem("SENSOR", "synthetic Sentinel-2-like (farmwatch sample)")
    write_bands(ds, dn)
    ds = None


def write_bands(ds, dn):
    """Sentinel-2-like DN (rows, cols, 4) into bands described blue..nir, DN x 0.0001, nodata 0."""
    for b, name in enumerate(["blue", "green", "red", "nir"]):
        band = ds.GetRasterBand(b + 1)
        band.WriteArray(dn[:, :, b])
        band.SetDescription(name)
        band.SetNoDataValue(0)
        band.SetScale(0.0001)
        band.SetOffset(0)


# Villages of 大兴镇 as three north-south strips (scene u ranges), with 12-digit unit codes.
VILLAGES = [("340123001001", "东湖村", rect(0, 0, 1400, SIZE_M)),
            ("340123001002", "西岗村", rect(1400, 0, 2600, SIZE_M)),
            ("340123001003", "南圩村", rect(2600, 0, SIZE_M, SIZE_M))]
# Approved construction land (建设用地审批): covers the factory, which is therefore reasonable.
APPROVED = rect(3540, 3280, 3720, 3420)


def village_of(b):
    """(code, name) of the village holding the centre of a rectangle."""
    u = (b[0] + b[2]) / 2
    return next((code, name) for code, name, v in VILLAGES if v[0] <= u < v[2])


def write_polygons(path, layer, fields, rows):
    """A GeoPackage layer in EPSG:4527 of (values, rectangle) rows."""
    if os.path.exists(path):
        os.remove(path)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    lyr = ds.CreateLayer(layer, GK, ogr.wkbMultiPolygon)
    for name in fields:
        lyr.CreateField(ogr.FieldDefn(name, ogr.OFTString))
    for values, b in rows:
        f = ogr.Feature(lyr.GetLayerDefn())
        for name, v in zip(fields, values):
            f.SetField(name, v)
        f.SetGeometry(ogr.ForceToMultiPolygon(ogr.CreateGeometryFromWkt(polygon_wkt(b))))
        lyr.CreateFeature(f)
    ds = None


def polygon_wkt(b):
    x0, y0, x1, y1 = X0 + b[0], Y0 + b[1], X0 + b[2], Y0 + b[3]
    return f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"


def write_farmland(path):
    if os.path.exists(path):
        os.remove(path)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    lyr = ds.CreateLayer("永久基本农田", GK, ogr.wkbMultiPolygon)
    for name in ["地块编号", "地类名称", "地类编码", "乡镇名称", "村名称"]:
        lyr.CreateField(ogr.FieldDefn(name, ogr.OFTString))
    fd = ogr.FieldDefn("面积_亩", ogr.OFTReal)
    lyr.CreateField(fd)
    for k, p in enumerate(PARCELS):
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetField("地块编号", f"3401230010{k + 1:03d}")
        kind = ("水田", "0101") if p["j"] < 2 else ("旱地", "0103")
        f.SetField("地类名称", kind[0])
        f.SetField("地类编码", kind[1])
        f.SetField("乡镇名称", "大兴镇")
        f.SetField("村名称", village_of(p["box"])[1])
        g = ogr.ForceToMultiPolygon(ogr.CreateGeometryFromWkt(polygon_wkt(p["box"])))
        f.SetField("面积_亩", round(g.GetArea() / (2000 / 3), 2))
        f.SetGeometry(g)
        lyr.CreateFeature(f)
    ds = None


def utm_grid():
    """(geotransform, width, height) of the UTM grid covering the scene plus a margin, 10 m
    pixels as Sentinel-2 delivers."""
    to_utm = osr.CoordinateTransformation(GK, UTM)
    corners = [to_utm.TransformPoint(X0 + a, Y0 + b) for a in (-100, SIZE_M + 100) for b in (-100, SIZE_M + 100)]
    ux0 = np.floor(min(c[0] for c in corners) / RES) * RES
    uy1 = np.ceil(max(c[1] for c in corners) / RES) * RES
    ux1 = np.ceil(max(c[0] for c in corners) / RES) * RES
    uy0 = np.floor(min(c[1] for c in corners) / RES) * RES
    return (ux0, RES, 0, uy1, 0, -RES), int((ux1 - ux0) / RES), int((uy1 - uy0) / RES)


def main():
    os.makedirs(OUT, exist_ok=True)
    gt, w, h = utm_grid()
    render("before", os.path.join(OUT, "sample_20240315.tif"), gt, w, h)
    render("after", os.path.join(OUT, "sample_20240820.tif"), gt, w, h)
    write_farmland(os.path.join(OUT, "farmland.gpkg"))
    write_polygons(os.path.join(OUT, "villages.gpkg"), "村级行政区", ["XZQDM", "XZQMC"],
                   [((code, name), b) for code, name, b in VILLAGES])
    write_polygons(os.path.join(OUT, "approved_construction.gpkg"), "建设用地审批", ["PZWH"],
                   [(("皖政地〔2023〕101号",), APPROVED)])
    ids = {(p["i"], p["j"]): f"3401230010{k + 1:03d}" for k, p in enumerate(PARCELS)}

    def parcel_of(b):
        return [ids[key] for key, p in parcel_at.items()
                if b[0] < p["box"][2] and b[2] > p["box"][0] and b[1] < p["box"][3] and b[3] > p["box"][1]]

    truth = {
        "crs": "EPSG:4527",
        "note": "Rectangles in EPSG:4527 metres. area_m2 is planar Gauss-Kruger area; the scene lies "
                "within 3 km of the central meridian, where it equals the ellipsoidal area to 1e-6.",
        "patches": [
            {"name": n, "category": cat, "before": b4, "after": af, "box": [X0 + b[0], Y0 + b[1], X0 + b[2], Y0 + b[3]],
             "area_m2": (b[2] - b[0]) * (b[3] - b[1]), "parcels": parcel_of(b),
             "unit": village_of(b)[1],
             "reasonable": b[0] >= APPROVED[0] and b[2] <= APPROVED[2] and b[1] >= APPROVED[1] and b[3] <= APPROVED[3]}
            for n, cat, b4, af, b in CHANGES],
        "not_reported": (
            [{"name": f"seasonal parcel {ids[(p['i'], p['j'])]}", "why": "bare in March, green in August",
              "box": [X0 + p["box"][0], Y0 + p["box"][1], X0 + p["box"][2], Y0 + p["box"][3]]} for p in SEASONAL]
            + [{"name": f"harvested parcel {ids[(p['i'], p['j'])]}", "why": "green in March, bare in August",
                "box": [X0 + p["box"][0], Y0 + p["box"][1], X0 + p["box"][2], Y0 + p["box"][3]]} for p in HARVESTED]
            + [{"name": "shed", "why": "100 m2, below the 200 m2 minimum for 非农化",
                "box": [X0 + SHED[0], Y0 + SHED[1], X0 + SHED[2], Y0 + SHED[3]]}]),
        "cloud_after": {"centre": [X0 + CLOUD[0], Y0 + CLOUD[1]], "radii": [CLOUD[2], CLOUD[3]]},
        "nodata_before": f"the westmost {NODATA_COLUMNS} columns of sample_20240315.tif",
    }
    with open(os.path.join(OUT, "truth.json"), "w", encoding="utf-8") as f:
        json.dump(truth, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print(f"wrote {OUT}: 2 images {w}x{h} (EPSG:32650), {len(PARCELS)} parcels (EPSG:4527), truth.json")


if __name__ == "__main__":
    main()
