"""Runs Ponder's CLI and the Python peers on the same Countdown problems and budgets, R repeats each, and writes
bench/peers/results.csv plus a Markdown table (stdout and out/table.md).

Timing on both sides is per search: tokenization, generation, scoring and picking the answer, for one problem;
process start-up and model loading are excluded on both sides (Ponder's wall_ms is SearchResult.stats().wallNanos;
the peers time their per-problem call with perf_counter after loading). Each round runs each engine in its own
process; every process (Ponder's JVM, each peer's Python) first runs the first W problems untimed (warm-up: the
JIT on Ponder's side, first-call allocations on the Python side), then the K problems once. The R rounds are
interleaved (round 1: every engine on every algorithm, then round 2, ...) so that the drift of a shared machine
hits all engines alike; the median over rounds of the mean ms/problem is what is compared. Every engine uses one intra-op thread (Ponder --threads 1, onnxruntime intra_op_num_threads 1,
torch.set_num_threads(1)).

Run it with the venv's python from the repository root or anywhere: bench/peers/run.sh does both.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "out")
PY = sys.executable
JAR = os.path.join(REPO, "server", "target", "ponder.jar")

# algorithm -> (ponder algorithm, n, m, [(peer, script, script algorithm)])
PLAN = {
    "greedy": ("greedy", 1, 1, [("hf-generate", "hf_generate.py", "greedy"), ("ort-loop", "ort_loop.py", "greedy")]),
    "bon-16": ("bon", 16, 4, [("hf-generate", "hf_generate.py", "bon"), ("ort-loop", "ort_loop.py", "bon"),
                              ("its-hub", "its_hub_adapter.py", "bon")]),
    "step-beam-16/4": ("step-beam", 16, 4, [("ort-loop", "ort_loop.py", "step-beam"),
                                            ("its-hub", "its_hub_adapter.py", "step-beam")]),
    "beam-4": ("beam", 4, 1, [("hf-generate", "hf_generate.py", "beam")]),
    "smc-16": ("smc", 16, 4, [("its-hub", "its_hub_adapter.py", "smc")]),
}


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(x) for x in f if x.strip()]


def run_ponder(alg, n, m, problems_file, k, warmup, rnd, seed, threads, policy=None, tag="ponder"):
    # Warm up on problems that are not timed (the ones after the first K, cycled if the file is short): the
    # incremental PRM keeps step-prefix states across problems in one process, so warming up on the timed
    # problems themselves would let their timed runs hit that cache.
    rep_file = os.path.join(OUT, f"problems_{warmup}+{k}.jsonl")
    every = [x for x in open(problems_file) if x.strip()]
    lines = every[:k]
    rest = every[k:] or every
    warm = [rest[i % len(rest)] for i in range(warmup)]
    with open(rep_file, "w") as f:
        f.writelines(warm + lines)
    out = os.path.join(OUT, f"{tag}_{alg}_round{rnd}.jsonl")
    # Since 2026-12-04 (304a7d1) the CLI refuses --m for algorithms that would ignore it (bon, beam, smc, greedy)
    # and --n for greedy; it ignored them before, so passing them only where they apply changes nothing that runs.
    n_opt = [] if alg == "greedy" else ["--n", str(n)]
    m_opt = ["--m", str(m)] if alg in ("step-beam", "dvts", "mcts") else []
    policy_opt = ["--policy", policy] if policy else []
    cmd = ["java", "-jar", JAR, "eval", "--task", "countdown", "--problems", rep_file, "--algorithm", alg] \
        + n_opt + m_opt + policy_opt + ["--seed", str(seed), "--threads", str(threads), "--out", out]
    print("$ " + " ".join(cmd), flush=True)
    t0 = time.time()
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"ponder {alg} failed:\n{r.stderr[-3000:]}")
    print(r.stdout.strip(), f"({time.time() - t0:.0f} s)", flush=True)
    rows = read_jsonl(out)[warmup:]
    for row in rows:
        row["repeat"] = rnd
        row["peer"] = tag
    return rows


def run_peer(script, alg, n, m, problems_file, k, warmup, rnd, seed, threads, tag):
    out = os.path.join(OUT, f"{tag}_round{rnd}.jsonl")
    cmd = [PY, os.path.join(HERE, script), "--algorithm", alg, "--n", str(n), "--m", str(m), "--k", str(k),
           "--repeats", "1", "--warmup", str(warmup), "--seed", str(seed), "--threads", str(threads),
           "--problems", problems_file, "--out", out]
    print("$ " + " ".join(os.path.relpath(c, REPO) if c.startswith(REPO) else c for c in cmd), flush=True)
    t0 = time.time()
    r = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{script} {alg} failed:\n{r.stderr[-3000:]}")
    print(r.stdout.strip().splitlines()[-1], f"({time.time() - t0:.0f} s)", flush=True)
    rows = read_jsonl(out)
    for row in rows:
        row["repeat"] = rnd
    return rows


def summarize(rows):
    reps = sorted({r["repeat"] for r in rows})
    per_rep_ms = [statistics.mean(r["wall_ms"] for r in rows if r["repeat"] == k) for k in reps]
    last = [r for r in rows if r["repeat"] == reps[-1]]
    return {
        "ms_per_problem_median": statistics.median(per_rep_ms),
        "ms_per_problem_repeats": per_rep_ms,
        "tokens_per_problem": statistics.mean(r["policy_tokens"] for r in last),
        "model_calls_per_problem": statistics.mean(r["model_calls"] for r in last),
        "verifier_calls_per_problem": statistics.mean(r.get("verifier_calls", 0) for r in last),
        "accuracy": statistics.mean(1.0 if r["correct"] else 0.0 for r in rows),
        "problems": len(last),
        "repeats": len(reps),
    }


def main():
    global JAR
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--problems", default=os.path.join(REPO, "onnx-models", "countdown", "test.jsonl"))
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3, help="rounds; each round runs every engine once, in turn")
    ap.add_argument("--warmup", type=int, default=3, help="problems each process runs first, not timed")
    ap.add_argument("--ponder-warmup", type=int, default=None,
                    help="warm-up problems for Ponder's JVM only (default: --warmup); the JIT needs more than Python")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--algorithms", default=",".join(PLAN))
    ap.add_argument("--csv", default=os.path.join(HERE, "results.csv"))
    ap.add_argument("--ponder-policy", default=None,
                    help="the policy export Ponder runs (default: the CLI's, onnx-models/countdown/policy); the same "
                         "weights in another layout, e.g. onnx-models/countdown/policy-gqa")
    ap.add_argument("--ponder-also", default=None,
                    help="a second policy export Ponder also runs each round, listed as engine 'ponder-also' (e.g. "
                         "the default export, to measure a layout's gain in the same run); not counted as a peer")
    ap.add_argument("--jar", default=JAR, help="Ponder's CLI jar (copy it if others may rebuild it meanwhile)")
    a = ap.parse_args()
    ponder_warmup = a.warmup if a.ponder_warmup is None else a.ponder_warmup
    JAR = os.path.abspath(a.jar)
    os.makedirs(OUT, exist_ok=True)
    if not os.path.exists(JAR):
        sys.exit(f"{JAR} is missing: cd {REPO} && mvn -B -q -ntp -DskipTests package")
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    load0 = os.getloadavg()
    rows = {}  # (algorithm, peer) -> rows of every round
    names = a.algorithms.split(",")
    for rnd in range(a.repeats):
        print(f"--- round {rnd + 1}/{a.repeats}, load average {os.getloadavg()[0]:.1f}", flush=True)
        for name in names:
            p_alg, n, m, peers = PLAN[name]
            rows.setdefault((name, "ponder"), []).extend(
                run_ponder(p_alg, n, m, a.problems, a.k, ponder_warmup, rnd, a.seed, a.threads, a.ponder_policy))
            if a.ponder_also:
                rows.setdefault((name, "ponder-also"), []).extend(
                    run_ponder(p_alg, n, m, a.problems, a.k, ponder_warmup, rnd, a.seed, a.threads, a.ponder_also,
                               "ponder-also"))
            for peer, script, s_alg in peers:
                rows.setdefault((name, peer), []).extend(
                    run_peer(script, s_alg, n, m, a.problems, a.k, a.warmup, rnd, a.seed, a.threads,
                             f"{peer}_{s_alg}"))
    results = [(name, peer, summarize(r)) for (name, peer), r in rows.items()]
    load1 = os.getloadavg()
    base = {name: s for name, peer, s in results if peer == "ponder"}
    with open(a.csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["algorithm", "peer", "problems", "repeats", "ms_per_problem_median", "ms_per_problem_repeats",
                    "policy_tokens_per_problem", "model_calls_per_problem", "verifier_calls_per_problem", "accuracy",
                    "ms_ratio_peer_over_ponder", "tokens_ratio_peer_over_ponder"])
        for name, peer, s in results:
            b = base[name]
            w.writerow([name, peer, s["problems"], s["repeats"], f"{s['ms_per_problem_median']:.2f}",
                        " ".join(f"{x:.2f}" for x in s["ms_per_problem_repeats"]),
                        f"{s['tokens_per_problem']:.1f}", f"{s['model_calls_per_problem']:.1f}",
                        f"{s['verifier_calls_per_problem']:.1f}", f"{s['accuracy']:.3f}",
                        f"{s['ms_per_problem_median'] / b['ms_per_problem_median']:.2f}",
                        f"{s['tokens_per_problem'] / b['tokens_per_problem']:.2f}"])
    policies = f"Ponder policy {a.ponder_policy or 'default'}" + (f", ponder-also {a.ponder_also}" if a.ponder_also else "")
    lines = [f"Run {started}, {policies}, K={a.k} problems x R={a.repeats} interleaved rounds (warm-up {a.warmup} problems, Ponder {ponder_warmup}, on untimed problems), seed {a.seed}, {a.threads} thread(s); "
             f"load average before {load0[0]:.1f}, after {load1[0]:.1f}", "",
             "| algorithm | engine | ms/problem (median of repeats) | repeats (ms/problem) | policy tokens/problem "
             "| model calls/problem | accuracy | ms: peer/Ponder | tokens: peer/Ponder |",
             "|---|---|---:|---|---:|---:|---:|---:|---:|"]
    for name, peer, s in results:
        b = base[name]
        rm = s["ms_per_problem_median"] / b["ms_per_problem_median"]
        rt = s["tokens_per_problem"] / b["tokens_per_problem"]
        lines.append(f"| {name} | {peer} | {s['ms_per_problem_median']:.1f} | "
                     + " / ".join(f"{x:.0f}" for x in s["ms_per_problem_repeats"])
                     + f" | {s['tokens_per_problem']:.0f} | {s['model_calls_per_problem']:.0f} | {s['accuracy']:.3f} | "
                     + ("1" if peer == "ponder" else f"{rm:.2f}") + " | " + ("1" if peer == "ponder" else f"{rt:.2f}")
                     + " |")
    lines.append("")
    lines.append("| algorithm | fastest Python peer | its ms / Ponder ms | target >= 3 | its tokens / Ponder tokens |")
    lines.append("|---|---|---:|---|---:|")
    for name in base:
        peers = [(s["ms_per_problem_median"], peer, s) for n_, peer, s in results if n_ == name and not peer.startswith("ponder")]
        ms, peer, s = min(peers, key=lambda x: x[0])
        r = ms / base[name]["ms_per_problem_median"]
        lines.append(f"| {name} | {peer} | {r:.2f} | {'met' if r >= 3 else 'NOT met'} | "
                     f"{s['tokens_per_problem'] / base[name]['tokens_per_problem']:.2f} |")
    table = "\n".join(lines)
    print("\n" + table)
    with open(os.path.join(OUT, "table.md"), "w") as f:
        f.write(table + "\n")


if __name__ == "__main__":
    main()
