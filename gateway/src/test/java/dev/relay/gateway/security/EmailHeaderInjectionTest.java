package dev.relay.gateway.security;

import dev.relay.adapters.testkit.smtp.SmtpFake;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.Address;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * CR/LF smuggled into an email through a recipient's variables, rendered into the subject (a header)
 * and into the body, through the real SMTP adapter to GreenMail: no header is ever injected, no copy
 * goes to an address that was not the recipient, and the message that would carry an injected header
 * ends failed with the reason.
 */
@DisplayName("Header injection into an email")
class EmailHeaderInjectionTest {

  private TestGateway gateway;
  private SmtpFake smtp;

  @AfterEach
  void close() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
    if (smtp != null) {
      smtp.close();
    }
  }

  @Test
  @DisplayName("a variable with CR/LF in the subject fails the message; in the body it stays text; no Bcc reaches anyone")
  void noInjectedHeaders() throws Exception {
    smtp = SmtpFake.start("relay", "smtp-password");
    JsonArray accounts = new JsonArray()
      .add(new JsonObject().put("name", "smtp").put("adapter", "email-smtp").put("settings", new JsonObject()
        .put("host", smtp.host()).put("port", smtp.smtpPort()).put("from", "relay@example.com")
        .put("username", "relay").put("password", "smtp-password").put("starttls", "disabled")));
    gateway = TestGateway.withAccounts(accounts, Map.of());
    String key = gateway.apiKey("acme");
    gateway.putTemplate(key, "inject", new JsonObject().put("locales", new JsonObject().put("en", new JsonObject()
      .put("email", new JsonObject().put("subject", "Hello {{name}}").put("html", "<p>Dear {{name}}</p>")
        .put("text", "Dear {{name}}")))));
    String[] attacks = {"Ayşe\r\nBcc: victim@example.com", "Ayşe\nBcc: victim@example.com", "Ayşe\rBcc: victim@example.com",
      "Ayşe\r\n\r\nInjected body", "=?UTF-8?B?QmNjOiB2aWN0aW1AZXhhbXBsZS5jb20=?=", "Ayşe\u0085Bcc: victim@example.com"};
    JsonArray recipients = new JsonArray();
    for (int i = 0; i < attacks.length; i++) {
      recipients.add(new JsonObject().put("id", "r" + i).put("addresses", new JsonObject().put("email", "r" + i + "@example.com"))
        .put("variables", new JsonObject().put("name", attacks[i])));
    }
    recipients.add(new JsonObject().put("id", "plain").put("addresses", new JsonObject().put("email", "plain@example.com"))
      .put("variables", new JsonObject().put("name", "Ayşe")));
    io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer> answer = gateway.postBatch(key, null,
      Batches.envelope("inject").put("template", "inject").put("recipients", recipients));
    assertThat(answer.statusCode()).isEqualTo(202);
    // NEL (U+0085) is a C1 control character: refused at intake, before any template sees it.
    assertThat(answer.bodyAsJsonObject().getJsonArray("rejected")).hasSize(1);
    assertThat(answer.bodyAsJsonObject().getJsonArray("rejected").getJsonObject(0).getString("pointer"))
      .isEqualTo("/recipients/5/variables/name");

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (gateway.database().count("SELECT count(*) FROM messages WHERE state IN ('sent', 'failed')") < attacks.length) {
      assertThat(System.nanoTime()).as("all messages sent or failed").isLessThan(deadline);
      Thread.sleep(100);
    }
    // Those whose subject would hold a line break fail, naming it; nothing was sent for them.
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE state = 'failed' "
      + "AND recipient_id IN ('r0', 'r1', 'r2', 'r3') AND last_error ILIKE '%line break%'")).isEqualTo(4);
    assertThat(gateway.database().count("SELECT count(*) FROM messages WHERE recipient_id = 'plain' AND state = 'sent'"))
      .isEqualTo(1);

    List<String> delivered = new ArrayList<>();
    for (MimeMessage message : smtp.received()) {
      for (Address to : message.getAllRecipients()) {
        delivered.add(to.toString());
      }
      assertThat(message.getHeader("Bcc")).as("a Bcc header in a delivered message").isNull();
      assertThat(message.getHeader("Injected")).isNull();
      assertThat(message.getSubject()).doesNotContain("\r").doesNotContain("\n");
    }
    assertThat(delivered).as("addresses that received mail").doesNotContain("victim@example.com")
      .allMatch(address -> address.endsWith("@example.com") && !address.startsWith("victim"));
    assertThat(delivered).contains("plain@example.com");
  }
}
