#!/usr/bin/env python3
"""Offline selection rules over a SampleTable (issue 17).

Reads the JSON lines SampleTable writes with two ORMs (orms = [committed, v2]) and a PRM (prm_steps), and prints,
for N = 4, 16, 64 (the first N samples of each problem, which are what `eval --algorithm bon --n N` draws), the
accuracy of each selection rule: the rule checker's verdict on the sample the rule picks. No checker verdict is read
by any rule; `oracle` (any correct sample) is the ceiling.

    python3 bench/countdown/selection_rules.py /tmp/test64.jsonl [N ...]
"""
import json
import math
import re
import sys
from collections import defaultdict


def logit(p):
    p = min(max(p, 1e-7), 1 - 1e-7)
    return math.log(p / (1 - p))


def ranks(xs):
    """1 = lowest, ties share their mean rank (Verifier.Normalization.ranks)."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        mean = (i + j) / 2 + 1
        for k in range(i, j + 1):
            r[order[k]] = mean
        i = j + 1
    return r


def argmax(scores):
    """bon's pick: the highest score, the first sample among equal ones (a stable sort, best first)."""
    best = 0
    for i, s in enumerate(scores):
        if s > scores[best]:
            best = i
    return best


def grouped(samples, scores, key, weight):
    """Weighted/majority vote: the group whose weights sum highest (ties: its best score), then its best sample."""
    agg = defaultdict(float)
    top = {}
    for i, s in enumerate(samples):
        k = key(s)
        agg[k] += weight(i)
        if k not in top or scores[i] > scores[top[k]]:
            top[k] = i
    bestk = max(agg, key=lambda k: (agg[k], scores[top[k]]))
    return top[bestk]


EQ = re.compile(r"^\s*(\d+)\s*([-+*/])\s*(\d+)\s*=\s*(\d+)\s*$")


def canonical(sample):
    """The solution up to order of commutative operands and of its lines: the set of normalized equations."""
    eqs = []
    for line in sample["text"].split("\n"):
        m = EQ.match(line)
        if not m:
            continue
        a, op, b, c = m.groups()
        if op in "+*" and int(a) > int(b):
            a, b = b, a
        eqs.append(f"{a}{op}{b}={c}")
    return tuple(sorted(eqs))


def rules():
    def m0(s):
        return s["orms"][0]

    def m1(s):
        return s["orms"][1]

    def mean(s):
        return (s["orms"][0] + s["orms"][1]) / 2

    def mlogit(s):
        return (logit(s["orms"][0]) + logit(s["orms"][1])) / 2

    def mn(s):
        return min(s["orms"])

    def mstd(beta):
        return lambda s: mean(s) - beta * abs(s["orms"][0] - s["orms"][1]) / 2

    def prm_last(s):
        return s["prm_steps"][-1]

    def prm_min(s):
        return min(s["prm_steps"])

    def prm_mean(s):
        return sum(s["prm_steps"]) / len(s["prm_steps"])

    def prm_prod(s):
        return sum(math.log(max(x, 1e-9)) for x in s["prm_steps"])

    per_sample = {
        "ORM (committed)": m0,
        "ORM v2": m1,
        "ensemble mean": mean,
        "ensemble mean of logits": mlogit,
        "ensemble min": mn,
        "ensemble mean-std:0.5": mstd(0.5),
        "ensemble mean-std:1": mstd(1),
        "ensemble mean-std:2": mstd(2),
        "PRM v3 last step": prm_last,
        "PRM v3 min step": prm_min,
        "PRM v3 mean step": prm_mean,
        "PRM v3 product": prm_prod,
        "mean(ORM, ORM v2, PRM v3 last)": lambda s: (s["orms"][0] + s["orms"][1] + prm_last(s)) / 3,
        "mean(ORM, ORM v2, PRM v3 min)": lambda s: (s["orms"][0] + s["orms"][1] + prm_min(s)) / 3,
        "mean logit(ORM, ORM v2, PRM v3 min)": lambda s: (logit(s["orms"][0]) + logit(s["orms"][1])
                                                          + logit(prm_min(s))) / 3,
        "min(ORM, ORM v2, PRM v3 min)": lambda s: min(s["orms"][0], s["orms"][1], prm_min(s)),
        "ensemble mean x confidence (logit + logprob/10)": lambda s: mlogit(s) + s["logprob"] / 10,
        "ensemble mean logit + mean token logprob": lambda s: mlogit(s) + s["logprob"] / max(s["tokens"], 1),
        "confidence (logprob)": lambda s: s["logprob"],
        "confidence (-mean entropy; eval's byConfidence)": lambda s: -s["entropy"],
        "fewest tokens": lambda s: -s["tokens"],
    }
    for a in (0.5, 1, 2, 4, 8):
        per_sample[f"logprob + {a} x ensemble mean logit"] = (lambda a: lambda s: s["logprob"] + a * mlogit(s))(a)
        per_sample[f"logprob + {a} x ORM v2 logit"] = (lambda a: lambda s: s["logprob"] + a * logit(m1(s)))(a)
        per_sample[f"logprob + {a} x log ensemble mean"] = (lambda a: lambda s: s["logprob"] + a * math.log(mean(s)))(a)
        per_sample[f"logprob + {a} x log PRM v3 min"] = (lambda a: lambda s: s["logprob"] + a * math.log(
            max(prm_min(s), 1e-9)))(a)
    out = {}
    for name, f in per_sample.items():
        out[name] = (lambda f: lambda ss: argmax([f(s) for s in ss]))(f)

    def rank_sum(fs):
        def pick(ss):
            total = [0.0] * len(ss)
            for f in fs:
                for i, r in enumerate(ranks([f(s) for s in ss])):
                    total[i] += r
            return argmax(total)
        return pick

    out["ensemble rank-sum"] = rank_sum([m0, m1])
    out["rank-sum(ORM, ORM v2, PRM v3 min)"] = rank_sum([m0, m1, prm_min])
    out["rank-sum(ORM, ORM v2, PRM v3 last)"] = rank_sum([m0, m1, prm_last])

    def vote(key, f, weight):
        def pick(ss):
            sc = [f(s) for s in ss]
            return grouped(ss, sc, key, lambda i: weight(sc[i]))
        return pick

    answer = lambda s: s["answer"]
    text = lambda s: s["text"]
    out["weighted-bon by answer, ORM (eval weighted-bon)"] = vote(answer, m0, lambda x: x)
    out["weighted-bon by answer, ensemble mean"] = vote(answer, mean, lambda x: x)
    out["majority by answer"] = vote(answer, lambda s: 0.0, lambda x: 1)
    out["majority by text"] = vote(text, mean, lambda x: 1)
    out["weighted vote by text, ensemble mean"] = vote(text, mean, lambda x: x)
    out["majority by equations"] = vote(canonical, mean, lambda x: 1)
    out["weighted vote by equations, ensemble mean"] = vote(canonical, mean, lambda x: x)
    out["weighted vote by equations, ensemble mean^2"] = vote(canonical, mean, lambda x: x * x)
    out["weighted vote by equations, PRM v3 min"] = vote(canonical, prm_min, lambda x: x)
    out["weighted vote by equations, mean(ORMs, PRM min)"] = vote(
        canonical, lambda s: (s["orms"][0] + s["orms"][1] + prm_min(s)) / 3, lambda x: x)
    def top_then(k, first, second):
        def pick(ss):
            top = sorted(range(len(ss)), key=lambda i: (-first(ss[i]), i))[:k]
            return max(top, key=lambda i: (second(ss[i]), -i))
        return pick

    for k in (4, 8):
        out[f"top {k} by ensemble mean, then logprob"] = top_then(k, mean, lambda s: s["logprob"])
        out[f"top {k} by logprob, then ensemble mean"] = top_then(k, lambda s: s["logprob"], mean)
    out["vote by equations, weight exp(logprob)"] = vote(canonical, lambda s: s["logprob"], lambda x: math.exp(x))
    out["vote by equations, weight exp(logprob) x ensemble mean"] = (
        lambda ss: grouped(ss, [s["logprob"] for s in ss], canonical, lambda i: math.exp(ss[i]["logprob"]) * mean(ss[i])))
    out["vote by equations, weight ensemble mean, best by logprob"] = (
        lambda ss: grouped(ss, [s["logprob"] for s in ss], canonical, lambda i: mean(ss[i])))
    return out


def main():
    path = sys.argv[1]
    ns = [int(x) for x in sys.argv[2:]] or [4, 16, 64]
    rows = [json.loads(line) for line in open(path) if line.strip()]
    rs = rules()
    print(f"{len(rows)} problems from {path}")
    print("| rule | " + " | ".join(f"N={n}" for n in ns) + " |")
    print("|---|" + "---:|" * len(ns))
    oracle = [sum(any(s["correct"] for s in r["samples"][:n]) for r in rows) / len(rows) for n in ns]
    print("| oracle (any sample correct) | " + " | ".join(f"{a:.3f}" for a in oracle) + " |")
    for name, pick in rs.items():
        accs = []
        for n in ns:
            ok = 0
            for r in rows:
                ss = r["samples"][:n]
                ok += ss[pick(ss)]["correct"]
            accs.append(ok / len(rows))
        trend = "rises" if all(b >= a for a, b in zip(accs, accs[1:])) else ""
        print(f"| {name} | " + " | ".join(f"{a:.3f}" for a in accs) + f" | {trend}")


if __name__ == "__main__":
    main()
