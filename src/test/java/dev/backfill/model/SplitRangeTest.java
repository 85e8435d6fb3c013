package dev.backfill.model;

import dev.backfill.source.split.BackfillSplit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SplitRangeTest {

    @Test
    void theFlinkSplitAndTheCatalogsRangeCarryTheSameFields() {
        SplitRange range =
                new SplitRange("demo.orders", 3, Key.of(100L), Key.of(200L), Key.of(150L));
        BackfillSplit split = BackfillSplit.of(range);
        assertThat(split.physicalTable()).isEqualTo("demo.orders");
        assertThat(split.index()).isEqualTo(3);
        assertThat(split.start()).isEqualTo(Key.of(100L));
        assertThat(split.end()).isEqualTo(Key.of(200L));
        assertThat(split.watermark()).isEqualTo(Key.of(150L));
        assertThat(split.range()).isEqualTo(range);
        assertThat(split.splitId()).isEqualTo(range.splitId()).isEqualTo("demo.orders:3");
        assertThat(split.toString()).isEqualTo(range.toString());
    }

    @Test
    void aFirstSplitHasNoStartAndNoWatermark() {
        SplitRange first = new SplitRange("s.t", 0, null, Key.of("a", 1L), null);
        assertThat(first.toString()).isEqualTo("s.t:0 (null, (a, 1)] watermark=null");
        assertThat(BackfillSplit.of(first).range()).isEqualTo(first);
    }

    @Test
    void aRangeNeedsItsTableAndItsEnd() {
        assertThatThrownBy(() -> new SplitRange(null, 0, null, Key.of(1L), null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("physicalTable");
        assertThatThrownBy(() -> new SplitRange("s.t", 0, null, null, null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("end");
    }
}
