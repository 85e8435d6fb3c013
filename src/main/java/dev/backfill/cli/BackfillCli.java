package dev.backfill.cli;

import dev.backfill.db.Catalog;
import dev.backfill.db.Connections;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TableSize;
import dev.backfill.job.BackfillJob;
import dev.backfill.job.BackfillOptions;
import dev.backfill.job.JobSpecException;
import dev.backfill.job.JobSpecParser;
import dev.backfill.local.DemoData;
import dev.backfill.local.DemoLoad;
import dev.backfill.local.EmbeddedPostgresServer;
import dev.backfill.local.LocalRun;
import dev.backfill.model.JobSpec;
import dev.backfill.model.Secrets;
import dev.backfill.op.Operations;
import dev.backfill.op.ReorgPlan;
import dev.backfill.reorg.Abort;
import dev.backfill.reorg.ReorgSetup;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import javax.sql.DataSource;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The entry point, the jar's main class: parses the command line, dispatches to the commands
 * ({@code run}, {@code abort}, {@code cutover}, {@code cleanup}, {@code status}, {@code plan},
 * {@code stop-db}) and prints what they did. {@code run} sets the reorg up (prepare or resume),
 * runs the Flink job ({@link BackfillJob}) and reports the result. The same main serves {@code
 * flink run target/backfill.jar --job FILE} on a cluster and {@code scripts/backfill --job FILE},
 * which adds {@code --local}: an in-JVM Flink with the web UI on :8081.
 *
 * <pre>
 * scripts/backfill --job conf/jobs/demo.yaml
 * flink run target/backfill.jar --job conf/jobs/orders-email-index.yaml
 * </pre>
 *
 * <p>With {@code url: embedded} it first starts the embedded PostgreSQL (data under {@code
 * $BACKFILL_HOME}, default {@code ~/.backfill}), seeds {@code demo.orders} when {@code demo-rows}
 * asks for it, and in local mode runs a small write load for the duration of the backfill.
 *
 * <p>Exit codes: 0 public (now or already), 1 the reorg failed, 2 bad input (spec, table).
 */
@PublicEvolving
public final class BackfillCli {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_BAD_INPUT = 2;

    private static final String USAGE =
            "usage: backfill --job FILE [--local] [--webui-port N] [--no-demo-load] [-Dkey=value ...]\n"
                    + "       backfill abort --job FILE   (rolls the reorg back, in any state before public)\n"
                    + "       backfill cutover --job FILE   (modify-column, cutover: manual: swaps the columns)\n"
                    + "       backfill cleanup --job FILE   (modify-column, after public: drops the old column)\n"
                    + "       backfill status --job FILE [--all] [--watch]   (state, progress, rate, ETA, errors;"
                    + " from the catalog)\n"
                    + "       backfill plan --job FILE   (dry run: validates, prints the DDL, triggers and"
                    + " splits; changes nothing)\n"
                    + "       backfill stop-db   (stops the embedded PostgreSQL left up by a run)\n"
                    + "  --job FILE        the job spec (YAML), see README.md\n"
                    + "  --local           run in this JVM with the Flink web UI (scripts/backfill does this)\n"
                    + "  --webui-port N    web UI port in local mode (default 8081)\n"
                    + "  --no-demo-load    embedded demo only: no concurrent write load\n"
                    + "  -Dkey=value       a Flink option, like -Dbackfill.tuning.batch-size=2000 (over the"
                    + " spec's tuning; see README.md)\n"
                    + "  --all             status: every reorg in the spec's database\n"
                    + "  --watch           status: refresh every 2 s until Ctrl-C (one reorg: until it"
                    + " settles)";

    /** Parsed command line. */
    static final class Args {
        Path job;
        boolean local;
        int webUiPort = 8081;
        boolean demoLoad = true;
        boolean all;
        boolean watch;
        String command = "run";

        /** The {@code -Dkey=value} options, in order; a later one wins. */
        final Configuration configuration = new Configuration();

        static Args parse(String[] argv) {
            Args a = new Args();
            for (int i = 0; i < argv.length; i++) {
                switch (argv[i]) {
                    case "run":
                    case "abort":
                    case "cutover":
                    case "cleanup":
                    case "status":
                    case "plan":
                        a.command = argv[i];
                        break;
                    case "--all":
                        a.all = true;
                        break;
                    case "--watch":
                        a.watch = true;
                        break;
                    case "--job":
                        a.job = Path.of(value(argv, ++i, "--job"));
                        break;
                    case "--local":
                        a.local = true;
                        break;
                    case "--webui-port":
                        String v = value(argv, ++i, "--webui-port");
                        try {
                            a.webUiPort = Integer.parseInt(v);
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException(
                                    "--webui-port: not a port number: '" + v + "'");
                        }
                        break;
                    case "--no-demo-load":
                        a.demoLoad = false;
                        break;
                    case "-h":
                    case "--help":
                        throw new IllegalArgumentException(USAGE);
                    case "-D":
                        a.option(value(argv, ++i, "-D"));
                        break;
                    default:
                        if (argv[i].startsWith("-D")) {
                            a.option(argv[i].substring(2));
                            break;
                        }
                        throw new IllegalArgumentException(
                                "unknown argument '" + argv[i] + "'\n" + USAGE);
                }
            }
            if (a.job == null) {
                throw new IllegalArgumentException("--job FILE is required\n" + USAGE);
            }
            if ((a.all || a.watch) && !a.command.equals("status")) {
                throw new IllegalArgumentException(
                        (a.all ? "--all" : "--watch") + " works only with status\n" + USAGE);
            }
            return a;
        }

        /** {@code key=value} of a {@code -D} option. */
        private void option(String keyValue) {
            int eq = keyValue.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(
                        "-D"
                                + keyValue
                                + ": expected -Dkey=value, like -Dbackfill.tuning.batch-size=2000");
            }
            configuration.setString(keyValue.substring(0, eq).trim(), keyValue.substring(eq + 1));
        }

        private static String value(String[] argv, int i, String flag) {
            if (i >= argv.length) {
                throw new IllegalArgumentException(flag + " needs a value\n" + USAGE);
            }
            return argv[i];
        }
    }

    private final PrintStream out;

    /** A client printing to {@code out} (errors go to {@code System.err}); tests capture both. */
    public BackfillCli(PrintStream out) {
        this.out = out;
    }

    /** Runs one command line and exits with its code (0 without {@code System.exit}). */
    public static void main(String[] argv) {
        int code = new BackfillCli(System.out).run(argv);
        if (code != EXIT_OK) {
            System.exit(code);
        }
    }

    /** Runs one command line; returns the exit code. */
    public int run(String[] argv) {
        List<String> words = new ArrayList<>(List.of(argv));
        words.remove("--local");
        if (words.equals(List.of("stop-db"))) {
            try {
                boolean stopped = EmbeddedPostgresServer.stopLeftover(LocalRun.backfillHome());
                out.println(
                        stopped
                                ? "backfill: stopped the embedded PostgreSQL in "
                                        + LocalRun.backfillHome()
                                : "backfill: no embedded PostgreSQL is running in "
                                        + LocalRun.backfillHome());
                return EXIT_OK;
            } catch (Exception e) {
                System.err.println("backfill: stop-db: " + describe(e));
                return EXIT_FAILED;
            }
        }
        Args args;
        JobSpec spec;
        try {
            args = Args.parse(argv);
            JobSpec fromFile = JobSpecParser.parse(args.job);
            spec = BackfillOptions.apply(fromFile, flinkConfiguration(args));
            String overridden = BackfillOptions.describe(fromFile, spec);
            if (!overridden.isEmpty()) {
                out.println("backfill: tuning from the Flink configuration: " + overridden);
            }
        } catch (IllegalArgumentException | JobSpecException e) {
            System.err.println("backfill: " + Secrets.redact(e.getMessage()));
            return EXIT_BAD_INPUT;
        }
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            int code;
            switch (args.command) {
                case "abort":
                    code = abort(spec);
                    break;
                case "cutover":
                    code = cutover(spec);
                    break;
                case "cleanup":
                    code = cleanup(spec);
                    break;
                case "status":
                    spec = resolveDatabase(spec, false);
                    new Status(out, args.watch && System.console() != null, Status.WATCH_PERIOD)
                            .run(spec, args.all, args.watch);
                    code = EXIT_OK;
                    break;
                case "plan":
                    spec = resolveDatabase(spec, false);
                    new Plan(out).run(spec);
                    code = EXIT_OK;
                    break;
                default:
                    code = runReorg(args, spec, resources);
            }
            if (embeddedHint != null) {
                out.println(embeddedHint);
            }
            return code;
        } catch (TableInfo.TableException | IllegalArgumentException e) {
            System.err.println("backfill: " + args.job + ": " + Secrets.redact(e.getMessage()));
            return EXIT_BAD_INPUT;
        } catch (Exception e) {
            System.err.println(
                    args.command.equals("status") || args.command.equals("plan")
                            ? "backfill: "
                                    + args.command
                                    + " of reorg "
                                    + spec.reorgId()
                                    + " failed: "
                                    + describe(e)
                            : "backfill: reorg " + spec.reorgId() + " failed: " + describe(e));
            return EXIT_FAILED;
        } finally {
            for (int i = resources.size() - 1; i >= 0; i--) {
                Connections.closeQuietly(resources.get(i));
            }
        }
    }

    /**
     * The Flink configuration the spec's tuning is overridden from: the {@code -D} options of the
     * command line over, unless {@code --local}, the configuration of the environment the job runs
     * on ({@code flink run}: the cluster's {@code config.yaml} and the {@code -D} options before
     * the jar). With {@code --local} the {@code -D} options also configure the in-JVM Flink;
     * without it, only {@code backfill.tuning.*} options may follow the jar.
     */
    private static ReadableConfig flinkConfiguration(Args args) {
        if (args.local) {
            return args.configuration;
        }
        for (String key : args.configuration.keySet()) {
            if (!key.startsWith(BackfillOptions.PREFIX)) {
                throw new IllegalArgumentException(
                        "-D"
                                + key
                                + ": after the jar only "
                                + BackfillOptions.PREFIX
                                + "* options apply; give Flink options to flink run, before the"
                                + " jar");
            }
        }
        Configuration merged = Configuration.fromMap(BackfillJob.configuration().toMap());
        merged.addAll(args.configuration);
        return merged;
    }

    private String embeddedHint;

    /** With {@code url: embedded}: starts the server (left running) and points the spec at it. */
    private JobSpec resolveDatabase(JobSpec spec, boolean seed) throws Exception {
        if (spec.database().isEmbedded()) {
            Path home = LocalRun.backfillHome();
            out.println(
                    "backfill: starting embedded PostgreSQL (data in "
                            + home.resolve("data")
                            + ")");
            EmbeddedPostgresServer pg = LocalRun.attachEmbedded(home);
            out.println(
                    "backfill: embedded PostgreSQL "
                            + pg.serverVersion()
                            + " at "
                            + pg.jdbcUrl()
                            + " (user postgres)");
            embeddedHint =
                    "backfill: the embedded PostgreSQL stays up: psql -h localhost -p "
                            + pg.port()
                            + " -U postgres   (scripts/backfill stop-db stops it)";
            spec = LocalRun.onEmbedded(spec, pg);
            long demoRows = spec.database().demoRows();
            if (seed && demoRows > 0) {
                if (DemoData.seedIfMissing(pg.dataSource(), demoRows)) {
                    out.println("backfill: seeded demo.orders with " + demoRows + " rows");
                }
            }
        }
        return spec;
    }

    private int abort(JobSpec spec) throws Exception {
        spec = resolveDatabase(spec, false);
        Abort.Outcome outcome = Abort.run(spec);
        out.println(
                outcome == Abort.Outcome.ALREADY_ABORTED
                        ? "backfill: reorg "
                                + spec.reorgId()
                                + " was already aborted; checked that nothing is left"
                        : "backfill: reorg "
                                + spec.reorgId()
                                + " aborted: "
                                + Operations.of(spec).describeDropped(spec)
                                + " are dropped; the table is as it was before the reorg");
        return EXIT_OK;
    }

    private int cutover(JobSpec spec) throws Exception {
        spec = resolveDatabase(spec, false);
        ColumnCommands.Outcome o = ColumnCommands.cutover(spec);
        out.println(
                o == ColumnCommands.Outcome.NOTHING_TO_DO
                        ? "backfill: reorg " + spec.reorgId() + " is already public"
                        : "backfill: reorg "
                                + spec.reorgId()
                                + " is public: "
                                + Operations.of(spec).describeCutoverCommand(spec));
        return EXIT_OK;
    }

    private int cleanup(JobSpec spec) throws Exception {
        spec = resolveDatabase(spec, false);
        ColumnCommands.Outcome o = ColumnCommands.cleanup(spec);
        out.println(
                "backfill: reorg "
                        + spec.reorgId()
                        + ": "
                        + Operations.of(spec)
                                .describeCleanup(spec, o == ColumnCommands.Outcome.DONE));
        return EXIT_OK;
    }

    private int runReorg(Args args, JobSpec spec, List<AutoCloseable> resources) throws Exception {
        DemoLoad load = null;
        spec = resolveDatabase(spec, true);
        out.println(
                "backfill: reorg "
                        + spec.reorgId()
                        + ": "
                        + spec.operation().key()
                        + " on "
                        + spec.tableName());
        Optional<TableSize> sizeBefore =
                Operations.of(spec).updatesRowsInPlace() ? TableSize.read(spec) : Optional.empty();
        ReorgSetup.Outcome setup = BackfillJob.prepareOrResume(spec);
        if (setup.status == ReorgSetup.Status.ALREADY_PUBLIC) {
            out.println(
                    "backfill: reorg "
                            + spec.reorgId()
                            + " is already public (finished "
                            + setup.existing.finishedAt
                            + ", "
                            + setup.existing.rowsDone
                            + " rows); nothing to do");
            return EXIT_OK;
        }
        ReorgPlan plan = setup.plan;
        if (setup.status == ReorgSetup.Status.READY) {
            return ready(args, spec, plan);
        }
        out.println(
                setup.status == ReorgSetup.Status.PREPARED
                        ? "backfill: write-only: "
                                + plan.steps().describePrepared()
                                + " on "
                                + plan.table().displayName()
                        : "backfill: resuming reorg "
                                + spec.reorgId()
                                + " (state "
                                + setup.existing.state.value()
                                + ", "
                                + setup.existing.rowsDone
                                + " rows done)");

        Configuration local = null;
        if (args.local) {
            local = LocalRun.flinkConfiguration(args.webUiPort, spec.tuning().parallelism());
            local.addAll(args.configuration);
        }
        StreamExecutionEnvironment env = BackfillJob.environment(spec, local);
        BackfillJob.build(env, plan);

        DataSource ds = plan.dataSource();
        if (spec.database().demoRows() > 0 && args.local && args.demoLoad) {
            load = DemoLoad.start(ds, 50);
            resources.add(load);
            out.println(
                    "backfill: concurrent write load on demo.orders started (about 50 inserts/updates/deletes per second)");
        }
        if (args.local) {
            out.println("backfill: Flink web UI: http://localhost:" + args.webUiPort);
        }
        // Progress lines from the catalog every 3 s while the job runs.
        String reorgId = spec.reorgId();
        BackfillJob.Execution execution =
                BackfillJob.execute(
                        env,
                        plan,
                        () ->
                                new ProgressReporter(
                                                plan.dataSource(),
                                                reorgId,
                                                out,
                                                Duration.ofSeconds(3))
                                        .start());
        if (execution.detached()) {
            // flink run -d: the job was only submitted; it runs and publishes on the cluster.
            out.println(
                    "backfill: submitted detached job "
                            + execution.result.getJobID()
                            + "; it runs on the cluster and its finalizer publishes the reorg."
                            + " Follow it with: scripts/backfill status --watch --job "
                            + args.job);
            return EXIT_OK;
        }
        if (load != null) {
            load.close();
            out.println(
                    "backfill: write load stopped: "
                            + load.inserts()
                            + " inserts, "
                            + load.updates()
                            + " updates, "
                            + load.deletes()
                            + " deletes ran during the reorg");
        }
        Catalog.Reorg r = BackfillJob.state(plan, spec.reorgId());
        if (r.state == Catalog.State.READY) {
            return ready(args, spec, plan);
        }
        if (r.state == Catalog.State.PUBLIC) {
            out.println(
                    "backfill: "
                            + plan.steps().describePublic(r.rowsDone, String.valueOf(args.job))
                            + sizeNote(spec, sizeBefore));
            out.println(
                    "backfill: reorg "
                            + spec.reorgId()
                            + " is public ("
                            + Duration.between(r.startedAt.toInstant(), r.finishedAt.toInstant())
                                            .toMillis()
                                    / 1000.0
                            + " s since prepare)");
            return EXIT_OK;
        }
        String why =
                r.error != null
                        ? r.error
                        : execution.error != null
                                ? describe(execution.error)
                                : "the job ended without publishing";
        System.err.println(
                "backfill: reorg " + spec.reorgId() + " is " + r.state.value() + ": " + why);
        System.err.println(
                r.state == Catalog.State.ABORTED
                        ? "backfill: the reorg was aborted; its triggers and index table are gone"
                        : "backfill: fix the cause and run the same command again to resume, or"
                                + " abort it: scripts/backfill abort --job "
                                + args.job);
        return EXIT_FAILED;
    }

    /**
     * A reorg in state {@code ready}: with {@code cutover: auto} (a job that stopped after
     * verification) the cut-over runs here; with {@code manual} it waits for {@code cutover}.
     */
    private int ready(Args args, JobSpec spec, ReorgPlan plan) throws Exception {
        if (Operations.of(spec).cutsOverAutomatically(spec)) {
            BackfillJob.cutover(plan);
            out.println(
                    "backfill: reorg "
                            + spec.reorgId()
                            + " is public: "
                            + plan.steps().describeCutOver(String.valueOf(args.job)));
            return EXIT_OK;
        }
        out.println(
                "backfill: reorg "
                        + spec.reorgId()
                        + " is ready: "
                        + plan.steps().describeReady(String.valueOf(args.job)));
        return EXIT_OK;
    }

    /**
     * The in-place update's cost in table size: every backfilled row was updated once, leaving a
     * dead tuple, until VACUUM makes the space reusable. Empty without a size from before (an
     * operation that does not update the rows in place).
     */
    private static String sizeNote(JobSpec spec, Optional<TableSize> sizeBefore) {
        if (sizeBefore.isEmpty()) {
            return "";
        }
        Optional<TableSize> sizeAfter = TableSize.read(spec);
        if (sizeAfter.isEmpty()) {
            return "";
        }
        TableSize before = sizeBefore.get();
        TableSize after = sizeAfter.get();
        return "\nbackfill: "
                + spec.tableName()
                + " is "
                + after.bytes() / (1024 * 1024)
                + " MB now ("
                + before.bytes() / (1024 * 1024)
                + " MB before the reorg), with about "
                + after.deadTuples()
                + " dead tuples from the in-place update: run VACUUM (ANALYZE) "
                + spec.tableName()
                + " (autovacuum will too)";
    }

    /**
     * The causes of an error, outermost first, without stack traces; messages only, with the
     * secrets of a URL redacted.
     */
    public static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        String last = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && !m.equals(last) && (last == null || !last.contains(m))) {
                if (sb.length() > 0) {
                    sb.append(": ");
                }
                sb.append(m);
                last = m;
            }
        }
        return sb.length() == 0 ? e.getClass().getSimpleName() : Secrets.redact(sb.toString());
    }
}
