package dev.ponder.samplers;

import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.engine.lm.StepBoundary;
import java.util.Objects;

/**
 * Monte Carlo tree search over reasoning steps (see {@link Mcts} for the algorithm). A step is one line by
 * default (stop at a newline, at most 32 tokens); set another with {@link #decoding}. Defaults: 32 simulations,
 * 4 children per expansion, waves of 1, depth 16, PUCT with c = 1.25 and priors from the steps' log-likelihoods,
 * virtual loss value 0, leaf values from the PRM, terminal nodes valued by the PRM unless an outcome scorer is
 * set.
 *
 * <pre>{@code
 * MctsRun r = Search.mcts(policy, prm).children(4).simulations(64).waveSize(8).outcomeScorer(checker)
 *     .seed(7).runWithTree("numbers: 3 7 25 50 target: 85\n");
 * r.result().best().text(); r.treeJson();
 * }</pre>
 */
public final class MctsSearch extends LmSearchBuilder<MctsSearch> {
  private final ProcessScorer<LmHypothesis> prm;
  private OutcomeScorer<LmHypothesis> outcome;
  private int simulations = 32;
  private int children = 4;
  private int waveSize = 1;
  private int maxDepth = 16;
  private MctsRule rule = MctsRule.PUCT;
  private double c = 1.25;
  private double virtualLossValue;
  private double priorTemperature = 1;
  private boolean uniformPrior;
  private MctsLeafValue leafValue = MctsLeafValue.PROCESS;
  private int gumbelConsidered;
  private boolean exportTree;
  private MctsRun last;

  MctsSearch(LanguageModel policy, ProcessScorer<LmHypothesis> prm) {
    super(policy);
    this.prm = Objects.requireNonNull(prm, "prm");
    this.decoding = decoding.withBoundary(StepBoundary.stopAt(32, "\n"));
  }

  /** Simulations (expansions), the main budget knob; each costs one node's k children. */
  public MctsSearch simulations(int value) {
    this.simulations = requireAtLeast("simulations", value, 1);
    return this;
  }

  /** k: the child steps sampled when a node is expanded. */
  public MctsSearch children(int value) {
    this.children = requireAtLeast("children", value, 1);
    return this;
  }

  /** Leaves selected (with virtual loss) and expanded together in one batched policy step. */
  public MctsSearch waveSize(int value) {
    this.waveSize = requireAtLeast("waveSize", value, 1);
    return this;
  }

  /** The deepest a node may be (in steps from the prompt); nodes there are valued and not expanded. */
  public MctsSearch maxDepth(int value) {
    this.maxDepth = requireAtLeast("maxDepth", value, 1);
    return this;
  }

  /** PUCT with exploration constant c (AlphaZero's c_puct). */
  public MctsSearch puct(double value) {
    return rule(MctsRule.PUCT, value);
  }

  /** UCT (UCB1 on trees) with exploration constant c. */
  public MctsSearch uct(double value) {
    return rule(MctsRule.UCT, value);
  }

  private MctsSearch rule(MctsRule value, double exploration) {
    if (!(exploration >= 0) || Double.isInfinite(exploration)) {
      throw new IllegalArgumentException("the exploration constant c must be finite and >= 0, was " + exploration);
    }
    this.rule = value;
    this.c = exploration;
    return this;
  }

  /** The value a pending (virtual) visit counts as while its wave runs: 0 is a loss for rewards in [0, 1]. */
  public MctsSearch virtualLoss(double value) {
    if (!Double.isFinite(value)) {
      throw new IllegalArgumentException("the virtual loss value must be finite, was " + value);
    }
    this.virtualLossValue = value;
    return this;
  }

  /** Priors = softmax(step log-likelihood / temperature) over siblings; {@code Double.POSITIVE_INFINITY}: uniform. */
  public MctsSearch priorTemperature(double value) {
    if (!(value > 0)) {
      throw new IllegalArgumentException("priorTemperature must be > 0 (infinity: uniform priors), was " + value);
    }
    this.priorTemperature = value;
    this.uniformPrior = Double.isInfinite(value);
    return this;
  }

  /** Values terminal (finished or cut) nodes and finished rollouts: a terminal checker or an ORM. */
  public MctsSearch outcomeScorer(OutcomeScorer<LmHypothesis> value) {
    this.outcome = Objects.requireNonNull(value, "outcomeScorer");
    return this;
  }

  public MctsSearch leafValue(MctsLeafValue value) {
    this.leafValue = Objects.requireNonNull(value, "leafValue");
    return this;
  }

  /**
   * A Gumbel root with Sequential Halving over the {@code m} root children Gumbel-top-m picks (Danihelka et al.,
   * 2022), for small simulation budgets; needs {@code children >= m}. 0 turns it off.
   */
  public MctsSearch gumbel(int m) {
    if (m != 0 && m < 2) {
      throw new IllegalArgumentException("gumbel needs m >= 2 considered root children (0 = off), was " + m);
    }
    this.gumbelConsidered = m;
    return this;
  }

  /** Runs the search and returns the result with the search tree as JSON. */
  public MctsRun runWithTree(String prompt) {
    exportTree = true;
    try {
      run(prompt);
      return last;
    } finally {
      exportTree = false;
      last = null;
    }
  }

  @Override
  SearchResult search(LmProcess process, SearchContext ctx) {
    if (gumbelConsidered > children) {
      throw new IllegalArgumentException("gumbel considers m=" + gumbelConsidered + " root children but only children="
          + children + " are sampled; set children >= " + gumbelConsidered + " or lower m");
    }
    Mcts.Config cfg = new Mcts.Config(simulations, children, waveSize, maxDepth, rule, c, virtualLossValue,
        uniformPrior ? 1 : priorTemperature, leafValue, gumbelConsidered, exportTree);
    MctsRun run = Mcts.run(process, prm, outcome, uniformPrior ? null : LmHypothesis::lastStepLogProb, cfg, ctx);
    last = exportTree ? run : null;
    return run.result();
  }
}
