package dev.ponder.engine;

import java.util.List;
import java.util.Objects;

/**
 * How a search went, for people and pages to see (the demo server streams and draws it): the search tree of step
 * beam, DVTS, MCTS and token-level beam search (a node a token); the particle genealogy of SMC and Feynman-Kac steering; the iterates of a noise search.
 * Sampling and best-of-N have no structure beyond their candidates: {@link None}. A search that chose its
 * algorithm from a first round ({@code Search.auto}) says what it chose and why: {@link Auto}.
 */
public sealed interface SearchTrace {

  static SearchTrace none() {
    return None.INSTANCE;
  }

  /** No trace beyond the candidates. */
  record None() implements SearchTrace {
    private static final None INSTANCE = new None();
  }

  /**
   * A search tree. Node 0 is the root (the prompt, before any step); every other node is one hypothesis after one
   * step, and {@code nodes.get(i).id() == i}.
   */
  record Tree(List<Node> nodes) implements SearchTrace {
    public Tree {
      nodes = List.copyOf(nodes);
    }

    /**
     * One node.
     *
     * @param id       its index in {@link Tree#nodes()}
     * @param parent   the parent's id; -1 for the root
     * @param lineage  the hypothesis's lineage id (events name hypotheses by it)
     * @param depth    steps from the root
     * @param step     the text this node's step added (empty for the root and for non-text processes)
     * @param score    the scorer's value for this node (beam: the aggregated PRM score; MCTS: the leaf value); NaN
     *                 when unscored
     * @param visits   MCTS visit count (0 for beam)
     * @param value    MCTS mean value Q of the subtree (NaN for beam)
     * @param terminal whether the hypothesis had finished at this node
     * @param pruned   whether the search dropped this node (beam: fell below the kept set)
     * @param chosen   whether the node lies on the path to the best candidate
     */
    public record Node(int id, int parent, long lineage, int depth, String step, double score, int visits,
        double value, boolean terminal, boolean pruned, boolean chosen) {
      public Node {
        Objects.requireNonNull(step, "step");
      }
    }
  }

  /**
   * A particle system's genealogy, one generation per step.
   */
  record Particles(List<Generation> generations) implements SearchTrace {
    public Particles {
      generations = List.copyOf(generations);
    }

    /**
     * The particles after one step's reweighting.
     *
     * @param step       the step (0-based)
     * @param lineages   the particles' lineage ids, in population order
     * @param logWeights their log-weights before resampling
     * @param rewards    their latest rewards r_t
     * @param ess        the effective sample size of the weights, {@code 1 / Σ W²} in [1, N]
     * @param ancestors  when resampled: {@code ancestors.get(i)} is the index (in this generation) of the next
     *                   generation's particle {@code i}; empty when the step did not resample
     */
    public record Generation(int step, List<Long> lineages, List<Double> logWeights, List<Double> rewards,
        double ess, List<Integer> ancestors) {
      public Generation {
        lineages = List.copyOf(lineages);
        logWeights = List.copyOf(logWeights);
        rewards = List.copyOf(rewards);
        ancestors = List.copyOf(ancestors);
      }

      public boolean resampled() {
        return !ancestors.isEmpty();
      }
    }
  }

  /**
   * A noise search's iterates: every restart's reward at every iteration.
   */
  record Iterates(List<Iterate> iterates) implements SearchTrace {
    public Iterates {
      iterates = List.copyOf(iterates);
    }

    /**
     * @param iteration   the iteration (round), 0-based
     * @param rewards     each restart's reward at this iteration (NaN where a restart was not evaluated)
     * @param bestRewards each restart's best reward so far
     */
    public record Iterate(int iteration, List<Double> rewards, List<Double> bestRewards) {
      public Iterate {
        rewards = List.copyOf(rewards);
        bestRewards = List.copyOf(bestRewards);
      }
    }
  }

  /**
   * What a compute-optimal search chose after its probe round, and why, over the trace of what it then ran.
   *
   * @param chosen       the choice, as the rule names it ({@code "stop"}, {@code "bon-16"}, {@code "smc-16"})
   * @param reason       the rule's clause that fired, with the feature's value ({@code "best_score 0.71 >= 0.6"});
   *                     a staged rule gives each stage's, in order ({@code "at 8 samples: ...; at 16 samples: ..."})
   * @param probeSamples the samples of the probe round (of a staged rule: when its last decision was made; the
   *                     features below are of those samples)
   * @param agreement    the share of probe samples giving the most common answer, in (0, 1]
   * @param bestScore    the probe's best outcome score
   * @param meanScore    the probe's mean outcome score
   * @param meanEntropy  the probe's mean per-token entropy (nats); NaN when the hypotheses do not offer it
   * @param inner        the trace of the search run after the probe ({@link None} when the probe's pick stands or
   *                     best-of-N continued)
   */
  record Auto(String chosen, String reason, int probeSamples, double agreement, double bestScore, double meanScore,
      double meanEntropy, SearchTrace inner) implements SearchTrace {
    public Auto {
      Objects.requireNonNull(chosen, "chosen");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(inner, "inner");
    }
  }
}
