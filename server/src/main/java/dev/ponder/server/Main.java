package dev.ponder.server;

import java.io.Console;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;

/** The single jar's entry point: {@code java -jar ponder.jar COMMAND [options]}. */
public final class Main {
  private Main() {
  }

  public static void main(String[] args) {
    // The native libraries' loaders log at INFO on stderr; keep stderr for errors and progress.
    if (System.getProperty("org.slf4j.simpleLogger.log.ai.djl") == null) {
      System.setProperty("org.slf4j.simpleLogger.log.ai.djl", "warn");
    }
    System.exit(run(Arrays.asList(args), System.out, System.err, stderrIsTerminal()));
  }

  /** Runs one command; the exit code (0 ok, 1 failed, 2 bad usage). Public for tests in the server's sub-packages. */
  public static int run(List<String> args, PrintStream out, PrintStream err) {
    return run(args, out, err, false);
  }

  /** As {@link #run(List, PrintStream, PrintStream)}; {@code terminal}: progress as one updating line on err. */
  static int run(List<String> args, PrintStream out, PrintStream err, boolean terminal) {
    CommandLine cli = new CommandLine(new PonderCommand())
        .addSubcommand(new SearchCommand(out, err))
        .addSubcommand(new EvalCommand(out, err, terminal))
        .addSubcommand(new ServeCommand(out))
        .addSubcommand(new CommandLine.HelpCommand());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    cli.setExpandAtFiles(false); // a prompt may start with @; it is text, never a file to read arguments from
    cli.setParameterExceptionHandler((e, argv) -> {
      err.println("error: " + Errors.usage(e));
      return 2;
    });
    cli.setExecutionExceptionHandler((e, command, parsed) -> {
      err.println("error: " + Errors.failure(e));
      return e instanceof UsageException ? 2 : 1;
    });
    return cli.execute(args.toArray(String[]::new));
  }

  /** Whether the JVM's console is a terminal (stdin and stdout; no console when either is redirected). */
  private static boolean stderrIsTerminal() {
    Console console = System.console();
    if (console == null || "dumb".equals(System.getenv("TERM"))) {
      return false;
    }
    try {
      // Since Java 22 System.console() is non-null even when redirected; isTerminal() tells.
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (NoSuchMethodException e) {
      return true;
    } catch (ReflectiveOperationException e) {
      return false;
    }
  }
}
