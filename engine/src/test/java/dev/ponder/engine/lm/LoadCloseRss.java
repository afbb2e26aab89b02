package dev.ponder.engine.lm;

import dev.ponder.engine.SearchContext;
import dev.ponder.engine.model.ModelOptions;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A measurement, not a test: loads and closes a language model N times (each cycle running one short search)
 * and prints the process's resident set size every K cycles, to show whether load/close leaks native memory.
 * Run by {@code engine/scripts/rss-load-close.sh}; Linux only (reads /proc/self/status).
 *
 * <pre>args: modelDir cycles every [search|nosearch]</pre>
 */
public final class LoadCloseRss {
  private LoadCloseRss() {
  }

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : "onnx-models/countdown/policy");
    int cycles = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int every = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    boolean search = args.length <= 3 || args[3].equals("search");
    ModelOptions options = ModelOptions.cpu().withThreads(1, 1);
    System.out.printf("cycle rss_mb heap_committed_mb direct_mb (model %s, %s per cycle)%n", dir,
        search ? "load + 4-sample search + close" : "load + close");
    report(0);
    for (int i = 1; i <= cycles; i++) {
      try (LanguageModel lm = LanguageModel.load(dir, options)) {
        if (search) {
          SearchContext ctx = SearchContext.builder().seed(i).build();
          try (LmProcess p = lm.process("numbers: 3 7 25 50 target: 85\n", Decoding.sampling().withMaxNewTokens(16))) {
            List<LmHypothesis> hs = p.start(4, ctx);
            while (hs.stream().anyMatch(h -> !h.isTerminal())) {
              hs = p.advance(hs, ctx);
            }
          }
        }
      }
      if (i % every == 0) {
        report(i);
      }
    }
  }

  private static void report(int cycle) throws IOException {
    double direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
        .filter(b -> b.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum() / 1048576.0;
    System.out.printf("%d %.1f %.1f %.1f%n", cycle, rssMb(),
        ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getCommitted() / 1048576.0, direct);
  }

  private static double rssMb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
