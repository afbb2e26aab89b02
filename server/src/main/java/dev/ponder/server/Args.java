package dev.ponder.server;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code --name value} options of one command, with errors that name the option and what it expects. */
final class Args {
  private final String command;
  private final Map<String, String> values = new HashMap<>();
  private final Set<String> read = new HashSet<>();

  Args(String command, List<String> argv) {
    this.command = command;
    for (int i = 0; i < argv.size(); i++) {
      String a = argv.get(i);
      if (!a.startsWith("--") || a.length() == 2) {
        throw new UsageException(command + ": expected an option like --name VALUE, found '" + a + "'");
      }
      String name = a.substring(2);
      int eq = name.indexOf('=');
      if (eq >= 0) {
        values.put(name.substring(0, eq), name.substring(eq + 1));
      } else if (i + 1 < argv.size()) {
        values.put(name, argv.get(++i));
      } else {
        throw new UsageException(command + ": option --" + name + " needs a value");
      }
    }
  }

  String required(String name) {
    read.add(name);
    String v = values.get(name);
    if (v == null) {
      throw new UsageException(command + ": missing required option --" + name);
    }
    return v;
  }

  String text(String name, String fallback) {
    read.add(name);
    return values.getOrDefault(name, fallback);
  }

  int integer(String name, int fallback) {
    String v = text(name, null);
    if (v == null) {
      return fallback;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new UsageException(command + ": --" + name + " expects an integer, found '" + v + "'");
    }
  }

  long longValue(String name, long fallback) {
    String v = text(name, null);
    if (v == null) {
      return fallback;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new UsageException(command + ": --" + name + " expects an integer, found '" + v + "'");
    }
  }

  double decimal(String name, double fallback) {
    String v = text(name, null);
    if (v == null) {
      return fallback;
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new UsageException(command + ": --" + name + " expects a number, found '" + v + "'");
    }
  }

  /** Fails on options the command did not read: a typo must not be silently ignored. */
  void rejectUnknown() {
    Set<String> unknown = new HashSet<>(values.keySet());
    unknown.removeAll(read);
    if (!unknown.isEmpty()) {
      throw new UsageException(command + ": unknown option(s) " + unknown.stream().sorted().map(n -> "--" + n).toList()
          + "; known: " + read.stream().sorted().map(n -> "--" + n).toList());
    }
  }

  /** Bad command-line input: printed with the usage, exit code 2. */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }
}
