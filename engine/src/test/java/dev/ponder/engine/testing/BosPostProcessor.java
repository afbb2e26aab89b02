package dev.ponder.engine.testing;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Makes a tokenizer.json Llama-like for tests: a TemplateProcessing post-processor that puts a BOS
 * ({@code <|endoftext|>}, id 0 in tiny-gpt2) before every single text, as Llama's tokenizers do.
 */
public final class BosPostProcessor {
  private BosPostProcessor() {
  }

  /** Replaces {@code tokenizer}'s post-processor (the parsed tokenizer.json) with the BOS-adding one. */
  public static void addTo(ObjectNode tokenizer) {
    ObjectNode post = tokenizer.putObject("post_processor");
    post.put("type", "TemplateProcessing");
    ArrayNode single = post.putArray("single");
    single.addObject().putObject("SpecialToken").put("id", "<|endoftext|>").put("type_id", 0);
    single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    ArrayNode pair = post.putArray("pair");
    pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
    ObjectNode bos = post.putObject("special_tokens").putObject("<|endoftext|>");
    bos.put("id", "<|endoftext|>");
    bos.putArray("ids").add(0);
    bos.putArray("tokens").add("<|endoftext|>");
  }
}
