#!/usr/bin/env bash
# The one command run on a borrowed GPU machine (PyTorch installed, no .NET, no network), from the repo root,
# with .gpu/ (tools/gpu/build-bundle.sh) carried along. In order: libtorch symbol check, [HF fixtures], op probe,
# CUDA tests, BLT CUDA tests, P7 (ours, then transformers), P8 (ours, then transformers), [P7/P8 ours with varlen
# flash attention].
# Writes to $OUT: log.txt, symbols.txt, [fixtures.tar.gz], runner.jsonl (journal of every step), results.json.
# Never stops at a failure, and starts nothing that would not end within GPU_BUDGET_S. See docs/GPU.md.
#   GPU_BUDGET_S       wall-clock budget in seconds (default 540)
#   GPU_WARMUP_S       per side of P7/P8: warm-up over every distinct batch or this many seconds (default 30)
#   GPU_SPEED_STEPS    per side: at least this many timed batches (default 200; P8 optimizer steps hold 16 each)
#   GPU_SPEED_MAX_S    per side: at most this many timed seconds (default 120)
#   GPU_PHASE_STEPS    per side: batches in the diagnostic mode (a device sync after each phase; default 16)
#   GPU_STEPS          which steps to run (default "probe cuda-tests blt-cuda p7 p8"; also "fixtures", "flash"; the symbol
#                      check always runs)
#   GPU_TINY=1         tiny model, short lengths, small batches, CPU in CUDA's place (to try the run on a CPU host)
#   TORCH_LIB          libtorch folder instead of the python torch's (simulation on a host without PyTorch)
set +e
OUT="${OUT:-/tmp/mlnetext-gpu-out}"
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
tee_pid=$!
cd "$(dirname "$0")/../.."
budget_s="${GPU_BUDGET_S:-540}"
if [ "${GPU_TINY:-0}" = 1 ]; then
  speed=(--config tools/gpu/modernbert-tiny-config.json --warmup-seconds "${GPU_WARMUP_S:-2}" --steps "${GPU_SPEED_STEPS:-20}"
         --max-seconds "${GPU_SPEED_MAX_S:-20}" --phase-steps "${GPU_PHASE_STEPS:-4}")
  p7_tokens=4096; p8_tokens=2048; step_tokens=4096; cuda_tests=(--device cpu)
else
  speed=(--config tools/gpu/modernbert-base-config.json --warmup-seconds "${GPU_WARMUP_S:-30}" --steps "${GPU_SPEED_STEPS:-200}"
         --max-seconds "${GPU_SPEED_MAX_S:-120}" --phase-steps "${GPU_PHASE_STEPS:-16}")
  p7_tokens=32768; p8_tokens=16384; step_tokens=262144; cuda_tests=()
fi
# Longest a P7/P8 side may take: warm-up + timed cap + model setup and the diagnostic pass.
side_s=$(( ${GPU_WARMUP_S:-30} + ${GPU_SPEED_MAX_S:-120} + 45 ))
JOURNAL="$OUT/runner.jsonl"
steps=" ${GPU_STEPS:-probe cuda-tests blt-cuda p7 p8} "
wants() { [[ "$steps" == *" $1 "* ]]; }

# step <max seconds> <command...>: runs it under a timeout of max seconds or what is left of the budget minus the
# 10 s the final merge needs; skips it when under 20 s are left.
step() {
  local max=$1; shift
  local left=$((budget_s - 10 - SECONDS))
  if [ "$left" -lt 20 ]; then echo "skipped (out of time budget): $*"; return 124; fi
  timeout -k 5 "$((left < max ? left : max))" "$@"
  local rc=$?
  echo "exit $rc after ${SECONDS}s: $*"
  return $rc
}

# runner <command> <max seconds> <attempts> [options]: a missing libtorch symbol kills the process; the journal
# marks the step that died and the next attempt resumes after it.
runner() {
  local command=$1 max=$2 attempts=$3; shift 3
  for ((attempt = 1; attempt <= attempts; attempt++)); do
    step "$max" "$DOTNET_ROOT/dotnet" "$RUNNER/GpuRunner.dll" "$command" --out "$OUT" --torch-lib "$TORCH_LIB" "$@"
    case $? in 0|124|137) return ;; esac
  done
}

echo "== $(date -u) $(uname -srm)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | head -3
PY=python3
[ -x /opt/torch/.venv/bin/python3 ] && PY=/opt/torch/.venv/bin/python3
TORCH_LIB="${TORCH_LIB:-$($PY -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')}"
$PY -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'
echo "torch lib: $TORCH_LIB"; ls "$TORCH_LIB" | grep -E '^lib(torch|c10)' | tr '\n' ' '; echo

echo "== libtorch symbols"
$PY tools/gpu/check_symbols.py .gpu/libtorchsharp-undefined-symbols.txt "$TORCH_LIB" > "$OUT/symbols.txt" 2>&1
head -20 "$OUT/symbols.txt"

if wants fixtures; then
  echo "== fixtures"
  rm -rf /tmp/mlnetext-fixtures
  step 90 $PY tools/gpu/make_fixtures.py --out /tmp/mlnetext-fixtures
  tar -C /tmp -czf "$OUT/fixtures.tar.gz" mlnetext-fixtures && du -h "$OUT/fixtures.tar.gz"
fi

echo "== .NET runtime and runner"
DOTNET_ROOT=/tmp/mlnetext-dotnet
RUNNER=/tmp/mlnetext-runner
rm -rf "$DOTNET_ROOT" "$RUNNER"   # never run a runner left over from an earlier bundle
mkdir -p "$DOTNET_ROOT" "$RUNNER"
for pair in "dotnet-runtime.tar.xz:$DOTNET_ROOT" "runner.tar.xz:$RUNNER"; do
  tar -xJf ".gpu/${pair%%:*}" -C "${pair#*:}" \
    || $PY -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' ".gpu/${pair%%:*}" "${pair#*:}"
done
export DOTNET_ROOT DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
# PyTorch wheels keep the CUDA libraries in site-packages/nvidia/*/lib; libraries dlopen()ed by name (cuDNN's
# engines, nvrtc) are found through this path, as python's torch import would preload them.
NVIDIA_LIBS="$($PY -c 'import glob, os, sys
site = os.path.dirname(os.path.dirname(sys.argv[1]))
print(":".join(sorted(glob.glob(os.path.join(site, "nvidia", "*", "lib")) + glob.glob(os.path.join(site, "nvidia", "*", "*", "lib")))))' "$TORCH_LIB")"
export LD_LIBRARY_PATH="$TORCH_LIB${NVIDIA_LIBS:+:$NVIDIA_LIBS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
"$DOTNET_ROOT/dotnet" --list-runtimes

if wants probe; then
  echo "== probe"
  runner probe 120 8
fi
if wants cuda-tests; then
  echo "== cuda tests"
  runner cuda-tests 90 3 "${cuda_tests[@]}"
fi
if wants blt-cuda; then
  echo "== BLT on CUDA: mixed-length batch, classifier steps"
  runner blt-cuda 120 3 "${cuda_tests[@]}"
fi
if wants p7; then
  echo "== P7: bf16 inference, packed (ours) vs padded + sdpa (transformers)"
  runner p7 "$side_s" 1 "${speed[@]}" --tokens "$p7_tokens"
  step "$side_s" $PY tools/gpu/hf_speed.py p7 --journal "$JOURNAL" "${speed[@]}" --tokens "$p7_tokens"
  $PY tools/gpu/results.py line P7 "$JOURNAL"
fi
if wants p8; then
  echo "== P8: masked-LM training, bf16, >= $step_tokens tokens per optimizer step (ours: Trainer; transformers: autocast + fused AdamW)"
  runner p8 "$side_s" 1 "${speed[@]}" --tokens "$p8_tokens" --step-tokens "$step_tokens"
  step "$side_s" $PY tools/gpu/hf_speed.py p8 --journal "$JOURNAL" "${speed[@]}" --tokens "$p8_tokens" --step-tokens "$step_tokens"
  $PY tools/gpu/results.py line P8 "$JOURNAL"
fi
if wants flash; then
  echo "== P7/P8 ours with varlen flash attention (PackedInput.FlashOnCuda; compare with p7.ours / p8.ours)"
  runner p7 "$side_s" 1 "${speed[@]}" --tokens "$p7_tokens" --flash 1
  runner p8 "$side_s" 1 "${speed[@]}" --tokens "$p8_tokens" --step-tokens "$step_tokens" --flash 1
fi

echo "== done in ${SECONDS}s"
ls -la "$OUT"
$PY tools/gpu/results.py merge "$JOURNAL" "$OUT/results.json"
exec >&- 2>&-
wait "$tee_pid"   # let tee finish log.txt before the files are collected
