package dev.ponder.engine;

import dev.ponder.engine.SearchEvent.SearchListener;

/** The one listener that ignores everything; one instance so that a search can tell nobody is listening. */
final class NoListener implements SearchListener {
  static final NoListener INSTANCE = new NoListener();

  private NoListener() {
  }

  @Override
  public void onEvent(SearchEvent event) {
  }
}
