/** JMH benchmarks, the scaling-curve harness and the soak; numbers and commands in bench/README.md. */
package dev.ponder.bench;
