package dev.ponder.server.http;

import java.util.List;

/** Applies a Hugging Face chat template (Jinja). */
final class ChatTemplate {
  private ChatTemplate() {
  }

  static String render(String template, List<ChatPrompt.Message> messages) {
    throw ApiError.unsupported("messages", "this model has a chat_template, and applying chat templates is not"
        + " implemented yet; use /v1/completions with the formatted prompt");
  }
}
