#!/usr/bin/python3
"""Normalises the outputs of a farmwatch run into text files that can be compared byte for byte
with the goldens in tests/golden/: what a run may change between two runs of the same inputs
(timestamps, timings, the output and source folders) is removed or replaced by a placeholder;
everything a user reads is kept.

    normalise.py OUT_DIR DB.gpkg DEST_DIR [--source SOURCE_DIR]

Rasters become their georeferencing, band metadata, colour table, value counts and a digest of
the pixels (not the file bytes, which hold GDAL's layout); vector files and the database become
their features, fields and geometries as WKT; CSV, GeoJSON and report.html are copied as they
are (with folders replaced); PNG chips and tiles become a list of digests.
"""
import hashlib
import json
import os
import sys

import numpy as np
from osgeo import gdal, ogr

gdal.UseExceptions()

# Fields whose values are times of the run, not results.
TIME_FIELDS = {"started_utc", "finished_utc", "at_utc", "status_at", "last_change"}
TIMING_KEYS = {"timings", "timings_s", "started_utc", "finished_utc", "elapsed_s"}


def scrub(text, places):
    for path, name in places:
        text = text.replace(path, name)
    return text


def raster(path):
    ds = gdal.Open(path)
    out = {"size": [ds.RasterXSize, ds.RasterYSize], "geotransform": list(ds.GetGeoTransform(can_return_null=True) or []),
           "crs": ds.GetProjection(), "metadata": ds.GetMetadata(), "bands": []}
    for b in range(1, ds.RasterCount + 1):
        band = ds.GetRasterBand(b)
        data = band.ReadAsArray()
        entry = {"type": gdal.GetDataTypeName(band.DataType), "nodata": band.GetNoDataValue(),
                 "description": band.GetDescription(), "metadata": band.GetMetadata(),
                 "color_interpretation": gdal.GetColorInterpretationName(band.GetColorInterpretation()),
                 "scale": band.GetScale(), "offset": band.GetOffset(),
                 "overviews": band.GetOverviewCount(),
                 "block": band.GetBlockSize(),
                 "pixels_sha256": hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest()}
        if data.dtype == np.uint8:
            values, counts = np.unique(data, return_counts=True)
            entry["value_counts"] = {str(int(v)): int(c) for v, c in zip(values, counts)}
        ct = band.GetColorTable()
        if ct is not None:
            entry["color_table"] = [list(ct.GetColorEntry(i)) for i in range(ct.GetCount())]
        rat = band.GetDefaultRAT()
        if rat is not None:
            entry["rat_rows"] = rat.GetRowCount()
        out["bands"].append(entry)
    return json.dumps(out, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def vector(path, places):
    ds = ogr.Open(path)
    lines = []
    names = sorted(ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount()))
    for name in names:
        layer = ds.GetLayerByName(name)
        defn = layer.GetLayerDefn()
        srs = layer.GetSpatialRef()
        lines.append(f"layer {name}: {layer.GetFeatureCount()} features, geometry "
                     f"{ogr.GeometryTypeToName(layer.GetGeomType())}, crs "
                     f"{srs.GetAuthorityName(None)}:{srs.GetAuthorityCode(None)}" if srs else
                     f"layer {name}: {layer.GetFeatureCount()} features, no crs")
        fields = [defn.GetFieldDefn(k) for k in range(defn.GetFieldCount())]
        lines.append("fields: " + ", ".join(f"{f.GetName()} {f.GetTypeName()}" for f in fields))
        for feat in layer:
            values = []
            for f in fields:
                v = "<time>" if f.GetName() in TIME_FIELDS and feat.IsFieldSet(f.GetName()) else feat.GetField(f.GetName())
                values.append(f"{f.GetName()}={v}")
            geom = feat.GetGeometryRef()
            wkt = geom.ExportToIsoWkt() if geom is not None else "none"
            lines.append(scrub(f"{feat.GetFID()}: " + "; ".join(values) + f"; {wkt}", places))
    return "\n".join(lines) + "\n"


def summary(path, places):
    def clean(v):
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items() if k not in TIMING_KEYS}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v
    j = clean(json.load(open(path, encoding="utf-8")))
    j.pop("farmwatch_version", None)
    return scrub(json.dumps(j, indent=1, sort_keys=True, ensure_ascii=False), places) + "\n"


def main():
    out_dir, db, dest = sys.argv[1:4]
    source = sys.argv[sys.argv.index("--source") + 1] if "--source" in sys.argv else None
    out_dir = os.path.abspath(out_dir)
    places = [(out_dir, "<out>"), (os.path.abspath(db), "<db>")]
    if source:
        places.append((os.path.abspath(source), "<source>"))
    os.makedirs(dest, exist_ok=True)
    digests = []
    for root, dirs, files in os.walk(out_dir):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, out_dir)
            flat = rel.replace(os.sep, "__")
            if name.endswith(".tif"):
                text = raster(path)
                open(os.path.join(dest, flat + ".json"), "w", encoding="utf-8").write(text)
            elif name.endswith(".gpkg"):
                open(os.path.join(dest, flat + ".txt"), "w", encoding="utf-8").write(vector(path, places))
            elif name == "summary.json":
                open(os.path.join(dest, flat), "w", encoding="utf-8").write(summary(path, places))
            elif name.endswith((".csv", ".geojson", ".html", ".json")):
                text = open(path, encoding="utf-8").read()
                open(os.path.join(dest, flat), "w", encoding="utf-8", newline="").write(scrub(text, places))
            else:
                digests.append(f"{hashlib.sha256(open(path, 'rb').read()).hexdigest()}  {rel}")
    open(os.path.join(dest, "files.sha256"), "w").write("\n".join(digests) + "\n")
    open(os.path.join(dest, "database.txt"), "w", encoding="utf-8").write(vector(db, places))


if __name__ == "__main__":
    main()
