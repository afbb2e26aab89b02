"""Peer 3: its-hub's own algorithms (PyPI `its-hub`, core install: only numpy) driving the same ONNX policy and
reward models through a small local adapter - no server, no network.

its-hub's interfaces (its_hub/api/lm.py, api/reward_models/{orm,prm}.py):
  AbstractLanguageModel.agenerate(messages | [messages], stop=...) and agenerate_single(messages, stop=...,
      max_completion_tokens=..., temperature=..., include_stop_str_in_output=...) -> {"role": "assistant", "content"}
  AbstractOutcomeRewardModel.ascore(conversations, orchestrator=...) -> [float]   (BestOfN)
  AbstractProcessRewardModel.ascore(prompt, responses) -> [float]                  (BeamSearch, ParticleFiltering)
The adapter's LM is the no-KV-cache onnxruntime loop of ort_loop.py (what an OpenAI-compatible server without a
prefix cache does: every request re-sends the prompt and the steps so far); the ORM and PRM are the same
onnxruntime sessions the other peers use.

Algorithms and their its-hub configuration (budgets as Ponder's):
  bon         BestOfN(orm).infer(lm, prompt, budget=N): N requests through its LMOrchestrator (asyncio tasks,
              max_concurrency 32), dedup, one ORM call
  step-beam   BeamSearch(StepGeneration(step_token="\\n", stop_token="answer:", max_steps=16, temperature=1),
              prm, beam_width=N/M).infer(lm, prompt, budget=N): keeps N/M, copies each M times. Unlike Ponder,
              the first level has only M hypotheses (budget // beam_width) and stopped hypotheses stay in the
              beam (and are copied) until all have stopped
  smc         ParticleFiltering(sg, prm) with budget N particles (multinomial resampling of softmax(logit(PRM))
              every step) - compared with Ponder's `smc` (systematic resampling, difference potential, lambda
              10): the same budget, not the same weighting
The adapter maps a chat to text as prompt (user content) + steps so far (assistant content); the PRM adapter
reads the logit at the end of the response's last complete step, as Ponder does (StepGeneration strips the
step's newline, so it is put back before reading).
"""
from __future__ import annotations

import argparse
import random

import numpy as np
from its_hub.api import AbstractLanguageModel, AbstractOutcomeRewardModel, AbstractProcessRewardModel
from its_hub.core.algorithms.beam_search import BeamSearch
from its_hub.core.algorithms.bon import BestOfN
from its_hub.core.algorithms.particle_gibbs import ParticleFiltering
from its_hub.core.lms.step_generation import StepGeneration

import ort_loop
import peers_common as pc


def _text(msg):
    c = msg.content if hasattr(msg, "content") else msg.get("content")
    return c or ""


class OnnxPolicyLM(AbstractLanguageModel):
    """The Countdown policy as an its-hub language model: generation by the no-cache onnxruntime loop."""

    def __init__(self, policy: ort_loop.NoCachePolicy):
        self.policy = policy
        self.rng = np.random.default_rng(0)
        self.requests = 0

    def _one(self, messages, stop=None, max_completion_tokens=None, temperature=None,
             include_stop_str_in_output=False, **_):
        self.requests += 1
        prompt = "".join(_text(m) for m in messages)  # user: the problem line; assistant: the steps so far
        ids = pc.encode(prompt)
        so_far = len(ids) - len(pc.encode(_text(messages[0])))
        left = pc.MAX_NEW_TOKENS - so_far
        if max_completion_tokens is not None:
            left = min(left, max_completion_tokens)
        at_newline = stop == "\n"
        greedy = temperature == 0
        out = []
        while len(out) < left and (not at_newline or len(out) < pc.STEP_MAX_TOKENS):
            logits = self.policy.next_logits(ids + out)
            if temperature not in (None, 0, 1.0):
                logits = logits / temperature
            t = int(np.argmax(logits)) if greedy else ort_loop.sample(logits, self.rng)
            if t == pc.EOS:
                break
            out.append(t)
            if at_newline and t == pc.NEWLINE:
                if not include_stop_str_in_output:
                    out.pop()
                break
        return {"role": "assistant", "content": pc.decode(out)}

    async def agenerate(self, messages, stop=None, **kw):
        if messages and isinstance(messages[0], list):
            temps = kw.pop("temperature", None)
            temps = temps if isinstance(temps, list) else [temps] * len(messages)
            return [self._one(m, stop, temperature=t, **kw) for m, t in zip(messages, temps)]
        return self._one(messages, stop, **kw)

    async def agenerate_single(self, messages, stop=None, **kw):
        kw.pop("loop", None)
        usage = kw.pop("usage_accumulator", None)
        t0 = self.policy.tokens
        r = self._one(messages, stop, **kw)
        if usage is not None:
            usage.add(0, self.policy.tokens - t0)
        return r


class OnnxOrm(AbstractOutcomeRewardModel):
    def __init__(self, orm: pc.Orm):
        self.orm = orm

    def score(self, messages, **kw):
        convs = messages if messages and isinstance(messages[0], list) else [messages]
        s = self.orm.score(["".join(_text(m) for m in c) for c in convs])
        return s if messages and isinstance(messages[0], list) else s[0]

    async def ascore(self, messages, orchestrator=None, **kw):
        return self.score(messages)


class OnnxPrm(AbstractProcessRewardModel):
    def __init__(self, prm: pc.Prm):
        self.prm = prm

    def _seq(self, prompt, response):
        lines = response.split("\n")
        text = prompt + response
        if response and not lines[-1].startswith("answer:") and not response.endswith("\n"):
            text += "\n"  # the end of the last step, which StepGeneration stripped
        return pc.encode(text)

    def score(self, prompt, steps):
        single = isinstance(steps, str)
        rs = [steps] if single else steps
        s = self.prm.score([self._seq(prompt, r) for r in rs])
        return s[0] if single else s

    async def ascore(self, prompt, steps):
        return self.score(prompt, steps)


def main():
    ap = pc.common_args(argparse.ArgumentParser(description=__doc__))
    ap.add_argument("--algorithm", required=True, choices=["bon", "step-beam", "smc"])
    a = ap.parse_args()
    policy = ort_loop.NoCachePolicy(a.threads)
    lm = OnnxPolicyLM(policy)
    orm = pc.Orm(a.threads) if a.algorithm == "bon" else None
    prm = pc.Prm(a.threads) if a.algorithm != "bon" else None
    sg = StepGeneration(max_steps=pc.MAX_STEPS, step_token="\n", stop_token="answer:", temperature=1.0)
    if a.algorithm == "bon":
        alg = BestOfN(OnnxOrm(orm))
    elif a.algorithm == "step-beam":
        alg = BeamSearch(sg, OnnxPrm(prm), beam_width=a.n // a.m)
    else:
        alg = ParticleFiltering(sg, OnnxPrm(prm))
    problems = pc.load_problems(a.problems, a.k)
    rec = pc.Recorder(a.out, "its-hub", a.algorithm, a.n, a.m)
    v = orm or prm
    for r, i, p in pc.schedule(problems, a.repeats, a.warmup):
        lm.rng = np.random.default_rng([a.seed, i])
        random.seed(a.seed * 1_000_003 + i)
        np.random.seed(a.seed * 1_000_003 + i)
        c0, t0, vc0, vt0 = policy.calls, policy.tokens, v.calls, v.tokens
        start = pc.timer()
        res = alg.infer(lm, pc.prompt_of(p), a.n)
        wall = pc.timer() - start
        text = res["content"] if isinstance(res, dict) else _text(res)
        rec.add(r, p, text, wall, policy.tokens - t0, policy.calls - c0, v.calls - vc0, v.tokens - vt0)
    print(rec.summary(), flush=True)


if __name__ == "__main__":
    main()
