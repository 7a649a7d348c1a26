#!/usr/bin/env bash
# The one command run on a borrowed GPU machine (PyTorch installed, no .NET, no network), from the repo root,
# with .gpu/ (tools/gpu/build-bundle.sh) carried along. Writes at most 5 files to $OUT:
#   log.txt, fixtures.tar.gz, symbols.txt, probe.jsonl, results.json
# Never stops at a failure: whatever finished comes back. See docs/GPU.md.
set +e
OUT="${OUT:-/tmp/mlnetext-gpu-out}"
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
tee_pid=$!
cd "$(dirname "$0")/../.."
budget_s="${GPU_BUDGET_S:-330}"   # stop starting new work after this many seconds

echo "== $(date -u) $(uname -srm)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | head -3
PY=python3
[ -x /opt/torch/.venv/bin/python3 ] && PY=/opt/torch/.venv/bin/python3
# TORCH_LIB may be preset to simulate the run on a host without PyTorch (docs/GPU.md).
TORCH_LIB="${TORCH_LIB:-$($PY -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')}"
$PY -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'
echo "torch lib: $TORCH_LIB"; ls "$TORCH_LIB" | grep -E '^lib(torch|c10)' | tr '\n' ' '; echo

echo "== libtorch symbols"
$PY tools/gpu/check_symbols.py .gpu/libtorchsharp-undefined-symbols.txt "$TORCH_LIB" > "$OUT/symbols.txt" 2>&1
head -20 "$OUT/symbols.txt"

echo "== fixtures"
rm -rf /tmp/mlnetext-fixtures
timeout 150 $PY tools/gpu/make_fixtures.py --out /tmp/mlnetext-fixtures
echo "make_fixtures exit $?"
tar -C /tmp -czf "$OUT/fixtures.tar.gz" mlnetext-fixtures && du -h "$OUT/fixtures.tar.gz"

echo "== .NET runtime"
DOTNET_ROOT=/tmp/mlnetext-dotnet
mkdir -p "$DOTNET_ROOT"
tar -xJf .gpu/dotnet-runtime.tar.xz -C "$DOTNET_ROOT" \
  || $PY -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' .gpu/dotnet-runtime.tar.xz "$DOTNET_ROOT"
export DOTNET_ROOT DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
# PyTorch wheels keep the CUDA libraries in site-packages/nvidia/*/lib; libraries dlopen()ed by name (cuDNN's
# engines, nvrtc) are found through this path, as python's torch import would preload them.
NVIDIA_LIBS="$($PY -c 'import glob, os, sys
site = os.path.dirname(os.path.dirname(sys.argv[1]))
print(":".join(sorted(glob.glob(os.path.join(site, "nvidia", "*", "lib")) + glob.glob(os.path.join(site, "nvidia", "*", "*", "lib")))))' "$TORCH_LIB")"
export LD_LIBRARY_PATH="$TORCH_LIB${NVIDIA_LIBS:+:$NVIDIA_LIBS}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
"$DOTNET_ROOT/dotnet" --list-runtimes

echo "== probe"
# A missing libtorch symbol kills the process; the journal lets each rerun resume after the op that died.
for attempt in 1 2 3 4 5 6 7 8; do
  left=$((budget_s - SECONDS))
  [ "$left" -gt 20 ] || { echo "out of time budget"; break; }
  timeout "$((left < 240 ? left : 240))" "$DOTNET_ROOT/dotnet" .gpu/runner/GpuRunner.dll probe --out "$OUT" --torch-lib "$TORCH_LIB"
  rc=$?
  echo "probe attempt $attempt exit $rc"
  [ "$rc" -eq 0 ] && break
done
echo "== done in ${SECONDS}s"; ls -la "$OUT"
exec >&- 2>&-
wait "$tee_pid"   # let tee finish log.txt before the files are collected
