/**
 * The Countdown task the zoo is trained on: {@link dev.ponder.tasks.countdown.CountdownProblem} (the prompt format),
 * {@link dev.ponder.tasks.countdown.CountdownChecker} (the exact rule checker, verdict and reason), and
 * {@link dev.ponder.tasks.countdown.CountdownAlgorithms} (the one name-to-search registry shared by the command
 * line, the server and the benchmarks).
 */
package dev.ponder.tasks.countdown;
