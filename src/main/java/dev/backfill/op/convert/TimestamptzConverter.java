package dev.backfill.op.convert;

import dev.backfill.db.Identifiers;

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
import java.time.zone.ZoneOffsetTransitionRule;
import java.time.zone.ZoneRules;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
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
 *       takes the later offset, the one after the transition (02:30+01:00), which is what
 *       PostgreSQL does, so that the Java backfill and the SQL trigger agree by default; option
 *       {@code overlap: earlier} takes the offset before the transition (02:30+02:00).
 * </ul>
 *
 * <p>{@code infinity} and {@code -infinity} (any case of the ASCII letters) pass through. Instants
 * outside PostgreSQL's range (4714-11-24 BC to 294276 AD, UTC) fail with {@code is out of range for
 * type timestamp with time zone}; sub-microsecond digits, or more fractional digits than the type's
 * precision, fail with {@code has more than 6 fractional digits of seconds for type ...}
 * (PostgreSQL would round). So does a local date and time resolved in option {@code zone} that is
 * outside the range of {@code timestamp without time zone} (4714-11-24 00:00 BC to 294276-12-31
 * 23:59:59.999999), even where the zone's offset would bring the instant into range ({@code
 * 294277-01-01 00:30} in Europe/Berlin): PostgreSQL cannot read it as a local time, so the
 * {@linkplain #sqlUsing SQL counterpart} could not either. An offset in the text of 16 hours or
 * more, which PostgreSQL's timestamptz cannot read, fails with {@code has a UTC offset out of range
 * for type ...}, and option {@code zone} must be within that range too.
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

    /** PostgreSQL's timestamp range, the same in local time: [MIN_LOCAL, END_LOCAL). */
    private static final LocalDateTime MIN_LOCAL = LocalDateTime.of(-4713, 11, 24, 0, 0);

    private static final LocalDateTime END_LOCAL = LocalDateTime.of(294277, 1, 1, 0, 0);

    /** PostgreSQL's timestamptz reads UTC offsets of less than 16 hours. */
    private static final int OFFSET_LIMIT = 16 * 3600;

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
        if (zone.getRules().isFixedOffset()
                && Math.abs(zone.getRules().getOffset(Instant.EPOCH).getTotalSeconds())
                        >= OFFSET_LIMIT) {
            throw new IllegalArgumentException(
                    "option 'zone' of converter 'timestamptz' is out of PostgreSQL's range of UTC"
                            + " offsets (less than 16 hours): '"
                            + zoneId
                            + "'");
        }
        String overlap = options.getOrDefault("overlap", "later");
        if (!overlap.equals("earlier") && !overlap.equals("later")) {
            throw Converters.badOption(
                    "timestamptz", "overlap", overlap, "'later' (the default) or 'earlier'");
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
        if (isInfinity(value)) {
            return value.toLowerCase(Locale.ROOT);
        }
        return format == null ? fromTimestamp(value) : fromText(value);
    }

    /**
     * {@code infinity} or {@code -infinity} in any case of the ASCII letters; not {@code
     * equalsIgnoreCase}, which also matches a dotless {@code ı} that PostgreSQL does not read.
     */
    private static boolean isInfinity(String value) {
        String lower = value.toLowerCase(Locale.ROOT);
        return lower.equals("infinity") || lower.equals("-infinity");
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
        return toText(value, local, zone, true);
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
                parsedZone == null ? zone : parsedZone,
                !(parsedZone instanceof ZoneOffset));
    }

    private ConversionException noMatch(String value) {
        return new ConversionException(value, "does not match format '" + format + "'");
    }

    /**
     * Resolves {@code local} in {@code localZone} and prints the instant as PostgreSQL input;
     * {@code inZone}: whether {@code localZone} is a zone (option {@code zone} or a zone id in the
     * text) rather than an offset in the text; the SQL counterpart then reads the local time as a
     * {@code timestamp}, so it must be within that type's range.
     */
    private String toText(String value, LocalDateTime local, ZoneId localZone, boolean inZone) {
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
        if (inZone && (local.isBefore(MIN_LOCAL) || !local.isBefore(END_LOCAL))) {
            throw new ConversionException(value, "is out of range for type " + type);
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
        if (Math.abs(offset.getTotalSeconds()) >= OFFSET_LIMIT) {
            throw new ConversionException(value, "has a UTC offset out of range for type " + type);
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

    /**
     * The SQL counterpart, exact for every value this converter accepts and independent of the
     * session's settings.
     *
     * <p><b>Timestamp mode</b> (option {@code zone}, no {@code format}): {@code CAST(CAST("c" AS
     * timestamp) AT TIME ZONE 'Europe/Berlin' AS timestamp with time zone)}. PostgreSQL reads the
     * local time in the zone as this converter does by default: a time in an overlap with the later
     * offset, a time in a gap with the offset before it (the values that {@code gap: fail} rejects
     * get that shifted instant). A zone with a fixed offset (such as {@code UTC} or {@code +05:30})
     * becomes {@code AT TIME ZONE INTERVAL '+05:30'}, since PostgreSQL reads a text {@code
     * '+05:30'} as a POSIX zone (sign inverted) and may read names such as {@code CET} as
     * abbreviations with a fixed offset; a region without a {@code /} in its id ({@code CET},
     * {@code Japan}) is written as the first region (in id order) with the same rules in the JDK's
     * zone rules ({@code Asia/Tokyo} for {@code Japan}). The old column is cast to {@code
     * timestamp} directly (for a text column: ISO text, read the same in every {@code DateStyle}).
     *
     * <p>With {@code overlap: earlier}, the later instant {@code a} is moved back by the first
     * overlap length {@code d} of the zone (from its rules, largest first) for which {@code (a - d)
     * AT TIME ZONE zone} is the same local time: the earlier of the two instants that have that
     * local time, which is the one this converter takes.
     *
     * <p><b>Format mode</b> (option {@code format}): the pattern becomes a {@code to_timestamp}
     * format ({@link ToTimestampFormat}; a pattern with letters it does not support is refused).
     * Without an offset in the pattern, the text is read with an explicit UTC offset, {@code
     * to_timestamp(text || ' +00:00', format || ' TZH:TZM')}, and the local time {@code AT TIME
     * ZONE INTERVAL '+00:00'} is then resolved in the zone as in timestamp mode: {@code
     * to_timestamp} alone would read it in the session's TimeZone and shift its gaps. With a
     * fixed-offset zone the offset is appended directly. A pattern with an offset gives the
     * instant. {@code infinity} and {@code -infinity} are tested first, as the converter does.
     *
     * <p>The zone rules are PostgreSQL's there and the JDK's here: where their tzdata differ (a
     * recent rule change, or history before 1970), so do the two.
     *
     * @throws IllegalArgumentException for a format with pattern letters that {@link
     *     ToTimestampFormat} does not support, or a region whose id has no {@code /} and no
     *     equivalent region with one
     */
    @Override
    public String sqlUsing(String quotedColumn) {
        String text = Converters.columnText(quotedColumn);
        if (format == null) {
            return "CAST("
                    + atZone("CAST(" + quotedColumn + " AS timestamp)")
                    + " AS "
                    + type
                    + ")";
        }
        ToTimestampFormat pg;
        try {
            pg = ToTimestampFormat.translate(format);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "option 'format' of converter 'timestamptz' has no SQL counterpart for the"
                            + " write-only trigger: '"
                            + format
                            + "': "
                            + e.getMessage(),
                    e);
        }
        String input = pg.input(text);
        String instant;
        if (pg.hasOffset()) {
            instant = "to_timestamp(" + input + ", " + Converters.sqlString(pg.format()) + ")";
        } else {
            ZoneRules rules = zone.getRules();
            int fixed = rules.getOffset(Instant.EPOCH).getTotalSeconds();
            if (rules.isFixedOffset() && fixed % 60 == 0) {
                // TZH:TZM reads the zone's offset itself
                instant = toTimestamp(input, offset(fixed), pg);
            } else {
                // the local time, whatever the session's TimeZone, then resolved in the zone
                instant =
                        atZone(
                                "("
                                        + toTimestamp(input, "+00:00", pg)
                                        + " AT TIME ZONE INTERVAL '+00:00')");
            }
        }
        return "CAST(CASE WHEN translate("
                + text
                + ", 'INFTY', 'infty') IN ('infinity', '-infinity') THEN CAST("
                + text
                + " AS timestamp with time zone) ELSE "
                + instant
                + " END AS "
                + type
                + ")";
    }

    /** {@code to_timestamp(input || ' <offset>', '<format> TZH:TZM')}. */
    private static String toTimestamp(String input, String offset, ToTimestampFormat pg) {
        return "to_timestamp("
                + input
                + " || "
                + Converters.sqlString(" " + offset)
                + ", "
                + Converters.sqlString(pg.format() + " TZH:TZM")
                + ")";
    }

    /**
     * The instant of {@code local} (an SQL expression of type timestamp, atomic: a function call or
     * in parentheses) in the zone, resolved as {@link #toText} does.
     */
    private String atZone(String local) {
        ZoneRules rules = zone.getRules();
        if (rules.isFixedOffset()) {
            return local
                    + " AT TIME ZONE INTERVAL '"
                    + offset(rules.getOffset(Instant.EPOCH).getTotalSeconds())
                    + "'";
        }
        String name = Identifiers.literal(regionName(zone, ZoneId.getAvailableZoneIds()));
        if (overlapLater) {
            return local + " AT TIME ZONE " + name;
        }
        // the lengths of the zone's overlaps, largest first, and the year of the first one
        TreeSet<Integer> overlaps = new TreeSet<>(Comparator.reverseOrder());
        int since = Integer.MAX_VALUE;
        List<ZoneOffsetTransition> history = rules.getTransitions();
        for (ZoneOffsetTransition t : history) {
            if (t.isOverlap()) {
                overlaps.add(seconds(t.getOffsetBefore()) - seconds(t.getOffsetAfter()));
                since = Math.min(since, t.getDateTimeAfter().getYear());
            }
        }
        for (ZoneOffsetTransitionRule r : rules.getTransitionRules()) {
            if (seconds(r.getOffsetBefore()) > seconds(r.getOffsetAfter())) {
                overlaps.add(seconds(r.getOffsetBefore()) - seconds(r.getOffsetAfter()));
                int last =
                        history.isEmpty()
                                ? 1
                                : history.get(history.size() - 1).getDateTimeAfter().getYear();
                since = Math.min(since, last);
            }
        }
        if (overlaps.isEmpty()) {
            return local + " AT TIME ZONE " + name;
        }
        // the earlier instant of a local time in an overlap: the later one (a, PostgreSQL's),
        // moved back by an overlap length d of the zone where that gives the same local time;
        // guarded by a year before the first overlap, since a - d may underflow near 4714 BC
        StringBuilder earlier = new StringBuilder("(SELECT CASE WHEN _backfill_l >= TIMESTAMP '");
        earlier.append(String.format(Locale.ROOT, "%04d", Math.max(1, since - 1)))
                .append("-01-01 00:00:00' THEN CASE");
        for (int length : overlaps) {
            String moved = "_backfill_a - INTERVAL '" + length + " seconds'";
            earlier.append(" WHEN (")
                    .append(moved)
                    .append(") AT TIME ZONE ")
                    .append(name)
                    .append(" = _backfill_l THEN ")
                    .append(moved);
        }
        earlier.append(" ELSE _backfill_a END ELSE _backfill_a END FROM (SELECT _backfill_l,")
                .append(" _backfill_l AT TIME ZONE ")
                .append(name)
                .append(" AS _backfill_a FROM (SELECT ")
                .append(local)
                .append(" AS _backfill_l) AS _backfill_s) AS _backfill_t)");
        return earlier.toString();
    }

    /**
     * The zone's id for {@code AT TIME ZONE}: a region id with a {@code /}, which PostgreSQL cannot
     * take for a time zone abbreviation; an id without one is replaced by the first region (in id
     * order) of {@code regions} with the same rules (the JDK's {@link ZoneId#getAvailableZoneIds()}
     * in {@link #sqlUsing}).
     *
     * @throws IllegalArgumentException if the id has no {@code /} and no region has its rules
     */
    static String regionName(ZoneId zone, Collection<String> regions) {
        String id = zone.getId();
        if (id.contains("/")) {
            return id;
        }
        ZoneRules rules = zone.getRules();
        for (String other : new TreeSet<>(regions)) {
            if (other.contains("/") && ZoneId.of(other).getRules().equals(rules)) {
                return other;
            }
        }
        throw new IllegalArgumentException(
                "option 'zone' of converter 'timestamptz' has no SQL counterpart for the"
                        + " write-only trigger: '"
                        + id
                        + "': PostgreSQL may read the name as a time zone abbreviation, and no"
                        + " region with a '/' has the same rules");
    }

    private static int seconds(ZoneOffset offset) {
        return offset.getTotalSeconds();
    }

    /** {@code +hh:mm} or {@code +hh:mm:ss}, the form of interval and {@code TZH:TZM} input. */
    private static String offset(int totalSeconds) {
        StringBuilder out = new StringBuilder(9).append(totalSeconds < 0 ? '-' : '+');
        int seconds = Math.abs(totalSeconds);
        pad(out, seconds / 3600, 2).append(':');
        pad(out, seconds / 60 % 60, 2);
        if (seconds % 60 != 0) {
            pad(out.append(':'), seconds % 60, 2);
        }
        return out.toString();
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
