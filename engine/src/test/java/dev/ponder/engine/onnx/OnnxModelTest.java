package dev.ponder.engine.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ponder.engine.model.ModelContractException;
import dev.ponder.engine.model.ModelOptions.DeviceUnavailableException;
import dev.ponder.engine.model.ModelOptions;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.engine.testing.Zoo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxModelTest {

  @Test
  void cudaWithoutTheGpuRuntimeFailsClearlyUnlessFallbackIsAllowed() {
    Path file = Zoo.model("tiny-gpt2/model.onnx");
    assertThatThrownBy(() -> OnnxModel.load(file, ModelOptions.cpu().withDevice("cuda:0")))
        .isInstanceOf(DeviceUnavailableException.class)
        .hasMessageContaining("device cuda:0 was requested")
        .hasMessageContaining("onnxruntime_gpu")
        .hasMessageContaining("allow CPU fallback");
    try (OnnxModel m = OnnxModel.load(file, ModelOptions.cpu().withDevice("cuda:0").withCpuFallback(true))) {
      assertThat(m.executionProvider()).isEqualTo("CPU");
    }
  }

  @Test
  void threadCountsAreApplied() {
    try (OnnxModel m = OnnxModel.load(Zoo.model("tiny-gpt2/model.onnx"), ModelOptions.cpu().withThreads(1, 1))) {
      assertThat(m.inputs()).containsKey("input_ids");
    }
  }

  @Test
  void aModelThatIsNotADecoderIsRejectedNamingExpectedAndFoundInputs(@TempDir Path dir) throws Exception {
    // A digit classifier (image -> logits) beside a decoder's config and tokenizer.
    Files.copy(Zoo.model("digits/classifier/model.onnx"), dir.resolve("model.onnx"));
    Files.copy(Zoo.model("tiny-gpt2/config.json"), dir.resolve("config.json"));
    Files.copy(Zoo.model("tiny-gpt2/tokenizer.json"), dir.resolve("tokenizer.json"));
    assertThatThrownBy(() -> LanguageModel.load(dir))
        .isInstanceOf(ModelContractException.class)
        .hasMessageContaining("decoder language model")
        .hasMessageContaining("input 'input_ids' missing")
        .hasMessageContaining("Expected inputs [input_ids: INT64 rank 2")
        .hasMessageContaining("found inputs [");
  }

  @Test
  void missingFilesAreNamed(@TempDir Path dir) {
    assertThatThrownBy(() -> LanguageModel.load(dir.resolve("nope"))).hasMessageContaining("model directory not found");
    assertThatThrownBy(() -> LanguageModel.load(dir)).hasMessageContaining("ONNX model file not found");
  }

  @Test
  void closeIsIdempotentAndWaitsForARunInFlightInsteadOfCrashing() throws Exception {
    LanguageModel lm = LanguageModel.load(Zoo.model("tiny-gpt2"));
    CountDownLatch running = new CountDownLatch(1);
    AtomicLong steps = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread decoder = new Thread(() -> {
      try {
        while (true) {
          SearchContext ctx = SearchContext.builder().build();
          try (LmProcess p = lm.process("answer:", Decoding.sampling().withMaxNewTokens(50))) {
            List<LmHypothesis> live = p.start(8, ctx);
            while (live.stream().anyMatch(h -> !h.isTerminal())) {
              live = p.advance(live, ctx);
              steps.incrementAndGet();
              running.countDown();
            }
          }
        }
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    decoder.start();
    running.await();
    lm.close();
    lm.close(); // idempotent
    decoder.join(10_000);
    assertThat(decoder.isAlive()).isFalse();
    assertThat(steps.get()).isPositive();
    assertThat(failure.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed");
    assertThat(lm.openNativeValues()).isZero();
  }
}
