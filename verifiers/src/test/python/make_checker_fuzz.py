"""Writes verifiers/src/test/resources/countdown/checker_fuzz.jsonl: mutated Countdown solutions with the verdict
of the Python checker (onnx-models/countdown/task.py), so the Java checker is held to the same verdict and reason
on inputs nobody wrote by hand (whitespace oddities, Unicode operators and spaces, long numbers, cut lines).

Run from the repository root:  onnx-models/.venv/bin/python verifiers/src/test/python/make_checker_fuzz.py
"""
import json
import os
import random
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "onnx-models", "countdown"))
import task  # noqa: E402

OUT = os.path.join(ROOT, "verifiers", "src", "test", "resources", "countdown", "checker_fuzz.jsonl")
ODD = ["\u00a0", "\u2007", "\u202f", "\x85", "\u3000", "\u2028", "\t", "\r", "\x0b", "\x1c", "\u200b", "\ufeff",
       "\u00d7", "\u2212", "\U0001F600", "x", "0", "9", "-", "=", ":", " ", "\n", "answer:", "answer: ", "1000000000",
       "999999999", "00", "-0"]
SEED = 5
N = 3000


def random_step(rng, numbers):
    a, b = rng.choice(numbers + [rng.randint(1, 200)]), rng.choice(numbers + [rng.randint(1, 60)])
    op = rng.choice("+-*/")
    c = task.apply(a, op, b)
    if c is None or rng.random() < 0.3:
        c = rng.choice([a + b, a * b, a - b, a // max(b, 1), rng.randint(1, 200)])
    return f"{a} {op} {b} = {c}"


def mutate(rng, text, numbers):
    ops = rng.randint(1, 3)
    for _ in range(ops):
        kind = rng.randrange(8)
        if kind >= 6:  # replace or insert a random (often well-formed) step line
            lines = text.split("\n")
            k = rng.randrange(len(lines))
            if kind == 6:
                lines[k] = random_step(rng, numbers)
            else:
                lines.insert(k, random_step(rng, numbers))
            text = "\n".join(lines)
            continue
        i = rng.randint(0, len(text))
        if kind == 0 and text:  # delete a span
            j = min(len(text), i + rng.randint(1, 4))
            text = text[:i] + text[j:]
        elif kind == 1:  # insert an odd piece
            text = text[:i] + rng.choice(ODD) + text[i:]
        elif kind == 2 and text:  # replace a character by a digit or operator
            i = min(i, len(text) - 1)
            text = text[:i] + rng.choice("0123456789+-*/ \n") + text[i + 1:]
        elif kind == 3:  # cut
            text = text[:i]
        elif kind == 4:  # duplicate a line
            lines = text.split("\n")
            k = rng.randrange(len(lines))
            lines.insert(k, lines[k])
            text = "\n".join(lines)
        else:  # swap two lines
            lines = text.split("\n")
            if len(lines) > 1:
                a, b = rng.sample(range(len(lines)), 2)
                lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
    return text


def main():
    rng = random.Random(SEED)
    rows = []
    while len(rows) < N:
        numbers, target, steps = task.random_problem(rng)
        good = task.solution_text(steps, target)
        other = rng.choice(task.solve_all(numbers, target) or [steps])
        base = rng.choice([good, task.solution_text(other, other[-1][3])])
        text = base if rng.random() < 0.1 else mutate(rng, base, numbers)
        if rng.random() < 0.05:  # the answer to another target, or a wrong target
            target = target + rng.choice([-1, 1])
        ok, why = task.check(numbers, target, text)
        rows.append({"numbers": numbers, "target": target, "text": text, "correct": ok, "reason": why})
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=True) + "\n")
    from collections import Counter
    print(len(rows), Counter(r["reason"] for r in rows))


if __name__ == "__main__":
    main()
