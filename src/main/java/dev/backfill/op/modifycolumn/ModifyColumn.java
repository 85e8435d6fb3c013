package dev.backfill.op.modifycolumn;

import dev.backfill.model.RowBatch;
import dev.backfill.model.WriteBatch;
import dev.backfill.op.Operation;
import dev.backfill.op.convert.ConversionException;
import dev.backfill.op.convert.Converter;
import dev.backfill.op.convert.Converters;

import org.apache.flink.annotation.Internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The modify-column operation (TiDB's update-column worker): per row, the new value of the column.
 *
 * <ul>
 *   <li>With a Java {@link Converter}: each value read is converted here, strictly. The first value
 *       that does not convert makes the whole batch a {@linkplain WriteBatch#failure() failure}
 *       naming the row's key and the value; the sink then fails the reorg and writes nothing.
 *   <li>Without one (pushdown): the {@code using} expression is computed by the sink's statement in
 *       SQL, over the current row; the output is the value as read, which the sink does not use. On
 *       this {@linkplain dev.backfill.op.WritePath#RANGE range path} the reader reads no values
 *       (each row is an empty array) and the sink writes the batch's key range.
 * </ul>
 *
 * Either way the sink writes with a compare-and-set against the value read, so a row changed since
 * (whose shadow the write-only trigger already set) is never overwritten.
 */
@Internal
public final class ModifyColumn implements Operation {
    private static final long serialVersionUID = 1L;

    private final String column;
    private final String type;
    private final Converter converter;

    /**
     * @param converter the Java converter, or null when the sink converts in SQL
     */
    public ModifyColumn(String column, String type, Converter converter) {
        this.column = column;
        this.type = type;
        this.converter = converter;
    }

    @Override
    public String describe() {
        return "modify-column "
                + column
                + " to "
                + type
                + (converter != null ? " (converter " + converter.name() + ")" : "");
    }

    @Override
    public List<String> readColumns() {
        return List.of(column);
    }

    @Override
    public WriteBatch apply(RowBatch batch) {
        if (converter == null) {
            return new WriteBatch(batch, batch.values());
        }
        List<String[]> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            String value = batch.values().get(i)[0];
            try {
                out.add(new String[] {converter.convert(value)});
            } catch (ConversionException e) {
                return WriteBatch.failed(
                        batch, Converters.message(column, batch.keys().get(i).toString(), e));
            }
        }
        return new WriteBatch(batch, out);
    }
}
