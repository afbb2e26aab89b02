package dev.ponder.server;

import dev.ponder.engine.model.ModelOptions;
import dev.ponder.verifiers.Verifier;
import dev.ponder.verifiers.Verifiers;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The outcome verifier of {@code eval --orm DIR[,DIR...] --ensemble RULE}: one ORM as it is, or several combined by
 * a rule of {@link Verifiers} (mean, min, mean minus beta standard deviations, rank sum), the reward-model-ensemble
 * remedy for over-optimization. Owns the loaded models and closes them all.
 */
final class OrmEnsemble implements AutoCloseable {
  static final String RULES = "mean, min, mean-std:BETA (mean minus BETA standard deviations over the models) or"
      + " rank-sum";

  private final List<OnnxOutcomeReward> members;
  private final Verifier verifier;

  private OrmEnsemble(List<OnnxOutcomeReward> members, Verifier verifier) {
    this.members = members;
    this.verifier = verifier;
  }

  /** Checks the rule against the number of models before anything loads. */
  static void checkRule(String command, List<Path> dirs, String rule) {
    if (dirs.size() == 1 && rule != null) {
      throw new UsageException(command + ": --ensemble combines several --orm models (comma-separated), but one was"
          + " given: " + dirs.get(0));
    }
    if (rule != null) {
      rule(command, rule); // parses, or throws naming the accepted rules
    }
  }

  static OrmEnsemble load(String command, List<Path> dirs, String rule, ModelOptions options) {
    Function<List<Verifier>, Verifier> combine = rule(command, rule == null ? "mean" : rule);
    List<OnnxOutcomeReward> members = new ArrayList<>();
    try {
      for (Path dir : dirs) {
        members.add(Models.load(command, "--orm", dir, () -> OnnxOutcomeReward.builder(dir).options(options).build()));
      }
      Verifier verifier = members.size() == 1 ? members.get(0) : combine.apply(List.copyOf(members));
      return new OrmEnsemble(members, verifier);
    } catch (RuntimeException e) {
      members.forEach(OnnxOutcomeReward::close);
      throw e;
    }
  }

  /** The {@link Verifiers} combinator a rule names (package-private for tests). */
  static Function<List<Verifier>, Verifier> rule(String command, String rule) {
    String r = rule.trim().toLowerCase(Locale.ROOT);
    switch (r) {
      case "mean":
        return Verifiers::mean;
      case "min":
        return Verifiers::min;
      case "rank-sum":
        return Verifiers::rankSum;
      default:
        break;
    }
    if (!r.startsWith("mean-std:")) {
      throw new UsageException(command + ": --ensemble must be " + RULES + ", was '" + rule + "'");
    }
    double beta;
    try {
      beta = Double.parseDouble(r.substring("mean-std:".length()));
    } catch (NumberFormatException e) {
      throw new UsageException(command + ": --ensemble mean-std:BETA needs a number for BETA, was '" + rule + "'");
    }
    if (!(beta >= 0) || Double.isInfinite(beta)) {
      throw new UsageException(command + ": --ensemble mean-std:BETA needs a finite BETA >= 0, was " + beta);
    }
    return members -> Verifiers.meanMinusStd(beta, members);
  }

  Verifier verifier() {
    return verifier;
  }

  @Override
  public void close() {
    members.forEach(OnnxOutcomeReward::close);
  }
}
