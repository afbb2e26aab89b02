/**
 * Chat templates: {@link dev.ponder.chat.ChatTemplate#load(java.nio.file.Path)} reads a model's template,
 * {@link dev.ponder.chat.ChatTemplate#prompt(java.util.List, dev.ponder.engine.lm.LanguageModel)} turns a list of
 * {@link dev.ponder.chat.ChatMessage}s into the prompt text a search runs on.
 */
package dev.ponder.chat;
