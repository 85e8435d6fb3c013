package dev.backfill.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs {@link BackfillCli} in the test's JVM and keeps what it printed. */
final class TestingCli {
    /** A command's exit code, standard output and standard error. */
    record Result(int code, String out, String err) {}

    private TestingCli() {}

    /**
     * Runs one command. Synchronized: standard error is the JVM's, swapped for the command's run.
     */
    static synchronized Result run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldErr = System.err;
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setErr(e);
            try {
                code = new BackfillCli(o).run(argv);
            } finally {
                System.setErr(oldErr);
            }
        }
        return new Result(
                code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
