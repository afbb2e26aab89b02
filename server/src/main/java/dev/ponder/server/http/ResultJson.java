package dev.ponder.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ponder.engine.SearchResult.Candidate;
import dev.ponder.engine.SearchEvent;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.SearchResult.SearchStats;
import dev.ponder.engine.SearchResult.StopReason;
import java.util.Base64;

/**
 * {@link SearchResult} and {@link SearchEvent} as JSON. Lineage ids are 64-bit and written as strings, which a
 * browser's numbers cannot hold exactly; NaN scores are written as null.
 */
public final class ResultJson {
  private ResultJson() {
  }

  public static ObjectNode result(SearchResult r) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("outcome", r.outcome().name().toLowerCase(java.util.Locale.ROOT));
    o.set("stop_reason", stopReason(r.stopReason()));
    ArrayNode cs = o.putArray("candidates");
    for (Candidate c : r.candidates()) {
      ObjectNode j = cs.addObject();
      j.put("text", c.text());
      number(j, "score", c.score());
      number(j, "logprob", c.logProb());
      j.put("tokens", c.tokens());
      j.put("finished", c.finished());
      float[] sample = c.sample();
      if (sample != null) {
        ArrayNode s = j.putArray("sample");
        for (float v : sample) {
          s.add(v);
        }
      }
    }
    number(o, "log_z", r.logZ());
    o.set("stats", stats(r.stats()));
    o.set("trace", TraceJson.of(r.trace()));
    return o;
  }

  /** {@code {"type": "completed" | "limit_reached" | "cancelled", "describe": ..., ...}}. */
  public static ObjectNode stopReason(StopReason reason) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    if (reason instanceof StopReason.LimitReached l) {
      o.put("type", "limit_reached");
      o.put("limit", l.limit().name().toLowerCase(java.util.Locale.ROOT));
      o.put("allowed", l.allowed());
      o.put("spent", l.spent());
    } else if (reason instanceof StopReason.Cancelled c) {
      o.put("type", "cancelled");
      o.put("by", c.by().name().toLowerCase(java.util.Locale.ROOT));
    } else {
      o.put("type", "completed");
    }
    o.put("describe", reason.describe());
    return o;
  }

  public static ObjectNode stats(SearchStats s) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("prompt_tokens", s.promptTokens());
    o.put("generated_tokens", s.generatedTokens());
    o.put("policy_tokens", s.policyTokens());
    o.put("padding_tokens", s.paddingTokens());
    o.put("model_calls", s.modelCalls());
    o.put("verifier_calls", s.verifierCalls());
    o.put("verifier_tokens", s.verifierTokens());
    o.put("verifier_cache_hits", s.verifierCacheHits());
    o.put("verifier_cache_misses", s.verifierCacheMisses());
    o.put("wall_ms", Math.round(s.wallNanos() / 1e4) / 100.0);
    return o;
  }

  /** One event: {@code {"type": ..., ...}}; the SSE event name is the same type. */
  public static ObjectNode event(SearchEvent e) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("type", type(e));
    if (e instanceof SearchEvent.Step s) {
      o.put("step", s.step());
      o.put("live", s.live());
    } else if (e instanceof SearchEvent.Expand x) {
      o.put("parent", Long.toString(x.parent()));
      ArrayNode ch = o.putArray("children");
      x.children().forEach(c -> ch.add(Long.toString(c)));
    } else if (e instanceof SearchEvent.Score s) {
      o.put("lineage", Long.toString(s.lineage()));
      o.put("scorer", s.scorer());
      number(o, "score", s.score());
    } else if (e instanceof SearchEvent.Resample r) {
      o.put("step", r.step());
      number(o, "ess", r.ess());
      ArrayNode a = o.putArray("ancestors");
      r.ancestors().forEach(a::add);
    } else if (e instanceof SearchEvent.BadScore b) {
      o.put("verifier", b.verifier());
      o.put("input", b.input());
      number(o, "value", b.value());
      number(o, "replacement", b.replacement());
    } else if (e instanceof SearchEvent.Prune p) {
      o.put("lineage", Long.toString(p.lineage()));
      o.put("reason", p.reason());
    } else if (e instanceof SearchEvent.Finish f) {
      o.put("lineage", Long.toString(f.lineage()));
      o.put("text", f.text());
    } else if (e instanceof SearchEvent.Preview p) {
      o.put("lineage", Long.toString(p.lineage()));
      o.put("step", p.step());
      o.put("pixels", pixels(p.sample()));
    } else if (e instanceof SearchEvent.Done d) {
      o.put("outcome", d.outcome().name().toLowerCase(java.util.Locale.ROOT));
      o.set("stop_reason", stopReason(d.stopReason()));
      o.set("stats", stats(d.stats()));
    }
    return o;
  }

  public static String type(SearchEvent e) {
    if (e instanceof SearchEvent.Step) {
      return "step";
    } else if (e instanceof SearchEvent.Expand) {
      return "expand";
    } else if (e instanceof SearchEvent.Score) {
      return "score";
    } else if (e instanceof SearchEvent.Resample) {
      return "resample";
    } else if (e instanceof SearchEvent.BadScore) {
      return "bad_score";
    } else if (e instanceof SearchEvent.Prune) {
      return "prune";
    } else if (e instanceof SearchEvent.Finish) {
      return "finish";
    } else if (e instanceof SearchEvent.Preview) {
      return "preview";
    }
    return "done";
  }

  /**
   * A preview's sample as base64 of one byte per value: [-1, 1] mapped to 0..255 (clipped), a tenth of the JSON
   * floats' size; the image is only drawn, the result keeps the exact sample.
   */
  static String pixels(float[] sample) {
    byte[] b = new byte[sample.length];
    for (int i = 0; i < sample.length; i++) {
      double v = Math.max(-1, Math.min(1, sample[i]));
      b[i] = (byte) Math.round((v + 1) * 127.5);
    }
    return Base64.getEncoder().encodeToString(b);
  }

  static void number(ObjectNode o, String field, double v) {
    if (Double.isFinite(v)) {
      o.put(field, v);
    } else {
      o.putNull(field);
    }
  }
}
