package dev.ponder.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ponder.engine.SearchContext.RandomStreams;
import dev.ponder.engine.SearchContext;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.engine.lm.LmHypothesis;
import dev.ponder.engine.lm.LmProcess;
import dev.ponder.tasks.countdown.CountdownChecker;
import dev.ponder.verifiers.Verifier.VerifierInput;
import dev.ponder.verifiers.onnx.OnnxOutcomeReward;
import dev.ponder.verifiers.onnx.OnnxProcessReward;
import dev.ponder.verifiers.rules.AnswerVerifier;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Every sample of a best-of-N run, for studying budget allocation offline: per Countdown problem, the N samples
 * that {@code ponder eval --algorithm bon --n N --seed S} draws (same per-problem seed, same lineages, so the
 * first k of them are exactly what a k-sample search draws), each with its answer, ORM score, the checker's
 * verdict, generated tokens, mean token entropy and log-probability. One JSON line per problem.
 *
 * <p>{@code java -cp bench/target/benchmarks.jar dev.ponder.bench.SampleTable POLICY ORM[,ORM...] PROBLEMS N SEED
 * OUT [PRM]}
 *
 * <p>With several comma-separated ORMs, {@code orm} is the first one's score and {@code orms} every one's, in the
 * order given; with a PRM, {@code prm_steps} holds its score after every step of the sample (for selection rules
 * studied offline: last step, lowest step). {@code text} is the sample as generated.
 */
public final class SampleTable {
  private static final AnswerVerifier ANSWERS = AnswerVerifier.builder().pattern("answer: *(\\S+)").reference("")
      .build();

  private SampleTable() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 6 && args.length != 7) {
      throw new IllegalArgumentException("usage: SampleTable POLICY ORM[,ORM...] PROBLEMS N SEED OUT [PRM], found "
          + args.length + " arguments");
    }
    int n = Integer.parseInt(args[3]);
    long seed = Long.parseLong(args[4]);
    ObjectMapper json = new ObjectMapper();
    CountdownChecker checker = CountdownChecker.create();
    List<OnnxOutcomeReward> orms = new ArrayList<>();
    for (String dir : args[1].split(",")) {
      orms.add(OnnxOutcomeReward.load(Path.of(dir)));
    }
    try (LanguageModel policy = LanguageModel.load(Path.of(args[0]));
         OnnxProcessReward prm = args.length == 7 ? OnnxProcessReward.load(Path.of(args[6])) : null;
         BufferedReader in = Files.newBufferedReader(Path.of(args[2]));
         BufferedWriter out = Files.newBufferedWriter(Path.of(args[5]))) {
      Decoding decoding = Decoding.sampling().withMaxNewTokens(policy.defaultMaxNewTokens());
      String line;
      int i = 0;
      while ((line = in.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        var p = json.readTree(line);
        StringBuilder prompt = new StringBuilder("numbers:");
        p.get("numbers").forEach(x -> prompt.append(' ').append(x.asInt()));
        prompt.append(" target: ").append(p.get("target").asInt()).append('\n');
        SearchContext ctx = SearchContext.builder().seed(RandomStreams.childLineage(seed, i)).build();
        try (LmProcess process = policy.process(prompt.toString(), decoding)) {
          List<LmHypothesis> all = process.start(n, ctx);
          List<LmHypothesis> live = new ArrayList<>(all);
          while (!live.isEmpty()) {
            live = new ArrayList<>(process.advance(live, ctx));
            live.removeIf(LmHypothesis::isTerminal);
          }
          double[][] scores = new double[orms.size()][];
          for (int m = 0; m < scores.length; m++) {
            scores[m] = orms.get(m).asOutcomeScorer().score(all, ctx);
          }
          List<double[]> steps = null;
          if (prm != null) {
            List<VerifierInput> inputs = new ArrayList<>(all.size());
            for (LmHypothesis h : all) {
              inputs.add(VerifierInput.of(h));
            }
            steps = prm.stepScores(inputs, ctx);
          }
          ObjectNode row = json.createObjectNode();
          row.put("id", p.get("id").asText());
          row.put("prompt_tokens", process.promptLength());
          ArrayNode samples = row.putArray("samples");
          for (int k = 0; k < all.size(); k++) {
            LmHypothesis h = all.get(k);
            ObjectNode s = samples.addObject();
            s.put("lineage", h.lineage());
            s.put("answer", ANSWERS.extract(h.text()).orElse(""));
            s.put("orm", scores[0][k]);
            if (scores.length > 1) {
              ArrayNode each = s.putArray("orms");
              for (double[] member : scores) {
                each.add(member[k]);
              }
            }
            if (steps != null) {
              ArrayNode each = s.putArray("prm_steps");
              for (double v : steps.get(k)) {
                each.add(v);
              }
            }
            s.put("text", h.text());
            s.put("correct", checker.check(prompt + h.text()).correct());
            s.put("tokens", h.generatedLength());
            s.put("entropy", h.meanTokenEntropy());
            s.put("logprob", h.logProb());
          }
          out.write(json.writeValueAsString(row));
          out.newLine();
          for (LmHypothesis h : all) {
            process.release(h);
          }
        }
        i++;
        if (i % 50 == 0) {
          System.err.println(i + " problems");
        }
      }
    } finally {
      orms.forEach(OnnxOutcomeReward::close);
    }
  }
}
