/**
 * Chat models: a Hugging Face chat template ({@code tokenizer_config.json}'s {@code chat_template}) applied to a
 * conversation as transformers' {@code apply_chat_template} does, so that a search conditions on the prompt the
 * model was trained with. See {@link dev.ponder.chat.ChatTemplate}.
 */
module dev.ponder.chat {
  requires transitive dev.ponder.engine;
  requires com.fasterxml.jackson.databind;
  // Jinjava has no module descriptor; its automatic name comes from the jar's file name.
  requires jinjava;

  exports dev.ponder.chat;
}
