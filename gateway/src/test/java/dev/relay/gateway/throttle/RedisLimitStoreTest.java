package dev.relay.gateway.throttle;

import dev.relay.gateway.testing.PrivateRedis;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

import java.util.UUID;

import static dev.relay.gateway.testing.TestGateway.await;

@DisplayName("Limits in Redis (the scripts): the LimitStore contract")
class RedisLimitStoreTest extends LimitStoreContract {

  private static PrivateRedis server;
  private static Vertx vertx;
  private static Redis redis;
  private final String prefix = "limits-test:" + UUID.randomUUID();

  @BeforeAll
  static void start() throws Exception {
    server = PrivateRedis.start();
    vertx = Vertx.vertx();
    redis = Redis.createClient(vertx, server.uri());
  }

  @AfterAll
  static void stop() throws Exception {
    redis.close();
    await(vertx.close());
    server.close();
  }

  @Override
  LimitStore store() {
    return LimitStore.redis(redis, false, 5_000);
  }

  @Override
  String key(String name) {
    return prefix + ":" + name;
  }
}
