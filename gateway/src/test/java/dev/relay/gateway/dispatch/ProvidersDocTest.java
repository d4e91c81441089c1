package dev.relay.gateway.dispatch;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/providers.md, "What each adapter sends and receives, and the test for each", against the repository: every
 * adapter has its entry, every row of an adapter's table names a test, and every test it names exists.
 */
@DisplayName("docs/providers.md: each adapter's documented exchanges and their tests")
class ProvidersDocTest {

  private static final Path ROOT = Path.of("..");
  private static final String SECTION = "### What each adapter sends and receives, and the test for each";
  /** {@code `SomeTest`}, {@code `SomeTest#method`} or, after one of those, {@code `#method`}. */
  private static final Pattern REFERENCE = Pattern.compile("`([A-Z]\\w*Test)(?:#(\\w+))?`|`#(\\w+)`");
  private static final Pattern ROW = Pattern.compile("^\\| (sends|receives|webhook|handshake) \\|.*\\|(.*)\\|$");

  private static String section() throws IOException {
    String doc = Files.readString(ROOT.resolve("docs/providers.md"));
    assertThat(doc).contains(SECTION);
    String rest = doc.substring(doc.indexOf(SECTION) + SECTION.length());
    int next = rest.indexOf("\n#");
    return next < 0 ? rest : rest.substring(0, next);
  }

  /** Each test class of the repository by simple name, with its source. */
  private static Map<String, String> tests() throws IOException {
    Map<String, String> tests = new HashMap<>();
    try (Stream<Path> files = Files.walk(ROOT)) {
      files.filter(p -> !p.toString().contains("/.") && !p.toString().contains("/node_modules/"))
        .filter(p -> p.toString().contains("/src/test/java/") && p.toString().endsWith("Test.java"))
        .filter(p -> !p.toString().contains("/target/"))
        .forEach(p -> {
          try {
            tests.put(p.getFileName().toString().replace(".java", ""), Files.readString(p));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
    }
    return tests;
  }

  @Test
  @DisplayName("every adapter Relay ships (found on the class path, the test kit's sandbox aside) has an entry")
  void everyAdapterHasAnEntry() throws IOException {
    String section = section();
    List<String> adapters = Adapters.discover(getClass().getClassLoader()).keySet().stream()
      .filter(name -> !name.startsWith("sandbox-")).toList();
    assertThat(adapters).as("adapters").hasSizeGreaterThanOrEqualTo(8);
    for (String adapter : adapters) {
      assertThat(section).as(adapter).contains("**" + adapter + "**");
    }
  }

  @Test
  @DisplayName("every row names a test, and every test named (class, and method where given) exists")
  void everyNamedTestExists() throws IOException {
    Map<String, String> tests = tests();
    int rows = 0;
    int references = 0;
    for (String line : section().split("\n")) {
      Matcher row = ROW.matcher(line.trim());
      if (row.matches()) {
        rows++;
        assertThat(REFERENCE.matcher(row.group(2)).find()).as("a test for: %s", line).isTrue();
      }
      String current = null;
      Matcher reference = REFERENCE.matcher(line);
      while (reference.find()) {
        references++;
        if (reference.group(1) != null) {
          current = reference.group(1);
          assertThat(tests).as("%s, named in: %s", current, line).containsKey(current);
        }
        String method = reference.group(1) != null ? reference.group(2) : reference.group(3);
        if (method != null) {
          assertThat(current).as("a class before #%s in: %s", method, line).isNotNull();
          assertThat(tests.get(current)).as("%s#%s, named in: %s", current, method, line)
            .containsPattern("void\\s+" + method + "\\s*\\(");
        }
      }
    }
    assertThat(rows).as("table rows").isGreaterThanOrEqualTo(30);
    assertThat(references).as("test references").isGreaterThanOrEqualTo(50);
  }
}
