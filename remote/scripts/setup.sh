#!/usr/bin/env bash
# Installs what the real-engine measurements need, under ignored folders of remote/ (not CI):
#   remote/.venv-tools      onnx, onnxruntime, numpy, gguf (converter, logits check), its-hub and tokenizers
#                           (bench/remote side-by-side)
#   remote/.build/llama.cpp llama.cpp's llama-server, built from the llama.cpp source vendored in PyPI's
#                           llama-cpp-python 0.3.36 sdist (about 35 min on 2 shared cores)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
remote="$(cd "$here/.." && pwd)"
if [ ! -x "$remote/.venv-tools/bin/python" ]; then
  python3 -m venv "$remote/.venv-tools"
fi
"$remote/.venv-tools/bin/pip" install -q onnx==1.19.1 onnxruntime==1.23.2 numpy==2.2.6 gguf==0.19.0 its-hub==1.2.0 \
  tokenizers==0.22.1
src="$remote/.build/llama.cpp"
if [ ! -f "$src/CMakeLists.txt" ]; then
  mkdir -p "$remote/.build"
  "$remote/.venv-tools/bin/pip" download -q --no-deps --no-binary :all: llama-cpp-python==0.3.36 -d "$remote/.build"
  tar -xzf "$remote/.build/llama_cpp_python-0.3.36.tar.gz" -C "$remote/.build"
  mv "$remote/.build/llama_cpp_python-0.3.36/vendor/llama.cpp" "$src"
  rm -rf "$remote/.build/llama_cpp_python-0.3.36"
fi
if [ ! -x "$src/build/bin/llama-server" ]; then
  cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DGGML_NATIVE=ON \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF > /dev/null
  nice cmake --build "$src/build" --target llama-server -j"${JOBS:-2}"
fi
echo "ready: $src/build/bin/llama-server"
