package dev.ponder.server;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens an {@code --out} file before any model is loaded, so that a bad path fails at once with one clear line. */
final class OutFile {
  private OutFile() {
  }

  /** @throws IllegalStateException "eval: cannot write --out PATH: CAUSE" */
  static BufferedWriter open(String command, Path file) {
    try {
      return Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw failed(command, file, e);
    }
  }

  static IllegalStateException failed(String command, Path file, IOException e) {
    return new IllegalStateException(command + ": cannot write --out " + file + ": " + Errors.cause(e), e);
  }
}
