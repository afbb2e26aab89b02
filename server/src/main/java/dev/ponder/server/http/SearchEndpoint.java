package dev.ponder.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ponder.engine.SearchResult;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/**
 * {@code POST /v1/search}: one search, answered as the SearchResult in JSON; with {@code "stream": true} as
 * server-sent events, one per SearchEvent ({@code event: step|expand|score|resample|prune|finish|preview|bad_score|done})
 * and then {@code event: result} with the same JSON as the plain answer. The answer carries the typed stop reason
 * and the search's trace (its tree, particle genealogy or iterates).
 */
public final class SearchEndpoint {
  private static final Set<String> FIELDS = fields();

  private final Searches searches;
  private final Limits limits;

  public SearchEndpoint(Searches searches, Limits limits) {
    this.searches = searches;
    this.limits = limits;
  }

  private static Set<String> fields() {
    Set<String> s = new HashSet<>(SearchSpec.KNOB_FIELDS);
    s.addAll(SearchSpec.DECODING_FIELDS);
    s.add("model");
    s.add("prompt");
    s.add("stream");
    return Set.copyOf(s);
  }

  public void handle(Exchange x) throws IOException, InterruptedException {
    ObjectNode body = x.jsonBody();
    Json.rejectUnknown(body, "", FIELDS);
    String model = Json.requiredText(body, "model");
    String prompt = Json.text(body, "prompt", null);
    boolean stream = Json.bool(body, "stream", false);
    SearchSpec spec = SearchSpec.parse(body, body, "sample", limits);
    if (!stream) {
      SearchResult result = searches.run(x, model, prompt, spec, e -> { });
      x.json(200, answer(model, spec, result));
      return;
    }
    SseStream[] sse = new SseStream[1];
    SearchResult result;
    try {
      result = searches.run(x, model, prompt, spec, e -> {
        if (sse[0] == null) {
          sse[0] = x.sse();
        }
        sse[0].event(ResultJson.type(e), Json.write(ResultJson.event(e)));
      });
    } catch (ApiError e) {
      if (sse[0] == null) {
        throw e; // nothing sent yet: an ordinary error response
      }
      sse[0].event("error", Json.write(Exchange.errorBody(e.getMessage(), e.type(), e.param(), e.code())));
      x.finishStream();
      return;
    }
    if (sse[0] == null) {
      sse[0] = x.sse();
    }
    sse[0].event("result", Json.write(answer(model, spec, result)));
    x.finishStream();
  }

  static ObjectNode answer(String model, SearchSpec spec, SearchResult result) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("model", model);
    o.put("algorithm", spec.algorithm());
    o.put("seed", spec.seed());
    o.setAll(ResultJson.result(result));
    return o;
  }
}
