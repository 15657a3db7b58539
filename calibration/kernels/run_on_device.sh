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
