#!/usr/bin/env python3
"""Checks that llama.cpp serving the converted GGUF computes the same next-token distribution as onnxruntime on
the ONNX policy, and tokenizes prompts the same way as the policy's tokenizer.

Usage: check_logits.py URL MODEL_DIR TEST_JSONL PROBLEMS [TOL]
For each of the first PROBLEMS test problems it takes the prompt plus a greedy solution (decoded by onnxruntime),
and at every position of that sequence compares llama.cpp's log-probabilities of all 30 tokens (/v1/completions
with the prefix as token ids, max_tokens 1, logprobs 30) with log_softmax of onnxruntime's logits. It prints the
largest absolute difference and fails (exit 1) when it exceeds TOL (default 5e-2: llama.cpp's CPU GELU reads a
float16 table, which moves logits by about 1e-2 on this model; see remote/RESULTS.md).
"""
import json
import sys
import urllib.request
from pathlib import Path

import numpy as np
import onnxruntime as ort


def post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def main(url, model_dir, test_jsonl, problems, tol):
    cfg = json.loads((model_dir / "config.json").read_text())
    tok = json.loads((model_dir / "tokenizer.json").read_text())
    vocab = dict(tok["model"]["vocab"])
    for a in tok["added_tokens"]:
        vocab[a["content"]] = a["id"]
    sess = ort.InferenceSession(str(model_dir / "model.onnx"), providers=["CPUExecutionProvider"])
    heads, head_dim = cfg["n_head"], cfg["n_embd"] // cfg["n_head"]
    names = [i.name for i in sess.get_inputs()]

    def logits(ids):
        feed = {"input_ids": np.array([ids], dtype=np.int64),
                "attention_mask": np.ones((1, len(ids)), dtype=np.int64),
                "position_ids": np.arange(len(ids), dtype=np.int64)[None, :]}
        for n in names:
            if n.startswith("past_key_values"):
                feed[n] = np.zeros((1, heads, 0, head_dim), dtype=np.float32)
        return sess.run(["logits"], feed)[0][0]

    def log_softmax(x):
        x = x - x.max()
        return x - np.log(np.exp(x).sum())

    worst = 0.0
    worst_p = 0.0
    worst_likely = 0.0
    positions = 0
    argmax_agree = 0
    lines = Path(test_jsonl).read_text().splitlines()[:problems]
    for line in lines:
        p = json.loads(line)
        prompt = "numbers: " + " ".join(str(n) for n in sorted(p["numbers"])) + f" target: {p['target']}\n"
        ids = [vocab[c] for c in prompt]
        served = post(url + "/tokenize", {"content": prompt, "add_special": False})["tokens"]
        if served != ids:
            sys.exit(f"llama.cpp tokenizes {prompt!r} as {served}, the policy's tokenizer as {ids}")
        seq = list(ids)
        while len(seq) < len(ids) + 72:  # greedy solution by onnxruntime
            nxt = int(np.argmax(logits(seq)[-1]))
            seq.append(nxt)
            if nxt == cfg["eos_token_id"]:
                break
        ref = logits(seq)
        for t in range(len(ids), len(seq)):
            want = log_softmax(ref[t - 1])
            ans = post(url + "/v1/completions", {"model": "countdown", "prompt": seq[:t], "max_tokens": 1,
                                                  "temperature": 0, "logprobs": len(want), "top_k": 0, "min_p": 0})
            top = ans["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
            got = np.full(len(want), np.nan)
            for e in top:
                got[e["id"]] = e["logprob"]
            if np.isnan(got).any():
                sys.exit(f"llama.cpp reported {len(top)} of {len(want)} log-probabilities at position {t}")
            worst = max(worst, float(np.abs(got - want).max()))
            worst_p = max(worst_p, float(np.abs(np.exp(got) - np.exp(want)).max()))
            likely = want > -10
            worst_likely = max(worst_likely, float(np.abs(got - want)[likely].max()))
            argmax_agree += int(np.argmax(got) == np.argmax(want))
            positions += 1
    print(f"{positions} positions over {len(lines)} problems: max |logprob llama.cpp - onnxruntime| = {worst:.2e} "
          f"(over tokens with logprob > -10: {worst_likely:.2e}); max |p llama.cpp - p onnxruntime| = {worst_p:.2e}; "
          f"argmax agrees at {argmax_agree}/{positions}")
    if worst > tol:
        sys.exit(f"difference {worst:.2e} exceeds tolerance {tol:.0e}")


if __name__ == "__main__":
    if len(sys.argv) not in (5, 6):
        sys.exit("usage: check_logits.py URL MODEL_DIR TEST_JSONL PROBLEMS [TOL]")
    main(sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5]) if len(sys.argv) == 6 else 5e-2)
