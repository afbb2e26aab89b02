package dev.ponder.samplers.auto;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchContext;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * A test process whose hypothesis of lineage {@code l} spells, one character per step, the text
 * {@code script(random, l)}; fresh lineages on every start (as a language model's process numbers them). One policy
 * token per row per step; counts its advances and the handles it has out.
 */
final class ScriptedProcess implements GenerativeProcess<ScriptedProcess.H> {

  static final class H {
    final long lineage;
    final String target;
    final StringBuilder text = new StringBuilder();
    int forks;
    boolean released;

    H(long lineage, String target) {
      this.lineage = lineage;
      this.target = target;
    }
  }

  private final BiFunction<RandomStreams, Long, String> script;
  private long nextLineage;
  int out;
  int advanceCalls;
  Runnable onAdvance = () -> { };

  ScriptedProcess(BiFunction<RandomStreams, Long, String> script) {
    this.script = script;
  }

  /** Five random digits per lineage, drawn from the search's stream. */
  static ScriptedProcess digits() {
    return new ScriptedProcess((random, l) -> {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < 5; i++) {
        sb.append((int) (random.uniform(l, i, RandomStreams.Purpose.TOKEN, 0) * 10));
      }
      return sb.toString();
    });
  }

  @Override
  public List<H> start(int n, SearchContext ctx) {
    List<H> hs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long l = nextLineage++;
      hs.add(new H(l, script.apply(ctx.random(), l)));
    }
    out += n;
    return hs;
  }

  @Override
  public List<H> advance(List<H> live, SearchContext ctx) {
    advanceCalls++;
    onAdvance.run();
    for (H h : live) {
      if (h.released || isTerminal(h)) {
        throw new IllegalArgumentException("hypothesis " + h.lineage + " is " + (h.released ? "released" : "done"));
      }
      h.text.append(h.target.charAt(h.text.length()));
    }
    ctx.counters().addModelCalls(1);
    ctx.counters().addPolicyTokens(live.size());
    return live;
  }

  /** A child goes on as its own lineage's script from where the parent is. */
  @Override
  public H fork(H parent, SearchContext ctx) {
    long l = RandomStreams.childLineage(parent.lineage, ++parent.forks);
    String own = script.apply(ctx.random(), l);
    H child = new H(l, parent.text + own.substring(Math.min(own.length(), parent.text.length())));
    child.text.append(parent.text);
    out++;
    return child;
  }

  @Override
  public boolean isTerminal(H h) {
    return h.text.length() >= h.target.length();
  }

  @Override
  public long lineage(H h) {
    return h.lineage;
  }

  @Override
  public Candidate toCandidate(H h, double score) {
    return new Candidate(h.text.toString(), score, -h.lineage, h.text.length(), isTerminal(h));
  }

  @Override
  public void release(H h) {
    if (!h.released) {
      h.released = true;
      out--;
    }
  }

  @Override
  public void close() {
  }
}
