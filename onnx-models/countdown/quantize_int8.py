"""Writes countdown/policy-int8/: the Countdown policy with int8 weights (ONNX Runtime's dynamic quantization:
MatMul weights stored as int8 with per-tensor scales, activations quantized at run time), plus the policy's
config, generation config and tokenizer. Needs only onnxruntime (requirements.txt); no checkpoint.

    python countdown/quantize_int8.py        # from onnx-models/, about 5 s
"""
import os
import shutil

from onnxruntime.quantization import QuantType, quantize_dynamic

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "policy")
DST = os.path.join(HERE, "policy-int8")

os.makedirs(DST, exist_ok=True)
quantize_dynamic(os.path.join(SRC, "model.onnx"), os.path.join(DST, "model.onnx"), weight_type=QuantType.QInt8)
for name in ("config.json", "generation_config.json", "tokenizer.json"):
    shutil.copy(os.path.join(SRC, name), os.path.join(DST, name))
print(f"policy-int8: {os.path.getsize(os.path.join(DST, 'model.onnx')) / 1e6:.2f} MB "
      f"(fp32 {os.path.getsize(os.path.join(SRC, 'model.onnx')) / 1e6:.2f} MB)")
