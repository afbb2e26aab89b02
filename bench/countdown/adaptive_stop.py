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
    python3 bench/countdown/adaptive_stop.py VALIDATION64.jsonl TEST64.jsonl --write RULE.txt

With --write, the stop rule is fitted on score thresholds alone (a finer grid: the 10-90% quantiles of the
validation problems' best score after 4 samples) and written as a staged `Search.auto` rule (AutoRule's text form,
`probe K` sections), which `eval --algorithm auto --verifier orm+logprob --auto-rule RULE.txt` runs.
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


def staged_rule(thresholds, source):
    """AutoRule's text form: a stage at each of STAGES[1:] sizes; a stage whose threshold is inf never stops, so
    it is folded into the next one's probe."""
    lines = ["# Search.auto's staged best-of-N for Countdown over the orm+logprob score, written by",
             f"# bench/countdown/adaptive_stop.py --write from {source} (thresholds fitted there within half of",
             f"# best-of-64's policy tokens). Run with: eval --algorithm auto --verifier orm+logprob",
             "#   --orm onnx-models/countdown/orm-cached,onnx-models/countdown/orm-v2-cached --ensemble mean"]
    used = [(n, thresholds[j]) for j, n in enumerate(STAGES[:-1]) if thresholds[j] != math.inf]
    for i, (n, th) in enumerate(used):
        nxt = used[i + 1][0] if i + 1 < len(used) else STAGES[-1]
        lines += [f"probe {n}", f"when best_score >= {th!r} stop", f"otherwise bon {nxt}"]
    if not used:
        lines += [f"probe {STAGES[-1]}", "otherwise stop"]
    return "\n".join(lines) + "\n"


def write_rule(val, test, out, source):
    budget = 0.5 * replay(val, [math.inf] * 4 + [-math.inf], [NEVER] * 5)[1]
    firsts = sorted(s[pick(s, 4)] for _, _, s, _ in val)
    grid = [firsts[int(len(firsts) * f / 10)] for f in range(1, 10)] + [math.inf]
    fits = []
    for th in itertools.product(grid, repeat=4):
        a, t = replay(val, list(th) + [-math.inf], [NEVER] * 5)
        if t <= budget:
            fits.append((a, -t, th))
    fits.sort(reverse=True)
    a, t, th = fits[0]
    ta, tt = replay(test, list(th) + [-math.inf], [NEVER] * 5)
    print(f"thresholds only, fitted on validation: {a:.3f} at {-t:.0f} tokens (budget {budget:.0f}; thresholds "
          f"{[round(x, 2) for x in th]}); on test: {ta:.3f} at {tt:.0f} tokens")
    with open(out, "w") as f:
        f.write(staged_rule(th, source))
    print(f"wrote {out}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[3] == "--write":
        write_rule(load(sys.argv[1]), load(sys.argv[2]), sys.argv[4], sys.argv[1].rsplit("/", 1)[-1])
    else:
        main()
