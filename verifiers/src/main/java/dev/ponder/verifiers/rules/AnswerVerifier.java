package dev.ponder.verifiers.rules;

import dev.ponder.verifiers.internal.Quoted;

import dev.ponder.verifiers.Verifier;
import dev.ponder.verifiers.Verifier.VerifierInput;


import dev.ponder.engine.SearchContext;
import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Extracts an answer from the generated text with a regular expression and compares it with a reference:
 * 1.0 when they match, 0.0 when they differ or no answer is found.
 *
 * <p>The answer is the capture group named {@code answer} when the pattern has one, else group 1, else the whole
 * match; the {@link Builder#first() first} or (by default) the last match in the text. Matching is exact string
 * equality by default, or numeric with {@link Builder#numeric(double, double)}: both sides parsed as decimals
 * ({@code "85"}, {@code "-3.50"}, {@code "1e3"}, an optional leading {@code +}), equal when
 * {@code |answer - reference| <= max(absolute, relative · |reference|)}; an answer that does not parse scores 0.
 *
 * <pre>{@code
 * Verifier v = AnswerVerifier.builder().pattern("answer: (-?\\d+)").reference(in -> expected.get(in.prompt()))
 *     .numeric(0, 1e-9).build();
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class AnswerVerifier implements Verifier {
  private final String name;
  private final Pattern pattern;
  private final boolean last;
  private final Function<VerifierInput, String> reference;
  private final boolean numeric;
  private final double absolute;
  private final double relative;

  private AnswerVerifier(Builder b) {
    this.name = b.name;
    this.pattern = b.pattern;
    this.last = b.last;
    this.reference = b.reference;
    this.numeric = b.numeric;
    this.absolute = b.absolute;
    this.relative = b.relative;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String name() {
    return name;
  }

  /** The answer found in {@code text}, if any. */
  public Optional<String> extract(String text) {
    Matcher m = pattern.matcher(text);
    String found = null;
    while (m.find()) {
      found = group(m);
      if (!last) {
        break;
      }
    }
    return Optional.ofNullable(found);
  }

  /** Whether {@code answer} matches {@code reference} under this verifier's rule. */
  public boolean matches(String answer, String reference) {
    if (!numeric) {
      return answer.equals(reference);
    }
    BigDecimal ref = decimal(reference);
    if (ref == null) {
      throw new IllegalArgumentException("verifier '" + name + "': the reference " + Quoted.of(reference)
          + " is not a number, but matching is numeric; give a numeric reference or use exact matching");
    }
    BigDecimal got = decimal(answer);
    if (got == null) {
      return false;
    }
    double diff = got.subtract(ref).abs().doubleValue();
    return diff <= Math.max(absolute, relative * Math.abs(ref.doubleValue()));
  }

  @Override
  public double[] score(List<VerifierInput> inputs, SearchContext ctx) {
    double[] out = new double[inputs.size()];
    for (int i = 0; i < out.length; i++) {
      VerifierInput in = inputs.get(i);
      String ref = reference.apply(in);
      if (ref == null) {
        throw new IllegalArgumentException("verifier '" + name + "' has no reference answer for " + in.describe());
      }
      Optional<String> answer = extract(in.text());
      out[i] = answer.isPresent() && matches(answer.get(), ref) ? 1.0 : 0.0;
    }
    ctx.counters().addVerifierCalls(1);
    return out;
  }

  private static String group(Matcher m) {
    try {
      return m.group("answer");
    } catch (IllegalArgumentException noNamedGroup) {
      return m.groupCount() >= 1 ? m.group(1) : m.group();
    }
  }

  private static BigDecimal decimal(String s) {
    String t = s.strip();
    if (t.startsWith("+")) {
      t = t.substring(1);
    }
    if (t.isEmpty() || t.length() > 400) {
      return null;
    }
    try {
      return new BigDecimal(t);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Configures an {@link AnswerVerifier}; a pattern and a reference are required. */
  public static final class Builder {
    private String name = "answer";
    private Pattern pattern;
    private boolean last = true;
    private boolean lastSet;
    private Function<VerifierInput, String> reference;
    private boolean numeric;
    private double absolute;
    private double relative;

    private Builder() {
    }

    public Builder name(String value) {
      Objects.requireNonNull(value, "name");
      if (value.isBlank()) {
        throw new IllegalArgumentException("the verifier name must not be blank");
      }
      name = value;
      return this;
    }

    /** The regular expression (Java syntax) that finds the answer. */
    public Builder pattern(String regex) {
      Objects.requireNonNull(regex, "pattern");
      try {
        return pattern(Pattern.compile(regex));
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException("the answer pattern " + Quoted.of(regex)
            + " is not a valid Java regular expression: " + e.getDescription(), e);
      }
    }

    public Builder pattern(Pattern value) {
      if (pattern != null) {
        throw new IllegalStateException("pattern was already set to " + Quoted.of(pattern.pattern()));
      }
      pattern = Objects.requireNonNull(value, "pattern");
      return this;
    }

    /** Use the first match in the text (the default is the last). */
    public Builder first() {
      if (lastSet) {
        throw new IllegalStateException("which match to use was already chosen");
      }
      lastSet = true;
      last = false;
      return this;
    }

    /** The same reference answer for every input. */
    public Builder reference(String value) {
      Objects.requireNonNull(value, "reference");
      return reference(in -> value);
    }

    /** The reference answer of each input, e.g. looked up by its prompt. */
    public Builder reference(Function<VerifierInput, String> value) {
      if (reference != null) {
        throw new IllegalStateException("reference was already set");
      }
      reference = Objects.requireNonNull(value, "reference");
      return this;
    }

    /**
     * Numeric matching: equal when {@code |answer - reference| <= max(absolute, relative · |reference|)}.
     * {@code numeric(0, 0)} compares exact decimal values ({@code "85" == "85.0"}).
     */
    public Builder numeric(double absoluteTolerance, double relativeTolerance) {
      if (numeric) {
        throw new IllegalStateException("numeric matching was already set with tolerances (" + absolute + ", "
            + relative + ")");
      }
      if (!(absoluteTolerance >= 0) || Double.isInfinite(absoluteTolerance)
          || !(relativeTolerance >= 0) || Double.isInfinite(relativeTolerance)) {
        throw new IllegalArgumentException("numeric tolerances must be finite and >= 0, were absolute="
            + absoluteTolerance + ", relative=" + relativeTolerance);
      }
      numeric = true;
      absolute = absoluteTolerance;
      relative = relativeTolerance;
      return this;
    }

    public AnswerVerifier build() {
      if (pattern == null) {
        throw new IllegalStateException("an answer verifier needs a pattern: builder().pattern(\"answer: (\\\\S+)\")");
      }
      if (reference == null) {
        throw new IllegalStateException("an answer verifier needs a reference: reference(\"42\") or"
            + " reference(input -> ...)");
      }
      return new AnswerVerifier(this);
    }
  }
}
