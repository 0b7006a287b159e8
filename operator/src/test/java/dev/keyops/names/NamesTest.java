package dev.keyops.names;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NamesTest {

  static final String DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  static final String SUBDOMAIN = DNS_LABEL + "(\\." + DNS_LABEL + ")*";
  static final String LABEL_VALUE = "([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?";

  static String name(int length, boolean dots) {
    return dev.keyops.testing.LongNames.of(length, dots);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 52, 62, 63, 64, 200, 253})
  void everyDerivedNameIsValid(int length) {
    for (boolean dots : new boolean[] {false, true}) {
      String n = name(length, dots);
      check(Names.dnsLabel(n), DNS_LABEL, 63, n);
      check(Names.dnsLabel(n, 7), DNS_LABEL, 56, n);
      check(Names.dnsLabel("keyops-key-" + n), DNS_LABEL, 63, n);
      check(Names.subdomain("keyops-key-" + n, 0), SUBDOMAIN, 253, n);
      check(Names.subdomain(n, 9), SUBDOMAIN, 244, n);
      check(Names.labelValue(n), LABEL_VALUE, 63, n);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 40, 45, 46, 63, 200, 253})
  void aSuffixIsKeptWholeHoweverLongTheBase(int length) {
    for (boolean dots : new boolean[] {false, true}) {
      String n = name(length, dots);
      String a = Names.dnsLabel(n, "20260101-000000", 17);
      String b = Names.dnsLabel(n, "20260101-000001-2", 17);
      check(a, DNS_LABEL, 63, n);
      check(b, DNS_LABEL, 63, n);
      assertTrue(a.endsWith("-20260101-000000"), a);
      assertTrue(b.endsWith("-20260101-000001-2"), b);
      assertEquals(a.substring(0, a.length() - 15), b.substring(0, b.length() - 17), "same head");
      assertTrue(a.compareTo(b) < 0, "sorted by the suffix: " + a + " " + b);
    }
    assertEquals("orders-20260101-000000", Names.dnsLabel("orders", "20260101-000000", 17));
  }

  private static void check(String derived, String pattern, int max, String from) {
    assertTrue(
        derived.length() <= max, derived + " is longer than " + max + " (from " + from + ")");
    assertTrue(derived.matches(pattern), derived + " is not valid (from " + from + ")");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "payments",
        "a",
        "ring-1",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
      })
  void validNamesAreKept(String n) {
    assertEquals(n, Names.dnsLabel(n));
    assertEquals(n, Names.labelValue(n));
    assertEquals(n, Names.subdomain(n, 0));
  }

  @ParameterizedTest
  @ValueSource(ints = {64, 100, 253})
  void longNamesSharingAPrefixStayDistinct(int length) {
    String a = name(length, false);
    String b = a.substring(0, length - 1) + "9";
    assertNotEquals(Names.dnsLabel(a), Names.dnsLabel(b));
    assertNotEquals(Names.labelValue(a), Names.labelValue(b));
    assertEquals(Names.dnsLabel(a), Names.dnsLabel(a), "deterministic");
  }

  @org.junit.jupiter.api.Test
  void dotsAreReplacedInLabelsAndKeptInSubdomains() {
    assertEquals("team.a", Names.subdomain("team.a", 0));
    String label = Names.dnsLabel("team.a");
    assertTrue(label.matches(DNS_LABEL), label);
    assertNotEquals(Names.dnsLabel("team.a"), Names.dnsLabel("team-a"), "no collision");
    assertEquals("team.a", Names.labelValue("team.a"));
  }
}
