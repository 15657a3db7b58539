#!/usr/bin/env bash
# Runs on the GPU machine, from the repository root, with build/cuda carried over (built on the
# workstation: the binaries need only libcudart, libcublasLt and libstdc++). Order: correctness
# on small shapes, correctness on the V3 shapes, the GPU test suite, SASS sanity, then timing.
# Results go to $OUT (or ./out when OUT is unset). Usage: run_on_device.sh [harness options...]
set -u
bin=build/cuda/calibration/kernels/trainsim-calibrate-device
gpu_test=build/cuda/tests/calibration_device/calibration_device_gpu_test
out=${OUT:-out}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,temperature.gpu,power.draw \
  --format=csv > "$out/nvidia-smi.csv" 2>&1
"$bin" --small --check-only --out "$out/check_small.json" 2> "$out/check_small.log"; echo "small check rc=$?"
"$bin" --check-only --reps 1 --out "$out/check_v3.json" 2> "$out/check_v3.log"; echo "V3 check rc=$?"
if [ -x "$gpu_test" ]; then "$gpu_test" > "$out/gpu_test.log" 2>&1; echo "gpu test rc=$?"; fi
if command -v cuobjdump > /dev/null; then
  cuobjdump --dump-sass "$bin" > "$out/sass.txt" 2>&1
  echo "SASS: $(grep -c 'HMMA' "$out/sass.txt") HMMA, $(grep -cE 'QMMA|HMMA.*E4M3' "$out/sass.txt") fp8 MMA," \
       "$(grep -cE 'LDL|STL' "$out/sass.txt") local-memory instructions"
fi
"$bin" --reps 50 --warmup 5 --out "$out/measurements.json" "$@" 2> "$out/measure.log"; echo "measure rc=$?"
tail -n 60 "$out/measure.log"
# Sustained throughput (SUSTAIN_S seconds per dtype, 0 to skip): Llama 3 8B's largest GEMM back
# to back, with the SM clock, power and temperature sampled every 200 ms beside it: the burst
# rates above against what a power-limited training step gets.
sustain_s=${SUSTAIN_S:-20}
if [ "$sustain_s" != 0 ]; then
  nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,power.limit,temperature.gpu \
    --format=csv -lms 200 > "$out/sustain_smi.csv" 2>&1 &
  smi=$!
  "$bin" --sustain "$sustain_s" --gemm-shapes "${SUSTAIN_SHAPE:-4096x28672x4096}" \
    --out "$out/sustained.json" 2> "$out/sustain.log"; echo "sustain rc=$?"
  kill "$smi" 2> /dev/null
  grep '^sustained' "$out/sustain.log"
  echo "SM clock MHz (min/max over the run): $(awk -F', ' 'NR > 1 {print $2+0}' "$out/sustain_smi.csv" |
    sort -n | sed -n '1p;$p' | tr '\n' ' ')"
fi
