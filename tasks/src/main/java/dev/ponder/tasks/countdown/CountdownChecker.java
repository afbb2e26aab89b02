package dev.ponder.tasks.countdown;

import dev.ponder.engine.SearchContext;
import dev.ponder.verifiers.Verifier;
import dev.ponder.verifiers.Verifier.VerifierInput;
import dev.ponder.tasks.countdown.CountdownVerdict.Reason;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The Countdown rule checker: the Java twin of {@code check} in {@code onnx-models/countdown/task.py}, returning the
 * same verdict and reason code for every input (pinned by {@code checker_vectors.jsonl}).
 *
 * <p>A solution is one step per line, {@code "a op b = c"} with op one of + - * / and single spaces; each step
 * takes two entries from the pool (the given numbers and earlier results, each used at most once) and puts its
 * result back. Results are positive integers: {@code a - b} only when {@code a > b}, {@code a / b} only when exact.
 * At most {@value #MAX_STEPS} steps; the last line is {@code "answer: N"} and nothing follows it. Correct when every
 * step is valid and {@code N} equals both the target and the last step's result. Rules are applied line by line
 * and the first broken one is the reason, in the Python checker's order.
 *
 * <p>As a {@link Verifier} it scores 1.0 (correct) or 0.0 from {@code prompt + text}: the first line is the problem
 * ({@link CountdownProblem#parse}), the rest is the solution. The text is the generated text with end-of-sequence
 * tokens removed, as the Python toolchain checks it. Stateless and thread-safe.
 */
public final class CountdownChecker implements Verifier {
  /** The most steps a solution may have. */
  public static final int MAX_STEPS = 3;

  private static final CountdownChecker INSTANCE = new CountdownChecker();
  private static final String ANSWER = "answer:";
  private static final Set<String> OPERATORS = Set.of("+", "-", "*", "/");

  private CountdownChecker() {
  }

  public static CountdownChecker create() {
    return INSTANCE;
  }

  @Override
  public String name() {
    return "countdown";
  }

  /** 1.0 for a correct solution, else 0.0; one verifier call per list, no tokens. */
  @Override
  public double[] score(List<VerifierInput> inputs, SearchContext ctx) {
    double[] out = new double[inputs.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = check(inputs.get(i).full()).correct() ? 1.0 : 0.0;
    }
    ctx.counters().addVerifierCalls(1);
    return out;
  }

  /**
   * Checks a prompt line followed by a solution, e.g. {@code "numbers: 3 7 25 50 target: 85\n50 + 25 = 75\n..."}.
   *
   * @throws IllegalArgumentException when the first line is not a Countdown prompt
   */
  public CountdownVerdict check(String promptAndSolution) {
    int nl = promptAndSolution.indexOf('\n');
    String prompt = nl < 0 ? promptAndSolution : promptAndSolution.substring(0, nl);
    String solution = nl < 0 ? "" : promptAndSolution.substring(nl + 1);
    return check(CountdownProblem.parse(prompt), solution);
  }

  /** Checks a solution (the text after the prompt, end-of-sequence removed) against a problem. */
  public CountdownVerdict check(CountdownProblem problem, String solution) {
    Objects.requireNonNull(problem, "problem");
    Objects.requireNonNull(solution, "solution");
    return CountdownVerdict.of(reason(problem, solution));
  }

  private static Reason reason(CountdownProblem problem, String text) {
    if (isBlank(text)) {
      return Reason.EMPTY;
    }
    String[] lines = text.split("\n", -1);
    Map<Long, Integer> pool = new HashMap<>();
    Set<Long> seen = new HashSet<>();
    for (int n : problem.numbers()) {
      pool.merge((long) n, 1, Integer::sum);
      seen.add((long) n);
    }
    int steps = 0;
    long last = -1;
    for (int idx = 0; idx < lines.length; idx++) {
      String line = lines[idx];
      boolean lastLine = idx == lines.length - 1;
      if (line.startsWith(ANSWER)) {
        return answer(line, lastLine, steps, problem.target(), last);
      }
      Step step = Step.parse(line);
      if (step == null) {
        return line.isEmpty() && lastLine ? Reason.MISSING_ANSWER : Reason.MALFORMED_LINE;
      }
      if (steps == MAX_STEPS) {
        return Reason.TOO_MANY_STEPS;
      }
      if (!OPERATORS.contains(step.op)) {
        return Reason.UNKNOWN_OPERATOR;
      }
      for (long x : new long[] {step.a, step.b}) {
        int count = pool.getOrDefault(x, 0);
        if (count == 0) {
          return seen.contains(x) ? Reason.NUMBER_REUSED : Reason.NUMBER_NOT_IN_POOL;
        }
        pool.put(x, count - 1);
      }
      Reason invalid = step.invalidity();
      if (invalid != null) {
        return invalid;
      }
      pool.merge(step.c, 1, Integer::sum);
      seen.add(step.c);
      steps++;
      last = step.c;
    }
    return Reason.MISSING_ANSWER;
  }

  private static Reason answer(String line, boolean lastLine, int steps, int target, long last) {
    int end = line.startsWith("answer: ") ? Step.numberEnd(line, "answer: ".length()) : -1;
    if (end != line.length()) {
      return Reason.MALFORMED_LINE;
    }
    if (!lastLine) {
      return Reason.EXTRA_TEXT_AFTER_ANSWER;
    }
    long n = Long.parseLong(line.substring("answer: ".length()));
    if (steps == 0) {
      return Reason.NO_STEPS;
    }
    if (n != target) {
      return Reason.ANSWER_NOT_TARGET;
    }
    return n != last ? Reason.ANSWER_NOT_LAST_RESULT : Reason.OK;
  }

  /** Python's {@code str.strip() == ""}: every code point is whitespace by {@code str.isspace}. */
  static boolean isBlank(String text) {
    return text.codePoints().allMatch(CountdownChecker::isPythonSpace);
  }

  /**
   * The character span {@code [start, end)} of the result of the text's last step line ({@code "20 + 18 = 38"}: the
   * {@code "38"}), by the same line grammar the checker reads; null when no line is a step.
   */
  static int[] lastStepResult(String text) {
    int[] span = null;
    int offset = 0;
    for (String line : text.split("\n", -1)) {
      if (Step.parse(line) != null) {
        span = new int[] {offset + line.lastIndexOf(" = ") + 3, offset + line.length()};
      }
      offset += line.length() + 1;
    }
    return span;
  }

  /** Python's {@code str.isspace} for one code point (also what {@code \s} matches in a Python str pattern). */
  static boolean isPythonSpace(int cp) {
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 || cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
        || cp == 0x3000;
  }

  /**
   * One step line, {@code NUM " " OP " " NUM " = " ["-"] NUM} where NUM is {@code 0|[1-9][0-9]{0,8}} and OP any one
   * non-whitespace code point: the Python checker's {@code STEP_RE}.
   */
  private record Step(long a, String op, long b, long c) {

    static Step parse(String line) {
      int aEnd = numberEnd(line, 0);
      if (aEnd < 0 || !charAt(line, aEnd, ' ') || aEnd + 1 >= line.length()) {
        return null;
      }
      int cp = line.codePointAt(aEnd + 1);
      if (isPythonSpace(cp)) {
        return null;
      }
      int opEnd = aEnd + 1 + Character.charCount(cp);
      if (!charAt(line, opEnd, ' ')) {
        return null;
      }
      int bEnd = numberEnd(line, opEnd + 1);
      if (bEnd < 0 || !line.startsWith(" = ", bEnd)) {
        return null;
      }
      int cStart = bEnd + 3;
      boolean negative = charAt(line, cStart, '-');
      int cEnd = numberEnd(line, negative ? cStart + 1 : cStart);
      if (cEnd != line.length()) {
        return null;
      }
      return new Step(Long.parseLong(line.substring(0, aEnd)), line.substring(aEnd + 1, opEnd),
          Long.parseLong(line.substring(opEnd + 1, bEnd)), Long.parseLong(line.substring(cStart, cEnd)));
    }

    /** The end of a NUM starting at {@code from}, or -1: "0", or 1 to 9 digits not starting with 0. */
    static int numberEnd(String s, int from) {
      int end = from;
      while (end < s.length() && s.charAt(end) >= '0' && s.charAt(end) <= '9') {
        end++;
      }
      int digits = end - from;
      if (digits == 0 || digits > 9 || (digits > 1 && s.charAt(from) == '0')) {
        return -1;
      }
      return end;
    }

    private static boolean charAt(String s, int i, char c) {
      return i < s.length() && s.charAt(i) == c;
    }

    /** The arithmetic rule this step breaks, or null; operands are known positive. */
    Reason invalidity() {
      switch (op) {
        case "-":
          if (a <= b) {
            return Reason.NON_POSITIVE_RESULT;
          }
          return c != a - b ? Reason.WRONG_ARITHMETIC : null;
        case "/":
          if (a % b != 0) {
            return Reason.NON_INTEGER_RESULT;
          }
          return c != a / b ? Reason.WRONG_ARITHMETIC : null;
        case "+":
          return c != a + b ? Reason.WRONG_ARITHMETIC : null;
        default:
          return c != a * b ? Reason.WRONG_ARITHMETIC : null;
      }
    }
  }
}
