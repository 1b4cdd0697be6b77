package chatworker.status;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text format (0.0.4), to check a scrape line by line: every
 * {@code # HELP name text} and {@code # TYPE name type} well-formed, at most one of each per metric
 * and before its samples; every other line {@code name{label="value",…} value [timestamp]}, its name
 * belonging to a metric whose TYPE came first; label values properly escaped; no sample twice.
 */
final class PrometheusText {

  /** One sample line. */
  record Sample(String name, Map<String, String> labels, double value) {
  }

  private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  private static final Pattern HELP = Pattern.compile("# HELP (" + NAME + ") (.*)");
  private static final Pattern TYPE = Pattern.compile(
      "# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)");
  private static final Pattern SAMPLE = Pattern.compile(
      "(" + NAME + ")(\\{(.*)})? (\\S+)( -?[0-9]+)?");
  private static final Pattern LABEL = Pattern.compile(
      "([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\\\n]|\\\\[\\\\\"n])*)\"");
  private static final Pattern VALUE = Pattern.compile(
      "NaN|[+-]Inf|[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?");
  private static final Pattern HELP_TEXT = Pattern.compile("(?:[^\\\\\\n]|\\\\[\\\\n])*");

  private final Map<String, String> types = new LinkedHashMap<>();
  private final List<Sample> samples = new ArrayList<>();

  private PrometheusText() {
  }

  /** Parses a whole scrape; throws an IllegalArgumentException naming the first bad line. */
  static PrometheusText parse(String body) {
    if (!body.isEmpty() && !body.endsWith("\n")) {
      throw new IllegalArgumentException("the last line does not end with a newline");
    }
    PrometheusText text = new PrometheusText();
    Set<String> helped = new HashSet<>();
    Set<String> seen = new HashSet<>();
    String[] lines = body.split("\n", -1);
    for (int i = 0; i < lines.length - 1; i++) {
      String line = lines[i];
      try {
        text.line(line, helped, seen);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("line " + (i + 1) + ": " + e.getMessage() + ": " + line, e);
      }
    }
    return text;
  }

  private void line(String line, Set<String> helped, Set<String> seen) {
    if (line.isEmpty()) {
      return;
    }
    String[] tokens = line.split("\\s+", 3);
    String keyword = line.startsWith("#") && tokens.length > 1 ? tokens[1] : "";
    if (keyword.equals("HELP")) {
      Matcher help = matching(HELP, line, "malformed HELP");
      matching(HELP_TEXT, help.group(2), "badly escaped HELP text");
      check(helped.add(help.group(1)), "second HELP for " + help.group(1));
    } else if (keyword.equals("TYPE")) {
      Matcher type = matching(TYPE, line, "malformed TYPE");
      check(!types.containsKey(type.group(1)), "second TYPE for " + type.group(1));
      check(samples.stream().noneMatch(s -> family(s.name()).equals(type.group(1))), "TYPE after samples");
      types.put(type.group(1), type.group(2));
    } else if (line.startsWith("#")) {
      return; // a plain comment
    } else {
      Matcher sample = matching(SAMPLE, line, "not `name{labels} value`");
      Map<String, String> labels = labels(sample.group(3) == null ? "" : sample.group(3));
      check(VALUE.matcher(sample.group(4)).matches(), "bad value " + sample.group(4));
      String name = sample.group(1);
      check(types.containsKey(family(name)), "no TYPE before " + name);
      check(seen.add(name + labels), "duplicate sample");
      samples.add(new Sample(name, labels, parseValue(sample.group(4))));
    }
  }

  /** The metric a sample belongs to: histograms and summaries add suffixes to their name. */
  private String family(String sampleName) {
    for (String suffix : List.of("_bucket", "_sum", "_count")) {
      if (!sampleName.endsWith(suffix)) {
        continue;
      }
      String base = sampleName.substring(0, sampleName.length() - suffix.length());
      if ("histogram".equals(types.get(base)) || "summary".equals(types.get(base))) {
        return base;
      }
    }
    return sampleName;
  }

  private static Map<String, String> labels(String text) {
    Map<String, String> labels = new LinkedHashMap<>();
    Matcher label = LABEL.matcher(text);
    int at = 0;
    while (at < text.length()) {
      check(label.find(at) && label.start() == at, "malformed labels {" + text + "}");
      check(labels.put(label.group(1), label.group(2)) == null, "label twice: " + label.group(1));
      at = label.end();
      if (at < text.length()) {
        check(text.charAt(at) == ',', "labels not separated by commas");
        at++;
      }
    }
    return labels;
  }

  private static double parseValue(String value) {
    return switch (value) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(value);
    };
  }

  private static Matcher matching(Pattern pattern, String text, String problem) {
    Matcher matcher = pattern.matcher(text);
    check(matcher.matches(), problem);
    return matcher;
  }

  private static void check(boolean ok, String problem) {
    if (!ok) {
      throw new IllegalArgumentException(problem);
    }
  }

  /** Metric names (as in TYPE lines) with their types. */
  Map<String, String> types() {
    return types;
  }

  List<Sample> samples() {
    return samples;
  }

  /** The value of the one sample with this name whose labels include the given ones (k1, v1, k2, v2…). */
  double value(String name, String... labelPairs) {
    Map<String, String> wanted = new HashMap<>();
    for (int i = 0; i < labelPairs.length; i += 2) {
      wanted.put(labelPairs[i], labelPairs[i + 1]);
    }
    List<Sample> found = samples.stream().filter(s -> s.name().equals(name))
        .filter(s -> s.labels().entrySet().containsAll(wanted.entrySet())).toList();
    if (found.size() != 1) {
      throw new AssertionError(found.size() + " samples " + name + wanted + " in the scrape");
    }
    return found.get(0).value();
  }
}
