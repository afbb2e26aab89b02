"""Ponder's best-of-16 per-problem CPU time, and generation apart from the ORM, for the comparison's 10 timed problems.

`ponder eval` reports wall time per search only. This runs the JVM on the 60 warm-up problems alone (B) and on the
60 warm-up problems plus the 10 timed ones (A), the file compare.py writes, and takes the JVM's CPU time
(user + sys, from the OS) of A minus B as the CPU of the 10 timed searches. JIT and GC threads count too, so this
is an upper bound for the search thread's CPU. Each pair runs with the ORM (`--verifier orm`, the comparison's
setting: orm-cached) and with the rule checker (`--verifier checker`: generation alone, the checker is microseconds).
The wall_ms of A's 10 timed searches is printed beside it. Pairs alternate, R times.

  bench/peers/.venv/bin/python bench/peers/ponder_bon_cpu.py --jar bench/peers/out/ponder.jar --k 100 --repeats 2

With --k 10 the JVM's start-up and JIT noise (about 0.5 s of CPU between runs) swamps the 10 searches; --k 100
makes the timed part about 7 s of CPU.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "out")


def run(jar, problems, verifier, out, policy):
    cmd = ["java", "-jar", jar, "eval", "--task", "countdown", "--problems", problems, "--algorithm", "bon",
           "--n", "16", "--seed", "1", "--threads", "1", "--verifier", verifier, "--out", out] \
        + (["--policy", policy] if policy else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(out) as f:
        rows = [json.loads(x) for x in f if x.strip()]
    return cpu * 1e3, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--jar", default=os.path.join(REPO, "server", "target", "ponder.jar"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=60)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--policy", action="append", default=None,
                    help="policy export(s) to run, in turn within each round (default: the CLI's); e.g. --policy "
                         "onnx-models/countdown/policy-gqa --policy onnx-models/countdown/policy")
    ap.add_argument("--problems", default=os.path.join(REPO, "onnx-models", "countdown", "test.jsonl"))
    a = ap.parse_args()
    # The same file compare.py writes: the warm-up problems from after the first K, then the first K.
    both = os.path.join(OUT, f"problems_{a.warmup}+{a.k}.jsonl")
    every = [x for x in open(a.problems) if x.strip()]
    rest = every[a.k:] or every
    lines = [rest[i % len(rest)] for i in range(a.warmup)] + every[:a.k]
    with open(both, "w") as f:
        f.writelines(lines)
    warm = os.path.join(OUT, f"problems_{a.warmup}.jsonl")
    with open(warm, "w") as f:
        f.writelines(lines[:a.warmup])
    for r in range(a.repeats):
        for verifier, policy in [(v, p) for v in ("orm", "checker") for p in (a.policy or [None])]:
            cpu_a, rows = run(a.jar, both, verifier, os.path.join(OUT, f"cpu_{verifier}_A.jsonl"), policy)
            cpu_b, _ = run(a.jar, warm, verifier, os.path.join(OUT, f"cpu_{verifier}_B.jsonl"), policy)
            timed = rows[a.warmup:]
            wall = statistics.mean(x["wall_ms"] for x in timed)
            tokens = statistics.mean(x["policy_tokens"] for x in timed)
            print(f"round {r} verifier {verifier} policy {policy or 'default'}: cpu/problem (A-B)/{a.k} {(cpu_a - cpu_b) / a.k:.1f} ms; "
                  f"wall/problem {wall:.1f} ms; JVM cpu A {cpu_a / 1e3:.1f} s, B {cpu_b / 1e3:.1f} s; "
                  f"tokens/problem {tokens:.1f}; load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
