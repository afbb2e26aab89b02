/** The single jar: the {@code ponder} command line ({@code search}, {@code eval}, {@code serve}) on picocli. */
package dev.ponder.server;
