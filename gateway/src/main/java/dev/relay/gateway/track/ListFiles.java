package dev.relay.gateway.track;

import dev.relay.gateway.config.ConfigException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reads the classifier's lists: shipped ones from the class path, the operator's from files. */
final class ListFiles {

  private ListFiles() {
  }

  /** The lines of a shipped list (missing from the jar is a packaging error). */
  static List<String> resource(String name) {
    try (InputStream in = ListFiles.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The lines of an operator's file named by {@code setting}; one that cannot be read fails naming both. */
  static List<String> read(String setting, Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(setting + " " + file + " cannot be read: " + e);
    }
  }
}
