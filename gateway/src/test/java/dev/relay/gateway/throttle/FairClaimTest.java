package dev.relay.gateway.throttle;

import dev.relay.gateway.config.Setting;
import dev.relay.gateway.store.Database;
import dev.relay.gateway.store.DispatchStore;
import dev.relay.gateway.testing.Batches;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Fair claiming")
class FairClaimTest {

  @Test
  @DisplayName("behind one tenant's large marketing backlog, another tenant's transactional message is claimed "
    + "first and its marketing message in the same claim")
  void anotherTenantIsNotHeldBack() throws Exception {
    try (TestGateway gateway = TestGateway.start(Map.of(Setting.DISPATCH_ENABLED, "false"))) {
      String big = gateway.apiKey("big");
      String small = gateway.apiKey("small");
      for (int i = 0; i < 3; i++) {
        assertThat(gateway.postBatch(big, null, Batches.batch("million", "b" + i, 2000)).statusCode()).isEqualTo(202);
      }
      Thread.sleep(20);
      assertThat(gateway.postBatch(small, null, Batches.batch("receipts", "tx", 1).put("priority", "transactional"))
        .statusCode()).isEqualTo(202);
      assertThat(gateway.postBatch(small, null, Batches.batch("news", "m", 1)).statusCode()).isEqualTo(202);

      Pool pool = Database.pool(gateway.vertx(), gateway.config());
      try {
        List<DispatchStore.ClaimedRow> claimed = await(new DispatchStore(pool, "test").claim(10, 60));
        assertThat(claimed).hasSize(10);
        assertThat(claimed.get(0).recipientId()).isEqualTo("tx-0");
        assertThat(claimed.get(0).priority()).isEqualTo("transactional");
        assertThat(claimed).extracting(DispatchStore.ClaimedRow::recipientId).contains("m-0");
        assertThat(claimed.stream().filter(r -> r.tenant().equals("big"))).hasSize(8);
        // Then the backlog goes on, from its oldest batch, and nothing is claimed twice.
        List<DispatchStore.ClaimedRow> next = await(new DispatchStore(pool, "test").claim(5, 60));
        assertThat(next).hasSize(5).allSatisfy(r -> assertThat(r.recipientId()).startsWith("b0-"))
          .extracting(DispatchStore.ClaimedRow::recipientId)
          .doesNotContainAnyElementsOf(claimed.stream().map(DispatchStore.ClaimedRow::recipientId).toList());
      } finally {
        await(pool.close());
      }
    }
  }
}
