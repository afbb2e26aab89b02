package dev.ponder.server.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/** OpenAI-compatible {@code GET /v1/models} (and {@code GET /v1/models/{id}}), with each model's kind. */
public final class ModelsEndpoint {
  private final ModelRegistry models;

  public ModelsEndpoint(ModelRegistry models) {
    this.models = models;
  }

  public void list(Exchange x) throws IOException {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("object", "list");
    ArrayNode data = o.putArray("data");
    for (ModelRegistry.Entry e : models.entries()) {
      data.add(model(e));
    }
    x.json(200, o);
  }

  public void one(Exchange x, String id) throws IOException {
    x.json(200, model(models.get(id)));
  }

  private ObjectNode model(ModelRegistry.Entry e) {
    ObjectNode m = Json.MAPPER.createObjectNode();
    m.put("id", e.id());
    m.put("object", "model");
    m.put("created", models.createdSeconds());
    m.put("owned_by", "ponder");
    m.put("kind", e.kind().label());
    return m;
  }
}
