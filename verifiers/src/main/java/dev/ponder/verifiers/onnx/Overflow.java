package dev.ponder.verifiers.onnx;


/** What a model-backed verifier does with an input longer than its maximum length (in tokens). */
public enum Overflow {
  /** Fail with an error naming the input, its length and the limit (the default). */
  FAIL,
  /** Keep the first tokens, drop the rest (special tokens the tokenizer adds at the end are kept). */
  KEEP_FIRST,
  /** Keep the last tokens, drop the start (special tokens the tokenizer adds at the start are kept). */
  KEEP_LAST
}
