package dev.keyops.testing;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts every request a client sends to the API server (a counting proxy inside the process), as
 * "VERB resource" where VERB is GET, LIST, WATCH, POST, PUT, PATCH or DELETE.
 */
public final class RequestCounter implements Interceptor {

  private final List<String> requests = new ArrayList<>();

  /** A client with this counter on its every request. */
  public KubernetesClient client(Config config) {
    return new KubernetesClientBuilder()
        .withConfig(config)
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("count", this))
        .build();
  }

  @Override
  public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
    String line = classify(request.method(), request.uri().getPath(), request.uri().getQuery());
    synchronized (requests) {
      requests.add(line);
    }
  }

  static String classify(String method, String path, String query) {
    boolean watch = query != null && query.contains("watch=true");
    String[] parts = path.split("/");
    // /api/v1/namespaces/ns/secrets[/name[/status]] or /apis/g/v/namespaces/ns/kind[/name[/sub]]
    int base = path.startsWith("/api/") ? 3 : 4;
    List<String> rest = new ArrayList<>();
    for (int i = base; i < parts.length; i++) {
      rest.add(parts[i]);
    }
    if (rest.size() >= 2 && rest.get(0).equals("namespaces") && rest.size() > 2) {
      rest = rest.subList(2, rest.size());
    }
    String resource = rest.isEmpty() ? path : rest.get(0);
    boolean named = rest.size() >= 2;
    if (rest.size() >= 3) {
      resource = resource + "/" + rest.get(2);
    }
    String verb = watch ? "WATCH" : method.equals("GET") && !named ? "LIST" : method;
    return verb + " " + resource;
  }

  /** Requests since the last {@link #reset}, counted by "VERB resource". */
  public Map<String, Integer> counts() {
    Map<String, Integer> out = new TreeMap<>();
    synchronized (requests) {
      requests.forEach(r -> out.merge(r, 1, Integer::sum));
    }
    return out;
  }

  public int total() {
    synchronized (requests) {
      return requests.size();
    }
  }

  public void reset() {
    synchronized (requests) {
      requests.clear();
    }
  }
}
