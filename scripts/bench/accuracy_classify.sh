#!/usr/bin/env bash
# Classification accuracy on the Slovenian Sentinel-2 patch (../shared/data/eolearn_slovenia_s2)
# with the protocol of ../shared/docs/benchmarks.md, farmwatch and OTB side by side in one run:
# the three clear dates' 13 TOA bands, trained on the polygons with even FID, tested on those
# with odd FID (LULC_ID 0 left out).
#   OTB: otbcli_TrainImagesClassifier -classifier rf (defaults), otbcli_ImageClassifier,
#        otbcli_ComputeConfusionMatrix on the test polygons.
#   farmwatch: farmwatch train / classify --model / evaluate, defaults.
#   scripts/bench/accuracy_classify.sh [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:-../shared/data}/eolearn_slovenia_s2
[ -f "$data/lulc_raba_polygons.gpkg" ] || { echo "no Slovenian data at $data"; exit 1; }
work=$(mktemp -d /tmp/farmwatch-acc.XXXXXX)
trap 'rm -rf "$work"' EXIT
dates=(20150711 20150830 20150909)
imgs=(); for d in "${dates[@]}"; do imgs+=("$data/s2l1c_${d}_13band_toa.tif"); done

# The split, as files both tools read.
ogr2ogr -q -f GPKG "$work/train.gpkg" "$data/lulc_raba_polygons.gpkg" -where "fid % 2 = 0 AND LULC_ID > 0" -nln train
ogr2ogr -q -f GPKG "$work/test.gpkg" "$data/lulc_raba_polygons.gpkg" -where "fid % 2 = 1 AND LULC_ID > 0" -nln test

# OTB: one 39-band stack, random forest with its defaults.
gdal_merge.py -q -separate -o "$work/stack.tif" "${imgs[@]}" 2> /dev/null || \
  gdalbuildvrt -q -separate "$work/stack.vrt" "${imgs[@]}"
stack=$work/stack.tif; [ -f "$stack" ] || stack=$work/stack.vrt
otbcli_TrainImagesClassifier -io.il "$stack" -io.vd "$work/train.gpkg" -sample.vfn LULC_ID \
  -classifier rf -io.out "$work/otb.model" -rand 1 > /dev/null 2>&1
otbcli_ImageClassifier -in "$stack" -model "$work/otb.model" -out "$work/otb.tif" uint8 > /dev/null 2>&1
otbcli_ComputeConfusionMatrix -in "$work/otb.tif" -ref vector -ref.vector.in "$work/test.gpkg" \
  -ref.vector.field LULC_ID -out "$work/otb_cm.csv" > "$work/otb.log" 2>&1
otb_oa=$(grep -o "Overall accuracy index: [0-9.]*" "$work/otb.log" | awk '{print $4}')
otb_k=$(grep -o "Kappa index: [0-9.]*" "$work/otb.log" | awk '{print $3}')

# farmwatch.
args=(); for i in "${imgs[@]}"; do args+=(--image "$i"); done
build/farmwatch train "${args[@]}" --labels "$work/train.gpkg" --field LULC_ID --out "$work/fw.yml" > /dev/null
args=(); for i in "${imgs[@]}"; do args+=(--in "$i"); done
build/farmwatch classify --model "$work/fw.yml" "${args[@]}" --out "$work/fw.tif" > /dev/null
build/farmwatch evaluate --map "$work/fw.tif" --reference "$work/test.gpkg" --field LULC_ID \
  --out "$work/fw_eval" > /dev/null
read -r fw_oa fw_k < <(/usr/bin/python3 -c "
import json; j = json.load(open('$work/fw_eval/accuracy.json'))
print(round(j['overall_accuracy'], 4), round(j['kappa'], 4))")

printf "%-34s %9s %7s\n" "Slovenia S2, even/odd FID split" "accuracy" "kappa"
printf "%-34s %9s %7s\n" "OTB random forest (defaults)" "$otb_oa" "$otb_k"
printf "%-34s %9s %7s\n" "farmwatch train/classify --model" "$fw_oa" "$fw_k"
echo "targets: overall accuracy >= 0.85, kappa >= 0.65"
