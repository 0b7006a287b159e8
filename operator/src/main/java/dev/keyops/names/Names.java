package dev.keyops.names;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Every name keyops derives from a user's object name goes through here, so that it is valid for
 * every name the API server accepts (object names may have 253 characters and dots; labels and DNS
 * labels only 63). A name that fits is kept as it is; one that does not is cut and given a short
 * suffix hashed from the whole original, so two long names that share a prefix never collide and
 * the same input always gives the same name.
 */
public final class Names {

  /** Longest DNS label (RFC 1123), and longest label value. */
  public static final int DNS_LABEL = 63;

  /** Longest DNS subdomain (RFC 1123), the limit of most object names. */
  public static final int DNS_SUBDOMAIN = 253;

  private static final int HASH_CHARS = 8;

  private Names() {}

  /**
   * A DNS label (lower-case letters, digits and '-', at most {@code 63 - reserve} characters,
   * starts and ends with a letter or digit) derived from {@code base}.
   *
   * @param reserve characters left free for a suffix that another component appends (for example
   *     the {@code -<index>} the Job controller adds to an Indexed Job's pod hostnames)
   */
  public static String dnsLabel(String base, int reserve) {
    return fit(base, DNS_LABEL - reserve, false);
  }

  /** A DNS label of at most 63 characters derived from {@code base}. */
  public static String dnsLabel(String base) {
    return dnsLabel(base, 0);
  }

  /**
   * A DNS label of at most 63 characters that ends in {@code "-" + suffix}, kept whole: {@code
   * base} is fitted (cut and hash-suffixed when too long) into what {@code room} leaves, so every
   * suffix up to {@code room} characters gets the same head and the names sort by their suffix. For
   * names whose end carries the meaning, such as the time of a key a rotation generates: it stays
   * readable and sortable however long the base. Equal to {@code base + "-" + suffix} when that
   * fits.
   *
   * @param suffix lower-case letters, digits and '-', starting and ending with a letter or digit
   * @param room the longest suffix this kind of name uses (at most 52)
   */
  public static String dnsLabel(String base, String suffix, int room) {
    if (!suffix.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || suffix.length() > room) {
      throw new IllegalArgumentException("not a name suffix of at most " + room + ": " + suffix);
    }
    return fit(base, DNS_LABEL - room - 1, false) + "-" + suffix;
  }

  /** A DNS subdomain (dots allowed) of at most {@code 253 - reserve} characters. */
  public static String subdomain(String base, int reserve) {
    return fit(base, DNS_SUBDOMAIN - reserve, true);
  }

  /**
   * A label value (at most 63 characters of letters, digits, '-', '_' and '.', beginning and ending
   * with a letter or digit) that identifies {@code value}; equal to it whenever it is already
   * valid.
   */
  public static String labelValue(String value) {
    if (value.isEmpty()) {
      return value;
    }
    if (value.length() <= DNS_LABEL && value.matches("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")) {
      return value;
    }
    String cleaned = value.replaceAll("[^-A-Za-z0-9_.]", "-");
    return withHash(cleaned, DNS_LABEL, value, "[^A-Za-z0-9]+$");
  }

  private static String fit(String base, int max, boolean dots) {
    if (max < HASH_CHARS + 2) {
      throw new IllegalArgumentException("no room for a name: at most " + max + " characters");
    }
    String lower = base.toLowerCase(Locale.ROOT);
    String allowed = dots ? "[^a-z0-9.-]" : "[^a-z0-9-]";
    String cleaned = lower.replaceAll(allowed, "-");
    boolean valid =
        cleaned.equals(base)
            && cleaned.length() <= max
            && !cleaned.isEmpty()
            && Character.isLetterOrDigit(cleaned.charAt(0))
            && Character.isLetterOrDigit(cleaned.charAt(cleaned.length() - 1))
            && (!dots || !cleaned.contains(".."));
    if (valid) {
      return cleaned;
    }
    String safe = dots ? cleaned.replaceAll("\\.{2,}", ".").replaceAll("\\.-|-\\.", "-") : cleaned;
    return withHash(safe.replaceAll("^[^a-z0-9]+", ""), max, base, "[^a-z0-9]+$");
  }

  /** Cuts {@code cleaned} so that it plus "-" plus a hash of {@code original} fits {@code max}. */
  private static String withHash(String cleaned, int max, String original, String badTail) {
    String hash = hash(original);
    int keep = Math.min(cleaned.length(), max - HASH_CHARS - 1);
    String head = cleaned.substring(0, keep).replaceAll(badTail, "");
    return head.isEmpty() ? hash : head + "-" + hash;
  }

  /** The first 8 hex characters of the SHA-256 of the name. */
  public static String hash(String name) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, HASH_CHARS / 2);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
