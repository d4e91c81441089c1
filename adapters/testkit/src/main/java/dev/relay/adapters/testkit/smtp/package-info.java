/**
 * Fakes that speak SMTP, the far side of the {@code email-smtp} adapter.
 *
 * <ul>
 *   <li>{@link dev.relay.adapters.testkit.smtp.SmtpFake}: GreenMail on free loopback ports, plain SMTP and
 *   SMTPS with a checked {@code AUTH}, keeping every message it received as a parsed MIME message;</li>
 *   <li>{@link dev.relay.adapters.testkit.smtp.ScriptedSmtpServer}: a small SMTP server on Vert.x that answers
 *   a scripted reply (or nothing) at a chosen stage of the session, offers {@code STARTTLS}, and records every
 *   command: for the error classes and the TLS upgrade that GreenMail cannot show.</li>
 * </ul>
 */
package dev.relay.adapters.testkit.smtp;
