package dev.relay.adapters.testkit.smtp;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** GreenMail behind the fake, spoken to by Jakarta Mail, an independent SMTP client (blocking, on the test thread). */
class SmtpFakeTest {

  private static SmtpFake fake;

  @BeforeAll
  static void start() {
    fake = SmtpFake.start("sender", "pw");
  }

  @AfterAll
  static void stop() {
    fake.close();
  }

  private static void send(int port, boolean ssl, String password, String subject) throws Exception {
    Properties properties = new Properties();
    String protocol = ssl ? "smtps" : "smtp";
    properties.put("mail." + protocol + ".auth", "true");
    properties.put("mail." + protocol + ".ssl.trust", "*");
    properties.put("mail." + protocol + ".ssl.checkserveridentity", "false");
    properties.put("mail." + protocol + ".timeout", "5000");
    Session session = Session.getInstance(properties);
    MimeMessage message = new MimeMessage(session);
    message.setFrom(new InternetAddress("news@relay.example"));
    message.setRecipient(Message.RecipientType.TO, new InternetAddress("ada@customer.example"));
    message.setSubject(subject);
    message.setText("hello");
    try (Transport transport = session.getTransport(protocol)) {
      transport.connect(fake.host(), port, fake.username(), password);
      transport.sendMessage(message, message.getAllRecipients());
    }
  }

  @Test
  @DisplayName("Mail over SMTP and SMTPS with the right password is received; a wrong password is refused")
  void receives() throws Exception {
    fake.reset();
    send(fake.smtpPort(), false, "pw", "plain");
    send(fake.smtpsPort(), true, "pw", "tls");
    assertThatThrownBy(() -> send(fake.smtpPort(), false, "wrong", "refused"))
      .isInstanceOf(AuthenticationFailedException.class);
    assertThat(fake.received()).extracting(MimeMessage::getSubject).containsExactlyInAnyOrder("plain", "tls");
    fake.reset();
    assertThat(fake.received()).isEmpty();
  }
}
