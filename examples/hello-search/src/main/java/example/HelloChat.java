package example;

import dev.ponder.chat.ChatMessage;
import dev.ponder.chat.ChatTemplate;
import dev.ponder.engine.SearchResult;
import dev.ponder.engine.lm.Decoding;
import dev.ponder.engine.lm.LanguageModel;
import dev.ponder.samplers.Search;
import java.nio.file.Path;
import java.util.List;

/** A conversation through the model's chat template (the plain format for the bundled policy, which has none). */
public class HelloChat {
  public static void main(String[] args) {
    Path model = Path.of(args.length > 0 ? args[0] : "onnx-models/countdown/policy");
    ChatTemplate template = ChatTemplate.load(model);
    try (LanguageModel policy = LanguageModel.load(model)) {
      List<ChatMessage> chat = List.of(ChatMessage.user("numbers: 3 7 25 50 target: 85"));
      String prompt = template.prompt(chat, policy);
      SearchResult r = Search.sample(policy).samples(4).seed(7)
          .decoding(Decoding.sampling().withTemperature(0.8).withMaxNewTokens(72))
          .run(prompt);
      System.out.println(template.name() + ": " + prompt.strip() + " -> " + r.best().text().strip());
    }
  }
}
