"""Lists the libtorch symbols libLibTorchSharp.so needs that a given torch/lib does not export.

TorchSharp's native library was built against one libtorch; a different one (a PyTorch install) may lack a symbol
when an operator's C++ signature changed. The dynamic loader binds functions lazily, so such a gap only shows when
the op is first called, and then it kills the process. This check names them all up front.

usage: python3 check_symbols.py <undefined-symbols.txt> <torch/lib>
The symbol list is made by build-bundle.sh with `nm -D --undefined-only` ("mangled<TAB>demangled" per line).
"""
import ctypes
import os
import sys

LIBRARIES = ["libc10.so", "libtorch_cpu.so", "libc10_cuda.so", "libtorch_cuda.so", "libtorch.so"]


def main(symbol_file: str, torch_lib: str) -> int:
    for name in LIBRARIES:
        path = os.path.join(torch_lib, name)
        if not os.path.exists(path):
            print(f"absent: {name}")
            continue
        try:
            ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        except OSError as error:
            print(f"could not load {name}: {error}")
    everything = ctypes.CDLL(None)  # dlsym over the global scope: the process and every RTLD_GLOBAL library

    missing, total = [], 0
    with open(symbol_file, encoding="utf-8") as lines:
        for line in lines:
            mangled, _, demangled = line.rstrip("\n").partition("\t")
            total += 1
            try:
                getattr(everything, mangled)
            except AttributeError:
                missing.append(demangled or mangled)
    print(f"{len(missing)} of {total} symbols needed by libLibTorchSharp.so are missing from {torch_lib}")
    for name in missing:
        print(f"MISSING {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
