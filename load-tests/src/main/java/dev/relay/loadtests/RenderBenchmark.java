package dev.relay.loadtests;

import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.Template;
import dev.relay.adapters.spi.Channel;
import dev.relay.gateway.render.CompiledTemplate;
import dev.relay.gateway.render.ShippedTemplates;
import dev.relay.gateway.render.TemplateCompiler;
import dev.relay.gateway.render.TemplateDefinition;
import dev.relay.gateway.render.Tracking;
import dev.relay.gateway.track.TrackingTokens;
import io.vertx.core.json.JsonObject;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Renders per second of one shipped email template ({@code welcome}, English: subject, HTML with two
 * tracked links, one of them with a variable in its href, a link not to track, the unsubscribe link
 * and the open pixel, and text) through Relay's renderer with tracking, against the same three parts
 * through the bare engine (JMustache, its default settings) without tracking, in the same run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RenderBenchmark {

  static final String TEMPLATE = "welcome";
  static final String LOCALE = "en";

  private CompiledTemplate tracked;
  private Tracking tracking;
  private JsonObject variables;
  private Template bareSubject;
  private Template bareHtml;
  private Template bareText;
  private Map<String, Object> bareContext;
  private long messageId;

  @Setup
  public void setUp() {
    JsonObject json = ShippedTemplates.load(RenderBenchmark.class.getClassLoader()).stream()
      .filter(t -> t.name().equals(TEMPLATE)).findFirst().orElseThrow().definition();
    TemplateDefinition definition = TemplateDefinition.parse(json);
    tracked = TemplateCompiler.compile(1, definition, definition.variantFor(LOCALE));
    tracking = new Tracking("https://relay.example.com",
      TrackingTokens.fromSetting("bench:" + Base64.getEncoder().encodeToString(new byte[32])));
    variables = new JsonObject().put("first_name", "Ayşe").put("brand", "Acme")
      .put("shop_url", "https://shop.example.com");

    JsonObject email = json.getJsonObject("locales").getJsonObject(LOCALE).getJsonObject("email");
    bareSubject = Mustache.compiler().escapeHTML(false).compile(email.getString("subject"));
    bareHtml = Mustache.compiler().compile(email.getString("html"));
    bareText = Mustache.compiler().escapeHTML(false).compile(email.getString("text"));
    bareContext = new HashMap<>(variables.getMap());
    bareContext.put("unsubscribe_url", "https://relay.example.com/u/unsubscribe-token-of-the-same-length-000");
  }

  /** The content of one message, as the dispatcher hands it to the email adapter: every token made anew. */
  @Benchmark
  public JsonObject withTracking() {
    return tracked.render(Channel.EMAIL, ++messageId, LOCALE, "Europe/Istanbul", variables, tracking);
  }

  /** The same three parts through the bare engine, no tracking. */
  @Benchmark
  public String[] bareEngine() {
    return new String[] {bareSubject.execute(bareContext), bareHtml.execute(bareContext), bareText.execute(bareContext)};
  }
}
