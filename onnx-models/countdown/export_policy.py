"""Exports the trained policy (work/countdown/policy_hf) to countdown/policy/ in optimum's decoder layout
with KV cache, plus config.json, generation_config.json and tokenizer.json, and checks the export against
transformers with onnxruntime (prefill with P=0 and greedy decode steps, left padding, 1e-4)."""
import os

import torch

import common
import make_data
import task
from transformers import GenerationConfig
from zoo import chartok, gpt2_onnx as gx

OUT = os.path.join(common.HERE, "policy")


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    model = common.load_policy()
    model.config.save_pretrained(OUT)
    GenerationConfig(eos_token_id=common.EOS_ID, pad_token_id=common.PAD_ID,
                     max_new_tokens=common.MAX_NEW_TOKENS).save_pretrained(OUT)
    chartok.save(os.path.join(OUT, "tokenizer.json"))
    path = os.path.join(OUT, "model.onnx")
    gx.export_lm_with_past(model, path)
    probs = make_data.load_split("test")[:6]
    seqs = [common.encode(task.prompt_text(p["numbers"], p["target"])) for p in probs]
    d = gx.verify_lm_with_past(model, path, seqs, common.PAD_ID, steps=8, tol=1e-4)
    print(f"policy export OK: max abs logit diff vs transformers {d:.2e}; {os.path.getsize(path) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
