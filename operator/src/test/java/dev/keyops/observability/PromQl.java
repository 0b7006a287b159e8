package dev.keyops.observability;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression (an alert's, a Grafana panel's) reads. Enough PromQL for the
 * expressions keyops ships: string literals, label matchers, ranges, and the label lists of
 * by/without/on/ignoring/group_left/group_right are set aside; what remains of the identifiers,
 * less keywords and anything called like a function, are metric names.
 */
final class PromQl {

  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'[^']*'");
  private static final Pattern MATCHERS = Pattern.compile("\\{[^{}]*}");
  private static final Pattern RANGE = Pattern.compile("\\[[^\\[\\]]*]");
  private static final Pattern LABEL_LIST =
      Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^()]*\\)");
  private static final Pattern IDENTIFIER =
      Pattern.compile("(?<![\\w$:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");
  private static final Set<String> KEYWORDS =
      Set.of(
          "and",
          "or",
          "unless",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "bool",
          "offset",
          "inf",
          "nan");

  private PromQl() {}

  static Set<String> metricNames(String expr) {
    String s = STRING.matcher(expr).replaceAll("\"\"");
    s = MATCHERS.matcher(s).replaceAll(" ");
    s = RANGE.matcher(s).replaceAll(" ");
    s = LABEL_LIST.matcher(s).replaceAll(" ");
    Set<String> out = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(s);
    while (m.find()) {
      String name = m.group(1);
      boolean call = m.group(2) != null;
      if (!call && !KEYWORDS.contains(name.toLowerCase())) {
        out.add(name);
      }
    }
    return out;
  }
}
