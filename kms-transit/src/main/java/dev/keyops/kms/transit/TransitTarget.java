package dev.keyops.kms.transit;

import java.net.URI;

/**
 * Where a Transit key lives.
 *
 * @param address the server's base URL, for example {@code https://openbao.vault:8200}
 * @param mount the Transit mount path, for example {@code transit}
 * @param namespace the namespace (sent as X-Vault-Namespace), or null
 */
public record TransitTarget(String address, String mount, String namespace) {

  public static final String DEFAULT_MOUNT = "transit";

  public TransitTarget {
    if (address == null || !(address.startsWith("http://") || address.startsWith("https://"))) {
      throw new IllegalArgumentException("Transit address must be an http(s) URL: " + address);
    }
    address = address.endsWith("/") ? address.substring(0, address.length() - 1) : address;
    mount = mount == null || mount.isBlank() ? DEFAULT_MOUNT : strip(mount);
    namespace = namespace == null || namespace.isBlank() ? null : strip(namespace);
    URI.create(address); // fails on a malformed URL
  }

  /** The API path of an endpoint under the mount, without /v1: {@code transit/encrypt/orders}. */
  public String path(String endpoint, String keyName) {
    return mount + "/" + endpoint + "/" + keyName;
  }

  private static String strip(String p) {
    String s = p.trim();
    while (s.startsWith("/")) {
      s = s.substring(1);
    }
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }
}
