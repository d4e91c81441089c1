package dev.relay.gateway.dispatch;

import dev.relay.adapters.spi.Channel;
import dev.relay.gateway.config.RelayConfig;
import dev.relay.gateway.lifecycle.Lifecycle;
import dev.relay.gateway.lifecycle.Lifecycle.Transition;
import dev.relay.gateway.lifecycle.MessageState;
import dev.relay.gateway.store.Database;
import dev.relay.gateway.store.Queries;
import dev.relay.gateway.testing.TestDatabase;
import dev.relay.gateway.testing.TestGateway;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lifecycle of a message in one place: {@link Lifecycle#TRANSITIONS} is checked against the table in
 * {@code docs/lifecycle.md}, the database's CHECK, every statement of {@code queries.sql} that writes a message's
 * state, and every {@link Outcome} the dispatcher can decide. A state or a transition added anywhere without a
 * row fails here.
 */
@DisplayName("The message lifecycle: one table of every transition")
class LifecycleTest {

  private static final Path TABLE = Path.of("..", "docs", "lifecycle.md");
  private static final Pattern WRITES_STATE = Pattern.compile(
    "(?is)INSERT\\s+INTO\\s+messages\\b|UPDATE\\s+messages\\b(?:(?!RETURNING).)*?\\bSET\\b(?:(?!\\bFROM\\b|\\bWHERE\\b).)*"
      + "\\bstate\\s*=");
  private static final Pattern OUTCOME = Pattern.compile("Outcome\\.(\\w+)");

  private static String statementOf(Transition t) {
    return t.madeBy().split(" ← ")[0];
  }

  @Test
  @DisplayName("docs/lifecycle.md lists exactly these transitions, in this order")
  void docsTableIsTheList() throws Exception {
    List<String> documented = Files.readAllLines(TABLE).stream()
      .filter(line -> line.startsWith("| ") && !line.startsWith("| From ")).toList();
    List<String> expected = Lifecycle.TRANSITIONS.stream().map(LifecycleTest::row).toList();
    assertThat(documented).as("the rows of " + TABLE + " (expected rows:%n%s)", String.join("\n", expected))
      .containsExactlyElementsOf(expected);
  }

  private static String row(Transition t) {
    String from = t.from().isEmpty() ? "—"
      : t.from().stream().sorted().map(s -> "`" + s.wireName() + "`").collect(Collectors.joining(", "));
    String madeBy = Arrays.stream(t.madeBy().split(" ← ")).map(part -> "`" + part + "`")
      .collect(Collectors.joining(" ← "));
    return "| " + from + " | `" + t.to().wireName() + "` | " + t.cause() + " | " + madeBy + " |";
  }

  @Test
  @DisplayName("the database's CHECK allows exactly the states of MessageState")
  void databaseStatesAreTheEnum() throws Exception {
    try (TestDatabase database = TestDatabase.fresh()) {
      RelayConfig config = RelayConfig.of(TestGateway.settings(database));
      Database.ensureExists(config);
      Database.migrate(config);
      String check;
      try (Connection c = database.connect(); Statement s = c.createStatement();
           ResultSet rows = s.executeQuery("SELECT pg_get_constraintdef(oid) FROM pg_constraint"
             + " WHERE conname = 'messages_state_check'")) {
        assertThat(rows.next()).isTrue();
        check = rows.getString(1);
      }
      Set<String> allowed = new TreeSet<>();
      Matcher quoted = Pattern.compile("'([a-z_]+)'").matcher(check);
      while (quoted.find()) {
        allowed.add(quoted.group(1));
      }
      assertThat(allowed).containsExactlyInAnyOrderElementsOf(
        Arrays.stream(MessageState.values()).map(MessageState::wireName).toList());
    }
  }

  @Test
  @DisplayName("every state is reached by a transition, but those kept unreached on purpose")
  void everyStateIsReached() {
    Set<MessageState> reached = EnumSet.noneOf(MessageState.class);
    Lifecycle.TRANSITIONS.forEach(t -> reached.add(t.to()));
    Set<MessageState> unreached = EnumSet.allOf(MessageState.class);
    unreached.removeAll(reached);
    assertThat(unreached).isEqualTo(Lifecycle.UNREACHED);
  }

  @Test
  @DisplayName("every statement that writes a message's state is a transition's, and every transition's statement exists")
  void everyStatementWritingAStateHasARow() {
    Set<String> writers = new TreeSet<>();
    for (String name : Queries.names()) {
      if (WRITES_STATE.matcher(Queries.sql(name)).find()) {
        writers.add(name);
      }
    }
    Set<String> named = Lifecycle.TRANSITIONS.stream().map(LifecycleTest::statementOf)
      .collect(Collectors.toCollection(TreeSet::new));
    assertThat(writers).as("statements of queries.sql that write messages.state").isEqualTo(named);
  }

  @Test
  @DisplayName("every Outcome the dispatcher can decide is a transition of dispatch-record to the state it writes")
  void everyOutcomeHasARow() throws Exception {
    List<String> factories = new ArrayList<>();
    for (Method method : Outcome.class.getDeclaredMethods()) {
      if (Modifier.isStatic(method.getModifiers()) && method.getReturnType() == Outcome.class) {
        factories.add(method.getName());
        Outcome outcome = (Outcome) method.invoke(null, sampleArguments(method));
        List<Transition> rows = Lifecycle.TRANSITIONS.stream()
          .filter(t -> t.madeBy().equals("dispatch-record ← Outcome." + method.getName())).toList();
        assertThat(rows).as("the rows of Outcome." + method.getName()).hasSize(1);
        assertThat(rows.get(0).to()).as("the state Outcome." + method.getName() + " writes").isEqualTo(outcome.state());
        assertThat(rows.get(0).from()).isEqualTo(EnumSet.of(MessageState.SENDING));
      }
    }
    List<String> named = Lifecycle.TRANSITIONS.stream().map(t -> OUTCOME.matcher(t.madeBy()))
      .filter(Matcher::find).map(m -> m.group(1)).toList();
    assertThat(named).containsExactlyInAnyOrderElementsOf(factories);
  }

  private static Object[] sampleArguments(Method method) {
    Claimed claimed = new Claimed(1, 1, 1, 1, "acme", "spring", "r1", new JsonObject().put("email", "a@example.com"),
      "en", new JsonObject(), false, 0, List.of(Channel.EMAIL), 1L, dev.relay.gateway.lifecycle.Priority.MARKETING, "UTC", false, "news");
    return Arrays.stream(method.getParameterTypes()).map(type -> {
      if (type == Claimed.class) {
        return claimed;
      } else if (type == int.class) {
        return 0;
      } else if (type == long.class || type == Long.class) {
        return 0L;
      } else if (type == String.class) {
        return "x";
      }
      throw new AssertionError("no sample for " + type + " of Outcome." + method.getName());
    }).toArray();
  }
}
