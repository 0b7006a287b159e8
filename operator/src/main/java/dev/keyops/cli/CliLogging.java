package dev.keyops.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import org.slf4j.LoggerFactory;

/**
 * Logging for a command line: stdout carries the command's output (tables, JSON for scripts), so
 * log lines go to stderr, and only warnings; the client library's notices are off (its errors reach
 * the user as messages). {@code KEYOPS_LOG_LEVEL} (e.g. DEBUG) shows everything again.
 */
final class CliLogging {

  private CliLogging() {}

  static void toStderr() {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
      return;
    }
    ctx.reset();
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(ctx);
    encoder.setPattern("%level %logger{0}: %msg%n");
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(ctx);
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
    root.addAppender(stderr);
    String level = System.getenv("KEYOPS_LOG_LEVEL");
    if (level != null && !level.isBlank()) {
      root.setLevel(Level.toLevel(level, Level.WARN));
    } else {
      root.setLevel(Level.WARN);
      ctx.getLogger("io.fabric8").setLevel(Level.OFF);
    }
  }
}
