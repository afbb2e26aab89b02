package dev.ponder.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Turns chat messages into the policy's prompt. A model whose {@code tokenizer_config.json} has a
 * {@code chat_template} gets it applied ({@link ChatTemplate}); one without gets the plain format: the messages'
 * contents in order, each followed by a newline unless it already ends with one, roles not written. That suits
 * the bundled base models, which continue a text (a Countdown problem sent as one user message is exactly the
 * prompt the model was trained on).
 */
public final class ChatPrompt {
  /** One message. */
  public record Message(String role, String content) {}

  private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

  private ChatPrompt() {
  }

  public static List<Message> parse(JsonNode messages) {
    if (messages == null || messages.isNull()) {
      throw ApiError.missing("messages", "an array of {\"role\", \"content\"} objects");
    }
    if (!messages.isArray() || messages.isEmpty()) {
      throw ApiError.invalid("messages", "'messages' must be a non-empty array of {\"role\", \"content\"} objects,"
          + " found " + Json.describe(messages));
    }
    List<Message> out = new ArrayList<>();
    for (int i = 0; i < messages.size(); i++) {
      JsonNode m = messages.get(i);
      String at = "messages[" + i + "]";
      if (!m.isObject()) {
        throw ApiError.invalid(at, "'" + at + "' must be an object, found " + Json.describe(m));
      }
      var it = m.fieldNames();
      while (it.hasNext()) {
        String f = it.next();
        if (!Set.of("role", "content", "name").contains(f)) {
          throw ApiError.unknownField(at + "." + f, "[content, name, role]");
        }
      }
      JsonNode role = m.get("role");
      if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
        throw ApiError.invalid(at + ".role", "'" + at + ".role' must be one of " + ROLES + " (tools are not"
            + " supported), found " + Json.describe(role));
      }
      out.add(new Message(role.asText(), content(m.get("content"), at + ".content")));
    }
    return out;
  }

  private static String content(JsonNode c, String at) {
    if (c != null && c.isTextual()) {
      return c.asText();
    }
    if (c != null && c.isArray()) {
      StringBuilder sb = new StringBuilder();
      for (JsonNode part : c) {
        if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
          throw ApiError.unsupported(at, "'" + at + "' parts must be {\"type\": \"text\", \"text\": ...} (only"
              + " text is supported), found " + Json.describe(part));
        }
        sb.append(part.get("text").asText());
      }
      return sb.toString();
    }
    throw ApiError.invalid(at, "'" + at + "' must be a string or an array of text parts, found " + Json.describe(c));
  }

  /** The prompt: the model's chat template when it has one, the plain format otherwise. */
  public static String render(List<Message> messages, String chatTemplate, java.util.Map<String, String> specials) {
    if (chatTemplate != null) {
      return ChatTemplate.render(chatTemplate, messages, specials);
    }
    StringBuilder sb = new StringBuilder();
    for (Message m : messages) {
      sb.append(m.content());
      if (!m.content().endsWith("\n")) {
        sb.append('\n');
      }
    }
    return sb.toString();
  }
}
