#!/usr/bin/env python3
"""One Markdown table row from `ponder eval --task digits` JSONL files: usage summarize.py NAME FILE.jsonl ..."""
import json
import math
import sys

name, files = sys.argv[1], sys.argv[2:]
lines = [json.loads(line) for f in files for line in open(f) if line.strip()]
n = len(lines)


def mean(key):
    return sum(x[key] for x in lines) / n


target = sum(x["classified_as"] == x["target_class"] for x in lines) / n
independent = sum(x["independent_class"] == x["target_class"] for x in lines) / n
confident = sum(math.exp(x["reward"]) >= 0.9 for x in lines) / n
p = sum(math.exp(x["reward"]) for x in lines) / n
print(f"| {name} | {n} | {target:.3f} | {independent:.3f} | {confident:.3f} | {p:.3f} | {mean('policy_calls'):.0f}"
      f" | {mean('reward_calls'):.0f} | {mean('model_calls'):.0f} | {mean('wall_ms'):.0f} |")
