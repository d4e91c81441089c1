/**
 * A fake of the WhatsApp Cloud API's messages edge, the far side of the {@code social-whatsapp} adapter:
 * {@link dev.relay.adapters.testkit.whatsapp.WhatsAppFake}, which also builds and signs webhook payloads as
 * Meta does.
 */
package dev.relay.adapters.testkit.whatsapp;
