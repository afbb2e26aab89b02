#!/usr/bin/env python3
"""Offline study of the target swap (issue 17; TargetSwapCheck, `eval --verifier orm+logprob+swap`).

For every sample of a SampleTable file (see bench/README.md, "Selection rules over 64 samples"), re-reads the text
with the policy (onnxruntime, one full forward pass) under the problem's prompt with the target replaced by
target + OFFSET, for each OFFSET given, and takes the summed log-probability of the last equation's result
characters. Then prints, per offset, the AUROC of that score alone and of orm+logprob+swap against the checker's
verdicts, and the accuracy of best-of-N ranked by orm+logprob+swap (N = 4 / 16 / 64; first N samples, as eval).
No rule reads a verdict to rank. Choose the offset on the validation table, then read the test table.

    onnx-models/.venv/bin/python bench/countdown/target_swap.py TABLE64.jsonl PROBLEMS.jsonl 1 -1 10 20 100
"""
import json
import math
import os
import re
import sys

import numpy as np
import onnxruntime as ort
from sklearn.metrics import roc_auc_score

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
POLICY = os.path.join(ROOT, "onnx-models", "countdown", "policy")
STEP = re.compile(r"^\d+ \S \d+ = (-?\d+)$")


def vocab():
    with open(os.path.join(POLICY, "tokenizer.json")) as f:
        return json.load(f)["model"]["vocab"]


def prompt_text(numbers, target):
    return "numbers: " + " ".join(str(n) for n in sorted(numbers)) + f" target: {target}\n"


def last_result_span(text):
    """(start, end) character offsets of the last equation's result in the text, or None."""
    off, span = 0, None
    for line in text.split("\n"):
        m = STEP.match(line)
        if m:
            span = (off + m.start(1), off + m.end(1))
        off += len(line) + 1
    return span


class Policy:
    def __init__(self):
        self.sess = ort.InferenceSession(os.path.join(POLICY, "model.onnx"), providers=["CPUExecutionProvider"])
        self.tok = vocab()
        self.past = [(i.name, i.shape) for i in self.sess.get_inputs() if i.name.startswith("past")]
        with open(os.path.join(POLICY, "config.json")) as f:
            cfg = json.load(f)
        self.heads, self.head_dim = cfg["n_head"], cfg["n_embd"] // cfg["n_head"]

    def log_softmax(self, seqs):
        b, t = len(seqs), max(len(s) for s in seqs)
        ids = np.zeros((b, t), np.int64)
        mask = np.zeros((b, t), np.int64)
        for i, s in enumerate(seqs):
            ids[i, :len(s)] = s
            mask[i, :len(s)] = 1
        feed = {"input_ids": ids, "attention_mask": mask,
                "position_ids": np.tile(np.arange(t), (b, 1)).astype(np.int64)}
        for name, _ in self.past:
            feed[name] = np.zeros((b, self.heads, 0, self.head_dim), np.float32)
        lg = self.sess.run(["logits"], feed)[0].astype(np.float64)
        lg -= lg.max(-1, keepdims=True)
        return lg - np.log(np.exp(lg).sum(-1, keepdims=True))

    def result_logprob(self, prompt, text, span):
        """Summed log-probability of text[span] after prompt + text[:span start]."""
        seq = [self.tok[c] for c in prompt + text[:span[1]]]
        lp = self.log_softmax([seq])[0]
        first = len(prompt) + span[0]
        return float(sum(lp[p - 1, seq[p]] for p in range(first, len(prompt) + span[1])))


def main():
    table, problems_path, offsets = sys.argv[1], sys.argv[2], [int(x) for x in sys.argv[3:]]
    problems = {}
    with open(problems_path) as f:
        for line in f:
            p = json.loads(line)
            problems[p["id"]] = p
    policy = Policy()
    y, base, swaps, owner = [], [], {o: [] for o in offsets}, []
    with open(table) as f:
        for line in f:
            r = json.loads(line)
            p = problems[r["id"]]
            for s in r["samples"]:
                y.append(s["correct"])
                base.append(math.log(max(1e-300, sum(s["orms"]) / len(s["orms"]))) + s["logprob"])
                owner.append(r["id"])
                span = last_result_span(s["text"])
                for o in offsets:
                    swaps[o].append(-100.0 if span is None
                                    else policy.result_logprob(prompt_text(p["numbers"], p["target"] + o),
                                                               s["text"], span))
    y, base = np.array(y), np.array(base)
    by = {}
    for i, pid in enumerate(owner):
        by.setdefault(pid, []).append(i)

    def accuracy(score, n):
        return float(np.mean([y[max(idx[:n], key=lambda i: score[i])] for idx in by.values()]))

    print(f"orm+logprob: AUROC {roc_auc_score(y, base):.3f}; best-of-4/16/64 "
          + " / ".join(f"{accuracy(base, n):.3f}" for n in (4, 16, 64)))
    for o in offsets:
        sw = np.array(swaps[o])
        both = base + sw
        print(f"offset {o:+d}: swap alone AUROC {roc_auc_score(y, sw):.3f}; orm+logprob+swap AUROC "
              f"{roc_auc_score(y, both):.3f}; best-of-4/16/64 " + " / ".join(f"{accuracy(both, n):.3f}"
                                                                          for n in (4, 16, 64)))


if __name__ == "__main__":
    main()
