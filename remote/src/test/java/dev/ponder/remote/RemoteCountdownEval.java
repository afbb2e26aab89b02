package dev.ponder.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.Decoding.StepBoundary;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.samplers.smc.ParticleFilterSearch.Potential;
import dev.ponder.samplers.smc.ParticleFilterSearch.Resampling;
import dev.ponder.samplers.Search;
import dev.ponder.tasks.countdown.CountdownChecker;
import dev.ponder.tasks.countdown.CountdownProblem;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward;
import dev.ponder.verifiers.onnx.OnnxProcessReward;
import dev.ponder.verifiers.Verifier;
import dev.ponder.verifiers.Verifier.VerifierInput;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Remote policy vs in-process policy on Countdown's test problems (a measurement, run by
 * remote/scripts/eval_countdown.sh against a llama.cpp server serving the converted policy; not a unit test).
 *
 * <pre>
 * parity   URL MODEL PROBLEMS          greedy text equality, remote vs in-process
 * accuracy URL MODEL PROBLEMS N SEED ALG[,ALG...]   top-1 accuracy (CountdownChecker), remote vs in-process
 * remote   URL MODEL PROBLEMS N SEED ALG[,ALG...]   the remote side of accuracy alone (for the its-hub side-by-side)
 * overhead URL MODEL PROBLEMS N REPEATS   step beam (N, M = 4) vs the same requests replayed by a plain client
 * </pre>
 * Overhead: the step beam scores with a hash of the text (no model), so its wall time is the requests plus
 * Ponder's own work; the replay sends each recorded round's request bodies at once with a bare
 * {@code HttpClient.sendAsync} and waits for all, round after round. Each repeat runs search, replay, replay,
 * search so that neither side always meets the engine's cache warmer; the ratio is of the summed times.
 * ALG: bon (ORM), step-beam, smc (cached PRM), configured as bench's CountdownSearches: temperature 1, 72 new
 * tokens, one line per step (at most 32 tokens), M = 4, SMC difference potentials with lambda 10, systematic.
 * The remote runs go through the generic front door ({@code Search.bestOfN(scorer)...run(process)}); best-of-N
 * sends one request per sample ({@link RemoteDecoding#whole}), the others one per line; with
 * {@code -Dponder.remote.group=N} hypotheses that share their context go as one request with n
 * ({@link RemoteProcess#groupSharedContexts}).
 */
public final class RemoteCountdownEval {
  private static final int MAX_NEW = 72;
  private static final ObjectMapper JSON = new ObjectMapper();

  private RemoteCountdownEval() {
  }

  public static void main(String[] args) throws Exception {
    Path root = Path.of(System.getProperty("ponder.repo", "."));
    List<CountdownProblem> problems = problems(root.resolve("onnx-models/countdown/test.jsonl"), Integer.parseInt(args[3]));
    RemoteEndpoint ep = RemoteEndpoint.of(args[1], args[2]);
    ModelOptions opts = ModelOptions.cpu().withThreads(1, 1);
    try (CompletionClient client = new CompletionClient(ep);
        LanguageModel policy = LanguageModel.load(root.resolve("onnx-models/countdown/policy"), opts)) {
      switch (args[0]) {
        case "parity" -> parity(client, policy, problems);
        case "accuracy", "remote" -> {
          try (OnnxOutcomeReward orm = OnnxOutcomeReward.builder(root.resolve("onnx-models/countdown/orm")).options(opts).build()) {
            for (String alg : args[6].split(",")) {
              accuracy(client, policy, orm, root, opts, problems, alg, Integer.parseInt(args[4]), Long.parseLong(args[5]),
                  args[0].equals("remote"));
            }
          }
        }
        case "overhead" -> overhead(client, ep, problems, Integer.parseInt(args[4]), Integer.parseInt(args[5]));
        default -> throw new IllegalArgumentException("mode must be parity, accuracy or overhead, was " + args[0]);
      }
      System.out.println("remote tally: " + client.tally());
    }
  }

  static List<CountdownProblem> problems(Path jsonl, int limit) throws IOException {
    List<CountdownProblem> out = new ArrayList<>();
    for (String line : Files.readAllLines(jsonl)) {
      if (out.size() == limit) {
        break;
      }
      JsonNode j = JSON.readTree(line);
      List<Integer> nums = new ArrayList<>();
      j.get("numbers").forEach(n -> nums.add(n.asInt()));
      out.add(new CountdownProblem(nums, j.get("target").asInt()));
    }
    return out;
  }

  private static void parity(CompletionClient client, LanguageModel policy, List<CountdownProblem> problems) {
    CountdownChecker checker = CountdownChecker.create();
    int same = 0;
    int localOk = 0;
    int remoteOk = 0;
    long t0 = System.nanoTime();
    for (CountdownProblem p : problems) {
      String prompt = p.prompt();
      String local = Search.sample(policy).samples(1)
          .decoding(Decoding.sampling().withMaxNewTokens(MAX_NEW).withTemperature(0)).run(prompt).candidates().get(0).text();
      String remote;
      try (RemoteProcess rp = RemoteProcess.open(client, prompt, RemoteDecoding.lines(MAX_NEW).withTemperature(0))) {
        remote = Search.<RemoteHypothesis>sample().samples(1).run(rp).candidates().get(0).text();
      }
      same += local.equals(remote) ? 1 : 0;
      localOk += checker.check(p, local).correct() ? 1 : 0;
      remoteOk += checker.check(p, remote).correct() ? 1 : 0;
      if (!local.equals(remote)) {
        System.out.println("DIFF " + p.prompt() + " | local=" + local.replace("\n", "|") + " | remote=" + remote.replace("\n", "|"));
      }
    }
    int n = problems.size();
    System.out.printf(Locale.ROOT, "greedy parity: %d/%d identical (%.1f%%); correct in-process %d, remote %d; %.1f s%n",
        same, n, 100.0 * same / n, localOk, remoteOk, (System.nanoTime() - t0) / 1e9);
  }

  /** Time spent in the remote searches' scorers (ORM, PRM), to tell it from the engine's time. */
  private static final java.util.concurrent.atomic.AtomicLong SCORER_NANOS = new java.util.concurrent.atomic.AtomicLong();

  private static OutcomeScorer<RemoteHypothesis> outcome(Verifier v) {
    return (hs, ctx) -> timed(() -> v.score(hs.stream().map(h -> VerifierInput.of(h.promptText(), h.text())).toList(), ctx));
  }

  private static ProcessScorer<RemoteHypothesis> process(Verifier v) {
    return (hs, ctx) -> timed(() -> v.score(hs.stream().map(h -> VerifierInput.of(h.promptText(), h.text())).toList(), ctx));
  }

  private static double[] timed(java.util.function.Supplier<double[]> score) {
    long t0 = System.nanoTime();
    try {
      return score.get();
    } finally {
      SCORER_NANOS.addAndGet(System.nanoTime() - t0);
    }
  }

  private static void accuracy(CompletionClient client, LanguageModel policy, OnnxOutcomeReward orm, Path root,
      ModelOptions opts, List<CountdownProblem> problems, String alg, int n, long seed, boolean remoteOnly) {
    CountdownChecker checker = CountdownChecker.create();
    Decoding decoding = Decoding.sampling().withMaxNewTokens(MAX_NEW);
    Decoding perLine = decoding.withBoundary(StepBoundary.stopAt(32, "\n"));
    RemoteDecoding remoteLines = RemoteDecoding.lines(MAX_NEW);
    int[] local = new int[problems.size()];
    int[] remote = new int[problems.size()];
    long localNanos = 0;
    long remoteNanos = 0;
    long localTokens = 0;
    long remoteTokens = 0;
    for (int i = 0; i < problems.size(); i++) {
      CountdownProblem p = problems.get(i);
      String prompt = p.prompt();
      // a fresh cached PRM per search and side, so neither reuses the other's step prefixes
      try (OnnxProcessReward prmLocal = OnnxProcessReward.builder(root.resolve("onnx-models/countdown/prm-cached")).options(opts).build();
          OnnxProcessReward prmRemote = OnnxProcessReward.builder(root.resolve("onnx-models/countdown/prm-cached")).options(opts).build()) {
        long t0 = System.nanoTime();
        SearchResult l = remoteOnly ? null : switch (alg) {
          case "bon" -> Search.bestOfN(policy, orm.asOutcomeScorer()).n(n).decoding(decoding).seed(seed).run(prompt);
          case "step-beam" -> Search.stepBeam(policy, prmLocal.asProcessScorer()).n(n).m(4).decoding(perLine).seed(seed).run(prompt);
          case "smc" -> Search.particleFilter(policy, prmLocal.asProcessScorer()).particles(n)
              .potential(Potential.DIFFERENCE, 10).resampling(Resampling.SYSTEMATIC).decoding(perLine).seed(seed).run(prompt);
          default -> throw new IllegalArgumentException("algorithm must be bon, step-beam or smc, was " + alg);
        };
        long t1 = System.nanoTime();
        SearchResult r;
        try (RemoteProcess rp = RemoteProcess.open(client, prompt, alg.equals("bon") ? RemoteDecoding.whole(MAX_NEW) : remoteLines)
            .groupSharedContexts(Integer.getInteger("ponder.remote.group", 1))) {
          r = switch (alg) {
            case "bon" -> Search.bestOfN(outcome(orm)).n(n).seed(seed).run(rp);
            case "step-beam" -> Search.stepBeam(process(prmRemote)).n(n).m(4).seed(seed).run(rp);
            default -> Search.particleFilter(process(prmRemote)).particles(n).potential(Potential.DIFFERENCE, 10)
                .resampling(Resampling.SYSTEMATIC).seed(seed).run(rp);
          };
        }
        long t2 = System.nanoTime();
        localNanos += t1 - t0;
        remoteNanos += t2 - t1;
        localTokens += remoteOnly ? 0 : l.stats().policyTokens();
        remoteTokens += r.stats().policyTokens();
        local[i] = remoteOnly ? 0 : checker.check(p, l.candidates().get(0).text()).correct() ? 1 : 0;
        remote[i] = checker.check(p, r.candidates().get(0).text()).correct() ? 1 : 0;
      }
    }
    int m = problems.size();
    if (remoteOnly) {
      System.out.printf(Locale.ROOT, "ponder-remote %s n=%d: %.1f ms/problem (scorer %.1f); policy tokens/problem %.0f;"
          + " accuracy %.3f%n", alg, n, remoteNanos / 1e6 / m, SCORER_NANOS.getAndSet(0) / 1e6 / m,
          (double) remoteTokens / m, mean(remote));
      return;
    }
    double a = mean(local);
    double b = mean(remote);
    double[] d = new double[m];
    for (int i = 0; i < m; i++) {
      d[i] = remote[i] - local[i];
    }
    double md = 0;
    for (double x : d) {
      md += x / m;
    }
    double var = 0;
    for (double x : d) {
      var += (x - md) * (x - md) / (m - 1);
    }
    double half = 1.96 * Math.sqrt(var / m);
    System.out.printf(Locale.ROOT, "%s n=%d seed=%d problems=%d: accuracy in-process %.3f, remote %.3f; remote - in-process"
        + " = %+.3f, paired 95%% interval [%+.3f, %+.3f]; wall in-process %.1f s, remote %.1f s; policy tokens"
        + " in-process %d, remote %d (engine-computed)%n", alg, n, seed, m, a, b, md, md - half, md + half,
        localNanos / 1e9, remoteNanos / 1e9, localTokens, remoteTokens);
  }

  private static void overhead(CompletionClient client, RemoteEndpoint ep, List<CountdownProblem> problems, int n,
      int repeats) throws Exception {
    ProcessScorer<RemoteHypothesis> hashPrm = (hs, ctx) -> hs.stream()
        .mapToDouble(h -> ((h.text().hashCode() * 2654435761L) >>> 8 & 0xFFFF) / 65536.0).toArray();
    java.net.http.HttpClient plain = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build();
    java.net.URI uri = java.net.URI.create(ep.baseUrl() + "/v1/completions");
    long searchNanos = 0;
    long replayNanos = 0;
    int requests = 0;
    for (CountdownProblem p : problems) {
      List<List<byte[]>> rounds = new ArrayList<>();
      client.observeRounds(rounds::add);
      runBeam(client, p.prompt(), hashPrm, n); // records the rounds and warms up
      client.observeRounds(bodies -> { });
      for (List<byte[]> r : rounds) {
        requests += r.size() * 2 * repeats;
      }
      for (int k = 0; k < repeats; k++) {
        long t0 = System.nanoTime();
        runBeam(client, p.prompt(), hashPrm, n);
        long t1 = System.nanoTime();
        replay(plain, uri, rounds);
        replay(plain, uri, rounds);
        long t2 = System.nanoTime();
        runBeam(client, p.prompt(), hashPrm, n);
        long t3 = System.nanoTime();
        searchNanos += (t1 - t0) + (t3 - t2);
        replayNanos += t2 - t1;
      }
    }
    System.out.printf(Locale.ROOT, "overhead step-beam n=%d m=4, %d problems x %d repeats x 2: search %.2f s, plain replay"
        + " %.2f s of the same %d requests; ratio %.3f%n", n, problems.size(), repeats, searchNanos / 1e9,
        replayNanos / 1e9, requests, (double) searchNanos / replayNanos);
  }

  private static void runBeam(CompletionClient client, String prompt, ProcessScorer<RemoteHypothesis> prm, int n) {
    try (RemoteProcess rp = RemoteProcess.open(client, prompt, RemoteDecoding.lines(MAX_NEW))) {
      Search.stepBeam(prm).n(n).m(4).seed(1).run(rp);
    }
  }

  private static void replay(java.net.http.HttpClient http, java.net.URI uri, List<List<byte[]>> rounds) {
    for (List<byte[]> round : rounds) {
      List<java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>>> fs = new ArrayList<>();
      for (byte[] body : round) {
        fs.add(http.sendAsync(java.net.http.HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString()));
      }
      for (var f : fs) {
        if (f.join().statusCode() != 200) {
          throw new IllegalStateException("replayed request answered " + f.join().statusCode());
        }
      }
    }
  }

  private static double mean(int[] xs) {
    double s = 0;
    for (int x : xs) {
      s += x;
    }
    return s / xs.length;
  }
}
