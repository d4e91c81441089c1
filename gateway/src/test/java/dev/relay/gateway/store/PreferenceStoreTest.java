package dev.relay.gateway.store;

import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.store.PreferenceStore.Choice;
import dev.relay.gateway.store.PreferenceStore.Label;
import dev.relay.gateway.store.PreferenceStore.Lookup;
import dev.relay.gateway.store.PreferenceStore.Source;
import dev.relay.gateway.store.PreferenceStore.Topic;
import dev.relay.gateway.store.PreferenceStore.TopicChoice;
import dev.relay.gateway.testing.TestDatabase;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.relay.gateway.testing.TestGateway.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The topics and preferences store (V18) on a migrated database of its own. */
@DisplayName("Topics and recipients' preferences in the store")
class PreferenceStoreTest {

  private static final TestDatabase DATABASE = TestDatabase.fresh();
  private static Vertx vertx;
  private static Pool pool;
  private static PreferenceStore store;
  private static long tenant;

  @BeforeAll
  static void migrate() throws Exception {
    RelayConfig config = RelayConfig.of(TestGateway.settings(DATABASE));
    Database.ensureExists(config);
    Database.migrate(config);
    vertx = Vertx.vertx();
    pool = Database.pool(vertx, config);
    store = new PreferenceStore(pool);
    tenant = DATABASE.count("INSERT INTO tenants (name) VALUES ('acme') RETURNING id");
    await(store.putTopic(tenant, Topic.of("newsletter", "Monthly news", true, true,
      Map.of("tr", new Label("Bülten", "Aylık haberler"), "en", new Label("Newsletter", null)))));
    await(store.putTopic(tenant, Topic.of("offers", "Discounts", true, false, Map.of())));
    await(store.putTopic(tenant, Topic.of("surveys", "Surveys", false, false, Map.of())));
  }

  @AfterAll
  static void drop() throws Exception {
    await(pool.close());
    await(vertx.close());
    DATABASE.close();
  }

  private static Map<String, TopicChoice> choices(String recipient) {
    Map<String, TopicChoice> byName = new java.util.HashMap<>();
    for (TopicChoice c : await(store.preferences(tenant, recipient)).topics()) {
      byName.put(c.topic().name(), c);
    }
    return byName;
  }

  @Test
  @DisplayName("a topic is created once and then replaced; its label follows the recipient's locale")
  void topics() {
    assertThat(await(store.putTopic(tenant, Topic.of("news2", "a", true, false, Map.of())))).isTrue();
    assertThat(await(store.putTopic(tenant, Topic.of("news2", "b", false, false, Map.of())))).isFalse();
    assertThat(await(store.topic(tenant, "news2")).orElseThrow().description()).isEqualTo("b");
    Topic newsletter = await(store.topic(tenant, "newsletter")).orElseThrow();
    assertThat(newsletter.label("tr-TR")).isEqualTo(new Label("Bülten", "Aylık haberler"));
    assertThat(newsletter.label("de")).isEqualTo(new Label("Newsletter", "Monthly news"));
    assertThat(await(store.topics(tenant))).extracting(Topic::name).contains("newsletter", "offers", "surveys");
  }

  @Test
  @DisplayName("a recipient never seen has every topic's default; a choice is recorded once with its source")
  void choicesAndHistory() {
    Map<String, TopicChoice> fresh = choices("r-defaults");
    assertThat(fresh.get("newsletter").optedIn()).isTrue();
    assertThat(fresh.get("surveys").optedIn()).isFalse();
    assertThat(fresh.get("surveys").origin()).isEqualTo("default");

    List<PreferenceStore.Change> changed = await(store.set(tenant, "r1", List.of(new Choice("newsletter", null, false),
      new Choice("newsletter", "sms", false)), Source.API, null));
    assertThat(changed).hasSize(2);
    assertThat(await(store.set(tenant, "r1", List.of(new Choice("newsletter", null, false)), Source.API, null)))
      .isEmpty();
    TopicChoice newsletter = choices("r1").get("newsletter");
    assertThat(newsletter.optedIn()).isFalse();
    assertThat(newsletter.source()).isEqualTo("api");
    assertThat(newsletter.channels()).isEqualTo(Map.of("sms", false));

    await(store.set(tenant, "r1", List.of(new Choice("newsletter", null, true)), Source.PREFERENCE_PAGE, 7L));
    newsletter = choices("r1").get("newsletter");
    assertThat(newsletter.optedIn("email")).isTrue();
    assertThat(newsletter.optedIn("sms")).isFalse();
    List<PreferenceStore.Change> history = await(store.history(tenant, "r1", 10));
    assertThat(history).hasSize(3);
    assertThat(history.get(0).source()).isEqualTo("preference-page");
    assertThat(history.get(0).messageId()).isEqualTo(7L);
    assertThat(history.get(0).optedIn()).isTrue();
  }

  @Test
  @DisplayName("an unknown topic or a channel of a topic without choices per channel changes nothing")
  void refused() {
    assertThatThrownBy(() -> await(store.set(tenant, "r2", List.of(new Choice("offers", null, false),
      new Choice("nope", null, false)), Source.API, null)))
      .cause().isInstanceOfSatisfying(PreferenceStore.Refused.class, r -> {
        assertThat(r.type()).isEqualTo("unknown-topic");
        assertThat(r.topic()).isEqualTo("nope");
      });
    assertThatThrownBy(() -> await(store.set(tenant, "r2", List.of(new Choice("offers", "sms", false)),
      Source.API, null)))
      .cause().isInstanceOfSatisfying(PreferenceStore.Refused.class, r -> assertThat(r.type())
        .isEqualTo("per-channel-not-offered"));
    assertThat(choices("r2").get("offers").optedIn()).isTrue();
    assertThat(await(store.history(tenant, "r2", 10))).isEmpty();
  }

  @Test
  @DisplayName("opting out of all topics covers topics made later, and a later choice of a topic wins again")
  void optOutAll() {
    await(store.set(tenant, "r3", List.of(new Choice("surveys", null, true)), Source.API, null));
    assertThat(await(store.optOutAll(tenant, "r3", Source.ONE_CLICK, 9L))).isTrue();
    assertThat(await(store.optOutAll(tenant, "r3", Source.ONE_CLICK, 9L))).isFalse();
    await(store.putTopic(tenant, Topic.of("later", "made later", true, false, Map.of())));
    PreferenceStore.Preferences prefs = await(store.preferences(tenant, "r3"));
    assertThat(prefs.allOptedOut()).isTrue();
    assertThat(prefs.topics()).allSatisfy(c -> assertThat(c.optedIn()).isFalse());
    assertThat(choices("r3").get("surveys").origin()).isEqualTo("all_topics");

    await(store.set(tenant, "r3", List.of(new Choice("offers", null, true)), Source.PREFERENCE_PAGE, null));
    assertThat(choices("r3").get("offers").optedIn()).isTrue();
    Map<Lookup, PreferenceStore.Resolved> resolved = await(store.resolveMany(List.of(
      new Lookup(tenant, "r3", "offers"), new Lookup(tenant, "r3", "later"), new Lookup(tenant, "r9", "surveys"),
      new Lookup(tenant, "r9", "unknown"))));
    assertThat(resolved.get(new Lookup(tenant, "r3", "offers")).optedIn("email")).isTrue();
    assertThat(resolved.get(new Lookup(tenant, "r3", "later")).optedIn("email")).isFalse();
    assertThat(resolved.get(new Lookup(tenant, "r9", "surveys")).optedIn("email")).isFalse();
    assertThat(resolved).doesNotContainKey(new Lookup(tenant, "r9", "unknown"));

    assertThat(await(store.history(tenant, "r3", 10))).extracting(c -> c.topic() + "/" + c.optedIn() + "/" + c.source())
      .containsExactly("offers/true/preference-page", "*/false/one-click", "surveys/false/one-click",
        "surveys/true/api");
    assertThat(await(store.set(tenant, "r3", List.of(new Choice(PreferenceStore.ALL, null, true)), Source.API, null)))
      .hasSize(1);
    assertThat(await(store.set(tenant, "r3", List.of(new Choice(PreferenceStore.ALL, null, true)), Source.API, null)))
      .isEmpty();
    assertThat(choices("r3").get("later").optedIn()).isTrue();
    assertThat(choices("r3").get("surveys").origin()).isEqualTo("default");
    assertThat(choices("r3").get("offers").origin()).isEqualTo("explicit");
  }
}
