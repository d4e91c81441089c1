package dev.relay.gatling;

/**
 * The values of the example gateway configuration, {@code load-tests/gatling/gateway.yaml}, which are the
 * simulations' defaults: with that file, no secret needs to be given on the command line. They are load-test
 * values, published here and in the file: a gateway that serves real traffic must use its own.
 */
final class ExampleGateway {

  /** {@code tracking.keys}: the key that signs (and verifies) tracking tokens. */
  static final String TRACKING_KEYS = "gatling:pS2Ed2HD164o18rQ3DW3VyZHBT/9m7ai/xvARwIHDDw=";
  /** The {@code sms-twilio} account and its {@code auth-token}, which keys {@code X-Twilio-Signature}. */
  static final String TWILIO_ACCOUNT = "twilio-load";
  static final String TWILIO_AUTH_TOKEN = "gatling-twilio-auth-token";
  /** The {@code social-whatsapp} account and its {@code app-secret}, which keys {@code X-Hub-Signature-256}. */
  static final String WHATSAPP_ACCOUNT = "whatsapp-load";
  static final String WHATSAPP_APP_SECRET = "gatling-whatsapp-app-secret";
  /** The {@code email-smtp} account with Mailgun webhooks and its {@code mailgun-signing-key}. */
  static final String MAILGUN_ACCOUNT = "mailgun-load";
  static final String MAILGUN_SIGNING_KEY = "gatling-mailgun-signing-key";

  private ExampleGateway() {
  }
}
