package dev.ponder.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/** The one error line the command line prints for a failure: what was asked, what went wrong, never a trace. */
final class Errors {
  private Errors() {
  }

  /** A command-line mistake, prefixed with the command's name, an unknown option with the nearest known one. */
  static String usage(ParameterException e) {
    CommandLine cli = e.getCommandLine();
    String name = cli.getCommandName();
    if (e instanceof UnmatchedArgumentException u) {
      List<String> unmatched = u.getUnmatched();
      String first = unmatched.stream().filter(a -> a.startsWith("-")).findFirst().orElse(unmatched.get(0));
      int eq = first.indexOf('=');
      String shown = first.startsWith("-") && eq > 0 ? first.substring(0, eq) : first;
      String what = shown.startsWith("-") ? "Unknown option" : cli.getSubcommands().isEmpty() ? "Unexpected argument"
          : "Unknown command";
      String near = nearest(shown, shown.startsWith("-") ? cli.getCommandSpec().optionsMap().keySet()
          : cli.getSubcommands().keySet());
      return name + ": " + what + ": '" + shown + "'" + (near == null ? "" : "; did you mean '" + near + "'?");
    }
    return name + ": " + e.getMessage();
  }

  /** The known name closest to {@code typo} by edit distance, or null when none is within a third of its length. */
  static String nearest(String typo, Collection<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance(typo, k);
      if (d < bestDistance || d == bestDistance && k.compareTo(best) < 0) {
        best = k;
        bestDistance = d;
      }
    }
    return best != null && bestDistance <= Math.max(2, typo.length() / 3) ? best : null;
  }

  /** Edits (insert, delete, replace, swap of two neighbours) that turn a into b. */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  /**
   * A failure while running: its message, which names the path or the value (the commands wrap what they call so
   * that it does); an exception from outside Ponder also names its type.
   */
  static String failure(Exception e) {
    if (e instanceof IOException io) {
      return cause(io);
    }
    String message = e.getMessage();
    if (message == null || message.isBlank()) {
      return e.getClass().getName() + " without a message";
    }
    boolean ours = e instanceof IllegalArgumentException || e instanceof IllegalStateException
        || e instanceof UncheckedIOException || e.getClass().getPackageName().startsWith("dev.ponder");
    return ours ? message : e.getClass().getSimpleName() + ": " + message;
  }

  /** What went wrong with a file, in words: "folder /x does not exist", "permission denied", "is a directory". */
  static String cause(IOException e) {
    if (e instanceof NoSuchFileException n) {
      Path p = Path.of(n.getFile());
      Path parent = p.toAbsolutePath().getParent();
      return parent != null && !parent.toFile().isDirectory() ? "folder " + parent + " does not exist"
          : "no such file";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return f.getReason().toLowerCase(java.util.Locale.ROOT);
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
