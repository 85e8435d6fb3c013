package dev.backfill.sink;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.SimpleCounter;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;

import java.util.Map;

/** A metric group for tests that records every counter, gauge and histogram by name. */
final class RecordingMetricGroup extends UnregisteredMetricsGroup {
    private final Map<String, Object> metrics;

    RecordingMetricGroup(Map<String, Object> metrics) {
        this.metrics = metrics;
    }

    /** The count of the counter registered as {@code name}. */
    static long count(Map<String, Object> metrics, String name) {
        return ((Counter) metrics.get(name)).getCount();
    }

    @Override
    public Counter counter(String name) {
        return counter(name, new SimpleCounter());
    }

    @Override
    public <C extends Counter> C counter(String name, C counter) {
        metrics.put(name, counter);
        return counter;
    }

    @Override
    public <T, G extends Gauge<T>> G gauge(String name, G gauge) {
        metrics.put(name, gauge);
        return gauge;
    }

    @Override
    public <H extends Histogram> H histogram(String name, H histogram) {
        metrics.put(name, histogram);
        return histogram;
    }
}
