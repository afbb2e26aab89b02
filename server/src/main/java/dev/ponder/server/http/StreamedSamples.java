package dev.ponder.server.http;

import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.GenerativeProcess;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.lm.LmHypothesis;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Plain sampling's text as it is generated: wraps the policy's process and, after every step (one token per row
 * with the default decoding), hands each sample's new text to a sink, indexed by draw order. Text after the
 * first stop string is never sent; a tail that may be the start of a stop string, or a token that ends inside a
 * UTF-8 character (decoded as U+FFFD), is held back until the next token settles it. The search itself is unchanged:
 * the same draws, the same result as without the wrapper.
 */
final class StreamedSamples implements GenerativeProcess<LmHypothesis> {
  /** Receives new text of sample {@code index}; a failed write (the client left) is an UncheckedIOException. */
  interface Sink {
    void text(int index, String delta);
  }

  /** One sample as streamed: its whole text (cut at a stop string), what was sent, why it ended. */
  static final class Sample {
    String text = "";
    String sent = "";
    String stopString;
    boolean finished;
    int length = -1;
    boolean stopped;

    String finishReason() {
      return stopped || finished ? "stop" : "length";
    }
  }

  private final GenerativeProcess<LmHypothesis> delegate;
  private final List<String> stop;
  private final Sink sink;
  private final Map<Long, Integer> indexOfLineage = new HashMap<>();
  private final Map<Integer, Sample> samples = new HashMap<>();
  private Consumer<String> onClientGone = why -> { };
  private boolean clientGone;

  StreamedSamples(GenerativeProcess<LmHypothesis> delegate, List<String> stop, Sink sink) {
    this.delegate = delegate;
    this.stop = stop;
    this.sink = sink;
  }

  /** Called with a reason when a write fails (the search should then be cancelled). */
  void onClientGone(Consumer<String> action) {
    this.onClientGone = action;
  }

  /** The samples seen, by draw index (0 .. n-1). */
  Map<Integer, Sample> samples() {
    return samples;
  }

  @Override
  public List<LmHypothesis> start(int n, SearchContext ctx) {
    List<LmHypothesis> out = delegate.start(n, ctx);
    for (LmHypothesis h : out) {
      indexOfLineage.putIfAbsent(h.lineage(), indexOfLineage.size());
    }
    observe(out);
    return out;
  }

  @Override
  public List<LmHypothesis> advance(List<LmHypothesis> live, SearchContext ctx) {
    List<LmHypothesis> before = List.copyOf(live);
    List<LmHypothesis> out = delegate.advance(live, ctx);
    observe(before); // rows that ended in this step are no longer in the returned list, but hold its last token
    observe(out);
    return out;
  }

  private void observe(List<LmHypothesis> hs) {
    for (LmHypothesis h : hs) {
      Integer index = indexOfLineage.get(h.lineage());
      if (index == null) {
        continue; // plain sampling never forks; nothing else is streamed
      }
      Sample s = samples.computeIfAbsent(index, i -> new Sample());
      boolean grew = h.generatedLength() != s.length;
      s.length = h.generatedLength();
      s.finished = h.isFinished();
      if (s.stopped || !grew) {
        continue;
      }
      String text = h.text();
      int safe = text.length();
      for (String x : stop) {
        int at = text.indexOf(x);
        if (at >= 0 && at < safe) {
          safe = at;
          s.stopString = x;
          s.stopped = true;
        }
      }
      if (s.stopped) {
        text = text.substring(0, safe);
      } else {
        safe -= heldBack(text);
      }
      s.text = text;
      send(index, s, safe);
    }
  }

  /** Characters at the end that may still change: the start of a stop string, or an incomplete character. */
  private int heldBack(String text) {
    int held = 0;
    for (String x : stop) {
      for (int k = Math.min(x.length() - 1, text.length()); k > held; k--) {
        if (text.endsWith(x.substring(0, k))) {
          held = k;
          break;
        }
      }
    }
    int replacement = 0;
    while (replacement < text.length() && text.charAt(text.length() - 1 - replacement) == '\uFFFD') {
      replacement++;
    }
    return Math.max(held, replacement);
  }

  private void send(int index, Sample s, int upTo) {
    if (clientGone || upTo <= s.sent.length() || !s.text.startsWith(s.sent)) {
      return; // nothing new, or the decoded text changed before what was sent: the rest goes at the end
    }
    String delta = s.text.substring(s.sent.length(), upTo);
    try {
      sink.text(index, delta);
      s.sent = s.text.substring(0, upTo);
    } catch (UncheckedIOException e) {
      clientGone = true;
      onClientGone.accept("the client closed the stream: " + e.getCause().getMessage());
    }
  }

  /** The rest of each sample's text after the search: what was held back. */
  String rest(Sample s) {
    return s.text.startsWith(s.sent) ? s.text.substring(s.sent.length()) : "";
  }

  /** The search's candidate for sample {@code s}: the first unused one with its text (before the stop cut). */
  static Candidate match(Sample s, List<Candidate> candidates, boolean[] used) {
    for (int i = 0; i < candidates.size(); i++) {
      Candidate c = candidates.get(i);
      if (!used[i] && c.text().startsWith(s.text) && c.tokens() == s.length) {
        used[i] = true;
        return c;
      }
    }
    return null;
  }

  @Override
  public boolean hasGreedyStep() {
    return delegate.hasGreedyStep();
  }

  @Override
  public List<LmHypothesis> advanceGreedy(List<LmHypothesis> live, SearchContext ctx) {
    List<LmHypothesis> before = List.copyOf(live);
    List<LmHypothesis> out = delegate.advanceGreedy(live, ctx);
    observe(before);
    observe(out);
    return out;
  }

  @Override
  public LmHypothesis fork(LmHypothesis parent, SearchContext ctx) {
    return delegate.fork(parent, ctx);
  }

  @Override
  public boolean isTerminal(LmHypothesis h) {
    return delegate.isTerminal(h);
  }

  @Override
  public long lineage(LmHypothesis h) {
    return delegate.lineage(h);
  }

  @Override
  public Candidate toCandidate(LmHypothesis h, double score) {
    return delegate.toCandidate(h, score);
  }

  @Override
  public void release(LmHypothesis h) {
    delegate.release(h);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
