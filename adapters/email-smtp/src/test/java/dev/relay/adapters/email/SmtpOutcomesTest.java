package dev.relay.adapters.email;

import dev.relay.adapters.spi.SendResult;
import io.vertx.ext.mail.SMTPException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLHandshakeException;
import java.net.ConnectException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SmtpOutcomesTest {

  @Test
  @DisplayName("A multi-line reply becomes one reason without the repeated codes")
  void multiLine() {
    SendResult result = SmtpOutcomes.of(new SMTPException("recipient address not accepted", 550,
      List.of("550-5.1.1 The email account that you tried to reach does not exist.",
        "550 5.1.1 Please try double-checking the recipient's address"), true));
    assertThat(result.isPermanent()).isTrue();
    assertThat(result.reason()).isEqualTo("SMTP 550 5.1.1 The email account that you tried to reach does not exist."
      + " 5.1.1 Please try double-checking the recipient's address");
  }

  @Test
  @DisplayName("Failures without a reply (refused, TLS) are retryable and not throttling")
  void noReply() {
    for (Throwable failure : List.of(new ConnectException("Connection refused"),
      new SSLHandshakeException("PKIX path building failed"), new IllegalStateException())) {
      SendResult result = SmtpOutcomes.of(failure);
      assertThat(result.isTransient()).isTrue();
      assertThat(result.isThrottled()).isFalse();
      assertThat(result.reason()).startsWith("no answer from the SMTP server: ");
    }
  }

  @Test
  @DisplayName("Throttling is told by code, by enhanced class 4.7 and by the words servers use for rates")
  void throttling() {
    assertThat(SmtpOutcomes.ofReply(421, "Service not available").isThrottled()).isTrue();
    assertThat(SmtpOutcomes.ofReply(450, "4.7.1 Try again later").isThrottled()).isTrue();
    assertThat(SmtpOutcomes.ofReply(452, "Too many recipients received this hour").isThrottled()).isTrue();
    assertThat(SmtpOutcomes.ofReply(450, "4.2.1 Mailbox busy, try later").isThrottled()).isFalse();
    assertThat(SmtpOutcomes.ofReply(450, "4.2.1 Generated message").isThrottled())
      .as("'rate' as a word, not inside 'generated'").isFalse();
    assertThat(SmtpOutcomes.ofReply(550, "5.7.1 Rate limit exceeded").isPermanent()).isTrue();
    assertThat(SmtpOutcomes.ofReply(354, "go ahead").isTransient()).isTrue();
  }

  @Test
  @DisplayName("The enhanced status code is read from the start of the text only")
  void enhanced() {
    assertThat(SmtpOutcomes.enhanced("5.1.1 No such user")).isEqualTo("5.1.1");
    assertThat(SmtpOutcomes.enhanced("4.7.0 Try later")).isEqualTo("4.7.0");
    assertThat(SmtpOutcomes.enhanced("No such user 5.1.1")).isNull();
    assertThat(SmtpOutcomes.enhanced("")).isNull();
  }
}
