"""Where HF `generate`'s best-of-16 time goes: generation and the ORM call timed apart, in wall time and in this
process's CPU time (time.process_time), on the same problems, seeds and settings as hf_generate.py --algorithm bon.
CPU time is the less load-sensitive figure on a shared machine: wall time also counts waiting for a core.

  bench/peers/.venv/bin/python bench/peers/bon_breakdown.py --k 10 --warmup 3 --repeats 3

Prints one line per repeat: mean ms/problem of generate (wall, cpu), ORM (wall, cpu) and their sum.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

import onnx_to_torch
import peers_common as pc


def main():
    ap = pc.common_args(argparse.ArgumentParser(description=__doc__))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model, _ = onnx_to_torch.load_policy(check=True)
    orm = pc.Orm(a.threads)
    problems = pc.load_problems(a.problems, a.k)
    per = {}
    for r, i, p in pc.schedule(problems, a.repeats, a.warmup):
        prompt_text = pc.prompt_of(p)
        ids = torch.tensor([pc.encode(prompt_text)], dtype=torch.long)
        P = ids.shape[1]
        torch.manual_seed(a.seed * 1_000_003 + i)
        w0, c0 = time.perf_counter(), time.process_time()
        with torch.inference_mode():
            out = model.generate(ids, max_new_tokens=pc.MAX_NEW_TOKENS, eos_token_id=pc.EOS, pad_token_id=pc.PAD,
                                 attention_mask=torch.ones_like(ids), do_sample=True, temperature=1.0, top_k=0,
                                 top_p=1.0, num_return_sequences=a.n)
        gen = out[:, P:].tolist()
        texts = [pc.decode(g[:g.index(pc.EOS)]) if pc.EOS in g else pc.decode(g) for g in gen]
        w1, c1 = time.perf_counter(), time.process_time()
        orm.score([prompt_text + t for t in texts])
        w2, c2 = time.perf_counter(), time.process_time()
        if r >= 0:
            per.setdefault(r, []).append(((w1 - w0) * 1e3, (c1 - c0) * 1e3, (w2 - w1) * 1e3, (c2 - c1) * 1e3))
    for r, rows in sorted(per.items()):
        gw, gc, ow, oc = (statistics.mean(x[j] for x in rows) for j in range(4))
        print(f"repeat {r}: generate wall {gw:.1f} cpu {gc:.1f} | orm wall {ow:.1f} cpu {oc:.1f} | "
              f"sum wall {gw + ow:.1f} cpu {gc + oc:.1f} (ms/problem, {len(rows)} problems)", flush=True)


if __name__ == "__main__":
    main()
