#!/usr/bin/env bash
# Builds .gpu/: what a borrowed GPU machine (PyTorch, no .NET, no network) needs to run GpuRunner. See docs/GPU.md.
#   .gpu/dotnet-runtime.tar.xz   this host's dotnet muxer + hostfxr + Microsoft.NETCore.App shared runtime
#   .gpu/runner.tar.xz           framework-dependent publish of tools/gpu/GpuRunner and the src projects it runs
#                                (managed TorchSharp and its libLibTorchSharp.so only: libtorch comes from the GPU
#                                machine's PyTorch)
#   .gpu/libtorchsharp-undefined-symbols.txt   what libLibTorchSharp.so needs, for check_symbols.py
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
out="$repo/.gpu"
rm -rf "$out" && mkdir -p "$out"

dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
version="$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { v = $2 } END { print v }')"
[ -n "$version" ] || { echo "no Microsoft.NETCore.App runtime found" >&2; exit 1; }
echo "packing .NET runtime $version from $dotnet_root"
tar -C "$dotnet_root" -cf - dotnet "host/fxr/$version" "shared/Microsoft.NETCore.App/$version" \
  | xz -T0 -6 > "$out/dotnet-runtime.tar.xz"

runner="$(mktemp -d)"
trap 'rm -rf "$runner"' EXIT
dotnet publish "$repo/tools/gpu/GpuRunner/GpuRunner.csproj" -c Release -o "$runner" --nologo -v quiet
if find "$runner" -name 'libtorch*.so' -o -name 'libc10*.so' | grep -q .; then
  echo "runner publish carries libtorch natives; it must reference managed TorchSharp only" >&2; exit 1
fi
[ -f "$runner/libLibTorchSharp.so" ] || { echo "runner publish lacks libLibTorchSharp.so" >&2; exit 1; }
find "$runner" -name '*.dbg' -delete   # native debug symbols of ML.NET's libraries: megabytes, never used there
tar -C "$runner" -cf - . | xz -T0 -6 > "$out/runner.tar.xz"

# The libtorch symbols TorchSharp needs, for check_symbols.py on the GPU machine (no binutils there, maybe).
nm -D --undefined-only "$runner/libLibTorchSharp.so" | awk '$1 == "U" { sub(/@.*/, "", $2); print $2 }' | sort -u \
  > "$out/symbols.mangled"
c++filt < "$out/symbols.mangled" | paste "$out/symbols.mangled" - > "$out/libtorchsharp-undefined-symbols.txt"
rm "$out/symbols.mangled"

du -sh "$out/dotnet-runtime.tar.xz" "$out/runner.tar.xz"
echo "bundle total: $(du -sm "$out" | cut -f1) MiB (carry limit 64 MiB)"
