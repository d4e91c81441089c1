package dev.relay.gateway.track;

import dev.relay.gateway.config.ConfigException;
import dev.relay.gateway.config.Networks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Published networks of mail privacy proxies, security scanners and crawlers, each list from a file that states its
 * name, the reason its hits get, what it marks ({@code opens}, {@code clicks} or {@code both}), its date and its
 * source in {@code # key: value} header lines, then one network a line (the first comma-separated field, so that
 * Apple's {@code egress-ip-ranges.csv} lines paste as they are). Shipped excerpts live in {@code tracking/networks/};
 * {@code tracking.network-lists} names the operator's files or directories instead.
 */
final class NetworkLists {

  static final List<String> SHIPPED = List.of("tracking/networks/apple-private-relay.txt",
    "tracking/networks/microsoft-365-eop.txt", "tracking/networks/google-crawlers.txt");
  private static final List<String> REQUIRED = List.of("name", "reason", "marks", "date", "source");

  /** One list: what its hits are marked and on which kind of hit. */
  record NetworkList(String name, String reason, boolean opens, boolean clicks, String date, String source,
                     Networks networks) {
  }

  private final List<NetworkList> lists;

  private NetworkLists(List<NetworkList> lists) {
    this.lists = List.copyOf(lists);
  }

  /** The lists of the files and directories named (comma-separated), or the shipped ones when blank. */
  static NetworkLists load(List<String> paths) {
    List<NetworkList> lists = new ArrayList<>();
    if (paths.isEmpty()) {
      for (String resource : SHIPPED) {
        lists.add(parse("classpath:" + resource, ListFiles.resource(resource)));
      }
    } else {
      for (String entry : paths) {
        for (Path file : files(Path.of(entry))) {
          lists.add(parse(file.toString(), ListFiles.read("tracking.network-lists", file)));
        }
      }
    }
    return new NetworkLists(lists);
  }

  List<NetworkList> lists() {
    return lists;
  }

  /** The reason of the first list that holds this address and marks this kind of hit, or null. */
  String match(String ip, boolean open) {
    for (NetworkList list : lists) {
      if ((open ? list.opens() : list.clicks()) && list.networks().contains(ip)) {
        return list.reason();
      }
    }
    return null;
  }

  static NetworkList parse(String source, List<String> lines) {
    Map<String, String> header = new HashMap<>();
    List<String> entries = new ArrayList<>();
    for (String raw : lines) {
      String line = raw.strip();
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("#")) {
        int colon = line.indexOf(':');
        String key = colon < 0 ? "" : line.substring(1, colon).strip();
        if (REQUIRED.contains(key) && !header.containsKey(key)) {
          header.put(key, line.substring(colon + 1).strip());
        }
        continue;
      }
      entries.add(line.split(",", 2)[0].strip());
    }
    for (String key : REQUIRED) {
      if (header.getOrDefault(key, "").isEmpty()) {
        throw new ConfigException("tracking network list " + source + " has no '# " + key + ":' line (every list "
          + "states name, reason, marks, date and source)");
      }
    }
    String marks = header.get("marks");
    if (!List.of("opens", "clicks", "both").contains(marks)) {
      throw new ConfigException("tracking network list " + source + ": marks must be opens, clicks or both, not " + marks);
    }
    return new NetworkList(header.get("name"), header.get("reason"), !"clicks".equals(marks), !"opens".equals(marks),
      header.get("date"), header.get("source"), Networks.parse("tracking network list " + source, entries));
  }

  private static List<Path> files(Path path) {
    if (!Files.isDirectory(path)) {
      return List.of(path);
    }
    try (Stream<Path> listed = Files.list(path)) {
      return listed.filter(p -> p.getFileName().toString().endsWith(".txt") || p.getFileName().toString().endsWith(".csv"))
        .sorted().toList();
    } catch (IOException e) {
      throw new ConfigException("tracking.network-lists " + path + " cannot be listed: " + e);
    }
  }
}
