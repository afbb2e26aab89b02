package dev.ponder.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
  private final RetryPolicy p = new RetryPolicy(6, Duration.ofMillis(100), Duration.ofMillis(800), Duration.ofSeconds(5));

  @Test
  void backoffDoublesWithEqualJitterUpToTheCap() {
    assertThat(p.delay(1, null, 0.0)).isEqualTo(Duration.ofMillis(50));
    assertThat(p.delay(1, null, 0.999_999)).isBetween(Duration.ofMillis(99), Duration.ofMillis(100));
    assertThat(p.delay(2, null, 0.0)).isEqualTo(Duration.ofMillis(100));
    assertThat(p.delay(3, null, 0.0)).isEqualTo(Duration.ofMillis(200));
    assertThat(p.delay(5, null, 0.0)).isEqualTo(Duration.ofMillis(400));
    assertThat(p.delay(30, null, 0.0)).isEqualTo(Duration.ofMillis(400));
  }

  @Test
  void aLongerRetryAfterWins() {
    assertThat(p.delay(1, Duration.ofSeconds(2), 0.5)).isEqualTo(Duration.ofSeconds(2));
    assertThat(p.delay(4, Duration.ofMillis(1), 0.0)).isEqualTo(Duration.ofMillis(400));
  }

  @Test
  void retryAfterReadsSecondsAndDates() {
    assertThat(RemoteCall.parseRetryAfter("3")).isEqualTo(Duration.ofSeconds(3));
    assertThat(RemoteCall.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).isEqualTo(Duration.ZERO);
    assertThat(RemoteCall.parseRetryAfter("soon")).isNull();
  }

  @Test
  void rejectsNonsense() {
    assertThatThrownBy(() -> new RetryPolicy(0, Duration.ofMillis(1), Duration.ofMillis(1), Duration.ZERO))
        .hasMessageContaining("maxAttempts must be >= 1");
    assertThatThrownBy(() -> new RetryPolicy(2, Duration.ofMillis(10), Duration.ofMillis(1), Duration.ZERO))
        .hasMessageContaining("maxBackoff must be >= initialBackoff");
  }
}
