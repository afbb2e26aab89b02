package dev.ponder.remote;

/**
 * What the engine behind {@code /v1/completions} accepts and reports beyond the OpenAI schema.
 *
 * <ul>
 *   <li>{@link #LLAMA_CPP}: llama.cpp's {@code llama-server}. Prompts go out as token ids (a JSON list of ints),
 *       so the context is never re-tokenized; the step's token ids come back in
 *       {@code choices[0].logprobs.content[].id} (every request asks for {@code logprobs: 1}). A step that ends
 *       at its stop string has the string trimmed from the text and its tokens from the ids (llama.cpp's rule);
 *       the process adds the stop string and its ids back, as the in-process step keeps them. End of sequence is
 *       recognised by the end-of-sequence id as the last id. The sampler runs unfiltered ({@code top_k: 0},
 *       {@code min_p: 0}), as Ponder's own sampling does, so only {@code temperature} and {@code top_p} shape
 *       it.</li>
 *   <li>{@link #TEXT}: an engine that takes text prompts only (OpenAI itself, llama-cpp-python's server). The
 *       context goes out as text and the engine re-tokenizes all of it every step, so the tokens it conditions
 *       on may differ from those it generated where its tokenizer would merge across a step boundary; the
 *       hypothesis holds text only (no ids). OpenAI's schema says "stop" for both a stop string and end of
 *       sequence; this dialect tells them apart only where the engine names the matched string in
 *       {@code choices[0].stop_reason} (as vLLM does); otherwise a step that ends "stop" fails with an error
 *       saying so rather than guessing. Sampling filters other than temperature and top_p are the engine's
 *       defaults.</li>
 * </ul>
 */
public enum EngineDialect {
  LLAMA_CPP,
  TEXT;

  public boolean sendsTokenIds() {
    return this == LLAMA_CPP;
  }
}
