package dev.ponder.server;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/** The single jar's entry point: {@code java -jar ponder.jar COMMAND [options]}. */
public final class Main {
  private Main() {
  }

  public static void main(String[] args) {
    System.exit(run(Arrays.asList(args), System.out, System.err));
  }

  /** Runs one command; the exit code. Public for tests in the server's sub-packages. */
  public static int run(List<String> args, PrintStream out, PrintStream err) {
    if (args.isEmpty() || args.get(0).equals("help") || args.get(0).equals("--help")) {
      out.println(usage());
      return args.isEmpty() ? 2 : 0;
    }
    List<String> rest = args.subList(1, args.size());
    try {
      switch (args.get(0)) {
        case "search":
          return SearchCommand.run(rest, out);
        case "eval":
          return EvalCommand.run(rest, out, err);
        case "serve":
          return ServeCommand.run(rest, out);
        default:
          throw new Args.UsageException("unknown command '" + args.get(0) + "'");
      }
    } catch (Args.UsageException e) {
      err.println("error: " + e.getMessage());
      err.println(usage());
      return 2;
    } catch (IllegalArgumentException | IllegalStateException | dev.ponder.engine.model.ModelContractException
             | dev.ponder.engine.model.DeviceUnavailableException | java.io.UncheckedIOException
             | dev.ponder.remote.RemoteException e) {
      err.println("error: " + e.getMessage());
      return 1;
    } catch (Exception e) {
      err.println("error: " + e);
      return 1;
    }
  }

  static String usage() {
    return "usage: java -jar ponder.jar COMMAND [options]\n\n" + SearchCommand.USAGE + "\n\n" + EvalCommand.USAGE
        + "\n\n" + DigitsEvalCommand.USAGE
        + "\n\n" + ServeCommand.USAGE;
  }
}
