package dev.ponder.verifiers;

/**
 * Marks a verifier whose score for one input depends on the other inputs of the same list (rank sums,
 * normalizations): such scores cannot be cached per input.
 */
interface BatchRelative {

  static boolean isRelative(Verifier v) {
    return v instanceof BatchRelative || (v instanceof PolicyVerifier p && isRelative(p.delegate()));
  }
}
