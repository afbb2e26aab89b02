package dev.ponder.bench;

import dev.ponder.engine.lm.LmTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The one decode step that both sides of {@link DecodeStepBenchmark} run, so that they do the same model work:
 * {@code batch} rows, each with a past of the same {@code P} tokens (a countdown prompt plus 16 generated
 * characters) and one new token ({@code S = 1}). The past is made by one prefill of those P tokens on each side.
 *
 * <p>The model directory parameter {@code auto} means the trained countdown policy when it has been exported,
 * otherwise the tiny random GPT-2; relative paths are resolved against the repository root (the nearest folder,
 * from the working directory up, that holds {@code onnx-models/}).
 */
final class DecodeInputs {
  /** The prompt format of onnx-models/countdown/task.py. */
  static final String PROMPT = "numbers: 3 7 25 50 target: 85\n";
  /** 16 "generated" characters: the past is prompt + 16 tokens, as after 16 decode steps. */
  static final String GENERATED = "50 + 25 = 75\n75 ";
  /** The new token the raw side feeds (the engine samples its own; the model work does not depend on it). */
  static final String NEXT = "+";

  private static final List<String> AUTO = List.of("onnx-models/countdown/policy", "onnx-models/tiny-gpt2");

  final Path modelDir;
  final int batch;
  /** The P past tokens of every row. */
  final int[] past;
  final int nextToken;

  private DecodeInputs(Path modelDir, int batch, int[] past, int nextToken) {
    this.modelDir = modelDir;
    this.batch = batch;
    this.past = past;
    this.nextToken = nextToken;
  }

  static DecodeInputs create(String model, int batch) {
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be >= 1, was " + batch);
    }
    Path dir = resolveModel(model);
    try (LmTokenizer tokenizer = LmTokenizer.load(dir.resolve("tokenizer.json"))) {
      int[] past = tokenizer.encode(PROMPT + GENERATED);
      int[] next = tokenizer.encode(NEXT);
      if (next.length != 1) {
        throw new IllegalStateException("'" + NEXT + "' must encode to one token with " + dir + ", got " + next.length);
      }
      return new DecodeInputs(dir, batch, past, next[0]);
    }
  }

  int pastLength() {
    return past.length;
  }

  static Path resolveModel(String model) {
    if (!"auto".equals(model)) {
      Path p = Path.of(model);
      Path dir = p.isAbsolute() ? p : repoRoot().resolve(p);
      if (!Files.isRegularFile(dir.resolve("model.onnx"))) {
        throw new IllegalArgumentException("no model.onnx in " + dir.toAbsolutePath()
            + "; pass -p model=<dir> with an optimum decoder export, or -p model=auto");
      }
      return dir;
    }
    for (String candidate : AUTO) {
      Path dir = repoRoot().resolve(candidate);
      if (Files.isRegularFile(dir.resolve("model.onnx"))) {
        return dir;
      }
    }
    throw new IllegalArgumentException("model=auto found none of " + AUTO + " under " + repoRoot());
  }

  static Path repoRoot() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("onnx-models"))) {
        return p;
      }
    }
    throw new IllegalStateException("no onnx-models/ folder in " + dir + " or above: run the benchmarks from the"
        + " repository root");
  }
}
