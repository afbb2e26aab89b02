"""Countdown task: problem generator, text format and checker.

Format
  prompt   : "numbers: 3 7 25 50 target: 85\n"      (numbers sorted ascending, single spaces)
  solution : "25 * 3 = 75\n75 + 7 = 82\n82 + 3 = 85\nanswer: 85"   followed by the EOS token
Each step takes two entries from the pool (the given numbers plus earlier results, each used at most once)
and puts its result back. Results must be positive integers: a - b only when a > b, a / b only when exact.

The checker's rules are specified in README.md ("Countdown checker"); checker_vectors.jsonl pins them.
"""
from __future__ import annotations

import random
import re
from collections import Counter
from typing import List, Optional, Tuple

N_NUMBERS = 4
NUM_MIN, NUM_MAX = 1, 50
TARGET_MIN, TARGET_MAX = 10, 200
MAX_STEPS = 3
OPS = "+-*/"

REASONS = [
    "ok",                       # correct solution
    "empty",                    # text has no non-whitespace character
    "malformed_line",           # a line is neither a step "A op B = C" nor "answer: N" (exact spacing)
    "unknown_operator",         # step shape is right but op is not one of + - * /
    "number_not_in_pool",       # operand never was in the pool (not given, not produced by a step)
    "number_reused",            # operand was in the pool before but every copy is already used
    "non_positive_result",      # subtraction with A <= B
    "non_integer_result",       # division that is not exact
    "wrong_arithmetic",         # C differs from A op B
    "too_many_steps",           # a 4th step line (more than MAX_STEPS = 3 steps)
    "no_steps",                 # answer line with no step before it
    "missing_answer",           # text ends without an answer line
    "extra_text_after_answer",  # anything (even a newline) after the answer line
    "answer_not_target",        # N != target
    "answer_not_last_result",   # N == target but N != result of the last step
]

_NUM = r"(0|[1-9][0-9]{0,8})"
STEP_RE = re.compile(r"^" + _NUM + r" (\S) " + _NUM + r" = (-?(?:0|[1-9][0-9]{0,8}))$")
ANSWER_RE = re.compile(r"^answer: " + _NUM + r"$")


def prompt_text(numbers, target) -> str:
    return "numbers: " + " ".join(str(n) for n in sorted(numbers)) + f" target: {target}\n"


def solution_text(steps, answer) -> str:
    return "".join(f"{a} {op} {b} = {c}\n" for a, op, b, c in steps) + f"answer: {answer}"


def apply(a, op, b) -> Optional[int]:
    if op == "+":
        return a + b
    if op == "*":
        return a * b
    if op == "-":
        return a - b if a > b else None
    if op == "/":
        return a // b if b != 0 and a % b == 0 else None
    raise ValueError(op)


def check(numbers: List[int], target: int, text: str) -> Tuple[bool, str]:
    """Verdict for a generated solution (the text after the prompt, EOS removed)."""
    if text.strip() == "":
        return False, "empty"
    lines = text.split("\n")
    pool = Counter(numbers)
    seen = set(numbers)
    steps = 0
    last = None
    for idx, line in enumerate(lines):
        if line.startswith("answer:"):
            m = ANSWER_RE.match(line)
            if not m:
                return False, "malformed_line"
            if idx != len(lines) - 1:
                return False, "extra_text_after_answer"
            n = int(m.group(1))
            if steps == 0:
                return False, "no_steps"
            if n != target:
                return False, "answer_not_target"
            if n != last:
                return False, "answer_not_last_result"
            return True, "ok"
        m = STEP_RE.match(line)
        if not m:
            if line == "" and idx == len(lines) - 1:
                return False, "missing_answer"
            return False, "malformed_line"
        if steps == MAX_STEPS:
            return False, "too_many_steps"
        a, op, b, c = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
        if op not in OPS:
            return False, "unknown_operator"
        for x in (a, b):
            if pool[x] == 0:
                return False, "number_reused" if x in seen else "number_not_in_pool"
            pool[x] -= 1
        if op == "-" and a <= b:
            return False, "non_positive_result"
        if op == "/" and a % b != 0:
            return False, "non_integer_result"
        if c != apply(a, op, b):
            return False, "wrong_arithmetic"
        pool[c] += 1
        seen.add(c)
        steps += 1
        last = c
    return False, "missing_answer"


# ------------------------------------------------------------------ generation

STEP_WEIGHTS = {1: 0.2, 2: 0.35, 3: 0.45}  # how many steps the generating solution has


def random_solution(rng: random.Random, numbers, k):
    """A random valid k-step solution from `numbers`; returns (steps, result) or None.
    Operands are written larger first (A >= B) for every operator."""
    pool = list(numbers)
    steps = []
    for _ in range(k):
        i, j = rng.sample(range(len(pool)), 2)
        a, b = max(pool[i], pool[j]), min(pool[i], pool[j])
        ops = [op for op in OPS if apply(a, op, b) is not None]
        op = rng.choice(ops)
        c = apply(a, op, b)
        for idx in sorted((i, j), reverse=True):
            pool.pop(idx)
        pool.append(c)
        steps.append((a, op, b, c))
    return steps, steps[-1][3]


def no_dead_steps(steps) -> bool:
    """True when every step but the last has its result consumed by a later step."""
    pending = Counter()
    for a, op, b, c in steps:
        for x in (a, b):
            if pending[x] > 0:
                pending[x] -= 1
        pending[c] += 1
    # the last result stays; everything else produced must have been consumed
    return sum(pending.values()) == 1


def random_problem(rng: random.Random):
    """(numbers sorted, target, steps): target in [10,200], not one of the numbers, produced by a random
    valid solution of 1-3 steps in which every intermediate result is used by a later step."""
    while True:
        numbers = sorted(rng.randint(NUM_MIN, NUM_MAX) for _ in range(N_NUMBERS))
        k = rng.choices(list(STEP_WEIGHTS), weights=list(STEP_WEIGHTS.values()))[0]
        steps, target = random_solution(rng, numbers, k)
        if TARGET_MIN <= target <= TARGET_MAX and target not in numbers and no_dead_steps(steps):
            return numbers, target, steps


def problem_key(numbers, target):
    return (tuple(sorted(numbers)), target)


def solve_all(numbers, target, max_steps=MAX_STEPS):
    """All valid solutions (as step lists) reaching target, by DFS (operands larger first)."""
    out = []

    def rec(pool, steps):
        if steps and steps[-1][3] == target:
            out.append(list(steps))
        if len(steps) == max_steps:
            return
        n = len(pool)
        for i in range(n):
            for j in range(i + 1, n):
                a, b = max(pool[i], pool[j]), min(pool[i], pool[j])
                rest = [pool[t] for t in range(n) if t != i and t != j]
                for op in OPS:
                    c = apply(a, op, b)
                    if c is None:
                        continue
                    steps.append((a, op, b, c))
                    rec(rest + [c], steps)
                    steps.pop()

    rec(list(numbers), [])
    return out


def random_valid_solution_for(rng: random.Random, numbers, target):
    sols = solve_all(numbers, target)
    return rng.choice(sols) if sols else None
