"""Exports the trained Llama countdown policy (work/countdown/policy_llama_hf, from train_llama_policy.py) the way
llama-tiny/build.py exports its random Llama, into countdown/policy-llama/:

  genai-fp32/   onnxruntime-genai's model builder, -p fp32 -e cpu (GroupQueryAttention, genai_config.json)
  genai-int4/   the same builder, -p int4 -e cpu (MatMulNBits weights, block 32)
  optimum/      optimum's past -> present concat layout (zoo/llama_onnx.py), with config.json

checks them against transformers (optimum: logits through a left-padded prefill and greedy steps; genai:
onnxruntime-genai's own greedy generator), and writes policy-llama/golden.json: transformers `generate` greedy
and 4-beam ids for the first 6 test prompts, max_new_tokens 72 (whole solutions). Also prints the transformers
greedy accuracy on the 500 test problems (a cross-check for Ponder's eval).

    .venv-genai/bin/python countdown/export_llama_policy.py       (run from onnx-models/)
"""
import importlib.util
import json
import os
import sys

import torch

import common
import make_data
import task
from train_llama_policy import OUT as HF_DIR
from train_policy import greedy_accuracy
from transformers import LlamaForCausalLM

DEST = os.path.join(common.HERE, "policy-llama")


def load_build():
    spec = importlib.util.spec_from_file_location("llama_tiny_build", os.path.join(common.ROOT, "llama-tiny", "build.py"))
    b = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(b)
    b.HF_DIR = HF_DIR
    b.WORK = os.path.join(common.WORK, "policy_llama_build")
    b.HERE = DEST  # goldens() writes HERE/golden.json
    b.MAX_NEW = common.MAX_NEW_TOKENS
    os.makedirs(b.WORK, exist_ok=True)
    return b


def main():
    torch.set_num_threads(1)
    b = load_build()
    os.makedirs(DEST, exist_ok=True)
    model = LlamaForCausalLM.from_pretrained(HF_DIR, attn_implementation="eager").eval()
    items, tok = b.prompts()
    seqs = [tok.encode(t, add_special_tokens=False).ids for _, t in items]
    b.export_optimum(model, os.path.join(DEST, "optimum"))
    d = b.check_optimum(model, os.path.join(DEST, "optimum", "model.onnx"), seqs, 1e-4)
    print(f"optimum export vs transformers: max abs logit diff {d:.2e}", flush=True)
    b.run_builder("fp32", os.path.join(DEST, "genai-fp32"))
    b.run_builder("int4", os.path.join(DEST, "genai-int4"))
    print("genai fp32 greedy == transformers:", b.check_genai(model, os.path.join(DEST, "genai-fp32"), seqs, 1.0),
          "of", len(seqs), flush=True)
    print("genai int4 greedy == transformers:", b.check_genai(model, os.path.join(DEST, "genai-int4"), seqs, 0.0),
          "of", len(seqs), flush=True)
    g = b.goldens(model, items, tok)
    g["description"] = g["description"].replace(
        "llama-tiny (random weights, eager attention)",
        "countdown/policy-llama (trained by train_llama_policy.py, eager attention)")
    with open(os.path.join(DEST, "golden.json"), "w") as f:
        json.dump(g, f, indent=1)
    print("goldens:", len(g["results"]), "prompts; smallest greedy margin",
          min(r["greedy_min_margin"] for r in g["results"]), flush=True)
    if "--no-accuracy" not in sys.argv:
        test = make_data.load_split("test")
        print(f"transformers greedy accuracy on {len(test)} test problems: {greedy_accuracy(model, test):.3f}")


if __name__ == "__main__":
    main()
