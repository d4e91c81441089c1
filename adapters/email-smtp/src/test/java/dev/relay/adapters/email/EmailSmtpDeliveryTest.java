package dev.relay.adapters.email;

import dev.relay.adapters.spi.AccountSettings;
import dev.relay.adapters.spi.OutboundMessage;
import dev.relay.adapters.spi.ProviderAccount;
import dev.relay.adapters.spi.SendResult;
import dev.relay.adapters.testkit.smtp.SmtpFake;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import jakarta.mail.Message;
import jakarta.mail.Multipart;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.SignatureRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The adapter against GreenMail, a real mail server, over real sockets on loopback. */
@ExtendWith(VertxExtension.class)
class EmailSmtpDeliveryTest {

  static final String USER = "relay-sender";
  static final String PASSWORD = "s3cret-Pa55";

  private static SmtpFake fake;
  private final List<ProviderAccount> accounts = new ArrayList<>();

  @BeforeAll
  static void startFake() {
    fake = SmtpFake.start(USER, PASSWORD);
  }

  @AfterAll
  static void stopFake() {
    fake.close();
  }

  @BeforeEach
  void emptyMailboxes() {
    fake.reset();
  }

  @AfterEach
  void closeAccounts(VertxTestContext ctx) {
    io.vertx.core.Future.all(accounts.stream().map(ProviderAccount::close).toList())
      .onComplete(ctx.succeedingThenComplete());
  }

  static JsonObject plainSettings(SmtpFake fake) {
    return new JsonObject()
      .put("host", fake.host())
      .put("port", fake.smtpPort())
      .put("from", "Relay News <news@relay.example>")
      .put("username", fake.username())
      .put("password", fake.password())
      .put("starttls", "disabled")
      .put("timeout-ms", 5000);
  }

  private ProviderAccount open(Vertx vertx, JsonObject settings) {
    ProviderAccount account = new EmailSmtpAdapter().open(vertx, new AccountSettings("mail", "email-smtp", settings));
    accounts.add(account);
    return account;
  }

  static JsonObject content() {
    return new JsonObject()
      .put("subject", "Merhaba Ada, hoş geldin")
      .put("text", "Hello Ada\nWelcome aboard.")
      .put("html", "<p>Hello <b>Ada</b></p>")
      .put("list_unsubscribe", "https://relay.example/u/tok_123");
  }

  static OutboundMessage message(long id, int attempt, String address, JsonObject content) {
    return new OutboundMessage(id, "relay-" + id, attempt, "acme", "welcome", "u-" + id, address, "tr-TR", content);
  }

  @Test
  @DisplayName("A message arrives with its sender, recipient, subject, both MIME parts and Relay's headers")
  void delivers(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount account = open(vertx, plainSettings(fake));
    account.send(List.of(message(42, 1, "ada@customer.example", content())))
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results).singleElement().satisfies(r -> {
          assertThat(r.isAccepted()).as("%s", r).isTrue();
          assertThat(r.providerMessageId()).isEqualTo("relay-42@relay.example");
        });
        MimeMessage mail = single();
        InternetAddress from = (InternetAddress) mail.getFrom()[0];
        assertThat(from.getAddress()).isEqualTo("news@relay.example");
        assertThat(from.getPersonal()).isEqualTo("Relay News");
        assertThat(mail.getRecipients(Message.RecipientType.TO))
          .extracting(a -> ((InternetAddress) a).getAddress()).containsExactly("ada@customer.example");
        assertThat(mail.getSubject()).isEqualTo("Merhaba Ada, hoş geldin");
        assertThat(mail.getHeader("Message-ID")).containsExactly("<relay-42@relay.example>");
        assertThat(mail.getHeader("X-Relay-Message-Id")).containsExactly("42");
        assertThat(mail.getHeader("List-Unsubscribe")).containsExactly("<https://relay.example/u/tok_123>");
        assertThat(mail.getHeader("List-Unsubscribe-Post")).containsExactly("List-Unsubscribe=One-Click");
        assertThat(mail.getHeader("X-SMTPAPI")).as("only for SendGrid accounts").isNull();

        assertThat(mail.getContentType()).startsWith("multipart/alternative");
        Multipart parts = (Multipart) mail.getContent();
        assertThat(parts.getCount()).isEqualTo(2);
        assertThat(parts.getBodyPart(0).getContentType()).startsWith("text/plain");
        assertThat(((String) parts.getBodyPart(0).getContent()).replace("\r\n", "\n"))
          .isEqualTo("Hello Ada\nWelcome aboard.");
        assertThat(parts.getBodyPart(1).getContentType()).startsWith("text/html");
        assertThat(parts.getBodyPart(1).getContent()).isEqualTo("<p>Hello <b>Ada</b></p>");
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("The server checks the AUTH credentials: a wrong password is refused (535) and nothing arrives")
  void auth(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount wrong = open(vertx, plainSettings(fake).put("password", "not-the-password"));
    wrong.send(List.of(message(1, 1, "ada@customer.example", content())))
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isPermanent()).as("%s", results.get(0)).isTrue();
        assertThat(results.get(0).reason()).startsWith("SMTP 535 5.7.8");
        assertThat(results.get(0).reason()).doesNotContain("not-the-password");
        assertThat(fake.received()).isEmpty();
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("Over implicit TLS (SMTPS) the message arrives too")
  void smtps(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount account = open(vertx, plainSettings(fake).put("port", fake.smtpsPort()).put("ssl", true)
      .put("trust-all", true).put("starttls", null));
    account.send(List.of(message(5, 1, "ada@customer.example", content())))
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isAccepted()).as("%s", results.get(0)).isTrue();
        assertThat(single().getHeader("Message-ID")).containsExactly("<relay-5@relay.example>");
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("Every message of a batch gets its own result, and a bad one does not stop the others")
  void batch(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount account = open(vertx, plainSettings(fake).put("max-connections", 2));
    List<OutboundMessage> batch = List.of(
      message(1, 1, "one@customer.example", content()),
      message(2, 1, "two@customer.example", content().put("subject", "Hi\r\nBcc: victim@elsewhere.example")),
      message(3, 1, "three@customer.example", content().put("html", null)),
      message(4, 1, "four@customer.example", content()),
      message(5, 1, "five@customer.example", content().put("text", null)));
    account.send(batch).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      assertThat(results).extracting(SendResult::kind).containsExactly(SendResult.Kind.ACCEPTED,
        SendResult.Kind.PERMANENT, SendResult.Kind.ACCEPTED, SendResult.Kind.ACCEPTED, SendResult.Kind.ACCEPTED);
      assertThat(results.get(1).reason()).contains("'subject'").contains("line break");
      List<String> ids = new ArrayList<>();
      for (MimeMessage mail : fake.received()) {
        ids.add(mail.getHeader("Message-ID")[0]);
        assertThat(mail.getHeader("Bcc")).isNull();
      }
      assertThat(ids).containsExactlyInAnyOrder("<relay-1@relay.example>", "<relay-3@relay.example>",
        "<relay-4@relay.example>", "<relay-5@relay.example>");
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("A retry carries the same Message-ID, so that receivers and the relay can drop the repeat")
  void retriesKeepTheMessageId(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount account = open(vertx, plainSettings(fake));
    account.send(List.of(message(7, 1, "ada@customer.example", content())))
      .compose(first -> account.send(List.of(message(7, 2, "ada@customer.example", content()))))
      .onComplete(ctx.succeeding(second -> ctx.verify(() -> {
        assertThat(second.get(0).providerMessageId()).isEqualTo("relay-7@relay.example");
        assertThat(fake.received()).hasSize(2)
          .allSatisfy(mail -> assertThat(mail.getHeader("Message-ID")).containsExactly("<relay-7@relay.example>"));
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("CR or LF in the subject, the sender or the address is refused, naming the field, and nothing is sent")
  void headerInjection(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount account = open(vertx, plainSettings(fake));
    List<OutboundMessage> batch = List.of(
      message(1, 1, "ada@customer.example", content().put("subject", "Hi\nBcc: victim@elsewhere.example")),
      message(2, 1, "ada@customer.example", content().put("from", "news@relay.example\r\nBcc: x@elsewhere.example")),
      message(3, 1, "ada@customer.example\r\nBcc: victim@elsewhere.example", content()),
      message(4, 1, "ada@customer.example", content().put("reply_to", "help@relay.example\rX: y")),
      message(5, 1, "ada@customer.example", content().put("list_unsubscribe", "https://relay.example/u\r\nX: y")));
    account.send(batch).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      assertThat(results).allSatisfy(r -> {
        assertThat(r.isPermanent()).isTrue();
        assertThat(r.reason()).contains("line break");
      });
      assertThat(results.get(0).reason()).contains("content field 'subject'");
      assertThat(results.get(1).reason()).contains("content field 'from'");
      assertThat(results.get(2).reason()).startsWith("address ");
      assertThat(results.get(3).reason()).contains("content field 'reply_to'");
      assertThat(results.get(4).reason()).contains("content field 'list_unsubscribe'");
      assertThat(fake.received()).isEmpty();
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("Missing or mistyped content fields are permanent failures that name the field")
  void contentFields(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount account = open(vertx, plainSettings(fake));
    JsonObject noSubject = content();
    noSubject.remove("subject");
    List<OutboundMessage> batch = List.of(
      message(1, 1, "ada@customer.example", noSubject),
      message(2, 1, "ada@customer.example", content().put("html", null).put("text", null)),
      message(3, 1, "ada@customer.example", content().put("subject", 12)),
      message(4, 1, "not-an-address", content()),
      message(5, 1, "ada@customer.example", content().put("from", "nobody")),
      message(6, 1, "ada@customer.example", content().put("list_unsubscribe", "mailto:u@relay.example")));
    account.send(batch).onComplete(ctx.succeeding(results -> ctx.verify(() -> {
      assertThat(results).extracting(SendResult::reason).containsExactly(
        "content field 'subject' is required",
        "content field 'html' or 'text' is required",
        "content field 'subject' must be a string",
        "address is not a mailbox",
        "content field 'from' is not a mailbox",
        "content field 'list_unsubscribe' must be an absolute http or https URL");
      assertThat(fake.received()).isEmpty();
      ctx.completeNow();
    })));
  }

  @Test
  @DisplayName("The sender, Reply-To and the SendGrid tag come from the content and the account's webhooks")
  void senderAndTags(Vertx vertx, VertxTestContext ctx) {
    ProviderAccount account = open(vertx, plainSettings(fake).put("webhooks", "sendgrid")
      .put("sendgrid-public-key", Base64.getEncoder().encodeToString(SendGridWebhooksTest.KEYS.getPublic().getEncoded()))
      .put("message-id-domain", "mid.relay.example"));
    JsonObject content = content().put("from", "Ada's Shop <shop@relay.example>").put("reply_to", "help@relay.example");
    account.send(List.of(message(9, 1, "ada@customer.example", content)))
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).providerMessageId()).isEqualTo("relay-9@mid.relay.example");
        MimeMessage mail = single();
        assertThat(((InternetAddress) mail.getFrom()[0]).getAddress()).isEqualTo("shop@relay.example");
        assertThat(mail.getHeader("Reply-To")).containsExactly("help@relay.example");
        assertThat(new JsonObject(mail.getHeader("X-SMTPAPI")[0])).isEqualTo(new JsonObject()
          .put("unique_args", new JsonObject().put("relay_message_id", "9")
            .put("relay_smtp_id", "relay-9@mid.relay.example")));
        ctx.completeNow();
      })));
  }

  @Test
  @DisplayName("With DKIM settings the mail carries a DKIM-Signature that verifies against the public key")
  void dkim(Vertx vertx, VertxTestContext ctx) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair keys = generator.generateKeyPair();
    String pem = "-----BEGIN PRIVATE KEY-----\n"
      + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(keys.getPrivate().getEncoded())
      + "\n-----END PRIVATE KEY-----\n";
    ProviderAccount account = open(vertx, plainSettings(fake).put("dkim-selector", "relay2026")
      .put("dkim-domain", "relay.example").put("dkim-private-key", pem));
    account.send(List.of(message(11, 1, "ada@customer.example", content())))
      .onComplete(ctx.succeeding(results -> ctx.verify(() -> {
        assertThat(results.get(0).isAccepted()).as("%s", results.get(0)).isTrue();
        MimeMessage mail = single();
        assertThat(mail.getHeader("DKIM-Signature")).singleElement().satisfies(signature -> {
          String unfolded = signature.replaceAll("\\s+", "");
          assertThat(unfolded).contains("d=relay.example;").contains("s=relay2026;").contains("a=rsa-sha256;");
        });
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        mail.writeTo(raw);
        String record = "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(keys.getPublic().getEncoded());
        List<String> lookups = new ArrayList<>();
        DKIMVerifier verifier = new DKIMVerifier((method, selector, domain) -> {
          lookups.add(selector + "._domainkey." + domain);
          return List.of(record);
        });
        List<SignatureRecord> verified = verifier.verify(new ByteArrayInputStream(raw.toByteArray()));
        assertThat(verified).hasSize(1);
        assertThat(lookups).containsExactly("relay2026._domainkey.relay.example");
        assertThat(verified.get(0).getHeaders()).extracting(CharSequence::toString)
          .contains("From", "Subject", "Message-ID", "List-Unsubscribe");
        ctx.completeNow();
      })));
  }

  private static MimeMessage single() {
    List<MimeMessage> received = fake.received();
    assertThat(received).hasSize(1);
    return received.get(0);
  }
}
