"""Peer 2: onnxruntime's Python API in a plain loop, the way its_hub / search-and-learn drive a model behind an
inference server: no KV cache, one call per hypothesis per token, the whole prefix re-sent every call.

Algorithms (same configuration as Ponder's `eval --task countdown`, see EvalCommand.java):
  greedy     argmax until EOS or max_new_tokens (72)
  bon        N samples at temperature 1 (no top-k / top-p), each to EOS or 72 tokens; the ORM scores the N
             texts in one batched call; the best is returned
  step-beam  N live; a step = tokens up to and including a newline (at most 32 tokens, 72 in all); the PRM
             (plain export, whole texts, one batched call per step) scores each; finished ones (EOS or 72
             tokens) leave the beam; the best N/M open ones are kept and each copied M times; stops when N have
             finished, none is live or after 16 steps; finished ranked first by their last PRM score
Tokens processed = the sum of the prefix lengths fed to the policy (what onnxruntime actually computes).

The policy export has past_key_values inputs; this loop feeds them with zero length every call (P = 0), so
each call is a full prefill of the prefix. The present.* outputs are computed and thrown away, as a server
without a prefix cache does.
"""
from __future__ import annotations

import argparse

import numpy as np

import peers_common as pc


class NoCachePolicy:
    def __init__(self, threads):
        self.s = pc.session(pc.POLICY, threads)
        ins = {i.name: i for i in self.s.get_inputs()}
        self.past_names = [n for n in ins if n.startswith("past_key_values")]
        shp = ins[self.past_names[0]].shape  # [B, heads, P, head_dim]
        self.empty = np.zeros((1, int(shp[1]), 0, int(shp[3])), dtype=np.float32)
        self.calls = 0
        self.tokens = 0

    def next_logits(self, prefix):
        L = len(prefix)
        feed = {"input_ids": np.asarray([prefix], dtype=np.int64),
                "attention_mask": np.ones((1, L), dtype=np.int64),
                "position_ids": np.arange(L, dtype=np.int64)[None, :]}
        for n in self.past_names:
            feed[n] = self.empty
        self.calls += 1
        self.tokens += L
        logits = self.s.run(["logits"], feed)[0]
        return logits[0, -1].astype(np.float64)


def sample(logits, rng):
    z = logits - logits.max()
    p = np.exp(z)
    p /= p.sum()
    return int(rng.choice(len(p), p=p))


def generate(policy, prompt_ids, rng, greedy, budget_left, stop_at_newline=False, step_max=None):
    """Extends prompt_ids token by token; returns (new ids, ended_with_eos)."""
    out = []
    while len(out) < budget_left and (step_max is None or len(out) < step_max):
        logits = policy.next_logits(prompt_ids + out)
        t = int(np.argmax(logits)) if greedy else sample(logits, rng)
        out.append(t)
        if t == pc.EOS:
            return out, True
        if stop_at_newline and t == pc.NEWLINE:
            break
    return out, False


def text_of(ids):
    return pc.decode([t for t in ids if t != pc.EOS])


def run_greedy(policy, p, rng, **_):
    prompt = pc.encode(pc.prompt_of(p))
    gen, _ = generate(policy, prompt, rng, True, pc.MAX_NEW_TOKENS)
    return text_of(gen)


def run_bon(policy, p, rng, n, orm, **_):
    prompt_text = pc.prompt_of(p)
    prompt = pc.encode(prompt_text)
    texts = [text_of(generate(policy, prompt, rng, False, pc.MAX_NEW_TOKENS)[0]) for _ in range(n)]
    scores = orm.score([prompt_text + t for t in texts])
    return texts[int(np.argmax(scores))]


def run_step_beam(policy, p, rng, n, m, prm, **_):
    prompt = pc.encode(pc.prompt_of(p))
    live = [[] for _ in range(n)]  # generated ids per hypothesis
    finished = []  # (score, ids)
    last = []
    for _ in range(pc.MAX_STEPS):
        if not live or len(finished) >= n:
            break
        done = []
        for h in live:  # one call per hypothesis per token
            step, eos = generate(policy, prompt + h, rng, False, pc.MAX_NEW_TOKENS - len(h),
                                 stop_at_newline=True, step_max=pc.STEP_MAX_TOKENS)
            h.extend(step)
            done.append(eos or len(h) >= pc.MAX_NEW_TOKENS)
        scores = prm.score([prompt + [t for t in h if t != pc.EOS] for h in live])
        open_ = []
        for h, s, d in zip(live, scores, done):
            (finished if d else open_).append((s, h))
        open_.sort(key=lambda x: -x[0])
        keep = open_[:max(1, n // m)]
        live = [list(h) for _, h in keep for _ in range(m)]
        last = [(s, h) for s, h in keep]
    finished.sort(key=lambda x: -x[0])
    ranked = finished + (last if live else [])
    return text_of(ranked[0][1]) if ranked else ""


ALGS = {"greedy": run_greedy, "bon": run_bon, "step-beam": run_step_beam}


def main():
    ap = pc.common_args(argparse.ArgumentParser(description=__doc__))
    ap.add_argument("--algorithm", required=True, choices=sorted(ALGS))
    a = ap.parse_args()
    policy = NoCachePolicy(a.threads)
    orm = pc.Orm(a.threads) if a.algorithm == "bon" else None
    prm = pc.Prm(a.threads) if a.algorithm == "step-beam" else None
    problems = pc.load_problems(a.problems, a.k)
    rec = pc.Recorder(a.out, "ort-loop", a.algorithm, a.n, a.m)
    for r, i, p in pc.schedule(problems, a.repeats, a.warmup):
        rng = np.random.default_rng([a.seed, i])
        c0, t0 = policy.calls, policy.tokens
        v = orm or prm
        vc0, vt0 = (v.calls, v.tokens) if v else (0, 0)
        start = pc.timer()
        text = ALGS[a.algorithm](policy, p, rng, n=a.n, m=a.m, orm=orm, prm=prm)
        wall = pc.timer() - start
        rec.add(r, p, text, wall, policy.tokens - t0, policy.calls - c0,
                (v.calls - vc0) if v else 0, (v.tokens - vt0) if v else 0)
    print(rec.summary(), flush=True)


if __name__ == "__main__":
    main()
