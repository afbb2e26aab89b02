package dev.ponder.verifiers.internal;

/** Text as error messages show it. */
public final class Quoted {
  private Quoted() {
  }

  /** Quoted, escaped, cut in the middle past 160 characters. */
  public static String of(String s) {
    String body = s.length() <= 160 ? s : s.substring(0, 80) + "…(" + (s.length() - 140) + " chars)…"
        + s.substring(s.length() - 60);
    return "\"" + body.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + "\"";
  }
}
