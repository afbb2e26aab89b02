/**
 * How models are loaded: {@link dev.ponder.engine.model.ModelOptions} (device, threads, special tokens, batch memory
 * limit, close timeout), {@link dev.ponder.engine.model.ModelSource} (a directory, the classpath, a URL) and the
 * errors a load can end in, each naming what was expected and what was found.
 */
package dev.ponder.engine.model;
