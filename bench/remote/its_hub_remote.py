"""its-hub 1.2.0's BestOfN / BeamSearch / ParticleFiltering over the same llama.cpp server as Ponder's remote
policy: the side-by-side of issue 15 (run by bench/remote/side_by_side.sh; not CI).

The language model is a small its-hub adapter (its-hub's own OpenAICompatibleLanguageModel speaks chat
completions, which a base model without a chat template cannot serve faithfully): each generate request is one
POST /v1/completions with the prompt as token ids (the policy's tokenizer), the step's stop string, max_tokens,
temperature 1 and the same unfiltered sampler as Ponder (top_k 0, min_p 0). A batch goes out on a thread pool
(32 threads, one keep-alive connection each); its-hub's orchestrator awaits one task per request, each run on
that pool, so its requests overlap as with its own aiohttp client. Tokens are the engine's own usage: prompt_tokens - cached_tokens +
completion_tokens, summed, which is how Ponder's RemoteProcess counts policyTokens. The ORM/PRM are
bench/peers' onnxruntime adapters (plain PRM: every call re-reads the texts), as in bench/PEERS.md.
"""
from __future__ import annotations

import argparse
import asyncio
import functools
import http.client
import json
import os
import random
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "peers"))
import peers_common as pc  # noqa: E402
from its_hub.api import AbstractLanguageModel  # noqa: E402
from its_hub.core.algorithms.beam_search import BeamSearch  # noqa: E402
from its_hub.core.algorithms.bon import BestOfN  # noqa: E402
from its_hub.core.algorithms.particle_gibbs import ParticleFiltering  # noqa: E402
from its_hub.core.lms.step_generation import StepGeneration  # noqa: E402
from its_hub_adapter import OnnxOrm, OnnxPrm, _text  # noqa: E402


class RemoteLM(AbstractLanguageModel):
    def __init__(self, url):
        u = urlparse(url)
        self.host, self.port = u.hostname, u.port
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(32)
        self.lock = threading.Lock()
        self.requests = 0
        self.tokens = 0
        self.seed = 0

    def _conn(self):
        c = getattr(self.local, "c", None)
        if c is None:
            c = self.local.c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        return c

    def _one(self, messages, stop=None, max_completion_tokens=None, temperature=None,
             include_stop_str_in_output=False, **_):
        prompt = "".join(_text(m) for m in messages)
        ids = pc.encode(prompt)
        so_far = len(ids) - len(pc.encode(_text(messages[0])))
        left = pc.MAX_NEW_TOKENS - so_far
        if max_completion_tokens is not None:
            left = min(left, max_completion_tokens)
        if left <= 0:
            return {"role": "assistant", "content": ""}
        with self.lock:
            self.seed += 1
            seed = self.seed
        body = {"model": "countdown", "prompt": ids, "max_tokens": min(left, pc.STEP_MAX_TOKENS) if stop else left,
                "temperature": 1.0 if temperature is None else temperature, "top_p": 1.0, "top_k": 0, "min_p": 0.0,
                "seed": seed}
        if stop:
            body["stop"] = [stop] if isinstance(stop, str) else list(stop)
        c = self._conn()
        c.request("POST", "/v1/completions", json.dumps(body), {"Content-Type": "application/json"})
        r = c.getresponse()
        ans = json.loads(r.read())
        if r.status != 200:
            raise RuntimeError(f"HTTP {r.status}: {ans}")
        u = ans["usage"]
        cached = (u.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
        with self.lock:
            self.requests += 1
            self.tokens += u["prompt_tokens"] - cached + u["completion_tokens"]
        text = ans["choices"][0]["text"]
        if include_stop_str_in_output and stop and ans["choices"][0]["finish_reason"] == "stop":
            text += stop if isinstance(stop, str) else ""
        return {"role": "assistant", "content": text}

    async def agenerate(self, messages, stop=None, **kw):
        if messages and isinstance(messages[0], list):
            temps = kw.pop("temperature", None)
            temps = temps if isinstance(temps, list) else [temps] * len(messages)
            futures = [self.pool.submit(self._one, m, stop, temperature=t, **kw) for m, t in zip(messages, temps)]
            return [f.result() for f in futures]
        return self._one(messages, stop, **kw)

    async def agenerate_single(self, messages, stop=None, **kw):
        # its-hub's LMOrchestrator runs one asyncio task per request: run the blocking HTTP call on the pool so
        # that they overlap, as its aiohttp-based OpenAI client would
        kw.pop("loop", None)
        kw.pop("usage_accumulator", None)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, functools.partial(self._one, messages, stop, **kw))


class Timed:
    """Wraps an ORM/PRM adapter and adds up the time spent scoring, to tell it from the engine's time."""

    def __init__(self, inner):
        self.inner = inner
        self.seconds = 0.0

    async def ascore(self, *args, **kw):
        t0 = pc.timer()
        try:
            return await self.inner.ascore(*args, **kw)
        finally:
            self.seconds += pc.timer() - t0


def main():
    ap = pc.common_args(argparse.ArgumentParser(description=__doc__))
    ap.add_argument("--url", required=True)
    ap.add_argument("--algorithm", required=True, choices=["bon", "step-beam", "smc"])
    a = ap.parse_args()
    lm = RemoteLM(a.url)
    orm = pc.Orm(a.threads) if a.algorithm == "bon" else None
    prm = pc.Prm(a.threads) if a.algorithm != "bon" else None
    sg = StepGeneration(max_steps=pc.MAX_STEPS, step_token="\n", stop_token="answer:", temperature=1.0)
    scorer = Timed(OnnxOrm(orm) if a.algorithm == "bon" else OnnxPrm(prm))
    if a.algorithm == "bon":
        alg = BestOfN(scorer)
    elif a.algorithm == "step-beam":
        alg = BeamSearch(sg, scorer, beam_width=a.n // a.m)
    else:
        alg = ParticleFiltering(sg, scorer)
    problems = pc.load_problems(a.problems, a.k)
    rec = pc.Recorder(a.out, "its-hub-remote", a.algorithm, a.n, a.m)
    v = orm or prm
    for r, i, p in pc.schedule(problems, a.repeats, a.warmup):
        random.seed(a.seed * 1_000_003 + i)
        np.random.seed(a.seed * 1_000_003 + i)
        q0, t0, vc0, vt0 = lm.requests, lm.tokens, v.calls, v.tokens
        start = pc.timer()
        res = alg.infer(lm, pc.prompt_of(p), a.n)
        wall = pc.timer() - start
        text = res["content"] if isinstance(res, dict) else _text(res)
        rec.add(r, p, text, wall, lm.tokens - t0, lm.requests - q0, v.calls - vc0, v.tokens - vt0)
    print(rec.summary() + f"; scorer {scorer.seconds * 1e3 / (len(problems) * a.repeats):.1f} ms/problem", flush=True)
    lm.pool.shutdown()


if __name__ == "__main__":
    main()
