#!/usr/bin/env bash
# Trains models/plate.traineddata.gz, the recogniser for plate lettering, from plates the
# project renders itself (tools/synth.ts) and redraws the way the reader does
# (src/ocr/find.ts). Run by hand, never in CI:
#
#   apt-get install -y tesseract-ocr      # lstmtraining, combine_lang_model, unicharset_extractor
#   scripts/train-plate-model.sh [WORK_DIR] [PLATES] [ITERATIONS]
#
# A small LSTM trained from scratch on the 36 characters A–Z 0–9, one line per plate, no
# dictionary. Takes about 40 minutes on two cores (rendering 15, features 15, training 10).
# Deterministic data (seeded), so a rebuild differs only by training noise.
# The model is meant to read lines exactly as src/ocr/find.ts redraws them, with PSM 13
# (raw line), which is how src/ocr/reader.ts runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-/tmp/plate-train}
PLATES=${2:-5000}
ITER=${3:-12000}
JOBS=${JOBS:-2}
# A small network: the larger stock shape ([... Lfx96 Lrx96 Lfx192 ...]) stayed near 100 %
# character error for 5,000 iterations at rate 0.002; this one learns within 2,000 at 0.005.
NET='[1,36,0,1 Ct3,3,16 Mp3,3 Lfys48 Lbx96 O1c1]'
RATE=${RATE:-0.005}

for tool in tesseract lstmtraining combine_lang_model unicharset_extractor; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y tesseract-ocr" >&2; exit 1; }
done
mkdir -p "$WORK/lines" "$WORK/script" "$WORK/lm" "$WORK/ckpt"

if [ -z "${SKIP_RENDER:-}" ]; then
  echo "1/5 rendering $PLATES plates into training lines"
  for ((s = 0; s < JOBS; s++)); do
    npx tsx scripts/train-plate-model/make-lines.ts "$WORK/lines" "$PLATES" "$s" "$JOBS" &
  done
  wait
fi

echo "2/5 line features (.lstmf)"
find "$WORK/lines" -name '*.png' | sort | xargs -P "$JOBS" -I{} sh -c 'b="${1%.png}"; [ -f "$b.lstmf" ] || tesseract "$1" "$b" --psm 13 lstm.train >/dev/null 2>&1' _ {}
find "$WORK/lines" -name '*.lstmf' | sort > "$WORK/all.txt"
# Every 20th line is held out for evaluation.
awk 'NR % 20 == 0' "$WORK/all.txt" > "$WORK/eval.txt"
awk 'NR % 20 != 0' "$WORK/all.txt" > "$WORK/train.txt"

echo "3/5 character set and starter model"
find "$WORK/lines" -name '*.box' | sort > "$WORK/boxes.txt"
sed -n '1,2000p' "$WORK/boxes.txt" | xargs unicharset_extractor --output_unicharset "$WORK/plate.unicharset" --norm_mode 1 >/dev/null 2>&1
# combine_lang_model wants a radical table even with a pass-through recoder; any entry will do.
printf '4E00\t1.0\n' > "$WORK/script/radical-stroke.txt"
combine_lang_model --input_unicharset "$WORK/plate.unicharset" --script_dir "$WORK/script" \
  --output_dir "$WORK/lm" --lang plate --pass_through_recoder >/dev/null 2>&1

echo "4/5 training ($ITER iterations)"
lstmtraining --traineddata "$WORK/lm/plate/plate.traineddata" --net_spec "$NET" \
  --model_output "$WORK/ckpt/plate" --learning_rate "$RATE" \
  --train_listfile "$WORK/train.txt" --eval_listfile "$WORK/eval.txt" \
  --max_iterations "$ITER" --target_error_rate 0.001 > "$WORK/training.log" 2>&1
grep -E 'At iteration|Finished|BCER eval' "$WORK/training.log" | tail -20

echo "5/5 packing models/plate.traineddata.gz"
lstmtraining --stop_training --convert_to_int --continue_from "$WORK/ckpt/plate_checkpoint" \
  --traineddata "$WORK/lm/plate/plate.traineddata" --model_output "$WORK/plate.traineddata"
mkdir -p models
gzip -9 -n -c "$WORK/plate.traineddata" > models/plate.traineddata.gz
sha256sum models/plate.traineddata.gz
