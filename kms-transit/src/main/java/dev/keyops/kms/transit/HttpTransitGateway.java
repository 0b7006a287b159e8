package dev.keyops.kms.transit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * {@link TransitGateway} over plain {@code java.net.http} and Jackson. Each call is one HTTP
 * request bounded by the timeout; nothing is retried here (callers back off themselves). With
 * Kubernetes auth the token is obtained on first use and obtained again once when the server
 * answers 403 (it may have expired).
 */
public final class HttpTransitGateway implements TransitGateway {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final TransitTarget target;
  private final TransitAuth auth;
  private final Duration timeout;
  private final HttpClient http;
  private volatile String token;

  /**
   * @param caPem PEM certificates to trust for an https address, or null for the JVM's trust store
   */
  public HttpTransitGateway(
      TransitTarget target, TransitAuth auth, byte[] caPem, Duration timeout) {
    this.target = target;
    this.auth = auth;
    this.timeout = timeout;
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .version(HttpClient.Version.HTTP_1_1);
    if (caPem != null) {
      b.sslContext(trusting(caPem));
    }
    this.http = b.build();
  }

  @Override
  public TransitTarget target() {
    return target;
  }

  @Override
  public KeyInfo readKey(String keyName) {
    JsonNode d = call("GET", target.mount() + "/keys/" + seg(keyName), null).path("data");
    return new KeyInfo(
        d.path("type").asText(null),
        d.path("latest_version").asInt(0),
        d.path("min_decryption_version").asInt(0),
        d.path("min_available_version").asInt(0),
        d.path("derived").asBoolean(false),
        d.path("supports_encryption").asBoolean(true),
        d.path("supports_decryption").asBoolean(true));
  }

  @Override
  public Map<String, List<String>> capabilities(List<String> paths) {
    ObjectNode body = JSON.createObjectNode();
    body.putArray("paths").addAll(paths.stream().map(JSON.getNodeFactory()::textNode).toList());
    JsonNode d = call("POST", "sys/capabilities-self", body).path("data");
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (String p : paths) {
      List<String> caps = new ArrayList<>();
      d.path(p).forEach(c -> caps.add(c.asText()));
      out.put(p, caps);
    }
    return out;
  }

  @Override
  public Wrapped encrypt(String keyName, byte[] plaintext, byte[] associatedData) {
    ObjectNode body = JSON.createObjectNode();
    body.put("plaintext", Base64.getEncoder().encodeToString(plaintext));
    body.put("associated_data", Base64.getEncoder().encodeToString(associatedData));
    JsonNode d = call("POST", target.mount() + "/encrypt/" + seg(keyName), body).path("data");
    String ct = d.path("ciphertext").asText(null);
    if (ct == null) {
      throw new TransitException(
          TransitException.Kind.INVALID_REQUEST, 200, "encrypt returned no ciphertext", null);
    }
    int v = d.path("key_version").asInt(TransitGateway.versionOf(ct));
    return new Wrapped(ct, v);
  }

  @Override
  public byte[] decrypt(String keyName, String ciphertext, byte[] associatedData) {
    ObjectNode body = JSON.createObjectNode();
    body.put("ciphertext", ciphertext);
    body.put("associated_data", Base64.getEncoder().encodeToString(associatedData));
    JsonNode d = call("POST", target.mount() + "/decrypt/" + seg(keyName), body).path("data");
    String pt = d.path("plaintext").asText(null);
    if (pt == null) {
      throw new TransitException(
          TransitException.Kind.INVALID_REQUEST, 200, "decrypt returned no plaintext", null);
    }
    return Base64.getDecoder().decode(pt);
  }

  private JsonNode call(String method, String path, JsonNode body) {
    String t = token();
    try {
      return send(method, path, body, t);
    } catch (TransitException e) {
      if (e.kind() == TransitException.Kind.PERMISSION_DENIED
          && auth instanceof TransitAuth.Kubernetes) {
        token = null; // perhaps expired: log in again once
        return send(method, path, body, token());
      }
      throw e;
    }
  }

  private String token() {
    String t = token;
    if (t != null) {
      return t;
    }
    if (auth instanceof TransitAuth.Token fixed) {
      t = fixed.token();
    } else if (auth instanceof TransitAuth.TokenFile file) {
      return file.read(); // read every time: whoever renews the file owns the token
    } else if (auth instanceof TransitAuth.Kubernetes k) {
      t = login(k);
    }
    token = t;
    return t;
  }

  private String login(TransitAuth.Kubernetes k) {
    ObjectNode body = JSON.createObjectNode();
    body.put("role", k.role());
    body.put("jwt", k.jwt());
    JsonNode r;
    try {
      r = send("POST", "auth/" + k.mountPath() + "/login", body, null);
    } catch (TransitException e) {
      if (e.transientFailure()) {
        throw e;
      }
      throw new TransitException(
          TransitException.Kind.UNAUTHENTICATED,
          e.status(),
          "Kubernetes auth login as role "
              + k.role()
              + " at auth/"
              + k.mountPath()
              + " was refused: "
              + e.getMessage(),
          null);
    }
    String t = r.path("auth").path("client_token").asText(null);
    if (t == null || t.isBlank()) {
      throw new TransitException(
          TransitException.Kind.UNAUTHENTICATED,
          200,
          "Kubernetes auth login at auth/" + k.mountPath() + " returned no token",
          null);
    }
    return t;
  }

  private JsonNode send(String method, String path, JsonNode body, String t) {
    String what = method + " " + path;
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(target.address() + "/v1/" + path))
            .timeout(timeout)
            .header("Accept", "application/json");
    if (t != null) {
      b.header("X-Vault-Token", t);
    }
    if (target.namespace() != null) {
      b.header("X-Vault-Namespace", target.namespace());
    }
    if (body == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json");
      try {
        b.method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
    HttpResponse<byte[]> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new TransitException(
          TransitException.Kind.TRANSIENT,
          0,
          what + " at " + target.address() + " failed: " + e.getClass().getSimpleName(),
          null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TransitException(
          TransitException.Kind.TRANSIENT, 0, what + " was interrupted", null);
    }
    int status = r.statusCode();
    if (status / 100 != 2) {
      throw new TransitException(
          TransitException.kindOf(status),
          status,
          what + " failed: HTTP " + status + errors(r.body()),
          null);
    }
    if (r.body().length == 0) {
      return JSON.createObjectNode();
    }
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new TransitException(
          TransitException.Kind.TRANSIENT,
          status,
          what + " returned a body that is not JSON",
          null);
    }
  }

  /** The server's "errors" (never a request body; bounded). */
  private static String errors(byte[] body) {
    try {
      JsonNode n = JSON.readTree(body);
      List<String> out = new ArrayList<>();
      for (Iterator<JsonNode> it = n.path("errors").elements(); it.hasNext(); ) {
        String e = it.next().asText();
        out.add(e.length() > 200 ? e.substring(0, 200) + "..." : e);
      }
      return out.isEmpty() ? "" : " (" + String.join("; ", out) + ")";
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private static String seg(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static SSLContext trusting(byte[] caPem) {
    try {
      KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
      ks.load(null, null);
      int i = 0;
      for (Certificate c :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(caPem))) {
        ks.setCertificateEntry("ca-" + i++, c);
      }
      if (i == 0) {
        throw new IllegalArgumentException("the CA bundle holds no PEM certificate");
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException(
          "the CA bundle cannot be read: " + e.getClass().getSimpleName(), e);
    }
  }

  @Override
  public void close() {
    // java.net.http.HttpClient (Java 17) holds no resources that need closing.
  }
}
