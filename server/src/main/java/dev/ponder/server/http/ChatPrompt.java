package dev.ponder.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ponder.chat.ChatMessage;
import dev.ponder.chat.ChatTemplate;
import dev.ponder.chat.ChatTemplateException;
import dev.ponder.engine.lm.LanguageModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Turns a request's {@code messages} into the policy's prompt with the library's {@link ChatTemplate}: the model's
 * {@code chat_template} when its {@code tokenizer_config.json} has one (without the template's BOS when the tokenizer
 * adds its own), the plain format otherwise: the messages' contents in order, each followed by a newline unless it
 * already ends with one, roles not written. That suits the bundled base models, which continue a text (a Countdown
 * problem sent as one user message is exactly the prompt the model was trained on).
 */
public final class ChatPrompt {

  private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

  private ChatPrompt() {
  }

  public static List<ChatMessage> parse(JsonNode messages) {
    if (messages == null || messages.isNull()) {
      throw ApiError.missing("messages", "an array of {\"role\", \"content\"} objects");
    }
    if (!messages.isArray() || messages.isEmpty()) {
      throw ApiError.invalid("messages", "'messages' must be a non-empty array of {\"role\", \"content\"} objects,"
          + " found " + Json.describe(messages));
    }
    List<ChatMessage> out = new ArrayList<>();
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
      out.add(new ChatMessage(role.asText(), content(m.get("content"), at + ".content")));
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

  /**
   * The prompt for {@code policy}. A template that refuses the messages ({@code raise_exception}) is a 400 about
   * {@code messages}; one that cannot be rendered at all is the model's fault, said as such. Neither names the
   * template's path (clients see model ids, never paths).
   */
  public static String render(List<ChatMessage> messages, ChatTemplate template, LanguageModel policy) {
    try {
      return template.prompt(messages, policy);
    } catch (ChatTemplateException e) {
      if (e.refusedByTemplate()) {
        throw ApiError.invalid("messages", "the model's chat template refused the messages: " + e.reason());
      }
      throw ApiError.unsupported("messages", "the model's chat template cannot be applied: " + e.reason());
    }
  }
}
