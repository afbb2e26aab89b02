package dev.ponder.server;

import dev.ponder.remote.EngineDialect;
import dev.ponder.remote.RemoteEndpoint;
import picocli.CommandLine.Option;

/** The {@code --remote*} options of {@code search} and {@code eval}: a policy served behind /v1/completions. */
final class RemoteOptions {
  static final String DEFAULT_KEY_ENV = "PONDER_REMOTE_API_KEY";

  @Option(names = "--remote", paramLabel = "URL", description = "Use a policy served behind an OpenAI-compatible"
      + " /v1/completions API at URL instead of a local model (verifiers stay local).")
  String url;

  @Option(names = "--remote-model", paramLabel = "NAME", description = "The served model's name (with --remote).")
  String model;

  @Option(names = "--remote-dialect", paramLabel = "DIALECT", defaultValue = "llama", description = "llama"
      + " (llama.cpp's server: token ids) or text (engines that take text prompts only).")
  String dialect;

  @Option(names = "--remote-api-key-env", paramLabel = "VAR", description = "The environment variable that holds"
      + " the API key; default " + DEFAULT_KEY_ENV + " (used when set).")
  String keyEnv;

  @Option(names = "--remote-group", paramLabel = "N", defaultValue = "1", description = "Send the hypotheses of a"
      + " round that share their context as one request with n (at most N each); 1 sends one request per hypothesis."
      + " Grouped, a hypothesis's tokens depend on its place in its group (the engine's per-choice seeds), not on"
      + " its lineage alone; the engine must take n.")
  int group;

  /** The remote policy, or null when {@code --remote} is absent (then no other --remote-* option may be given). */
  RemotePolicy policy(String command) {
    if (url == null) {
      if (model != null || keyEnv != null || group != 1) {
        throw new UsageException(command + ": --remote-model, --remote-api-key-env and --remote-group need"
            + " --remote URL");
      }
      return null;
    }
    if (model == null) {
      throw new UsageException(command + ": --remote needs --remote-model NAME");
    }
    RemoteEndpoint endpoint = RemoteEndpoint.of(url, model).withDialect(switch (dialect) {
      case "llama" -> EngineDialect.LLAMA_CPP;
      case "text" -> EngineDialect.TEXT;
      default -> throw new UsageException(command + ": --remote-dialect must be 'llama' (llama.cpp's server:"
          + " token ids) or 'text' (engines that take text prompts only), was '" + dialect + "'");
    });
    String env = keyEnv == null ? DEFAULT_KEY_ENV : keyEnv;
    String key = System.getenv(env);
    if (key != null && !key.isBlank()) {
      endpoint = endpoint.withApiKey(key);
    } else if (keyEnv != null) {
      throw new UsageException(command + ": --remote-api-key-env names " + keyEnv + ", which is not set");
    }
    if (group < 1) {
      throw new UsageException(command + ": --remote-group must be >= 1 (1 = one request per hypothesis), was "
          + group);
    }
    return new RemotePolicy(endpoint, group);
  }
}
