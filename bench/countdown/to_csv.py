#!/usr/bin/env python3
"""Turns the JSONL files of bench/countdown/run.sh into bench/curves/countdown.csv (the ScalingCurves format), so
that `ScalingCurves --task countdown --from-csv` plots the whole 500-problem split.

usage: to_csv.py OUT.csv DIR      (DIR holds NAME-N.jsonl files, e.g. bon-16.jsonl, step-beam-4.jsonl, greedy.jsonl)
"""
import glob
import json
import os
import re
import sys

HEADER = ("algorithm,budget,problems,accuracy,mean_policy_tokens,mean_model_calls,mean_verifier_calls,"
          "mean_wall_ms")
# File name -> (algorithm label in the plots, budget); the label says which verifier picked the answer.
NAMES = {"greedy": ("greedy", 1), "sample": ("bon", 1), "beam": ("beam", 4)}


def label(name):
    if name in NAMES:
        return NAMES[name]
    m = re.fullmatch(r"(.+)-(\d+)", name)
    if not m:
        sys.exit(f"cannot read an algorithm and budget from {name}")
    return m.group(1), int(m.group(2))


def main():
    out, folder = sys.argv[1], sys.argv[2]
    rows = []
    for path in sorted(glob.glob(os.path.join(folder, "*.jsonl"))):
        lines = [json.loads(x) for x in open(path) if x.strip()]
        if len(lines) != 500:
            print(f"skipping {path}: {len(lines)} problems, not 500", file=sys.stderr)
            continue
        algorithm, budget = label(os.path.basename(path)[:-len(".jsonl")])
        n = len(lines)

        def mean(key):
            return sum(x[key] for x in lines) / n

        rows.append((algorithm, budget, f"{algorithm},{budget},{n},{sum(x['correct'] for x in lines) / n:.4f},"
                     f"{mean('policy_tokens'):.1f},{mean('model_calls'):.1f},{mean('verifier_calls'):.1f},"
                     f"{mean('wall_ms'):.2f}"))
    rows.sort(key=lambda r: (r[0] != "greedy", r[0], r[1]))
    with open(out, "w") as f:
        f.write(HEADER + "\n" + "\n".join(r[2] for r in rows) + "\n")


if __name__ == "__main__":
    main()
