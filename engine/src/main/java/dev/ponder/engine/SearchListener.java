package dev.ponder.engine;

/** Receives a search's events on the searching thread, in order. Must not block for long. */
@FunctionalInterface
public interface SearchListener {

  void onEvent(SearchEvent event);

  /** A listener that ignores everything: the default, so hot paths never check for null. */
  static SearchListener none() {
    return NoListener.INSTANCE;
  }
}
