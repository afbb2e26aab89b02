"""Fits Search.auto's rule for Countdown on the validation split, offline, from SampleTable's output.

A search's k-th sample is the same whatever N (lineage-keyed randomness), so the first k samples of a problem's row
are exactly what auto's probe of k draws, and the first N what its best-of-N continuation ends with: every rule is
replayed without running the policy. Tokens: prompt once plus every drawn sample's generated tokens.

  java -cp bench/target/benchmarks.jar dev.ponder.bench.SampleTable onnx-models/countdown/policy \
      onnx-models/countdown/orm-cached onnx-models/countdown/validation.jsonl 64 1 /tmp/validation64.jsonl
  python3 bench/countdown/fit_auto.py /tmp/validation64.jsonl \
      tasks/src/main/resources/dev/ponder/tasks/countdown/auto-rule.txt
  python3 bench/countdown/fit_auto.py --replay RULE.txt TABLE.jsonl     (a rule's accuracy and tokens on a table)

The rule (AutoRule's text form) is a decision list over one probe feature: quantile bins of the feature on the
validation probes, each bin given the N in SIZES (N = probe: stop) that maximises solved problems minus tokens /
price. Every (probe, feature, bins, price) is tried; the one written is the most accurate on validation whose mean
tokens are at most HALF of the best fixed best-of-N's (the issue's target), ties to fewer tokens. It is never
fitted on the test split.
"""
import json
import math
import sys

SIZES = (8, 16, 32, 64)
PROBES = (2, 4, 8)
BIN_COUNTS = (2, 3, 4, 6, 8)
PRICES = (250, 500, 1000, 2000, 4000, 8000, 16000)
FEATURES = ("best_score", "mean_score", "mean_entropy", "agreement")
HALF = 0.5  # the target: the best fixed strategy's accuracy at <= HALF its tokens


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def best_of(row, k):
    drawn = row["samples"][:k]
    best = max(range(len(drawn)), key=lambda j: (drawn[j]["orm"], -j))
    return drawn[best]["correct"], row["prompt_tokens"] + sum(s["tokens"] for s in drawn)


_CACHE = {}


def features(row, k):
    key = (id(row), k)
    if key not in _CACHE:
        _CACHE[key] = _features(row, k)
    return _CACHE[key]


def _features(row, k):
    """As AutoRun computes them: agreement on the extracted answer, best and mean ORM, mean token entropy."""
    probe = row["samples"][:k]
    votes = {}
    for s in probe:
        votes[s["answer"]] = votes.get(s["answer"], 0) + 1
    ent = [s["entropy"] for s in probe if s["entropy"] is not None and not math.isnan(s["entropy"])]
    return {
        "agreement": max(votes.values()) / k,
        "best_score": max(s["orm"] for s in probe),
        "mean_score": sum(s["orm"] for s in probe) / k,
        "mean_entropy": sum(ent) / len(ent) if ent else float("nan"),
    }


def decide(rule, f):
    """The first clause that matches, else otherwise: (n, reason)."""
    for feat, below, thr, n in rule["clauses"]:
        v = f[feat]
        if not math.isnan(v) and (v < thr if below else v >= thr):
            return n
    return rule["otherwise"]


def evaluate(rule, rows):
    acc = tok = 0
    for r in rows:
        n = decide(rule, features(r, rule["probe"]))
        ok, t = best_of(r, max(n, rule["probe"]))
        acc += ok
        tok += t
    return acc / len(rows), tok / len(rows)


def fit_bins(rows, k, feat, bins, price):
    values = sorted(features(r, k)[feat] for r in rows)
    edges = sorted({values[int(len(values) * b / bins)] for b in range(1, bins)})
    choices = []
    lo = -math.inf
    for hi in edges + [math.inf]:
        sub = [r for r in rows if lo <= features(r, k)[feat] < hi]
        options = (k,) + tuple(n for n in SIZES if n > k)
        choices.append(max(options, key=lambda n: sum(best_of(r, n)[0] for r in sub)
                           - sum(best_of(r, n)[1] for r in sub) / price) if sub else k)
        lo = hi
    clauses = [(feat, True, e, c) for e, c in zip(edges, choices[:-1])]
    # merge neighbouring clauses with the same choice: the first of a run of equal choices is redundant
    merged = []
    for i, c in enumerate(clauses):
        nxt = clauses[i + 1][3] if i + 1 < len(clauses) else choices[-1]
        if c[3] != nxt:
            merged.append(c)
    return {"probe": k, "clauses": merged, "otherwise": choices[-1]}


def text(rule, comment):
    out = [f"# {line}" for line in comment] + [f"probe {rule['probe']}"]
    for feat, below, thr, n in rule["clauses"]:
        out.append(f"when {feat} {'<' if below else '>='} {thr!r} {choice(rule, n)}")
    out.append(f"otherwise {choice(rule, rule['otherwise'])}")
    return "\n".join(out) + "\n"


def choice(rule, n):
    return "stop" if n <= rule["probe"] else f"bon {n}"


def parse(path):
    rule = {"clauses": []}
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            if w[0] == "probe":
                rule["probe"] = int(w[1])
            elif w[0] == "when":
                n = rule["probe"] if w[4] == "stop" else int(w[5])
                if w[4] not in ("stop", "bon"):
                    raise SystemExit(f"replay knows stop and bon choices only, found {w[4]}")
                rule["clauses"].append((w[1], w[2] == "<", float(w[3]), n))
            elif w[0] == "otherwise":
                rule["otherwise"] = rule["probe"] if w[1] == "stop" else int(w[2])
    return rule


def main():
    if sys.argv[1] == "--replay":
        rows = load(sys.argv[3])
        a, t = evaluate(parse(sys.argv[2]), rows)
        print(f"{sys.argv[2]} on {sys.argv[3]}: accuracy {a:.3f} at {t:.1f} tokens/problem ({len(rows)} problems)")
        for n in (4, 16, 64):
            print(f"fixed bon-{n}: accuracy {sum(best_of(r, n)[0] for r in rows) / len(rows):.3f}"
                  f" at {sum(best_of(r, n)[1] for r in rows) / len(rows):.1f}")
        return
    rows = load(sys.argv[1])
    fixed = {n: (sum(best_of(r, n)[0] for r in rows) / len(rows), sum(best_of(r, n)[1] for r in rows) / len(rows))
             for n in (2, 4, 8, 16, 32, 64)}
    best_n = max(fixed, key=lambda n: (fixed[n][0], -fixed[n][1]))
    cap = HALF * fixed[best_n][1]
    for n, (a, t) in fixed.items():
        print(f"fixed bon-{n}: {a:.3f} at {t:.0f} tokens")
    print(f"best fixed: bon-{best_n}; token cap {cap:.0f}")
    folds = (rows[0::2], rows[1::2])
    found = []
    for k in PROBES:
        for feat in FEATURES:
            for bins in BIN_COUNTS:
                for price in PRICES:
                    a = t = 0
                    for i in (0, 1):
                        fa, ft = evaluate(fit_bins(folds[i], k, feat, bins, price), folds[1 - i])
                        a += fa * len(folds[1 - i]) / len(rows)
                        t += ft * len(folds[1 - i]) / len(rows)
                    found.append((a, t, (k, feat, bins, price)))
    matching = [x for x in found if x[0] >= fixed[best_n][0]]
    cv_a, cv_t, how = (min(matching, key=lambda x: (x[1], -x[0])) if matching
                       else max(found, key=lambda x: (x[0], -x[1])))
    within = [x for x in found if x[1] <= cap]
    x = max(within, key=lambda x: (x[0], -x[1]))
    print(f"most accurate out of fold within half of bon-{best_n}'s tokens: {x[2]}: {x[0]:.3f} at {x[1]:.0f}")
    print(f"chosen by 2-fold CV: probe {how[0]}, {how[1]}, {how[2]} bins, price {how[3]}:"
          f" {cv_a:.3f} at {cv_t:.0f} tokens out of fold")
    for x in sorted(found, key=lambda x: (-x[0], x[1]))[:5]:
        print(f"  (most accurate out of fold, any tokens) {x[2]}: {x[0]:.3f} at {x[1]:.0f}")
    rule = fit_bins(rows, *how)
    a, t = evaluate(rule, rows)
    comment = [f"Search.auto's rule for Countdown, written by bench/countdown/fit_auto.py on {sys.argv[1].split('/')[-1]}",
               f"(the validation split, {len(rows)} problems, seed 1, committed policy and orm-cached).",
               f"Setting chosen by 2-fold CV (out of fold: {cv_a:.3f} at {cv_t:.0f} tokens/problem): probe {how[0]},",
               f"{how[1]} in {how[2]} quantile bins, price {how[3]} tokens per solved problem; refitted on the whole",
               f"split: {a:.3f} at {t:.0f} (in sample); fixed bon-{best_n} {fixed[best_n][0]:.3f} at {fixed[best_n][1]:.0f}."]
    body = text(rule, comment)
    print(body)
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as f:
            f.write(body)


if __name__ == "__main__":
    main()
