package dev.ponder.chat;

/**
 * A chat template that could not be applied: it is broken (a syntax error, an unknown filter), or it refused the
 * conversation itself with {@code raise_exception(...)} (e.g. roles that do not alternate). The message names the
 * template and the reason; a conversation never silently becomes a wrong prompt.
 */
public final class ChatTemplateException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String template;
  private final String reason;
  private final boolean refused;

  ChatTemplateException(String template, String reason, boolean refused) {
    super((refused ? "the chat template " + template + " refused the messages: "
        : "the chat template " + template + " cannot be applied: ") + reason);
    this.template = template;
    this.reason = reason;
    this.refused = refused;
  }

  /** Where the template came from (a {@code tokenizer_config.json}'s path, or the name given to it). */
  public String template() {
    return template;
  }

  /** Why: the template's own message when it refused, else the template engine's error. */
  public String reason() {
    return reason;
  }

  /**
   * True when the template itself refused these messages with {@code raise_exception} (the caller's input is at
   * fault); false when the template cannot be rendered at all (the model's template is at fault).
   */
  public boolean refusedByTemplate() {
    return refused;
  }
}
