"""Decodes GGML blocks with llama.cpp's own Python package (gguf-py).

usage: ggml_dequantize.py GGUF_PY_DIR TYPE BLOCKS.bin OUT.npy

GGUF_PY_DIR holds gguf-py's constants.py, lazy.py and quants.py (taken from
the llama.cpp bundle by scripts/fetch-models.sh); TYPE is a GGML type name
such as Q4_K. Writes the decoded float32 values as a 1-D .npy file. Only
those three modules are loaded, as a package of their own, so nothing else
of gguf-py (or its dependencies beyond numpy) is needed.
"""
import importlib.util
import sys
import types

import numpy as np


def load_package(directory):
    package = types.ModuleType("gguf")
    package.__path__ = [directory]
    sys.modules["gguf"] = package
    for name in ("constants", "lazy", "quants"):
        spec = importlib.util.spec_from_file_location(f"gguf.{name}", f"{directory}/{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[f"gguf.{name}"] = module
        spec.loader.exec_module(module)
        setattr(package, name, module)
    return package


def main():
    directory, type_name, blocks_path, out_path = sys.argv[1:5]
    gguf = load_package(directory)
    qtype = gguf.constants.GGMLQuantizationType[type_name]
    raw = np.fromfile(blocks_path, dtype=np.uint8)
    values = gguf.quants.dequantize(raw, qtype)
    np.save(out_path, np.asarray(values, dtype=np.float32).reshape(-1))


if __name__ == "__main__":
    main()
