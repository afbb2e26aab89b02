package dev.ponder.tasks.countdown;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One Countdown problem: reach {@code target} from {@code numbers} with + - * /. Its prompt is one line,
 * {@code "numbers: 3 7 25 50 target: 85\n"} (numbers ascending, single spaces).
 *
 * @param numbers the given numbers, each a positive integer, in the order given (at least one)
 * @param target  the number to reach, a positive integer
 */
public record CountdownProblem(List<Integer> numbers, int target) {

  private static final String NUMBERS = "numbers: ";
  private static final String TARGET = " target: ";

  public CountdownProblem {
    numbers = List.copyOf(Objects.requireNonNull(numbers, "numbers"));
    if (numbers.isEmpty()) {
      throw new IllegalArgumentException("a Countdown problem needs at least one number, was none");
    }
    for (int n : numbers) {
      if (n <= 0) {
        throw new IllegalArgumentException("Countdown numbers must be positive integers, was " + n + " in " + numbers);
      }
    }
    if (target <= 0) {
      throw new IllegalArgumentException("the Countdown target must be a positive integer, was " + target);
    }
  }

  /**
   * Parses a prompt line {@code "numbers: 3 7 25 50 target: 85"}; one trailing {@code "\n"} is allowed.
   *
   * @throws IllegalArgumentException naming the text and the expected format when it is not such a line
   */
  public static CountdownProblem parse(String prompt) {
    Objects.requireNonNull(prompt, "prompt");
    String line = prompt.endsWith("\n") ? prompt.substring(0, prompt.length() - 1) : prompt;
    int t = line.lastIndexOf(TARGET);
    if (!line.startsWith(NUMBERS) || t < NUMBERS.length()) {
      throw malformed(prompt, "it does not read 'numbers: ... target: ...'");
    }
    List<Integer> numbers = new ArrayList<>();
    for (String field : line.substring(NUMBERS.length(), t).split(" ", -1)) {
      numbers.add(positive(prompt, field));
    }
    return new CountdownProblem(numbers, positive(prompt, line.substring(t + TARGET.length())));
  }

  /** The prompt line the policy was trained on, numbers ascending, ending with {@code "\n"}. */
  public String prompt() {
    return NUMBERS + numbers.stream().sorted().map(String::valueOf).collect(Collectors.joining(" ")) + TARGET + target
        + "\n";
  }

  private static int positive(String prompt, String field) {
    if (field.isEmpty() || field.length() > 9 || !field.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw malformed(prompt, "'" + field + "' is not a number of 1 to 9 digits");
    }
    int n = Integer.parseInt(field);
    if (n == 0) {
      throw malformed(prompt, "numbers and target must be positive, found 0");
    }
    return n;
  }

  private static IllegalArgumentException malformed(String prompt, String why) {
    return new IllegalArgumentException("not a Countdown prompt: " + quoted(prompt) + " (" + why
        + "); expected one line like \"numbers: 3 7 25 50 target: 85\" with single spaces and positive integers");
  }

  /** The prompt in quotes with its line breaks shown, at most 100 characters of it. */
  private static String quoted(String prompt) {
    String head = prompt.length() <= 100 ? prompt : prompt.substring(0, 100) + "…";
    return "\"" + head.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + "\"";
  }
}
