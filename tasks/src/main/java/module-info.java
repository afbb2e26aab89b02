/** The zoo's tasks (Countdown: problems, the rule checker, the algorithms by name), shared by CLI, server and bench. */
module dev.ponder.tasks {
  requires transitive dev.ponder.samplers;
  requires transitive dev.ponder.verifiers;

  exports dev.ponder.tasks.countdown;
}
