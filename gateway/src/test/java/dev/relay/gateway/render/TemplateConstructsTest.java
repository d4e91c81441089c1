package dev.relay.gateway.render;

import dev.relay.adapters.spi.Channel;
import dev.relay.gateway.track.TrackingTokens;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Template constructs that could fail at render time for some variables, or show Java object text: each
 * is refused at upload with the line and column, or renders as a value (JSON for objects and arrays), or
 * fails that one message with a reason.
 */
@DisplayName("Template constructs")
class TemplateConstructsTest {

  private static final Tracking TRACKING = new Tracking("https://relay.example.com",
    TrackingTokens.fromSetting("t1:" + java.util.Base64.getEncoder().encodeToString(new byte[32])));

  private static TemplateDefinition sms(String text) {
    return TemplateDefinition.parse(new JsonObject().put("locales", new JsonObject().put("en", new JsonObject()
      .put("sms", new JsonObject().put("text", text)))));
  }

  private static String render(String text, JsonObject variables) {
    TemplateDefinition definition = sms(text);
    TemplateCompiler.check(definition);
    return TemplateCompiler.compile(1, definition, definition.variantFor("en"))
      .render(Channel.SMS, 1, "en", null, variables, TRACKING).getString("text");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "{{a..b}}|is not a variable name",
    "{{a.}}|is not a variable name",
    "{{.a}}|is not a variable name",
    "{{#a..b}}x{{/a..b}}|is not a variable name",
    "{{this}}|would be the whole message",
    "{{.}}|would be the whole message",
    "{{{.}}}|would be the whole message",
    "{{^a}}{{.}}{{/a}}|would be the whole message",
    "{{#format_date}}{{.}}{{/format_date}}|would be the whole message",
    "{{#.}}{{.}}{{/.}}|would be the whole message",
    "{{format_date}}|is a helper",
    "{{&format_money}}|is a helper",
    "{{__relay_open}}|reserved for the gateway",
    "{{#__relay_track_0}}x{{/__relay_track_0}}|reserved for the gateway",
    "{{__relay_link_x}}|reserved for the gateway"})
  @DisplayName("what would fail or show Java object text is refused at upload, with line and column")
  void refusedAtUpload(String text, String reason) {
    assertThatThrownBy(() -> TemplateCompiler.check(sms("Hi\n" + text)))
      .isInstanceOf(TemplateException.class)
      .hasMessageContaining("line 2, column ")
      .hasMessageContaining(reason);
  }

  @Test
  @DisplayName("{{.}} inside a section over a variable is that value: text as it is, objects and arrays as JSON")
  void selfInSectionIsTheValue() {
    JsonObject variables = new JsonObject()
      .put("names", new JsonArray().add("Ayşe").add("Ümit"))
      .put("items", new JsonArray().add(new JsonObject().put("sku", "a-1").put("qty", 2)))
      .put("matrix", new JsonArray().add(new JsonArray().add(1).add(2)))
      .put("flag", true)
      .put("n", 1.5);
    assertThat(render("{{#names}}[{{.}}]{{/names}}", variables)).isEqualTo("[Ayşe][Ümit]");
    assertThat(render("{{#items}}{{.}}{{/items}}", variables)).isEqualTo("{\"sku\":\"a-1\",\"qty\":2}");
    assertThat(render("{{#items}}{{this}}{{/items}}", variables)).isEqualTo("{\"sku\":\"a-1\",\"qty\":2}");
    assertThat(render("{{#matrix}}{{.}}{{/matrix}}", variables)).isEqualTo("[1,2]");
    // Over true, Mustache keeps the message as the context: {{.}} is then nothing, never Java text.
    assertThat(render("{{#flag}}[{{.}}]{{/flag}} {{#n}}{{.}}{{/n}}", variables)).isEqualTo("[] 1.5");
    assertThat(render("{{#items}}{{sku}}x{{qty}}{{/items}}", variables)).isEqualTo("a-1x2");
    assertThat(render("{{#items}}{{#format_number}}{{qty}}{{/format_number}}{{/items}}", variables)).isEqualTo("2");
  }

  @Test
  @DisplayName("the issue's case: a compound name with an empty segment is refused at upload")
  void emptySegmentRefused() {
    assertThatThrownBy(() -> TemplateCompiler.check(sms("{{a..b}}")))
      .isInstanceOf(TemplateException.class)
      .extracting(e -> ((TemplateException) e).kind()).isEqualTo("template-syntax");
    // A compound name over a value that is not an object is a missing variable, with its name.
    assertThatThrownBy(() -> render("{{a.b}}", new JsonObject().put("a", "AVAL").put("b", new JsonArray().add(1))))
      .isInstanceOf(RenderException.class)
      .hasMessageContaining("'a.b' is missing");
  }

  @ParameterizedTest
  @ValueSource(strings = {"{{a..b}}", "{{.}}", "{{format_date}}", "{{__relay_link_x}}"})
  @DisplayName("a version stored before these rules fails each message with a reason, never with Java text or a crash")
  void storedBeforeTheRulesFailsWithReason(String text) {
    TemplateCache cache = new TemplateCache(id -> Future.succeededFuture(sms("Hi " + text)), TRACKING, 10);

    Future<JsonObject> rendered = cache.render(7, Channel.SMS, 1, "en", null,
      new JsonObject().put("a", "AVAL").put("b", new JsonArray().add(1)));

    assertThat(rendered.failed()).isTrue();
    assertThat(rendered.cause()).isInstanceOf(RenderException.class);
    if (!text.startsWith("{{__relay_")) {
      assertThat(rendered.cause()).hasMessageContaining("cannot be compiled");
    }
  }

  @Test
  @DisplayName("a value that is not a variable's is never written as Java text")
  void formatterRefusesJavaObjects() {
    assertThat(TemplateCompiler.format("x")).isEqualTo("x");
    assertThat(TemplateCompiler.format(new RenderContext(new JsonObject(), null, "en", null, TRACKING, 1, 1)))
      .isEqualTo("");
    assertThat(TemplateCompiler.format(new JsonObject().put("a", 1))).isEqualTo("{\"a\":1}");
    assertThat(TemplateCompiler.format(java.util.Map.of("a", java.util.List.of(1)))).isEqualTo("{\"a\":[1]}");
    assertThatThrownBy(() -> TemplateCompiler.format(new Object())).isInstanceOf(RenderException.class);
    assertThatThrownBy(() -> TemplateCompiler.format((com.samskivert.mustache.Mustache.Lambda) (f, o) -> { }))
      .isInstanceOf(RenderException.class);
  }
}
