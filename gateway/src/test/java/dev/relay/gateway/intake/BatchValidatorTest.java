package dev.relay.gateway.intake;

import dev.relay.gateway.testing.Batches;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("BatchValidator")
class BatchValidatorTest {

  private final BatchValidator validator = new BatchValidator(new IntakeLimits(10, 3, 20, 3600, 7200));

  private ValidatedBatch validate(JsonObject... recipients) {
    JsonArray array = new JsonArray();
    for (JsonObject r : recipients) {
      array.add(r);
    }
    return validator.validate(Batches.envelope("c").put("channels", new JsonArray().add("email").add("sms"))
      .put("recipients", array));
  }

  private String reason(JsonObject recipient) {
    ValidatedBatch batch = validate(recipient);
    assertThat(batch.accepted()).isEmpty();
    return batch.rejected().get(0).reason();
  }

  private static JsonObject to(String channel, String address) {
    return new JsonObject().put("id", "r").put("addresses", new JsonObject().put(channel, address));
  }

  @ParameterizedTest
  @ValueSource(strings = {"a@b.co", "first.last+tag@mail.example.com", "o'brien@example.org", "x@xn--bcher-kva.example"})
  @DisplayName("accepts ordinary email addresses")
  void acceptsEmail(String address) {
    assertThat(BatchValidator.isEmail(address)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"plain", "a@b", "@b.co", "a@@b.co", "a b@c.co", "a@b.co\r\nBcc: x@y.z", "a..b@c.co",
    "a@-b.co", "a@b..co", ".a@b.co", "a.@b.co", "a@b.co.", "a@b-.co", "a@", "é@b.co", "a@b_c.co"})
  @DisplayName("rejects malformed email addresses, including header injection attempts")
  void rejectsEmail(String address) {
    assertThat(BatchValidator.isEmail(address)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"+905551234567", "+1234567", "+123456789012345"})
  @DisplayName("accepts E.164 numbers")
  void acceptsE164(String number) {
    assertThat(BatchValidator.isE164(number)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"905551234567", "+0123456789", "+123456", "+1234567890123456", "+90 555 123", "+90555x234567"})
  @DisplayName("rejects what is not E.164")
  void rejectsE164(String number) {
    assertThat(BatchValidator.isE164(number)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"1abc", "", "with-dash", "with space", "ünicode"})
  @DisplayName("rejects variable names that templates could not use")
  void rejectsVariableNames(String name) {
    assertThat(BatchValidator.isVariableName(name)).isFalse();
    assertThat(BatchValidator.isVariableName("_first_name2")).isTrue();
    assertThat(BatchValidator.isVariableName("x".repeat(65))).isFalse();
  }

  @Test
  @DisplayName("an SMS address must be E.164")
  void smsIsE164() {
    assertThat(validate(to("sms", "+905551234567")).accepted()).hasSize(1);
    assertThat(reason(to("sms", "05551234567"))).isEqualTo("addresses.sms is not an E.164 phone number such as +905551234567");
  }

  @Test
  @DisplayName("a recipient needs an address on one of the batch's channels")
  void needsReachableChannel() {
    assertThat(reason(to("push", "token-123456789"))).isEqualTo("no address for any of the batch's channels (email, sms)");
    assertThat(reason(to("fax", "123"))).startsWith("addresses.fax is not a channel");
  }

  @Test
  @DisplayName("checks locale, time zone, unknown fields and missing id")
  void checksFields() {
    assertThat(reason(Batches.recipient("r").put("locale", "not a locale"))).startsWith("locale is not a BCP 47");
    assertThat(reason(Batches.recipient("r").put("time_zone", "Mars/Olympus"))).startsWith("time_zone is not an IANA");
    assertThat(reason(Batches.recipient("r").put("nickname", "x"))).isEqualTo("unknown field 'nickname'");
    JsonObject noId = Batches.recipient("r");
    noId.remove("id");
    assertThat(reason(noId)).isEqualTo("id is missing");
    assertThat(reason(Batches.recipient("r").put("id", 7))).isEqualTo("id must be a string");
  }

  @Test
  @DisplayName("holds variables to the count, name, length, NUL and depth limits")
  void variableLimits() {
    assertThat(reason(Batches.recipient("r").put("variables",
      new JsonObject().put("a", 1).put("b", 2).put("c", 3).put("d", 4))))
      .isEqualTo("variables has 4 entries; at most 3 are allowed");
    assertThat(reason(Batches.recipient("r").put("variables", new JsonObject().put("bad-name", 1))))
      .startsWith("variables.bad-name is not a valid variable name");
    assertThat(reason(Batches.recipient("r").put("variables", new JsonObject().put("s", "x".repeat(21)))))
      .isEqualTo("variables.s is 21 characters long; at most 20 are allowed");
    assertThat(reason(Batches.recipient("r").put("variables", new JsonObject().put("s", "a\u0000"))))
      .isEqualTo("variables.s contains a NUL character (U+0000) at character 2");
    JsonObject deep = new JsonObject().put("leaf", 1);
    for (int i = 0; i < 9; i++) {
      deep = new JsonObject().put("n", deep);
    }
    assertThat(reason(Batches.recipient("r").put("variables", new JsonObject().put("deep", deep))))
      .contains("is nested more than 8 levels deep");
  }

  @Test
  @DisplayName("a recipient id repeated in one batch is rejected at its second appearance")
  void duplicateIds() {
    ValidatedBatch batch = validate(Batches.recipient("same"), Batches.recipient("other"), Batches.recipient("same"));
    assertThat(batch.accepted()).hasSize(2);
    assertThat(batch.rejected()).containsExactly(
      new Rejection(2, "same", "duplicate recipient id; it first appears at index 0", "/recipients/2/id"));
  }

  @Test
  @DisplayName("more recipients than the limit reject the whole batch, naming the limit")
  void recipientLimit() {
    JsonObject[] recipients = new JsonObject[11];
    for (int i = 0; i < 11; i++) {
      recipients[i] = Batches.recipient("r" + i);
    }
    assertThatThrownBy(() -> validate(recipients))
      .isInstanceOf(InvalidBatchException.class)
      .hasMessageContaining("at most 10 recipients")
      .extracting(e -> ((InvalidBatchException) e).kind()).isEqualTo("too-many-recipients");
  }

  @Test
  @DisplayName("variants instead of a template: kept in the order given, weight 1 when absent; holdout kept as given")
  void variantsAndHoldout() {
    JsonObject body = Batches.batch("c", "r", 1);
    body.remove("template");
    body.put("variants", new JsonArray()
      .add(new JsonObject().put("name", "b").put("template", "t-b").put("template_version", 2).put("weight", 2.5))
      .add(new JsonObject().put("name", "a_1").put("template", "t-a")))
      .put("holdout", 0.1);
    ValidatedBatch batch = validator.validate(body);
    assertThat(batch.templateName()).isNull();
    assertThat(batch.variants()).containsExactly(new ValidatedBatch.Variant("b", "t-b", 2, 2.5),
      new ValidatedBatch.Variant("a_1", "t-a", null, 1.0));
    assertThat(batch.holdout()).isEqualTo(0.1);
    ValidatedBatch plain = validator.validate(Batches.batch("c", "r", 1));
    assertThat(plain.variants()).isNull();
    assertThat(plain.holdout()).isNull();
    assertThat(validator.validate(Batches.batch("c", "r", 1).put("holdout", 0)).holdout()).isZero();
  }

  @ParameterizedTest
  @ValueSource(doubles = {1.0, 1.5, -0.01})
  @DisplayName("a holdout outside [0, 1) is refused as invalid-holdout")
  void badHoldout(double holdout) {
    assertThatThrownBy(() -> validator.validate(Batches.batch("c", "r", 1).put("holdout", holdout)))
      .isInstanceOfSatisfying(InvalidBatchException.class, e -> {
        assertThat(e.kind()).isEqualTo("invalid-holdout");
        assertThat(e.members().getString("pointer")).isEqualTo("/holdout");
      });
  }
}
