package dev.ponder.tasks.countdown;

import java.util.Objects;

/**
 * The checker's verdict on one Countdown solution: correct or not, and the first rule it broke.
 *
 * @param correct true exactly when {@code reason} is {@link Reason#OK}
 * @param reason  why; the reason codes are shared with the Python checker ({@code onnx-models/countdown/task.py})
 */
public record CountdownVerdict(boolean correct, Reason reason) {

  public CountdownVerdict {
    Objects.requireNonNull(reason, "reason");
    if (correct != (reason == Reason.OK)) {
      throw new IllegalArgumentException("a verdict is correct exactly when its reason is OK; was correct=" + correct
          + " with reason " + reason);
    }
  }

  static CountdownVerdict of(Reason reason) {
    return new CountdownVerdict(reason == Reason.OK, reason);
  }

  /** Why a solution was accepted or rejected; {@link #code()} is the Python checker's reason string. */
  public enum Reason {
    /** A correct solution. */
    OK("ok"),
    /** The text has no non-whitespace character. */
    EMPTY("empty"),
    /** A line is neither a step {@code "A op B = C"} nor {@code "answer: N"}, with exact spacing. */
    MALFORMED_LINE("malformed_line"),
    /** The step's shape is right but its operator is not one of + - * /. */
    UNKNOWN_OPERATOR("unknown_operator"),
    /** An operand never was in the pool: not given and not produced by a step. */
    NUMBER_NOT_IN_POOL("number_not_in_pool"),
    /** An operand was in the pool, but every copy of it is already used. */
    NUMBER_REUSED("number_reused"),
    /** A subtraction {@code A - B} with {@code A <= B}. */
    NON_POSITIVE_RESULT("non_positive_result"),
    /** A division that is not exact. */
    NON_INTEGER_RESULT("non_integer_result"),
    /** {@code C} differs from {@code A op B}. */
    WRONG_ARITHMETIC("wrong_arithmetic"),
    /** A step line beyond the third. */
    TOO_MANY_STEPS("too_many_steps"),
    /** An answer line with no step before it. */
    NO_STEPS("no_steps"),
    /** The text ends without an answer line. */
    MISSING_ANSWER("missing_answer"),
    /** Anything, even a newline, after the answer line. */
    EXTRA_TEXT_AFTER_ANSWER("extra_text_after_answer"),
    /** The answer is not the target. */
    ANSWER_NOT_TARGET("answer_not_target"),
    /** The answer is the target but not the result of the last step. */
    ANSWER_NOT_LAST_RESULT("answer_not_last_result");

    private final String code;

    Reason(String code) {
      this.code = code;
    }

    /** The reason code as the Python checker and {@code checker_vectors.jsonl} spell it, e.g. {@code "number_reused"}. */
    public String code() {
      return code;
    }

    /** The reason with this code. */
    public static Reason ofCode(String code) {
      for (Reason r : values()) {
        if (r.code.equals(code)) {
          return r;
        }
      }
      throw new IllegalArgumentException("unknown Countdown reason code '" + code + "'");
    }
  }
}
