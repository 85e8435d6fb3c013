/**
 * Named Java converters for the modify-column operation (issue 4): strict, PostgreSQL-text in,
 * PostgreSQL-text out conversions of one column value, used instead of a {@code using} SQL
 * expression when the spec names a {@code converter}. Pure Java: no database, no Flink.
 *
 * <p>Entry point: {@link dev.backfill.op.convert.Converters#create}. Failures are {@link
 * dev.backfill.op.convert.ConversionException}s, rendered for the reorg's failure with {@link
 * dev.backfill.op.convert.Converters#message}.
 */
package dev.backfill.op.convert;
