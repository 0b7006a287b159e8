package dev.keyops.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** A file a scan could not read. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class UnreadableFile {

  @JsonPropertyDescription("The file, relative to its location.")
  private String path;

  @JsonPropertyDescription("Why it could not be read.")
  private String error;

  public UnreadableFile() {}

  public UnreadableFile(String path, String error) {
    this.path = path;
    this.error = error;
  }

  public String getPath() {
    return path;
  }

  public void setPath(String path) {
    this.path = path;
  }

  public String getError() {
    return error;
  }

  public void setError(String error) {
    this.error = error;
  }
}
