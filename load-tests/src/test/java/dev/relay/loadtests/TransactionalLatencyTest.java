package dev.relay.loadtests;

import dev.relay.adapters.testkit.SandboxServer.Receipt;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TransactionalLatencyTest {

  private static final Instant T0 = Instant.parse("2026-12-07T06:00:00Z");

  @Test
  @DisplayName("A transactional recipient id names its POST; backlog ids and malformed ones name none")
  void recipientIds() {
    assertThat(TransactionalLatency.recipientId(42)).isEqualTo("tx-42");
    assertThat(TransactionalLatency.indexOf("tx-42")).isEqualTo(42);
    assertThat(TransactionalLatency.indexOf("tx-0")).isZero();
    assertThat(TransactionalLatency.indexOf("r-42")).isEqualTo(-1);
    assertThat(TransactionalLatency.indexOf("tx-")).isEqualTo(-1);
    assertThat(TransactionalLatency.indexOf("tx-4x")).isEqualTo(-1);
    assertThat(TransactionalLatency.indexOf("tx--1")).isEqualTo(-1);
    assertThat(TransactionalLatency.indexOf(null)).isEqualTo(-1);
  }

  @Test
  @DisplayName("Each batch is one transactional recipient with the id the sink sees")
  void requestBody() {
    JsonObject body = new JsonObject(new String(TransactionalLatency.requestBody(7), java.nio.charset.StandardCharsets.UTF_8));
    assertThat(body.getString("priority")).isEqualTo("transactional");
    assertThat(body.getString("campaign")).isEqualTo(TransactionalLatency.CAMPAIGN).isNotEqualTo(Recipients.CAMPAIGN);
    assertThat(body.getJsonArray("recipients")).hasSize(1);
    assertThat(body.getJsonArray("recipients").getJsonObject(0).getString("id")).isEqualTo("tx-7");
  }

  @Test
  @DisplayName("Percentiles are nearest rank: of 1..100 ms, p50 is 50, p99 is 99, the max 100")
  void nearestRank() {
    long[] sorted = new long[100];
    for (int i = 0; i < 100; i++) {
      sorted[i] = (i + 1) * 1000L;
    }
    assertThat(TransactionalLatency.percentile(sorted, 50)).isEqualTo(50_000);
    assertThat(TransactionalLatency.percentile(sorted, 99)).isEqualTo(99_000);
    assertThat(TransactionalLatency.percentile(sorted, 100)).isEqualTo(100_000);
    assertThat(TransactionalLatency.percentile(new long[] {7}, 99)).isEqualTo(7);
    assertThat(TransactionalLatency.percentile(new long[0], 50)).isEqualTo(-1);
  }

  @Test
  @DisplayName("Latency runs from the start of a message's POST to its first arrival; later arrivals are duplicates")
  void firstArrivalAndDuplicates() {
    Map<Long, Instant> posts = new HashMap<>();
    List<Receipt> receipts = new ArrayList<>();
    for (long n = 0; n < 100; n++) {
      Instant posted = T0.plusMillis(50 * n);
      posts.put(n, posted);
      receipts.add(receipt("tx-" + n, posted.plusMillis(n + 1)));
    }
    receipts.add(receipt("tx-3", T0.plusSeconds(60)));
    receipts.add(receipt("tx-500", T0.plusMillis(10)));

    TransactionalLatency.Judged judged = TransactionalLatency.judge(posts, receipts, T0, T0.plusSeconds(5));

    assertThat(judged.accepted()).isEqualTo(100);
    assertThat(judged.delivered()).isEqualTo(100);
    assertThat(judged.lost()).isZero();
    assertThat(judged.duplicates()).isEqualTo(1);
    assertThat(judged.unmatched()).isEqualTo(1);
    assertThat(judged.percentileMicros(50)).isEqualTo(50_000);
    assertThat(judged.percentileMicros(99)).isEqualTo(99_000);
    assertThat(judged.maxMicros()).isEqualTo(100_000);
    assertThat(judged.latencyByMessage()).containsEntry(3L, 4_000L);
    JsonObject ms = judged.latencyJson();
    assertThat(ms.getDouble("p50")).isEqualTo(50.0);
    assertThat(ms.getDouble("p99")).isEqualTo(99.0);
    assertThat(ms.getDouble("max")).isEqualTo(100.0);
  }

  @Test
  @DisplayName("An accepted message that never arrived is lost; nothing arrived means no percentiles")
  void lost() {
    Map<Long, Instant> posts = Map.of(0L, T0, 1L, T0.plusMillis(50));
    TransactionalLatency.Judged judged = TransactionalLatency.judge(posts,
      List.of(receipt("tx-1", T0.plusMillis(80))), T0, T0.plusSeconds(1));
    assertThat(judged.lost()).isEqualTo(1);
    assertThat(judged.delivered()).isEqualTo(1);
    assertThat(judged.percentileMicros(99)).isEqualTo(30_000);

    TransactionalLatency.Judged none = TransactionalLatency.judge(posts, List.of(), T0, T0.plusSeconds(1));
    assertThat(none.lost()).isEqualTo(2);
    assertThat(none.latencyJson().getValue("p99")).isNull();
  }

  @Test
  @DisplayName("A receipt before its POST started is no arrival of it")
  void arrivalBeforePost() {
    TransactionalLatency.Judged judged = TransactionalLatency.judge(Map.of(0L, T0),
      List.of(receipt("tx-0", T0.minusMillis(1))), T0, T0.plusSeconds(1));
    assertThat(judged.unmatched()).isEqualTo(1);
    assertThat(judged.lost()).isEqualTo(1);
  }

  @Test
  @DisplayName("Backlog arrivals are counted before, during and after the window, once each")
  void backlogAroundTheWindow() {
    Instant start = T0.plusSeconds(10);
    Instant end = T0.plusSeconds(20);
    List<Receipt> receipts = List.of(
      receipt("r-1", T0.plusSeconds(5)),
      receipt("r-2", start),
      receipt("r-3", T0.plusSeconds(15)),
      receipt("r-3", T0.plusSeconds(16)),
      receipt("r-4", end),
      receipt("r-5", T0.plusSeconds(21)));
    TransactionalLatency.Judged judged = TransactionalLatency.judge(Map.of(), receipts, start, end);
    assertThat(judged.backlogBeforeWindow()).isEqualTo(1);
    assertThat(judged.backlogDuringWindow()).isEqualTo(3);
    assertThat(judged.backlogAfterWindow()).isEqualTo(1);
    assertThat(judged.backlogDuplicates()).isEqualTo(1);
    assertThat(judged.duplicates()).isZero();
  }

  @Test
  @DisplayName("Delivered messages split into those handed over at intake and those claimed, with the wait for the claim")
  void paths() {
    Map<Long, Long> latency = Map.of(0L, 10_000L, 1L, 20_000L, 2L, 900_000L, 3L, 1_200_000L, 4L, 5_000L);
    Map<String, Long> delays = Map.of("tx-0", -1L, "tx-1", -1L, "tx-2", 850L, "tx-3", 1_100L);

    JsonObject paths = TransactionalLatency.paths(latency, delays);

    JsonObject handed = paths.getJsonObject("handed_over");
    assertThat(handed.getLong("messages")).isEqualTo(2);
    assertThat(handed.getDouble("p50_ms")).isEqualTo(10.0);
    assertThat(handed.getDouble("max_ms")).isEqualTo(20.0);
    JsonObject claimed = paths.getJsonObject("claimed");
    assertThat(claimed.getLong("messages")).isEqualTo(2);
    assertThat(claimed.getDouble("p99_ms")).isEqualTo(1200.0);
    assertThat(claimed.getJsonObject("wait_for_claim").getDouble("p50_ms")).isEqualTo(850.0);
    assertThat(claimed.getJsonObject("wait_for_claim").getDouble("max_ms")).isEqualTo(1100.0);
    assertThat(paths.getLong("unknown")).isEqualTo(1);
  }

  private static Receipt receipt(String recipientId, Instant at) {
    return new Receipt("relay-" + recipientId, 1, "email", recipientId + "@example.com", Recipients.TENANT, "c",
      recipientId, "en-US", new JsonObject(), "sbx_" + recipientId, at);
  }
}
