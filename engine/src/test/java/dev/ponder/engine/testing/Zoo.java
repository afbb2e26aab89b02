package dev.ponder.engine.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the committed model zoo ({@code onnx-models/}) from any module's tests. */
public final class Zoo {
  private Zoo() {
  }

  /** The repository root: the {@code ponder.repo} system property (set by Surefire), else the nearest parent with onnx-models/. */
  public static Path root() {
    String prop = System.getProperty("ponder.repo");
    if (prop != null && Files.isDirectory(Path.of(prop, "onnx-models"))) {
      return Path.of(prop);
    }
    Path p = Path.of("").toAbsolutePath();
    while (p != null) {
      if (Files.isDirectory(p.resolve("onnx-models"))) {
        return p;
      }
      p = p.getParent();
    }
    throw new IllegalStateException("cannot find onnx-models/ above " + Path.of("").toAbsolutePath());
  }

  /** A path inside onnx-models/, e.g. {@code model("tiny-gpt2")}. */
  public static Path model(String relative) {
    Path p = root().resolve("onnx-models").resolve(relative);
    if (!Files.exists(p)) {
      throw new IllegalStateException("model-zoo entry missing: " + p + " (rebuild with onnx-models/build_all.sh)");
    }
    return p;
  }
}
