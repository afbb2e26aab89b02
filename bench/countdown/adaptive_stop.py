#!/usr/bin/env python3
"""Offline study of adaptive best-of-N with the `orm+logprob` score (issue 17, `Search.auto`'s target).

Replays, on SampleTable files (two ORMs in `orms`; see bench/README.md "Selection rules over 64 samples"), a search
that draws samples in stages of 4, 8, 16, 32 and 64 and stops after a stage when the best score so far
(log of the two ORMs' mean probability + the text's log-probability, `eval --verifier orm+logprob --ensemble mean`)
clears that stage's threshold, or when at least c_j of the drawn samples write the pick's solution (its set of
equations, commutative operands sorted). The thresholds are chosen on the first file (validation) to maximize
accuracy within half of best-of-64's policy tokens there, then applied unchanged to the second (test). Tokens are
eval's policy tokens: the prompt once plus every drawn sample's tokens. No rule reads a checker verdict.

    python3 bench/countdown/adaptive_stop.py VALIDATION64.jsonl TEST64.jsonl
"""
import itertools
import json
import math
import re
import sys

STAGES = [4, 8, 16, 32, 64]
NEVER = 99


def solution(text):
    eqs = []
    for line in text.split("\n"):
        m = re.match(r"\s*(\d+)\s*([-+*/])\s*(\d+)\s*=\s*(\d+)", line)
        if m:
            a, op, b, c = m.groups()
            if op in "+*":
                a, b = sorted([a, b])
            eqs.append((a, op, b, c))
    return tuple(sorted(eqs))


def load(path):
    rows = []
    for line in open(path):
        r = json.loads(line)
        samples = r["samples"]
        scores = [math.log(max(1e-9, sum(s["orms"]) / len(s["orms"]))) + s["logprob"] for s in samples]
        rows.append((r["prompt_tokens"], samples, scores, [solution(s["text"]) for s in samples]))
    return rows


def pick(scores, n):
    best = 0
    for i in range(n):
        if scores[i] > scores[best]:
            best = i
    return best


def replay(rows, thresholds, agree):
    correct, tokens = 0, 0
    for prompt, samples, scores, sols in rows:
        for j, n in enumerate(STAGES):
            b = pick(scores, n)
            same = sum(1 for i in range(n) if sols[i] == sols[b])
            if j == len(STAGES) - 1 or scores[b] >= thresholds[j] or same >= agree[j]:
                break
        correct += samples[b]["correct"]
        tokens += prompt + sum(s["tokens"] for s in samples[:n])
    return correct / len(rows), tokens / len(rows)


def main():
    val, test = load(sys.argv[1]), load(sys.argv[2])
    for name, rows in (("validation", val), ("test", test)):
        for j, n in enumerate(STAGES):
            a, t = replay(rows, [math.inf] * j + [-math.inf] * (5 - j), [NEVER] * 5)
            print(f"{name} best-of-{n}: accuracy {a:.3f} at {t:.0f} tokens")
    budget = 0.5 * replay(val, [math.inf] * 4 + [-math.inf], [NEVER] * 5)[1]
    firsts = sorted(s[pick(s, 4)] for _, _, s, _ in val)
    grid = [firsts[int(len(firsts) * f)] for f in (0.3, 0.5, 0.7, 0.9)] + [math.inf]
    fits = []
    for th in itertools.product(grid, repeat=4):
        for ag in itertools.product([2, 3, 4, NEVER], [3, 5, NEVER], [4, 8, NEVER], [NEVER]):
            a, t = replay(val, list(th) + [-math.inf], list(ag) + [NEVER])
            if t <= budget:
                fits.append((a, -t, th, ag))
    fits.sort(reverse=True)
    for a, t, th, ag in fits[:3]:
        ta, tt = replay(test, list(th) + [-math.inf], list(ag) + [NEVER])
        print(f"fitted on validation: {a:.3f} at {-t:.0f} tokens (thresholds {[round(x, 2) for x in th]}, agreement "
              f"{ag}); on test: {ta:.3f} at {tt:.0f} tokens")


if __name__ == "__main__":
    main()
