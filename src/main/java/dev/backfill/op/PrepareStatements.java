package dev.backfill.op;

import org.apache.flink.annotation.PublicEvolving;

import java.util.List;

/**
 * What prepare runs for an operation, in its order, as {@code plan} shows it: the DDL, the trigger
 * definitions, the statements that make the triggers fire always, and the guards of a partitioned
 * table (empty when there are none); and the lock prepare takes, in words.
 */
@PublicEvolving
public record PrepareStatements(
        String lock,
        List<String> ddl,
        List<String> triggers,
        List<String> enableAlways,
        List<String> guards) {

    public PrepareStatements {
        ddl = List.copyOf(ddl);
        triggers = List.copyOf(triggers);
        enableAlways = List.copyOf(enableAlways);
        guards = List.copyOf(guards);
    }
}
