package dev.backfill.op.convert;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.time.temporal.TemporalQueries;
import java.time.zone.ZoneOffsetTransition;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Converter {@code timestamptz}: to {@code timestamp with time zone} (or {@code timestamp(p) with
 * time zone}) for the modify-column operation (issue 4), in one of two modes.
 *
 * <ul>
 *   <li><b>From text, with option {@code format}</b>: a {@link DateTimeFormatter} pattern (English
 *       names, strict resolution: {@code 2023-02-29} fails; {@code yyyy} works without an era). The
 *       whole value must match it, otherwise it fails with {@code does not match format
 *       '<format>'}. If the text carries an offset or zone ({@code XXX}, {@code VV}, ...) that
 *       wins; otherwise option {@code zone} applies (default {@code UTC}). A format without a time
 *       of day means midnight.
 *   <li><b>From {@code timestamp without time zone}</b>, without option {@code format}: the value
 *       must be PostgreSQL's ISO text form ({@code 2024-01-02 03:04:05.123456}, fraction optional,
 *       {@code BC} suffix allowed), otherwise it fails with {@code is not a timestamp}. Option
 *       {@code zone} (an IANA id such as {@code Europe/Berlin}) is required: it says which zone the
 *       local timestamps are in.
 * </ul>
 *
 * <p>Daylight-saving transitions are resolved deterministically, with {@code java.time}'s zone
 * rules (the JDK's tzdata, which may differ from the server's for recent rule changes):
 *
 * <ul>
 *   <li>a local time in a <b>gap</b> (spring forward, e.g. 02:30 on 2024-03-31 in Europe/Berlin)
 *       fails with {@code does not exist in zone Europe/Berlin}; option {@code gap: shift} instead
 *       reads it with the offset before the gap (03:30+02:00), which is what PostgreSQL does;
 *   <li>a local time in an <b>overlap</b> (fall back, e.g. 02:30 on 2024-10-27 in Europe/Berlin)
 *       takes the earlier offset, the one before the transition (02:30+02:00); option {@code
 *       overlap: later} takes the later one (02:30+01:00), which is what PostgreSQL does.
 * </ul>
 *
 * <p>{@code infinity} and {@code -infinity} (any case) pass through. Instants outside PostgreSQL's
 * range (4714-11-24 BC to 294276 AD, UTC) fail with {@code is out of range for type timestamp with
 * time zone}; sub-microsecond digits, or more fractional digits than the type's precision, fail
 * with {@code has more than 6 fractional digits of seconds for type ...} (PostgreSQL would round).
 *
 * <p>The output is {@code yyyy-MM-dd HH:mm:ss.SSSSSS+hh:mm} in the zone's offset at that instant
 * ({@code +hh:mm:ss} for historical offsets with seconds, at least four year digits, a {@code BC}
 * suffix for years before 1), e.g. {@code 2024-01-02 03:04:05.123456+00:00}: a form PostgreSQL's
 * timestamptz input reads as exactly that instant whatever the session's TimeZone.
 */
final class TimestamptzConverter implements Converter {

    private static final long serialVersionUID = 1L;

    private static final Pattern PG_TIMESTAMP =
            Pattern.compile(
                    "([0-9]{4,9})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})"
                            + "(?:\\.([0-9]{1,6}))?( BC)?");
    private static final Pattern TYPE =
            Pattern.compile(
                    "timestamp(?:\\(([0-6])\\))? with time zone|timestamptz(?:\\(([0-6])\\))?");

    /** PostgreSQL's timestamptz range: [4714-11-24 00:00 BC, 294277-01-01 00:00) UTC. */
    private static final Instant MIN =
            LocalDateTime.of(-4713, 11, 24, 0, 0).toInstant(ZoneOffset.UTC);

    private static final Instant END =
            LocalDateTime.of(294277, 1, 1, 0, 0).toInstant(ZoneOffset.UTC);

    private final String type;
    private final int precision;

    /** {@code null} in timestamp mode. */
    private final String format;

    private final ZoneId zone;
    private final boolean gapShift;
    private final boolean overlapLater;

    /** Built from {@link #format} on first use; {@link DateTimeFormatter} is not serializable. */
    private transient DateTimeFormatter formatter;

    private TimestamptzConverter(
            String type,
            int precision,
            String format,
            ZoneId zone,
            boolean gapShift,
            boolean overlapLater) {
        this.type = type;
        this.precision = precision;
        this.format = format;
        this.zone = zone;
        this.gapShift = gapShift;
        this.overlapLater = overlapLater;
    }

    static TimestamptzConverter create(
            String targetType, String normalized, Map<String, String> options) {
        Matcher m = TYPE.matcher(normalized);
        if (!m.matches()) {
            throw Converters.unsupportedType(
                    "timestamptz",
                    targetType,
                    "timestamp with time zone, timestamp(p) with time zone");
        }
        String digits = m.group(1) != null ? m.group(1) : m.group(2);
        int precision = digits == null ? 6 : Integer.parseInt(digits);
        String type =
                digits == null
                        ? "timestamp with time zone"
                        : "timestamp(" + precision + ") with time zone";

        String format = options.get("format");
        String zoneId = options.get("zone");
        if (format == null && zoneId == null) {
            throw new IllegalArgumentException(
                    "converter 'timestamptz' needs option 'zone' (the time zone of timestamp"
                            + " values) or option 'format' (the pattern of text values)");
        }
        ZoneId zone;
        try {
            zone = zoneId == null ? ZoneOffset.UTC : ZoneId.of(zoneId);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException(
                    "option 'zone' of converter 'timestamptz' is not a known time zone: '"
                            + zoneId
                            + "'");
        }
        String gap = options.getOrDefault("gap", "fail");
        if (!gap.equals("fail") && !gap.equals("shift")) {
            throw Converters.badOption(
                    "timestamptz", "gap", gap, "'fail' (the default) or 'shift'");
        }
        String overlap = options.getOrDefault("overlap", "earlier");
        if (!overlap.equals("earlier") && !overlap.equals("later")) {
            throw Converters.badOption(
                    "timestamptz", "overlap", overlap, "'earlier' (the default) or 'later'");
        }
        TimestamptzConverter converter =
                new TimestamptzConverter(
                        type,
                        precision,
                        format,
                        zone,
                        gap.equals("shift"),
                        overlap.equals("later"));
        if (format != null) {
            converter.checkFormat();
        }
        return converter;
    }

    /**
     * Fails fast on a pattern that is invalid or cannot give a date and a time: formats a sample
     * instant with it and parses the result back.
     */
    private void checkFormat() {
        DateTimeFormatter f;
        try {
            f = formatter();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "option 'format' of converter 'timestamptz' is not a valid pattern: '"
                            + format
                            + "': "
                            + e.getMessage());
        }
        TemporalAccessor parsed;
        try {
            parsed = f.parse(f.format(ZonedDateTime.of(2001, 2, 3, 4, 5, 6, 789_012_345, zone)));
        } catch (DateTimeException e) {
            throw new IllegalArgumentException(
                    "option 'format' of converter 'timestamptz' cannot read what it writes: '"
                            + format
                            + "': "
                            + e.getMessage());
        }
        if (parsed.query(TemporalQueries.localDate()) == null) {
            throw new IllegalArgumentException(
                    "option 'format' of converter 'timestamptz' has no complete date: '"
                            + format
                            + "'");
        }
        if (parsed.query(TemporalQueries.localTime()) == null && hasTimeField(parsed)) {
            throw new IllegalArgumentException(
                    "option 'format' of converter 'timestamptz' has no complete time of day"
                            + " (use HH, or hh with a): '"
                            + format
                            + "'");
        }
    }

    private static boolean hasTimeField(TemporalAccessor parsed) {
        for (ChronoField field : ChronoField.values()) {
            if (field.isTimeBased() && parsed.isSupported(field)) {
                return true;
            }
        }
        return false;
    }

    private DateTimeFormatter formatter() {
        if (formatter == null) {
            formatter =
                    new DateTimeFormatterBuilder()
                            .appendPattern(format)
                            // lets 'yyyy' (year of era) resolve strictly without a 'G'
                            .parseDefaulting(ChronoField.ERA, 1)
                            .toFormatter(Locale.ENGLISH)
                            .withResolverStyle(ResolverStyle.STRICT);
        }
        return formatter;
    }

    @Override
    public String name() {
        return "timestamptz";
    }

    @Override
    public String targetType() {
        return type;
    }

    @Override
    public String convert(String value) {
        if (value == null) {
            return null;
        }
        if (value.equalsIgnoreCase("infinity") || value.equalsIgnoreCase("-infinity")) {
            return value.toLowerCase(Locale.ROOT);
        }
        return format == null ? fromTimestamp(value) : fromText(value);
    }

    private String fromTimestamp(String value) {
        Matcher m = PG_TIMESTAMP.matcher(value);
        if (!m.matches()) {
            throw new ConversionException(value, "is not a timestamp");
        }
        LocalDateTime local;
        try {
            int year = Integer.parseInt(m.group(1));
            if (year == 0) {
                throw new ConversionException(value, "is not a timestamp"); // 1 BC is 0001 BC
            }
            if (m.group(8) != null) {
                year = 1 - year; // 1 BC is year 0
            }
            String fraction = m.group(7) == null ? "" : m.group(7);
            int nanos =
                    fraction.isEmpty()
                            ? 0
                            : Integer.parseInt((fraction + "00000000").substring(0, 9));
            local =
                    LocalDateTime.of(
                            year,
                            Integer.parseInt(m.group(2)),
                            Integer.parseInt(m.group(3)),
                            Integer.parseInt(m.group(4)),
                            Integer.parseInt(m.group(5)),
                            Integer.parseInt(m.group(6)),
                            nanos);
        } catch (DateTimeException e) {
            throw new ConversionException(value, "is not a timestamp");
        }
        return toText(value, local, zone);
    }

    private String fromText(String value) {
        TemporalAccessor parsed;
        try {
            parsed = formatter().parse(value);
        } catch (DateTimeException e) {
            throw noMatch(value);
        }
        LocalDate date = parsed.query(TemporalQueries.localDate());
        if (date == null) {
            throw noMatch(value);
        }
        LocalTime time = parsed.query(TemporalQueries.localTime());
        ZoneId parsedZone = parsed.query(TemporalQueries.zone());
        return toText(
                value,
                LocalDateTime.of(date, time == null ? LocalTime.MIDNIGHT : time),
                parsedZone == null ? zone : parsedZone);
    }

    private ConversionException noMatch(String value) {
        return new ConversionException(value, "does not match format '" + format + "'");
    }

    /** Resolves {@code local} in {@code localZone} and prints the instant as PostgreSQL input. */
    private String toText(String value, LocalDateTime local, ZoneId localZone) {
        int unit = 1;
        for (int i = precision; i < 9; i++) {
            unit *= 10;
        }
        if (local.getNano() % unit != 0) {
            throw new ConversionException(
                    value,
                    "has more than "
                            + precision
                            + (precision == 1 ? " fractional digit" : " fractional digits")
                            + " of seconds for type "
                            + type);
        }
        ZoneOffset offset;
        ZoneOffsetTransition transition = localZone.getRules().getTransition(local);
        if (transition == null) {
            offset = localZone.getRules().getOffset(local);
        } else if (transition.isGap()) {
            if (!gapShift) {
                throw new ConversionException(value, "does not exist in zone " + localZone.getId());
            }
            offset = transition.getOffsetBefore();
        } else {
            offset = overlapLater ? transition.getOffsetAfter() : transition.getOffsetBefore();
        }
        Instant instant = local.toInstant(offset);
        if (instant.isBefore(MIN) || !instant.isBefore(END)) {
            throw new ConversionException(value, "is out of range for type " + type);
        }
        return print(instant.atOffset(localZone.getRules().getOffset(instant)));
    }

    /** {@code yyyy-MM-dd HH:mm:ss.SSSSSS+hh:mm[:ss][ BC]}, PostgreSQL's ISO style. */
    static String print(OffsetDateTime t) {
        StringBuilder out = new StringBuilder(40);
        int year = t.getYear();
        pad(out, year > 0 ? year : 1 - year, 4).append('-');
        pad(out, t.getMonthValue(), 2).append('-');
        pad(out, t.getDayOfMonth(), 2).append(' ');
        pad(out, t.getHour(), 2).append(':');
        pad(out, t.getMinute(), 2).append(':');
        pad(out, t.getSecond(), 2).append('.');
        pad(out, t.getNano() / 1000, 6);
        int seconds = t.getOffset().getTotalSeconds();
        out.append(seconds < 0 ? '-' : '+');
        seconds = Math.abs(seconds);
        pad(out, seconds / 3600, 2).append(':');
        pad(out, seconds / 60 % 60, 2);
        if (seconds % 60 != 0) {
            pad(out.append(':'), seconds % 60, 2);
        }
        if (year <= 0) {
            out.append(" BC");
        }
        return out.toString();
    }

    private static StringBuilder pad(StringBuilder out, int value, int width) {
        String digits = Integer.toString(value);
        for (int i = digits.length(); i < width; i++) {
            out.append('0');
        }
        return out.append(digits);
    }

    @Override
    public String toString() {
        return "timestamptz to "
                + type
                + (format == null ? " from timestamp" : " from text '" + format + "'")
                + " in "
                + zone.getId();
    }
}
