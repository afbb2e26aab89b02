"""Peer 1: Hugging Face transformers `generate` in PyTorch (CPU, eager PyTorch, KV cache on), on the same policy.

The policy's PyTorch checkpoint is not committed (onnx-models/work/ is git-ignored), so the model is rebuilt:
`GPT2LMHeadModel(GPT2Config.from_pretrained(onnx-models/countdown/policy))` with every parameter copied back
from the ONNX initializers (`onnx_to_torch.py`), checked against onnxruntime at load (max |logit diff| <= 1e-4).

Algorithms:
  greedy  generate(do_sample=False)
  bon     generate(do_sample=True, temperature=1, top_k=0, top_p=1, num_return_sequences=N) - one batched call for
          the N samples - then the ORM (onnxruntime; the ORM has no PyTorch weights here either) scores the N
          texts in one batched call
  beam    generate(num_beams=N) (token-level beam; transformers' defaults length_penalty=1, early_stopping=False)
Tokens processed = what the model ran over: rows x prompt (prefill) + rows x (generated length - 1) decode
tokens. Rows that finished early keep being computed (as padding) until the longest row ends, and so count.
"""
from __future__ import annotations

import argparse

import numpy as np
import torch

import onnx_to_torch
import peers_common as pc


def run(model, p, a, orm, i, repeat):
    prompt_text = pc.prompt_of(p)
    ids = torch.tensor([pc.encode(prompt_text)], dtype=torch.long)
    P = ids.shape[1]
    kw = dict(max_new_tokens=pc.MAX_NEW_TOKENS, eos_token_id=pc.EOS, pad_token_id=pc.PAD,
              attention_mask=torch.ones_like(ids))
    if a.algorithm == "greedy":
        kw.update(do_sample=False, num_beams=1)
        rows = 1
    elif a.algorithm == "bon":
        kw.update(do_sample=True, temperature=1.0, top_k=0, top_p=1.0, num_return_sequences=a.n)
        rows = a.n
    else:  # beam
        kw.update(do_sample=False, num_beams=a.n, num_return_sequences=1)
        rows = a.n
    torch.manual_seed(a.seed * 1_000_003 + i)
    with torch.inference_mode():
        out = model.generate(ids, **kw)
    gen = out[:, P:].tolist()
    T = len(gen[0])
    texts = [pc.decode([t for t in g if t != pc.EOS]) if pc.EOS not in g else pc.decode(g[:g.index(pc.EOS)])
             for g in gen]
    vcalls = vtokens = 0
    if a.algorithm == "bon":
        c0, t0 = orm.calls, orm.tokens
        scores = orm.score([prompt_text + t for t in texts])
        vcalls, vtokens = orm.calls - c0, orm.tokens - t0
        best = texts[int(np.argmax(scores))]
    else:
        best = texts[0]
    real = sum(P + min(len(g) if pc.EOS not in g else g.index(pc.EOS) + 1, T) - 1 for g in gen) if T else 0
    tokens = rows * P + rows * max(T - 1, 0)
    return best, tokens, T, vcalls, vtokens, tokens - real


def main():
    ap = pc.common_args(argparse.ArgumentParser(description=__doc__))
    ap.add_argument("--algorithm", required=True, choices=["greedy", "bon", "beam"])
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model, diff = onnx_to_torch.load_policy(check=True)
    print(f"hf: policy rebuilt from ONNX initializers; max |logit diff| vs onnxruntime {diff:.2e}", flush=True)
    orm = pc.Orm(a.threads) if a.algorithm == "bon" else None
    problems = pc.load_problems(a.problems, a.k)
    rec = pc.Recorder(a.out, "hf-generate", a.algorithm, a.n, a.m)
    for r, i, p in pc.schedule(problems, a.repeats, a.warmup):
        start = pc.timer()
        best, tokens, T, vcalls, vtokens, padding = run(model, p, a, orm, i, r)
        wall = pc.timer() - start
        rec.add(r, p, best, wall, tokens, T, vcalls, vtokens, padding)
    print(rec.summary(), flush=True)


if __name__ == "__main__":
    main()
