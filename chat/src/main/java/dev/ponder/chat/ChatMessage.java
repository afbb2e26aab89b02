package dev.ponder.chat;

import java.util.Objects;

/**
 * One message of a conversation, as a chat template sees it: {@code {"role": ..., "content": ...}}.
 *
 * @param role    who speaks: usually {@code system}, {@code user} or {@code assistant}; templates decide what they
 *                accept (and may refuse the others)
 * @param content the text
 */
public record ChatMessage(String role, String content) {
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }

  public static ChatMessage system(String content) {
    return new ChatMessage("system", content);
  }

  public static ChatMessage user(String content) {
    return new ChatMessage("user", content);
  }

  public static ChatMessage assistant(String content) {
    return new ChatMessage("assistant", content);
  }
}
