package dev.relay.gateway.dispatch;

import dev.relay.adapters.testkit.Fault;
import dev.relay.adapters.testkit.SandboxServer;
import dev.relay.gateway.config.Setting;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A transactional message posted while the dispatcher holds a campaign's backlog is sent ahead of that backlog:
 * claimed although the dispatcher is too full for a whole claim, and put ahead of the marketing messages queued
 * for the account. Judged by order of arrival at a slowed sandbox, not by time.
 */
@DisplayName("Transactional messages ahead of a campaign's backlog")
class TransactionalPriorityTest {

  private static final int BACKLOG = 1000;

  private TestGateway gateway;

  @AfterEach
  void stop() throws Exception {
    if (gateway != null) {
      gateway.close();
    }
  }

  @Test
  @DisplayName("posted behind 1,000 marketing messages held by the dispatcher, it arrives before 100 more of them")
  void transactionalOvertakesTheBacklog() throws Exception {
    Map<Setting, String> settings = new EnumMap<>(Setting.class);
    settings.put(Setting.DISPATCH_MAX_PENDING, "100");
    settings.put(Setting.DISPATCH_CLAIM_BATCH, "100");
    settings.put(Setting.DISPATCH_HANDOFF_MAX_PENDING, "300");
    settings.put(Setting.DISPATCH_MAX_IN_FLIGHT, "20");
    settings.put(Setting.DISPATCH_SEND_BATCH, "10");
    gateway = TestGateway.start(settings);
    SandboxServer sandbox = gateway.sandbox();
    // About 200 messages a second: the backlog takes some 5 s to send.
    sandbox.inject(Fault.slow(Duration.ofMillis(100)));
    String key = gateway.apiKey("acme");
    for (int i = 0; i < 2; i++) {
      assertThat(gateway.postBatch(key, null, Batches.batch("spring-sale", "m" + i, BACKLOG / 2)).statusCode())
        .isEqualTo(202);
    }
    int sentBefore = marketingReceived(sandbox.receipts(), Integer.MAX_VALUE);
    assertThat(sentBefore).as("the backlog has barely started when the transactional batch comes").isLessThan(300);
    JsonObject reset = Batches.envelope("password-reset").put("priority", "transactional")
      .put("recipients", new JsonArray().add(Batches.recipient("tx-1")));
    assertThat(gateway.postBatch(key, null, reset).statusCode()).isEqualTo(202);

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int position;
    while ((position = position(sandbox.receipts(), "tx-1")) < 0) {
      assertThat(System.nanoTime()).as("the transactional message arrives within 60 s").isLessThan(deadline);
      Thread.sleep(20);
    }
    int overtaken = marketingReceived(sandbox.receipts(), position) - sentBefore;
    assertThat(overtaken).as("marketing messages that arrived between the transactional POST and its message")
      .isLessThan(100);
    while (sandbox.uniqueCount() < BACKLOG + 1) {
      assertThat(System.nanoTime()).as("the whole backlog sent within 60 s").isLessThan(deadline);
      Thread.sleep(50);
    }
    assertThat(sandbox.duplicateCount()).isZero();
  }

  private static int position(List<SandboxServer.Receipt> receipts, String recipient) {
    for (int i = 0; i < receipts.size(); i++) {
      if (recipient.equals(receipts.get(i).recipientId())) {
        return i;
      }
    }
    return -1;
  }

  /** Marketing messages among the first {@code upTo} receipts. */
  private static int marketingReceived(List<SandboxServer.Receipt> receipts, int upTo) {
    int n = 0;
    for (int i = 0; i < Math.min(upTo, receipts.size()); i++) {
      if (!receipts.get(i).recipientId().startsWith("tx-")) {
        n++;
      }
    }
    return n;
  }
}
