package dev.ponder.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.engine.model.ModelOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Ponder's side of the greedy latency comparison with onnxruntime-genai's own generator
 * (onnx-models/llama-tiny/og_latency.py; bench/README.md): the first llama-tiny golden prompt, whose greedy
 * continuation runs the full 24 tokens, decoded greedily at batch 1 and 16 (copies of the prompt), one intra-op
 * thread, through {@code LanguageModel.process} -> {@code start} -> {@code advance} until every row ends. Prints the
 * median wall time and thread CPU time (which leaves out waiting for a core on a loaded machine) of a whole
 * generation (prefill included) after a warm-up of 2000 generations, and checks the tokens against
 * golden.json.
 *
 * <pre>java -cp bench/target/benchmarks.jar dev.ponder.bench.GenaiGreedyLatency [model dir] [runs]</pre>
 */
public final class GenaiGreedyLatency {
  private static final int WARMUP = 2000;
  /** ONNX Runtime runs a one-thread session on the calling thread, so its CPU time counts the model too. */
  private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
  private GenaiGreedyLatency() {
  }

  public static void main(String[] args) throws IOException {
    Path dir = DecodeInputs.resolveModel(args.length > 0 ? args[0] : "onnx-models/llama-tiny/genai-fp32");
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    JsonNode golden = new ObjectMapper().readTree(DecodeInputs.resolveModel("onnx-models/llama-tiny/optimum")
        .getParent().resolve("golden.json").toFile());
    JsonNode r = golden.get("results").get(0);
    int[] prompt = ints(r.get("prompt_ids"));
    int[] expected = ints(r.get("greedy_ids"));
    int maxNew = golden.get("max_new_tokens").asInt();
    try (LanguageModel lm = LanguageModel.load(dir, ModelOptions.cpu().withThreads(1, 1))) {
      for (int batch : new int[] {1, 16}) {
        for (int i = 0; i < WARMUP; i++) { // the JIT compiles the decode loop within the first few thousand steps
          generate(lm, prompt, batch, maxNew, expected);
        }
        long[] nanos = new long[runs];
        long[] cpu = new long[runs];
        for (int i = 0; i < runs; i++) {
          long c0 = THREADS.getCurrentThreadCpuTime();
          long t0 = System.nanoTime();
          generate(lm, prompt, batch, maxNew, expected);
          nanos[i] = System.nanoTime() - t0;
          cpu[i] = THREADS.getCurrentThreadCpuTime() - c0;
        }
        Arrays.sort(nanos);
        Arrays.sort(cpu);
        System.out.printf("[genai-greedy] ponder %s batch %d: %d tokens per row, median %.3f ms per generation "
            + "(p10 %.3f, p90 %.3f), thread CPU median %.3f ms, over %d runs%n", dir.getFileName(), batch,
            expected.length, nanos[runs / 2] / 1e6, nanos[runs / 10] / 1e6, nanos[runs * 9 / 10] / 1e6,
            cpu[runs / 2] / 1e6, runs);
      }
    }
  }

  private static void generate(LanguageModel lm, int[] prompt, int batch, int maxNew, int[] expected) {
    try (LmProcess process = lm.process(prompt, Decoding.greedy().withMaxNewTokens(maxNew))) {
      SearchContext ctx = SearchContext.builder().build();
      List<LmHypothesis> rows = process.start(batch, ctx);
      List<LmHypothesis> all = rows;
      while (!rows.isEmpty()) {
        rows = process.advance(rows, ctx).stream().filter(h -> !h.isTerminal()).toList();
      }
      for (LmHypothesis h : all) {
        if (!Arrays.equals(h.generatedTokens(), expected)) {
          throw new IllegalStateException("greedy tokens " + Arrays.toString(h.generatedTokens()) + " differ from"
              + " golden.json's " + Arrays.toString(expected));
        }
      }
    }
  }

  private static int[] ints(JsonNode a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asInt();
    }
    return out;
  }
}
