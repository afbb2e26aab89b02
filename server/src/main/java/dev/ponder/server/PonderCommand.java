package dev.ponder.server;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code ponder}: the top command; it only lists the commands. */
@Command(name = "ponder", mixinStandardHelpOptions = true, versionProvider = Version.class,
    description = "Inference-time scaling on ONNX models: search, evaluate, serve.",
    commandListHeading = "%nCommands:%n", footer = "%nRun 'ponder COMMAND --help' for a command's options.")
final class PonderCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  /** No command given: the usage on stderr, exit code 2. */
  @Override
  public Integer call() {
    CommandLine cli = spec.commandLine();
    cli.getErr().println("error: ponder: missing COMMAND (one of " + String.join(", ",
        cli.getSubcommands().keySet().stream().filter(n -> !n.equals("help")).toList()) + ")");
    cli.usage(cli.getErr());
    return 2;
  }
}
