package dev.ponder.samplers.auto;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The data behind {@code Search.auto}: how many samples to probe with, then a decision list over the probe's
 * features whose first matching clause says what to do next. A caller fits it to a task (the Countdown one is
 * fitted by bench/countdown/fit_auto.py on the validation split) and reads or writes it as text:
 *
 * <pre>
 * probe 4
 * when best_score &lt; 0.02 stop
 * when agreement &gt;= 0.75 stop
 * when best_score &lt; 0.3 bon 16
 * otherwise bon 8
 * </pre>
 *
 * <p>A feature that is NaN (entropy over a process that has none) matches no clause.
 *
 * <p>A rule can decide in stages: another {@code probe K} section after the {@code otherwise} line is the
 * {@link #next} stage. When a {@code bon} choice reaches exactly K samples, that stage reads the features of all K
 * and decides again (stop, or continue further); a {@code bon} choice of another size ends the search there.
 * Staged best-of-N stops early on prompts whose pick already scores high and spends the rest on the others:
 *
 * <pre>
 * probe 8
 * when best_score &gt;= -4 stop
 * otherwise bon 16
 * probe 16
 * when best_score &gt;= -6 stop
 * otherwise bon 64
 * </pre>
 *
 * @param probe     samples in the probe round (in a later stage: the samples drawn when it decides)
 * @param clauses   tried in order; the first that matches decides
 * @param otherwise the choice when none matches
 * @param next      the stage that decides again when a bon choice reaches {@code next.probe()} samples, or null
 */
public record AutoRule(int probe, List<Clause> clauses, Choice otherwise, AutoRule next) {

  public AutoRule {
    if (probe < 1) {
      throw new IllegalArgumentException("probe must be >= 1 sample, was " + probe);
    }
    clauses = List.copyOf(clauses);
    Objects.requireNonNull(otherwise, "otherwise");
    if (next != null && next.probe() <= probe) {
      throw new IllegalArgumentException("a later stage must decide after more samples than " + probe
          + " (its probe), was " + next.probe());
    }
  }

  /** A one-stage rule. */
  public AutoRule(int probe, List<Clause> clauses, Choice otherwise) {
    this(probe, clauses, otherwise, null);
  }

  /** What the probe measures. */
  public enum Feature {
    /** The share of probe samples that give the most common answer (by the search's answer extractor). */
    AGREEMENT,
    /** The probe's best outcome score. */
    BEST_SCORE,
    /** The probe's mean outcome score. */
    MEAN_SCORE,
    /** The probe's mean per-token entropy, where the hypotheses offer it (language models). */
    MEAN_ENTROPY;

    /** The name in the text form: {@code best_score}. */
    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** What to do after the probe. */
  public enum Kind {
    /** Keep the probe's pick. */
    STOP("stop"),
    /** Best-of-N continued from the probe: the probe's samples are the first of the N. */
    BON("bon"),
    /** Step-level beam search with the process scorer (N live, 4 children per expansion). */
    STEP_BEAM("step-beam"),
    /** Particle filtering with the process scorer (N particles). */
    SMC("smc");

    private final String key;

    Kind(String key) {
      this.key = key;
    }

    public String key() {
      return key;
    }
  }

  /** One choice: a kind and its size (samples, live hypotheses or particles; unused for {@link Kind#STOP}). */
  public record Choice(Kind kind, int n) {
    public Choice {
      Objects.requireNonNull(kind, "kind");
      if (kind != Kind.STOP && n < 1) {
        throw new IllegalArgumentException(kind.key() + " needs n >= 1, was " + n);
      }
    }

    public static Choice stop() {
      return new Choice(Kind.STOP, 0);
    }

    public static Choice of(Kind kind, int n) {
      return new Choice(kind, n);
    }

    /** {@code stop}, {@code bon-16}. */
    public String name() {
      return kind == Kind.STOP ? "stop" : kind.key() + "-" + n;
    }

    /** The text form: {@code stop}, {@code bon 16}. */
    String text() {
      return kind == Kind.STOP ? "stop" : kind.key() + " " + n;
    }
  }

  /**
   * {@code feature < threshold} (below) or {@code feature >= threshold} (not below) leads to {@code choice}.
   */
  public record Clause(Feature feature, boolean below, double threshold, Choice choice) {
    public Clause {
      Objects.requireNonNull(feature, "feature");
      Objects.requireNonNull(choice, "choice");
      if (Double.isNaN(threshold)) {
        throw new IllegalArgumentException("a clause's threshold must be a number, was NaN");
      }
    }

    public boolean matches(double value) {
      return !Double.isNaN(value) && (below ? value < threshold : value >= threshold);
    }

    String text() {
      return feature.key() + (below ? " < " : " >= ") + threshold;
    }
  }

  /** A rule with no clauses: probe, then always {@code otherwise}. */
  public static AutoRule always(int probe, Choice otherwise) {
    return new AutoRule(probe, List.of(), otherwise);
  }

  /** The clause that decides for these feature values, or {@code null} for {@link #otherwise}. */
  public Clause decide(java.util.function.ToDoubleFunction<Feature> features) {
    for (Clause c : clauses) {
      if (c.matches(features.applyAsDouble(c.feature()))) {
        return c;
      }
    }
    return null;
  }

  /** Whether some choice needs a process scorer. */
  public boolean needsProcessScorer() {
    return needs(otherwise) || clauses.stream().anyMatch(c -> needs(c.choice()))
        || next != null && next.needsProcessScorer();
  }

  private static boolean needs(Choice c) {
    return c.kind() == Kind.STEP_BEAM || c.kind() == Kind.SMC;
  }

  /** The text form (see the class comment); {@link #parse} reads it back. */
  public String toText() {
    StringBuilder sb = new StringBuilder("probe ").append(probe).append('\n');
    for (Clause c : clauses) {
      sb.append("when ").append(c.text()).append(' ').append(c.choice().text()).append('\n');
    }
    sb.append("otherwise ").append(otherwise.text()).append('\n');
    return next == null ? sb.toString() : sb.append(next.toText()).toString();
  }

  /**
   * Reads the text form: {@code probe K}, then any {@code when FEATURE (<|>=) NUMBER CHOICE} lines, then one
   * {@code otherwise CHOICE}; a CHOICE is {@code stop} or {@code bon|step-beam|smc N}. Another {@code probe K}
   * section after that is the next stage. Blank lines and lines starting with {@code #} are skipped.
   *
   * @throws IllegalArgumentException naming the line, what was expected and what was found
   */
  public static AutoRule parse(String text) {
    List<Section> stages = new ArrayList<>();
    Integer probe = null;
    int probeLine = 0;
    List<Clause> clauses = new ArrayList<>();
    Choice otherwise = null;
    int lineNo = 0;
    for (String raw : text.split("\n", -1)) {
      lineNo++;
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] w = line.split("\\s+");
      String at = "auto rule line " + lineNo + ": ";
      if (otherwise != null) {
        if (!w[0].equals("probe")) {
          throw new IllegalArgumentException(at + "expected nothing after 'otherwise' but a next stage's 'probe K',"
              + " found '" + line + "'");
        }
        stages.add(new Section(probe, clauses, otherwise, probeLine));
        probe = null;
        clauses = new ArrayList<>();
        otherwise = null;
      }
      switch (w[0]) {
        case "probe" -> {
          if (probe != null || w.length != 2) {
            throw new IllegalArgumentException(at + "expected one 'probe K' line first, found '" + line + "'");
          }
          probe = parseInt(at, w[1]);
          probeLine = lineNo;
        }
        case "when" -> {
          if (probe == null) {
            throw new IllegalArgumentException(at + "expected 'probe K' before any clause, found '" + line + "'");
          }
          if (w.length < 5 || !(w[2].equals("<") || w[2].equals(">="))) {
            throw new IllegalArgumentException(at + "expected 'when FEATURE < NUMBER CHOICE' or"
                + " 'when FEATURE >= NUMBER CHOICE', found '" + line + "'");
          }
          double threshold;
          try {
            threshold = Double.parseDouble(w[3]);
          } catch (NumberFormatException x) {
            throw new IllegalArgumentException(at + "expected a number, found '" + w[3] + "'");
          }
          clauses.add(new Clause(feature(at, w[1]), w[2].equals("<"), threshold, choice(at, w, 4)));
        }
        case "otherwise" -> {
          if (probe == null) {
            throw new IllegalArgumentException(at + "expected 'probe K' before 'otherwise', found '" + line + "'");
          }
          otherwise = choice(at, w, 1);
        }
        default -> throw new IllegalArgumentException(at + "expected 'probe', 'when' or 'otherwise', found '"
            + line + "'");
      }
    }
    if (probe == null || otherwise == null) {
      throw new IllegalArgumentException("auto rule: expected a 'probe K' line and an 'otherwise CHOICE' line, found "
          + (probe == null ? "no probe line" : "no otherwise line"));
    }
    stages.add(new Section(probe, clauses, otherwise, probeLine));
    AutoRule rule = null;
    for (int i = stages.size() - 1; i >= 0; i--) {
      Section st = stages.get(i);
      if (rule != null && rule.probe() <= st.probe()) { // named at the later stage's probe line
        throw new IllegalArgumentException("auto rule line " + stages.get(i + 1).line() + ": a later stage must"
            + " decide after more samples than " + st.probe() + " (its probe), was " + rule.probe());
      }
      try {
        rule = new AutoRule(st.probe(), st.clauses(), st.otherwise(), rule);
      } catch (IllegalArgumentException x) {
        throw new IllegalArgumentException("auto rule line " + st.line() + ": " + x.getMessage(), x);
      }
    }
    return rule;
  }

  /** One parsed stage, with the line of its probe for errors. */
  private record Section(int probe, List<Clause> clauses, Choice otherwise, int line) {
  }

  private static Feature feature(String at, String key) {
    for (Feature f : Feature.values()) {
      if (f.key().equals(key)) {
        return f;
      }
    }
    throw new IllegalArgumentException(at + "expected a feature (agreement, best_score, mean_score, mean_entropy),"
        + " found '" + key + "'");
  }

  private static Choice choice(String at, String[] w, int from) {
    String kind = w[from];
    if (kind.equals("stop")) {
      if (w.length != from + 1) {
        throw new IllegalArgumentException(at + "expected nothing after 'stop', found '" + w[from + 1] + "'");
      }
      return Choice.stop();
    }
    for (Kind k : Kind.values()) {
      if (k != Kind.STOP && k.key().equals(kind)) {
        if (w.length != from + 2) {
          throw new IllegalArgumentException(at + "expected '" + kind + " N', found " + (w.length - from - 1)
              + " words after '" + kind + "'");
        }
        return new Choice(k, parseInt(at, w[from + 1]));
      }
    }
    throw new IllegalArgumentException(at + "expected a choice (stop, bon N, step-beam N, smc N), found '" + kind
        + "'");
  }

  private static int parseInt(String at, String s) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException x) {
      throw new IllegalArgumentException(at + "expected a whole number, found '" + s + "'");
    }
  }
}
