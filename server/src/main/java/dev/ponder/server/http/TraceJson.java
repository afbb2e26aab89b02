package dev.ponder.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ponder.engine.SearchTrace;
import java.util.List;

/**
 * A search's {@link SearchTrace} as JSON: {@code {"type": "none"}}, {@code {"type": "tree", "nodes": [...]}},
 * {@code {"type": "particles", "generations": [...]}}, {@code {"type": "iterates", "iterates": [...]}} or
 * {@code {"type": "auto", "chosen", "reason", features..., "inner": {...}}}. Lineage
 * ids are strings (64-bit); NaN is null.
 */
public final class TraceJson {
  private TraceJson() {
  }

  public static ObjectNode of(SearchTrace trace) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    if (trace instanceof SearchTrace.Tree t) {
      o.put("type", "tree");
      ArrayNode nodes = o.putArray("nodes");
      for (SearchTrace.Tree.Node n : t.nodes()) {
        ObjectNode j = nodes.addObject();
        j.put("id", n.id());
        j.put("parent", n.parent());
        j.put("lineage", Long.toString(n.lineage()));
        j.put("depth", n.depth());
        j.put("step", n.step());
        ResultJson.number(j, "score", n.score());
        j.put("visits", n.visits());
        ResultJson.number(j, "value", n.value());
        j.put("terminal", n.terminal());
        j.put("pruned", n.pruned());
        j.put("chosen", n.chosen());
      }
    } else if (trace instanceof SearchTrace.Particles p) {
      o.put("type", "particles");
      ArrayNode gens = o.putArray("generations");
      for (SearchTrace.Particles.Generation g : p.generations()) {
        ObjectNode j = gens.addObject();
        j.put("step", g.step());
        ArrayNode lineages = j.putArray("lineages");
        g.lineages().forEach(l -> lineages.add(Long.toString(l)));
        numbers(j.putArray("log_weights"), g.logWeights());
        numbers(j.putArray("rewards"), g.rewards());
        ResultJson.number(j, "ess", g.ess());
        ArrayNode anc = j.putArray("ancestors");
        g.ancestors().forEach(anc::add);
      }
    } else if (trace instanceof SearchTrace.Iterates it) {
      o.put("type", "iterates");
      ArrayNode its = o.putArray("iterates");
      for (SearchTrace.Iterates.Iterate i : it.iterates()) {
        ObjectNode j = its.addObject();
        j.put("iteration", i.iteration());
        numbers(j.putArray("rewards"), i.rewards());
        numbers(j.putArray("best_rewards"), i.bestRewards());
      }
    } else if (trace instanceof SearchTrace.Auto a) {
      o.put("type", "auto");
      o.put("chosen", a.chosen());
      o.put("reason", a.reason());
      o.put("probe_samples", a.probeSamples());
      ResultJson.number(o, "agreement", a.agreement());
      ResultJson.number(o, "best_score", a.bestScore());
      ResultJson.number(o, "mean_score", a.meanScore());
      ResultJson.number(o, "mean_entropy", a.meanEntropy());
      o.set("inner", of(a.inner()));
    } else {
      o.put("type", "none");
    }
    return o;
  }

  private static void numbers(ArrayNode a, List<Double> xs) {
    for (double x : xs) {
      if (Double.isFinite(x)) {
        a.add(x);
      } else {
        a.addNull();
      }
    }
  }
}
