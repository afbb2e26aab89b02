package dev.ponder.engine.model;

/** Where a model runs: the CPU, or a CUDA device by index. Parsed from {@code cpu}, {@code cuda}, {@code cuda:N}. */
public sealed interface Device {

  record Cpu() implements Device {
    @Override
    public String toString() {
      return "cpu";
    }
  }

  record Cuda(int index) implements Device {
    public Cuda {
      if (index < 0) {
        throw new IllegalArgumentException("CUDA device index must be >= 0, was " + index);
      }
    }

    @Override
    public String toString() {
      return "cuda:" + index;
    }
  }

  static Device cpu() {
    return new Cpu();
  }

  static Device parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("device must be 'cpu', 'cuda' or 'cuda:N', was " + (text == null ? "null" : "blank"));
    }
    String t = text.trim().toLowerCase(java.util.Locale.ROOT);
    if (t.equals("cpu")) {
      return new Cpu();
    }
    if (t.equals("cuda")) {
      return new Cuda(0);
    }
    if (t.startsWith("cuda:")) {
      try {
        return new Cuda(Integer.parseInt(t.substring(5)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("device '" + text + "' has a bad CUDA index; expected 'cuda:N' with N >= 0");
      }
    }
    throw new IllegalArgumentException("device must be 'cpu', 'cuda' or 'cuda:N', was '" + text + "'");
  }
}
