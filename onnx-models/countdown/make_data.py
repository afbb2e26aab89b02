"""Writes the committed evaluation splits test.jsonl (500) and validation.jsonl (500).

Both come from one seeded stream of random problems (task.random_problem, seed 20240601), deduplicated by
(sorted numbers, target); the first 500 distinct problems are the test split, the next 500 validation.
Training problems are drawn from other seeds and skip every (numbers, target) key of these two splits
(see train_problems), so the three splits are disjoint.
"""
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import task  # noqa: E402

EVAL_SEED = 20240601
N_TEST = 500
N_VAL = 500


def eval_splits():
    rng = random.Random(EVAL_SEED)
    seen, probs = set(), []
    while len(probs) < N_TEST + N_VAL:
        numbers, target, _ = task.random_problem(rng)
        key = task.problem_key(numbers, target)
        if key in seen:
            continue
        seen.add(key)
        probs.append((numbers, target))
    return probs[:N_TEST], probs[N_TEST:]


def load_split(name):
    with open(os.path.join(HERE, f"{name}.jsonl")) as f:
        return [json.loads(line) for line in f]


def held_out_keys():
    keys = set()
    for name in ("test", "validation"):
        for p in load_split(name):
            keys.add(task.problem_key(p["numbers"], p["target"]))
    return keys


def train_problems(seed, held_out=None):
    """Infinite seeded stream of (numbers, target, steps) training problems disjoint from test/validation."""
    held_out = held_out_keys() if held_out is None else held_out
    rng = random.Random(seed)
    while True:
        numbers, target, steps = task.random_problem(rng)
        if task.problem_key(numbers, target) not in held_out:
            yield numbers, target, steps


def main():
    test, val = eval_splits()
    for name, probs in (("test", test), ("validation", val)):
        with open(os.path.join(HERE, f"{name}.jsonl"), "w") as f:
            for i, (numbers, target) in enumerate(probs):
                f.write(json.dumps({"id": f"{name}-{i:04d}", "numbers": numbers, "target": target}) + "\n")
    print(f"wrote {len(test)} test and {len(val)} validation problems")


if __name__ == "__main__":
    main()
