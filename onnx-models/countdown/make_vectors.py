"""Writes checker_vectors.jsonl: hand-written cases with their expected verdict, each asserted against
task.check, covering every reason code. The Java checker must produce the same (correct, reason)."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import task  # noqa: E402

N = [3, 7, 25, 50]
T = 85
CASES = [
    # (numbers, target, text, correct, reason)
    (N, T, "25 * 3 = 75\n75 + 7 = 82\n82 + 3 = 85\nanswer: 85", False, "number_reused"),
    (N, T, "50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\nanswer: 85", True, "ok"),
    (N, T, "50 + 25 = 75\n7 + 3 = 10\n75 + 10 = 85\nanswer: 85", True, "ok"),
    (N, T, "50 + 7 = 57\n57 - 3 = 54\nanswer: 54", False, "answer_not_target"),
    ([2, 2, 4, 40], 42, "40 + 2 = 42\nanswer: 42", True, "ok"),
    ([2, 2, 4, 40], 44, "2 + 2 = 4\n40 + 4 = 44\nanswer: 44", True, "ok"),
    ([2, 2, 4, 40], 84, "2 + 2 = 4\n4 + 4 = 8\n40 + 4 = 44\nanswer: 44", False, "number_reused"),
    ([6, 9, 12, 30], 10, "30 / 6 = 5\n12 - 9 = 3\n5 + 3 = 8\nanswer: 8", False, "answer_not_target"),
    ([6, 9, 12, 30], 14, "30 / 6 = 5\n9 + 5 = 14\nanswer: 14", True, "ok"),
    ([6, 9, 12, 30], 14, "30 / 6 = 5\n9 + 5 = 14\n12 - 6 = 6\nanswer: 14", False, "number_reused"),
    ([6, 9, 12, 30], 21, "12 + 9 = 21\n30 - 6 = 24\nanswer: 21", False, "answer_not_last_result"),
    # empty
    (N, T, "", False, "empty"),
    (N, T, "   \n \n", False, "empty"),
    # malformed lines
    (N, T, "50+25=75\nanswer: 75", False, "malformed_line"),
    (N, T, "50 + 25 = 75 \nanswer: 75", False, "malformed_line"),
    (N, T, "50 + 25 = 75\n\n75 + 7 = 82\nanswer: 82", False, "malformed_line"),
    (N, T, "50 + 25\nanswer: 75", False, "malformed_line"),
    (N, T, "050 + 25 = 75\nanswer: 75", False, "malformed_line"),
    (N, T, "50 + 25 = 75\nanswer: 75 ", False, "malformed_line"),
    (N, T, "50 + 25 = 75\nanswer:75", False, "malformed_line"),
    (N, T, "50 + 25 = 75\nanswer: -75", False, "malformed_line"),
    (N, T, "50 + 25 = 7", False, "wrong_arithmetic"),  # a cut-off line can still parse
    (N, T, "50 + 25 = 75\n75 + 7 = 82\n82 +", False, "malformed_line"),
    (N, T, "numbers: 3 7 25 50 target: 85", False, "malformed_line"),
    (N, T, "50 ++ 25 = 75\nanswer: 75", False, "malformed_line"),
    (N, T, "1234567890 + 3 = 1234567893\nanswer: 85", False, "malformed_line"),
    # unknown operator
    (N, T, "50 x 25 = 75\nanswer: 75", False, "unknown_operator"),
    (N, T, "50 % 25 = 0\nanswer: 0", False, "unknown_operator"),
    (N, T, "50 = 25 = 75\nanswer: 75", False, "unknown_operator"),
    # number not in pool / reused
    (N, T, "60 + 25 = 85\nanswer: 85", False, "number_not_in_pool"),
    (N, T, "50 + 35 = 85\nanswer: 85", False, "number_not_in_pool"),
    (N, T, "50 + 0 = 50\nanswer: 50", False, "number_not_in_pool"),
    (N, T, "50 + 50 = 100\nanswer: 100", False, "number_reused"),
    (N, T, "50 + 25 = 75\n50 + 35 = 85\nanswer: 85", False, "number_reused"),
    (N, T, "50 + 25 = 75\n75 + 7 = 82\n75 + 3 = 78\nanswer: 78", False, "number_reused"),
    (N, T, "50 + 25 = 75\n82 + 3 = 85\nanswer: 85", False, "number_not_in_pool"),
    # wrong arithmetic
    (N, T, "50 + 25 = 76\nanswer: 76", False, "wrong_arithmetic"),
    (N, T, "50 * 3 = 153\nanswer: 153", False, "wrong_arithmetic"),
    (N, T, "50 / 25 = 3\nanswer: 3", False, "wrong_arithmetic"),
    (N, T, "50 - 25 = -25\nanswer: 85", False, "wrong_arithmetic"),
    # non-positive / non-integer results
    (N, T, "25 - 50 = -25\nanswer: 85", False, "non_positive_result"),
    (N, T, "25 - 50 = 25\nanswer: 85", False, "non_positive_result"),
    ([5, 5, 8, 9], 17, "5 - 5 = 0\nanswer: 17", False, "non_positive_result"),
    (N, T, "50 / 3 = 16\nanswer: 16", False, "non_integer_result"),
    (N, T, "3 / 50 = 0\nanswer: 85", False, "non_integer_result"),
    # missing answer
    (N, T, "50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85", False, "missing_answer"),
    (N, T, "50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\n", False, "missing_answer"),
    (N, T, "50 + 25 = 75\n", False, "missing_answer"),
    # answer checks
    (N, T, "50 + 25 = 75\n75 + 7 = 82\nanswer: 82", False, "answer_not_target"),
    (N, T, "50 + 25 = 75\n75 + 7 = 82\nanswer: 85", False, "answer_not_last_result"),
    (N, T, "50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\nanswer: 84", False, "answer_not_target"),
    (N, T, "answer: 85", False, "no_steps"),
    ([3, 7, 25, 85], T, "answer: 85", False, "no_steps"),
    # extra text after the answer
    (N, T, "50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\nanswer: 85\n", False, "extra_text_after_answer"),
    (N, T, "50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\nanswer: 85\nanswer: 85", False, "extra_text_after_answer"),
    (N, T, "50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\nanswer: 85\n7 + 3 = 10", False, "extra_text_after_answer"),
    (N, T, "50 + 7 = 57\nanswer: 57\n57 + 25 = 82", False, "extra_text_after_answer"),
    # too many steps
    (N, T, "50 + 25 = 75\n75 + 7 = 82\n82 + 3 = 85\n85 - 3 = 82\nanswer: 82", False, "too_many_steps"),
    (N, T, "7 - 3 = 4\n50 / 25 = 2\n4 * 2 = 8\n8 + 77 = 85\nanswer: 85", False, "too_many_steps"),
    # commutative order is free; equal operands need two copies
    (N, T, "25 + 50 = 75\n7 + 75 = 82\n3 + 82 = 85\nanswer: 85", True, "ok"),
    ([3, 3, 10, 20], 15, "20 - 3 = 17\n17 - 3 = 14\nanswer: 14", False, "answer_not_target"),
    ([3, 3, 10, 20], 12, "3 + 3 = 6\n6 / 3 = 2\nanswer: 2", False, "number_reused"),
    ([3, 3, 10, 20], 30, "20 + 10 = 30\n3 / 3 = 1\nanswer: 30", False, "answer_not_last_result"),
    ([3, 3, 10, 20], 31, "3 / 3 = 1\n20 + 10 = 30\n30 + 1 = 31\nanswer: 31", True, "ok"),
    ([4, 8, 12, 50], 200, "50 * 4 = 200\nanswer: 200", True, "ok"),
    ([4, 8, 12, 50], 150, "50 * 12 = 600\n600 / 4 = 150\nanswer: 150", True, "ok"),
]


def main():
    covered = set()
    with open(os.path.join(HERE, "checker_vectors.jsonl"), "w") as f:
        for numbers, target, text, correct, reason in CASES:
            got = task.check(numbers, target, text)
            assert got == (correct, reason), (text, got, (correct, reason))
            covered.add(reason)
            f.write(json.dumps({"numbers": numbers, "target": target, "text": text,
                                "correct": correct, "reason": reason}) + "\n")
    missing = set(task.REASONS) - covered
    assert not missing, missing
    print(f"wrote {len(CASES)} checker vectors covering {len(covered)} reason codes")


if __name__ == "__main__":
    main()
