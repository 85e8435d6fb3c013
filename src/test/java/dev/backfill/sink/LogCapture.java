package dev.backfill.sink;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/** Test support: collects the log events of one logger (and its children) while attached. */
public final class LogCapture extends AbstractAppender implements AutoCloseable {
    private final List<LogEvent> events = new CopyOnWriteArrayList<>();
    private final String loggerName;
    private LoggerConfig config;

    private LogCapture(String loggerName) {
        super("capture-" + loggerName, null, null, true, Property.EMPTY_ARRAY);
        this.loggerName = loggerName;
    }

    public static LogCapture attach(Class<?> logger) {
        return attach(logger.getName());
    }

    /** By the logger's name: for a class the test cannot name (package-private elsewhere). */
    public static LogCapture attach(String loggerName) {
        LogCapture c = new LogCapture(loggerName);
        c.start();
        LoggerContext ctx = LoggerContext.getContext(false);
        c.config = ctx.getConfiguration().getLoggerConfig(loggerName);
        c.config.addAppender(c, Level.ALL, null);
        ctx.updateLoggers();
        return c;
    }

    @Override
    public void append(LogEvent event) {
        if (event.getLoggerName().equals(loggerName)) {
            events.add(event.toImmutable());
        }
    }

    /** The formatted messages logged at {@code level}, in order. */
    public List<String> messages(Level level) {
        return events.stream()
                .filter(e -> e.getLevel() == level)
                .map(e -> e.getMessage().getFormattedMessage())
                .collect(Collectors.toList());
    }

    @Override
    public void close() {
        config.removeAppender(getName());
        LoggerContext.getContext(false).updateLoggers();
        stop();
    }
}
