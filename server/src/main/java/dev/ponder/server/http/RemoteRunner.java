package dev.ponder.server.http;

import dev.ponder.engine.Budget;
import dev.ponder.engine.OutcomeScorer;
import dev.ponder.engine.ProcessScorer;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.SearchEvent.SearchListener;
import dev.ponder.engine.SearchResult;
import dev.ponder.remote.RemoteDecoding;
import dev.ponder.remote.RemoteException;
import dev.ponder.remote.RemoteHypothesis;
import dev.ponder.remote.RemoteProcess;
import dev.ponder.samplers.ProcessSearch;
import dev.ponder.samplers.smc.ParticleFilterSearch.Resampling;
import dev.ponder.tasks.countdown.CountdownAlgorithms;
import dev.ponder.verifiers.Verifier;
import dev.ponder.verifiers.Verifier.VerifierInput;
import java.util.List;
import java.util.Locale;

/**
 * The language-model searches of {@link SearchRunner} over a {@link RemoteModel}: every step goes to the engine as
 * a completion request (one line a step for the step-level searches), the verifiers run here on the prompt and the
 * generated text.
 *
 * <p>Refused with a 400 before any request: token-level beam (the API gives a few top alternatives per token, not
 * the distribution it needs), {@code top_k} and {@code min_p} (sent to the engine as off: only temperature and
 * top_p shape its sampling). A failing engine is a 502 ({@code remote_engine_error}: refused connection, an error
 * status after the retries, an answer that is not the expected JSON) or a 504 ({@code remote_engine_timeout}: no
 * answer within the request timeout), with the engine's address replaced by the model id.
 */
final class RemoteRunner {
  /** max_new_tokens when the request gives none (a remote model has no generation_config.json here). */
  static final int DEFAULT_MAX_NEW_TOKENS = 128;
  /** One step of the step-level searches: a line, at most this many tokens (as in-process). */
  static final int STEP_TOKENS = 32;

  private RemoteRunner() {
  }

  static void validate(String modelId, SearchSpec spec) {
    if (spec.algorithm().equals("beam")) {
      throw ApiError.unsupported("algorithm", "'beam' (token-level beam search) needs every next-token"
          + " distribution, which the remote policy '" + modelId + "' cannot give (its API reports at most a few"
          + " top alternatives per token); use 'step-beam'");
    }
    if (spec.topK() != 0) {
      throw ApiError.unsupported("top_k", "'top_k' is not supported for the remote policy '" + modelId + "' (only"
          + " temperature and top_p are sent to its engine); send 0 or leave it out, found " + spec.topK());
    }
    if (spec.minP() != 0) {
      throw ApiError.unsupported("min_p", "'min_p' is not supported for the remote policy '" + modelId + "' (only"
          + " temperature and top_p are sent to its engine); send 0 or leave it out, found " + spec.minP());
    }
  }

  static SearchResult run(String modelId, RemoteModel remote, String prompt, SearchSpec spec, Verifier outcome,
      Verifier prm, SearchListener listener) {
    int maxNew = spec.maxNewTokens() != null ? spec.maxNewTokens() : DEFAULT_MAX_NEW_TOKENS;
    RemoteDecoding whole = RemoteDecoding.whole(maxNew).withTemperature(spec.temperature()).withTopP(spec.topP());
    boolean stepwise = CountdownAlgorithms.stepsByLine(spec.algorithm());
    RemoteDecoding decoding = spec.algorithm().equals("greedy") ? whole.withTemperature(0)
        : stepwise ? whole.withStep(STEP_TOKENS, "\n") : whole;
    Budget budget = new Budget(spec.policyTokens(), spec.modelCalls(), spec.verifierCalls(), spec.deadline());
    try (RemoteProcess process = RemoteProcess.open(remote.client(), prompt, decoding)
        .groupSharedContexts(remote.group())) {
      return search(spec, outcome, prm).budget(budget).seed(spec.seed()).listener(listener).run(process);
    } catch (RemoteException e) {
      throw failed(modelId, remote, e);
    }
  }

  /** The client sees the model id, never the engine's address. */
  static ApiError failed(String modelId, RemoteModel remote, RemoteException e) {
    boolean timeout = e.kind() == RemoteException.Kind.TIMEOUT;
    String base = remote.endpoint().baseUrl().toString();
    String message = String.valueOf(e.getMessage()).replace(base.endsWith("/") ? base.substring(0, base.length() - 1)
        : base, "[engine of " + modelId + "]");
    return new ApiError(timeout ? 504 : 502, "server_error", "model", timeout ? "remote_engine_timeout"
        : "remote_engine_error", "the engine behind the remote policy '" + modelId + "' failed: " + message);
  }

  /** The registry's search over any process (the same names and knobs as eval's). */
  private static ProcessSearch<RemoteHypothesis, ?> search(SearchSpec spec, Verifier outcome, Verifier prm) {
    CountdownAlgorithms.Knobs knobs = new CountdownAlgorithms.Knobs(spec.n(), spec.m(), spec.lambda(),
        Resampling.valueOf(spec.resampling().toUpperCase(Locale.ROOT)));
    return CountdownAlgorithms.overAnyProcess(spec.algorithm(), knobs, () -> scorer(outcome), () -> scorer(prm));
  }

  private static Scorer scorer(Verifier v) {
    return new Scorer(v);
  }

  /** A local verifier over remote hypotheses (prompt and generated text): both scorer contracts, one batch a call. */
  private record Scorer(Verifier verifier) implements OutcomeScorer<RemoteHypothesis>,
      ProcessScorer<RemoteHypothesis> {
    @Override
    public double[] score(List<RemoteHypothesis> hs, SearchContext ctx) {
      return verifier.score(hs.stream().map(h -> VerifierInput.of(h.promptText(), h.text())).toList(), ctx);
    }
  }
}
