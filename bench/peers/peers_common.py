"""Shared pieces of the Python peers: paths, problems, tokenizer, the Countdown checker, the ORM and PRM in
onnxruntime, and the JSONL output every peer writes (one line per problem per repeat)."""
from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
COUNTDOWN = os.path.join(REPO, "onnx-models", "countdown")
POLICY = os.path.join(COUNTDOWN, "policy")
ORM = os.path.join(COUNTDOWN, "orm")
PRM = os.path.join(COUNTDOWN, "prm")  # the plain export: every call re-reads the whole text

sys.path.insert(0, COUNTDOWN)
import task  # noqa: E402  (stdlib only: the Python Countdown checker)

EOS = 0
PAD = 0
MAX_NEW_TOKENS = json.load(open(os.path.join(POLICY, "generation_config.json")))["max_new_tokens"]
N_POSITIONS = json.load(open(os.path.join(POLICY, "config.json")))["n_positions"]
STEP_MAX_TOKENS = 32  # Ponder's step boundary: StepBoundary.stopAt(32, "\n")
MAX_STEPS = 16  # Ponder's StepBeamSearch default
NEWLINE = 1  # token id of "\n"

TOK = Tokenizer.from_file(os.path.join(POLICY, "tokenizer.json"))


def encode(text):
    return TOK.encode(text, add_special_tokens=False).ids


def decode(ids):
    return TOK.decode(list(ids), skip_special_tokens=False)


def prompt_of(p):
    return task.prompt_text(p["numbers"], p["target"])


def load_problems(path, k):
    out = []
    with open(path) as f:
        for line in f:
            if line.strip():
                out.append(json.loads(line))
            if len(out) >= k:
                break
    return out


def check(p, text):
    return task.check(p["numbers"], p["target"], text)[0]


def session(path, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(os.path.join(path, "model.onnx"), so, providers=["CPUExecutionProvider"])


def _right_padded(seqs):
    L = max(len(s) for s in seqs)
    ids = np.zeros((len(seqs), L), dtype=np.int64)
    mask = np.zeros((len(seqs), L), dtype=np.int64)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = s
        mask[i, :len(s)] = 1
    return ids, mask


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class Orm:
    """Outcome reward: one batched call over prompt + solution (no EOS), right padded; sigmoid(logits[:,0])."""

    def __init__(self, threads):
        self.s = session(ORM, threads)
        self.calls = 0
        self.tokens = 0

    def score(self, texts):
        seqs = [encode(t) for t in texts]
        ids, mask = _right_padded(seqs)
        self.calls += 1
        self.tokens += int(ids.size)
        logits = self.s.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]
        return sigmoid(logits[:, 0].astype(np.float64)).tolist()


class Prm:
    """Process reward (plain export): one batched call over the whole texts; a text's score is the sigmoid of the
    logit at its last newline (the end of its last complete step; the prompt's newline when there is none), as
    Ponder's OnnxProcessReward reads it. Every call re-reads every text from the start (no PRM cache)."""

    def __init__(self, threads):
        self.s = session(PRM, threads)
        self.calls = 0
        self.tokens = 0

    def score(self, seqs):
        """seqs: token lists (prompt + generated, EOS removed)."""
        ids, mask = _right_padded(seqs)
        self.calls += 1
        self.tokens += int(ids.size)
        logits = self.s.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]
        out = []
        for i, s in enumerate(seqs):
            at = max(j for j, t in enumerate(s) if t == NEWLINE)
            out.append(float(sigmoid(float(logits[i, at, 0]))))
        return out


class Recorder:
    """Writes one JSON line per (repeat, problem): peer, algorithm, wall_ms, policy_tokens, ... ."""

    def __init__(self, path, peer, algorithm, n, m):
        self.f = open(path, "w") if path else None
        self.peer, self.algorithm, self.n, self.m = peer, algorithm, n, m
        self.rows = []

    def add(self, repeat, p, text, wall_s, policy_tokens, model_calls, verifier_calls=0, verifier_tokens=0,
            padding_tokens=0):
        if repeat < 0:
            return  # warm-up, not recorded
        row = {"peer": self.peer, "algorithm": self.algorithm, "n": self.n, "m": self.m, "repeat": repeat,
               "id": p["id"], "text": text, "correct": bool(check(p, text)),
               "wall_ms": round(wall_s * 1e3, 3), "policy_tokens": int(policy_tokens),
               "padding_tokens": int(padding_tokens), "model_calls": int(model_calls),
               "verifier_calls": int(verifier_calls), "verifier_tokens": int(verifier_tokens)}
        self.rows.append(row)
        if self.f:
            self.f.write(json.dumps(row) + "\n")
            self.f.flush()

    def summary(self):
        rs = self.rows
        reps = sorted({r["repeat"] for r in rs})
        per_rep = [np.mean([r["wall_ms"] for r in rs if r["repeat"] == k]) for k in reps]
        acc = np.mean([r["correct"] for r in rs if r["repeat"] == reps[-1]])
        tok = np.mean([r["policy_tokens"] for r in rs if r["repeat"] == reps[-1]])
        return (f"{self.peer} {self.algorithm} n={self.n}: ms/problem per repeat "
                + " ".join(f"{x:.1f}" for x in per_rep)
                + f" (median {np.median(per_rep):.1f}); policy tokens/problem {tok:.0f}; accuracy {acc:.3f}")


def timer():
    return time.perf_counter()


def common_args(ap):
    ap.add_argument("--problems", default=os.path.join(COUNTDOWN, "test.jsonl"))
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--m", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=0, help="problems run first and not recorded")
    ap.add_argument("--out", default=None)
    return ap


def schedule(problems, repeats, warmup):
    """(repeat, index, problem): the first `warmup` problems with repeat -1 (not recorded), then the repeats."""
    return ([(-1, i, p) for i, p in enumerate(problems[:warmup])]
            + [(r, i, p) for r in range(repeats) for i, p in enumerate(problems)])
