package dev.keyops.rekey;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;

/**
 * Which files of a location are partitions: those matching an include glob (every file when there
 * is none) and no exclude glob. Globs are java.nio PathMatcher globs over the path relative to the
 * location root, '/'-separated: {@code *.bin} matches top-level files only, {@code **}{@code
 * /*.bin} files in subdirectories only.
 */
public final class Selection {

  /** Every file: what the worker did before include/exclude existed. */
  public static final Selection ALL = new Selection(List.of(), List.of());

  private final List<String> include;
  private final List<String> exclude;
  private final List<PathMatcher> includeMatchers;
  private final List<PathMatcher> excludeMatchers;

  /**
   * @throws IllegalArgumentException for a glob that does not parse
   */
  public Selection(List<String> include, List<String> exclude) {
    this.include = List.copyOf(include);
    this.exclude = List.copyOf(exclude);
    this.includeMatchers = include.stream().map(Selection::matcher).toList();
    this.excludeMatchers = exclude.stream().map(Selection::matcher).toList();
  }

  private static PathMatcher matcher(String glob) {
    try {
      return FileSystems.getDefault().getPathMatcher("glob:" + glob);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid glob '" + glob + "': " + e.getMessage(), e);
    }
  }

  /** Whether the file at {@code relativePath} (relative to its location root) is selected. */
  public boolean selects(String relativePath) {
    Path p = Path.of(relativePath);
    boolean in = includeMatchers.isEmpty() || includeMatchers.stream().anyMatch(m -> m.matches(p));
    return in && excludeMatchers.stream().noneMatch(m -> m.matches(p));
  }

  @Override
  public String toString() {
    return "include " + (include.isEmpty() ? "everything" : include) + ", exclude " + exclude;
  }
}
