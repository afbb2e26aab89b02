package dev.ponder.server.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The optional API key: requests must send {@code Authorization: Bearer KEY}. Both sides are hashed with SHA-256
 * and compared with {@link MessageDigest#isEqual}, so the comparison takes the same time whatever the key's length
 * or the position of the first differing byte.
 */
public final class ApiKey {
  private final byte[] expectedHash;

  private ApiKey(byte[] expectedHash) {
    this.expectedHash = expectedHash;
  }

  /** No key: every request is allowed (only for a server bound to loopback). */
  public static ApiKey none() {
    return new ApiKey(null);
  }

  public static ApiKey of(String key) {
    if (key == null || key.isBlank()) {
      throw new IllegalArgumentException("the API key must not be empty");
    }
    return new ApiKey(sha256(key));
  }

  public boolean required() {
    return expectedHash != null;
  }

  /** Whether the Authorization header value carries the key; always true when no key is set. */
  public boolean accepts(String authorizationHeader) {
    if (expectedHash == null) {
      return true;
    }
    String presented = authorizationHeader != null && authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)
        ? authorizationHeader.substring(7).trim() : "";
    return MessageDigest.isEqual(expectedHash, sha256(presented));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
