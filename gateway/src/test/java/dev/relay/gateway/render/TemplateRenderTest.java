package dev.relay.gateway.render;

import dev.relay.adapters.spi.Channel;
import dev.relay.gateway.track.TrackingToken;
import dev.relay.gateway.track.TrackingTokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TemplateRenderTest {

  private static final String BASE = "https://relay.example.com";
  private static final TrackingTokens TOKENS = TrackingTokens.fromSetting(
    "t1:" + java.util.Base64.getEncoder().encodeToString(new byte[32]));
  private static final Tracking TRACKING = new Tracking(BASE, TOKENS);
  private static final Pattern CLICK = Pattern.compile(Pattern.quote(BASE) + "/t/c/([A-Za-z0-9_-]+)");
  private static final List<ShippedTemplates.Shipped> SHIPPED = ShippedTemplates.load(TemplateRenderTest.class.getClassLoader());

  /** Variables that every shipped template renders with. */
  static JsonObject sampleVariables() {
    return new JsonObject()
      .put("first_name", "Ayşe")
      .put("cart_url", "https://shop.example.com/cart/c-77?ref=mail&x=1")
      .put("cart_total", "1234.5")
      .put("currency", "TRY")
      .put("items", new JsonArray().add(new JsonObject().put("name", "Çay bardağı").put("quantity", 6)))
      .put("offer_code", "BACK15")
      .put("offer_expires", "2026-12-31")
      .put("referral_code", "AYSE10")
      .put("code", "493817")
      .put("valid_minutes", 10)
      .put("brand", "Acme");
  }

  static Stream<Arguments> everyTemplateChannelAndLocale() {
    List<Arguments> cases = new ArrayList<>();
    for (ShippedTemplates.Shipped shipped : SHIPPED) {
      for (String locale : List.of("en", "tr")) {
        for (Channel channel : TemplateDefinition.CHANNELS) {
          cases.add(Arguments.of(shipped.name(), locale, channel));
        }
      }
    }
    return cases.stream();
  }

  @Test
  @DisplayName("Relay ships the five templates, each with every channel in English and Turkish")
  void shipsFiveTemplates() {
    assertThat(SHIPPED).extracting(ShippedTemplates.Shipped::name)
      .containsExactly("abandoned-cart", "advocacy-ask", "one-time-code", "welcome", "win-back");
    for (ShippedTemplates.Shipped shipped : SHIPPED) {
      TemplateDefinition definition = TemplateDefinition.parse(shipped.definition());
      assertThat(definition.locales()).containsOnlyKeys("en", "tr");
      definition.locales().values().forEach(v -> assertThat(v.channels())
        .containsOnlyKeys(Channel.EMAIL, Channel.SMS, Channel.PUSH, Channel.CHAT));
    }
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("everyTemplateChannelAndLocale")
  @DisplayName("Every shipped template renders every channel in every locale, tracked, with no tag left")
  void rendersEveryShippedTemplate(String name, String locale, Channel channel) {
    TemplateDefinition definition = definition(name);
    CompiledTemplate compiled = TemplateCompiler.compile(99, definition, definition.variantFor(locale + "-XX"));
    assertThat(compiled.locale()).isEqualTo(locale);
    JsonObject content = compiled.render(channel, 4711, locale, "Europe/Istanbul", sampleVariables(), TRACKING);

    String all = content.encode();
    assertThat(all).doesNotContain("{{").doesNotContain("__relay");
    switch (channel) {
      case EMAIL:
        assertThat(content.getString("subject")).isNotBlank();
        assertThat(content.getString("html")).contains("<img src=\"" + BASE + "/t/o/").endsWith("</html>\n");
        assertThat(content.getString("text")).isNotBlank();
        assertThat(content.getString("html")).contains(name.equals("one-time-code") ? "493817" : "Ayşe");
        if (name.equals("one-time-code")) {
          assertThat(content.containsKey("list_unsubscribe")).isFalse();
        } else {
          assertThat(content.getString("list_unsubscribe")).startsWith(BASE + "/u/");
          assertThat(content.getString("html")).contains("href=\"" + content.getString("list_unsubscribe") + "\"")
            .contains("href=\"https://shop.example.com/privacy\" data-relay-notrack");
        }
        // Every other link goes through the click redirect, and each token names the link it replaced.
        for (String href : hrefs(content.getString("html"))) {
          if (!href.startsWith(BASE + "/u/") && !href.equals("https://shop.example.com/privacy")) {
            assertThat(href).startsWith(BASE + "/t/c/");
          }
        }
        break;
      case SMS:
      case CHAT:
        assertThat(content.fieldNames()).containsExactly(channel == Channel.CHAT
          ? new String[] {"text", "whatsapp_template"} : new String[] {"text"});
        if (!name.equals("one-time-code")) {
          assertThat(content.getString("text")).contains(BASE + "/t/c/").doesNotContain("https://shop.example.com");
        }
        if (channel == Channel.CHAT) {
          JsonObject whatsApp = content.getJsonObject("whatsapp_template");
          assertThat(whatsApp.getString("name")).isEqualTo(name.replace('-', '_'));
          assertThat(whatsApp.getString("language")).isEqualTo(locale);
          JsonObject body = whatsApp.getJsonArray("components").getJsonObject(0);
          assertThat(body.getString("type")).isEqualTo("body");
          assertThat(body.getJsonArray("parameters").getJsonObject(0).getString("text"))
            .isEqualTo(name.equals("one-time-code") ? "493817" : "Ayşe");
        }
        break;
      case PUSH:
        assertThat(content.getString("title")).isNotBlank();
        assertThat(content.getString("body")).isNotBlank();
        if (content.containsKey("data")) {
          assertThat(content.getJsonObject("data").getString("deep_link")).startsWith(BASE + "/t/c/");
        }
        break;
      default:
        throw new AssertionError(channel);
    }
    int decoys = 0;
    for (String token : tokens(all)) {
      TrackingToken parsed = TOKENS.verify(token).orElseThrow();
      assertThat(parsed.messageId()).isEqualTo(4711);
      if (parsed.isDecoy()) {
        decoys++;
        continue;
      }
      String target = parsed.isTemplateLink() ? TemplateLinks.staticHref(definition, parsed.linkIndex()) : parsed.url();
      assertThat(target).as("the link behind %s", token).matches("(https://shop\\.example\\.com|acme://).*");
      if (parsed.isTemplateLink()) {
        assertThat(parsed.templateId()).isEqualTo(99);
      }
    }
    assertThat(decoys).as("the hidden decoy link: once in email HTML, nowhere else").isEqualTo(channel == Channel.EMAIL ? 1 : 0);
  }

  @Test
  @DisplayName("Links are found at compile time: static ones carry a link index, variable ones their rendered URL")
  void linksAndTokens() {
    TemplateDefinition definition = definition("abandoned-cart");
    List<TemplateLinks.Link> en = TemplateLinks.of(definition).stream().filter(l -> l.locale().equals("en"))
      .collect(Collectors.toList());
    assertThat(en).extracting(TemplateLinks.Link::href).containsExactly(
      "{{cart_url}}", "https://shop.example.com/returns", "https://shop.example.com/cart", "acme://cart",
      "https://shop.example.com/cart");
    CompiledTemplate compiled = TemplateCompiler.compile(5, definition, definition.variantFor("en"));
    JsonObject email = compiled.render(Channel.EMAIL, 1, "en", null, sampleVariables(), TRACKING);
    List<TrackingToken> clicks = tokens(email.getString("html")).stream()
      .map(t -> TOKENS.verify(t).orElseThrow()).collect(Collectors.toList());
    // The dynamic href is HTML-escaped in the part (&amp;) but tracked as the URL itself.
    assertThat(clicks).extracting(TrackingToken::url).contains("https://shop.example.com/cart/c-77?ref=mail&x=1");
    assertThat(clicks).filteredOn(TrackingToken::isTemplateLink).extracting(TrackingToken::linkIndex)
      .containsExactly(en.get(1).index());
    assertThat(email.getString("text")).contains("https://shop.example.com/cart/c-77?ref=mail&x=1");
  }

  @Test
  @DisplayName("HTML in a variable is escaped in HTML parts and left as it is in text parts")
  void escaping() {
    TemplateDefinition definition = TemplateDefinition.parse(new JsonObject().put("locales", new JsonObject()
      .put("en", new JsonObject()
        .put("email", new JsonObject().put("subject", "Hi {{name}}").put("html", "<p>Hi {{name}}</p>")
          .put("text", "Hi {{name}}"))
        .put("sms", new JsonObject().put("text", "Hi {{name}}")))));
    CompiledTemplate compiled = TemplateCompiler.compile(1, definition, definition.variantFor(null));
    JsonObject vars = new JsonObject().put("name", "<script>alert('x')</script> & \"co\"");
    JsonObject email = compiled.render(Channel.EMAIL, 1, null, null, vars, TRACKING);
    assertThat(email.getString("html")).startsWith("<p>Hi &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;</p>")
      .doesNotContain("<script>");
    assertThat(email.getString("text")).isEqualTo("Hi <script>alert('x')</script> & \"co\"");
    assertThat(email.getString("subject")).isEqualTo("Hi <script>alert('x')</script> & \"co\"");
    assertThat(compiled.render(Channel.SMS, 1, null, null, vars, TRACKING).getString("text"))
      .isEqualTo("Hi <script>alert('x')</script> & \"co\"");
  }

  @Test
  @DisplayName("A missing variable fails under 'fail', naming it; under 'default' it takes the declared default")
  void missingVariables() {
    TemplateDefinition otp = definition("one-time-code");
    CompiledTemplate compiled = TemplateCompiler.compile(1, otp, otp.variantFor("en"));
    JsonObject vars = sampleVariables();
    vars.remove("code");
    assertThatThrownBy(() -> compiled.render(Channel.SMS, 1, "en", null, vars, TRACKING))
      .isInstanceOf(RenderException.class).hasMessageContaining("variable 'code' is missing").hasMessageContaining("sms text");

    TemplateDefinition welcome = definition("welcome");
    JsonObject tr = TemplateCompiler.compile(1, welcome, welcome.variantFor("tr-TR"))
      .render(Channel.SMS, 1, "tr-TR", null, new JsonObject(), TRACKING);
    assertThat(tr.getString("text")).startsWith("Acme'a hoş geldin, değerli müşterimiz!");
    JsonObject en = TemplateCompiler.compile(1, welcome, welcome.variantFor("en-GB"))
      .render(Channel.SMS, 1, "en-GB", null, new JsonObject().put("first_name", "Sam"), TRACKING);
    assertThat(en.getString("text")).startsWith("Welcome to Acme, Sam!");

    // Under 'default', a variable with no declared default still fails, naming it.
    TemplateDefinition cart = definition("abandoned-cart");
    assertThatThrownBy(() -> TemplateCompiler.compile(1, cart, cart.variantFor("en"))
      .render(Channel.PUSH, 1, "en", null, new JsonObject(), TRACKING))
      .isInstanceOf(RenderException.class).hasMessageContaining("'cart_total'");
  }

  @Test
  @DisplayName("Locale variants fall back from tr-TR to tr to the default locale")
  void localeFallback() {
    TemplateDefinition welcome = definition("welcome");
    assertThat(welcome.variantFor("tr-TR").locale()).isEqualTo("tr");
    assertThat(welcome.variantFor("tr").locale()).isEqualTo("tr");
    assertThat(welcome.variantFor("de-DE").locale()).isEqualTo("en");
    assertThat(welcome.variantFor(null).locale()).isEqualTo("en");
  }

  @Test
  @DisplayName("Helpers format dates, numbers and money in the recipient's locale and time zone")
  void helpers() {
    TemplateDefinition definition = TemplateDefinition.parse(new JsonObject().put("locales", new JsonObject()
      .put("en", new JsonObject().put("sms", new JsonObject().put("text",
        "{{#format_date}}{{when}}{{/format_date}}|{{#format_datetime}}{{when}}{{/format_datetime}}|"
          + "{{#format_number}}{{n}}{{/format_number}}|{{#format_money}}{{amount}} {{currency}}{{/format_money}}")))));
    CompiledTemplate compiled = TemplateCompiler.compile(1, definition, definition.variantFor(null));
    JsonObject vars = new JsonObject().put("when", "2026-11-22T22:30:00Z").put("n", "1234567.5")
      .put("amount", 1234.5).put("currency", "TRY");
    String tr = compiled.render(Channel.SMS, 1, "tr-TR", "Europe/Istanbul", vars, TRACKING).getString("text");
    String en = compiled.render(Channel.SMS, 1, "en-US", "America/New_York", vars, TRACKING).getString("text");
    // 22:30 UTC is the next day, 01:30, in Istanbul (UTC+3) and 17:30 the same day in New York (UTC-5).
    assertThat(tr).isEqualTo("23 Kas 2026|23 Kas 2026 01:30|1.234.567,5|₺1.234,50");
    assertThat(en).matches("Nov 22, 2026\\|Nov 22, 2026, 5:30\\hPM\\|1,234,567.5\\|TRY\\h?1,234.50");
    vars.put("when", "yesterday");
    assertThatThrownBy(() -> compiled.render(Channel.SMS, 1, "en", null, vars, TRACKING))
      .isInstanceOf(RenderException.class).hasMessageContaining("format_date").hasMessageContaining("'yesterday'");
  }

  @Test
  @DisplayName("A syntax error names its locale, part, line and column")
  void syntaxErrors() {
    JsonObject body = new JsonObject().put("locales", new JsonObject().put("en", new JsonObject()
      .put("email", new JsonObject().put("subject", "Hi").put("html", "<p>\n  {{#items}}<li>{{name}}</li>\n{{/itemz}}</p>"))));
    assertThatThrownBy(() -> TemplateCompiler.check(TemplateDefinition.parse(body)))
      .isInstanceOfSatisfying(TemplateException.class, e -> {
        assertThat(e.kind()).isEqualTo("template-syntax");
        assertThat(e.members().getInteger("line")).isEqualTo(3);
        assertThat(e.members().getInteger("column")).isEqualTo(1);
        assertThat(e.members().getString("part")).isEqualTo("html");
        assertThat(e.getMessage()).contains("line 3, column 1").contains("'items' opened at line 2, column 3");
      });
    JsonObject unclosed = new JsonObject().put("locales", new JsonObject().put("tr", new JsonObject()
      .put("sms", new JsonObject().put("text", "Merhaba {{first_name"))));
    assertThatThrownBy(() -> TemplateCompiler.check(TemplateDefinition.parse(unclosed)))
      .isInstanceOfSatisfying(TemplateException.class, e ->
        assertThat(e.members()).isEqualTo(new JsonObject().put("locale", "tr").put("channel", "sms").put("part", "text")
          .put("line", 1).put("column", 9)));
    JsonObject partial = new JsonObject().put("locales", new JsonObject().put("en", new JsonObject()
      .put("chat", new JsonObject().put("text", "{{> /etc/passwd}}"))));
    assertThatThrownBy(() -> TemplateCompiler.check(TemplateDefinition.parse(partial)))
      .hasMessageContaining("partials");
  }

  @Test
  @DisplayName("Templates cannot reach Java methods through variables")
  void noReflection() {
    TemplateDefinition definition = TemplateDefinition.parse(new JsonObject().put("locales", new JsonObject()
      .put("en", new JsonObject().put("sms", new JsonObject().put("text", "{{name.class}}{{name.length}}")))));
    CompiledTemplate compiled = TemplateCompiler.compile(1, definition, definition.variantFor(null));
    assertThatThrownBy(() -> compiled.render(Channel.SMS, 1, null, null, new JsonObject().put("name", "x"), TRACKING))
      .isInstanceOf(RenderException.class).hasMessageContaining("'name.class' is missing");
  }

  @Test
  @DisplayName("A chat whatsapp_template renders to the Cloud API's template object: its strings filled raw from the"
    + " recipient's variables, numbers, names and structure as written, links left alone")
  void whatsAppTemplate() {
    JsonObject definition = new JsonObject().put("locales", new JsonObject().put("tr", new JsonObject()
      .put("chat", new JsonObject().put("whatsapp_template", new JsonObject("{\"name\":\"order_shipped\","
        + "\"language\":{\"policy\":\"deterministic\",\"code\":\"tr\"},\"components\":["
        + "{\"type\":\"header\",\"parameters\":[{\"type\":\"image\",\"image\":{\"link\":\"https://shop.example.com/{{sku}}.png\"}}]},"
        + "{\"type\":\"body\",\"parameters\":[{\"type\":\"text\",\"text\":\"{{first_name}}\"},"
        + "{\"type\":\"text\",\"text\":\"{{#format_money}}{{total}} TRY{{/format_money}}\"}]},"
        + "{\"type\":\"button\",\"sub_type\":\"url\",\"index\":\"0\",\"parameters\":[{\"type\":\"text\","
        + "\"text\":\"{{order}}\"}]}]}")))));
    TemplateDefinition parsed = TemplateDefinition.parse(definition);
    JsonObject content = TemplateCompiler.compile(7, parsed, parsed.variantFor("tr"))
      .render(Channel.CHAT, 1, "tr-TR", "Europe/Istanbul", new JsonObject().put("first_name", "<b>Ayşe</b>")
        .put("total", "1234.5").put("order", "TR-77").put("sku", "cay-6"), TRACKING);

    assertThat(content.fieldNames()).containsExactly("whatsapp_template");
    assertThat(content.getJsonObject("whatsapp_template")).isEqualTo(new JsonObject("{\"name\":\"order_shipped\","
      + "\"language\":{\"policy\":\"deterministic\",\"code\":\"tr\"},\"components\":["
      + "{\"type\":\"header\",\"parameters\":[{\"type\":\"image\",\"image\":{\"link\":\"https://shop.example.com/cay-6.png\"}}]},"
      + "{\"type\":\"body\",\"parameters\":[{\"type\":\"text\",\"text\":\"<b>Ayşe</b>\"},"
      + "{\"type\":\"text\",\"text\":\"₺1.234,50\"}]},"
      + "{\"type\":\"button\",\"sub_type\":\"url\",\"index\":\"0\",\"parameters\":[{\"type\":\"text\","
      + "\"text\":\"TR-77\"}]}]}"));
    assertThat(TemplateLinks.of(parsed)).as("nothing in a WhatsApp template is click-tracked").isEmpty();
    assertThatThrownBy(() -> TemplateCompiler.compile(7, parsed, parsed.variantFor("tr"))
      .render(Channel.CHAT, 1, "tr", null, new JsonObject().put("total", "1").put("order", "1").put("sku", "x"),
        TRACKING)).isInstanceOf(RenderException.class)
      .hasMessageContaining("variable 'first_name' is missing (chat whatsapp_template /components/1/parameters/0/text");
  }

  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', textBlock = """
    {"language":"tr"}                                                       | whatsapp_template: name
    {"name":"Order Shipped","language":"tr"}                                | whatsapp_template: name
    {"name":"order_shipped"}                                                | whatsapp_template: language
    {"name":"order_shipped","language":{"policy":"deterministic"}}          | whatsapp_template: language
    {"name":"order_shipped","language":"tr","components":{"type":"body"}}   | components must be an array
    {"name":"order_shipped","language":"tr","components":[{"parameters":[]}]} | components[0] must be an object with a type
    {"name":"order_shipped","language":"tr","components":[{"type":"body","parameters":[{"text":"x"}]}]} | components[0].parameters[0]
    {"name":"order_shipped","language":"tr","category":"MARKETING"}         | unknown field 'category'
    """)
  @DisplayName("A whatsapp_template that the Cloud API would not take is refused when the template is written,"
    + " naming what is wrong")
  void invalidWhatsAppTemplates(String template, String expected) {
    JsonObject definition = new JsonObject().put("locales", new JsonObject().put("tr", new JsonObject()
      .put("chat", new JsonObject().put("whatsapp_template", new JsonObject(template)))));
    assertThatThrownBy(() -> TemplateDefinition.parse(definition)).isInstanceOf(TemplateException.class)
      .hasMessageContaining(expected);
    JsonObject syntax = new JsonObject().put("locales", new JsonObject().put("tr", new JsonObject()
      .put("chat", new JsonObject().put("whatsapp_template", new JsonObject().put("name", "x").put("language", "tr")
        .put("components", new JsonArray().add(new JsonObject().put("type", "body").put("parameters", new JsonArray()
          .add(new JsonObject().put("type", "text").put("text", "{{#open}}")))))))));
    assertThatThrownBy(() -> TemplateCompiler.check(TemplateDefinition.parse(syntax)))
      .isInstanceOf(TemplateException.class).hasMessageContaining("chat whatsapp_template /components/0/parameters/0/text");
  }

  private static TemplateDefinition definition(String name) {
    return SHIPPED.stream().filter(s -> s.name().equals(name)).findFirst()
      .map(s -> TemplateDefinition.parse(s.definition())).orElseThrow();
  }

  private static List<String> hrefs(String html) {
    List<String> hrefs = new ArrayList<>();
    Matcher m = Pattern.compile("href=\"([^\"]*)\"").matcher(html);
    while (m.find()) {
      hrefs.add(m.group(1));
    }
    return hrefs;
  }

  private static List<String> tokens(String text) {
    List<String> tokens = new ArrayList<>();
    Matcher m = CLICK.matcher(text);
    while (m.find()) {
      tokens.add(m.group(1));
    }
    return tokens;
  }

}
