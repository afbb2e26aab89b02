/** The single jar: the {@code ponder} command line ({@code search}, {@code eval}). */
package dev.ponder.server;
