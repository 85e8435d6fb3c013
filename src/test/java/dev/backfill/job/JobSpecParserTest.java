package dev.backfill.job;

import dev.backfill.model.JobSpec;
import dev.backfill.model.JobSpec.AddIndexSpec;
import dev.backfill.model.JobSpec.ModifyColumnSpec;
import dev.backfill.model.JobSpec.ModifyColumnSpec.Cutover;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Tests for {@link JobSpecParser}: good specs, defaults, passwords, and errors with their lines.
 */
class JobSpecParserTest {

    private static final String FILE = "bad.yaml";

    /** The smallest valid spec; line numbers below refer to it. */
    private static final String MINIMAL =
            "database:\n" // 1
                    + "  url: embedded\n" // 2
                    + "table: demo.orders\n" // 3
                    + "add-index:\n" // 4
                    + "  name: orders_email\n" // 5
                    + "  columns: [email]\n"; // 6

    /** The smallest valid modify-column spec; line numbers below refer to it. */
    private static final String MODIFY =
            "database:\n" // 1
                    + "  url: embedded\n" // 2
                    + "table: shop.orders\n" // 3
                    + "modify-column:\n" // 4
                    + "  column: amount\n" // 5
                    + "  type: numeric(12,2)\n"; // 6

    private static JobSpec parse(String yaml) {
        return JobSpecParser.parse(yaml, FILE, Map.of());
    }

    /** The spec's add-index part, or null when it has another. */
    private static AddIndexSpec addIndex(JobSpec spec) {
        return spec.operationSpec() instanceof AddIndexSpec a ? a : null;
    }

    /** The spec's modify-column part, or null when it has another. */
    private static ModifyColumnSpec modifyColumn(JobSpec spec) {
        return spec.operationSpec() instanceof ModifyColumnSpec m ? m : null;
    }

    /** Asserts that {@code yaml} fails with exactly this line and field, and returns the error. */
    private static JobSpecException assertError(
            String yaml, Map<String, String> env, int line, String field, String... fragments) {
        JobSpecException e =
                catchThrowableOfType(
                        JobSpecException.class, () -> JobSpecParser.parse(yaml, FILE, env));
        assertThat(e).as("expected a JobSpecException for:%n%s", yaml).isNotNull();
        assertThat(e.file()).isEqualTo(FILE);
        assertThat(e.line()).as(e.getMessage()).isEqualTo(line);
        assertThat(e.field()).as(e.getMessage()).isEqualTo(field);
        assertThat(e.getMessage()).startsWith(FILE + ":" + line + ": " + field + ": ");
        for (String fragment : fragments) {
            assertThat(e.getMessage()).contains(fragment);
        }
        return e;
    }

    private static JobSpecException assertError(
            String yaml, int line, String field, String... fragments) {
        return assertError(yaml, Map.of(), line, field, fragments);
    }

    // ---------------------------------------------------------------------------------------
    // Good specs
    // ---------------------------------------------------------------------------------------

    @Test
    void parsesAFullSpec() {
        String yaml =
                "reorg: shop.orders-email_2\n"
                        + "database:\n"
                        + "  url: jdbc:postgresql://db.example:5432/shop?sslmode=require\n"
                        + "  user: alice\n"
                        + "  password-env: SHOP_PASSWORD\n"
                        + "table: shop.orders\n"
                        + "add-index:\n"
                        + "  name: orders_email_region\n"
                        + "  columns:\n"
                        + "    - email\n"
                        + "    - region\n"
                        + "  unique: false\n"
                        + "tuning:\n"
                        + "  parallelism: 8\n"
                        + "  batch-size: 5000\n"
                        + "  split-rows: 250000\n"
                        + "  checkpoint-interval: 2m\n"
                        + "  lock-timeout: 1h\n"
                        + "  max-rows-per-second: 20000\n"
                        + "  synchronous-commit: true\n";

        JobSpec spec = JobSpecParser.parse(yaml, "shop.yaml", Map.of("SHOP_PASSWORD", "hunter2"));

        assertThat(spec.sourceFile()).isEqualTo("shop.yaml");
        assertThat(spec.reorgId()).isEqualTo("shop.orders-email_2");
        assertThat(spec.rawSpec()).isEqualTo(yaml);
        assertThat(spec.database().url())
                .isEqualTo("jdbc:postgresql://db.example:5432/shop?sslmode=require");
        assertThat(spec.database().isEmbedded()).isFalse();
        assertThat(spec.database().user()).isEqualTo("alice");
        assertThat(spec.database().password()).isEqualTo("hunter2");
        assertThat(spec.database().demoRows()).isZero();
        assertThat(spec.schema()).isEqualTo("shop");
        assertThat(spec.table()).isEqualTo("orders");
        assertThat(spec.tableName()).isEqualTo("shop.orders");
        assertThat(spec.operation()).isEqualTo(JobSpec.Operation.ADD_INDEX);
        assertThat(addIndex(spec).name()).isEqualTo("orders_email_region");
        assertThat(addIndex(spec).columns()).containsExactly("email", "region");
        assertThat(addIndex(spec).unique()).isFalse();
        assertThat(spec.tuning().parallelism()).isEqualTo(8);
        assertThat(spec.tuning().batchSize()).isEqualTo(5000);
        assertThat(spec.tuning().splitRows()).isEqualTo(250_000);
        assertThat(spec.tuning().checkpointInterval()).isEqualTo(Duration.ofMinutes(2));
        assertThat(spec.tuning().lockTimeout()).isEqualTo(Duration.ofHours(1));
        assertThat(spec.tuning().maxRowsPerSecond()).isEqualTo(20_000);
        assertThat(spec.tuning().synchronousCommit()).isTrue();
    }

    @Test
    void synchronousCommitIsOffByDefaultAndMustBeABoolean() {
        assertThat(parse(MINIMAL).tuning().synchronousCommit()).isFalse();
        assertThat(
                        parse(MINIMAL + "tuning:\n  synchronous-commit: false\n")
                                .tuning()
                                .synchronousCommit())
                .isFalse();
        assertError(
                MINIMAL + "tuning:\n  synchronous-commit: sometimes\n",
                8,
                "tuning.synchronous-commit",
                "true or false");
    }

    @Test
    void appliesDefaults() {
        JobSpec spec = parse(MINIMAL);

        assertThat(spec.reorgId()).isEqualTo("demo.orders-add-index-orders_email");
        assertThat(spec.database().isEmbedded()).isTrue();
        assertThat(spec.database().user()).isNull();
        assertThat(spec.database().password()).isNull();
        assertThat(spec.database().demoRows()).isZero();
        assertThat(addIndex(spec).unique()).isFalse();
        JobSpec.TuningSpec t = spec.tuning();
        assertThat(t.parallelism()).isEqualTo(JobSpec.TuningSpec.DEFAULT_PARALLELISM);
        assertThat(t.batchSize()).isEqualTo(JobSpec.TuningSpec.DEFAULT_BATCH_SIZE);
        assertThat(t.splitRows()).isEqualTo(JobSpec.TuningSpec.DEFAULT_SPLIT_ROWS);
        assertThat(t.checkpointInterval())
                .isEqualTo(JobSpec.TuningSpec.DEFAULT_CHECKPOINT_INTERVAL);
        assertThat(t.lockTimeout()).isEqualTo(JobSpec.TuningSpec.DEFAULT_LOCK_TIMEOUT);
        assertThat(t.maxRowsPerSecond()).isZero();
    }

    @Test
    void emptyTuningMeansDefaults() {
        JobSpec spec = parse(MINIMAL + "tuning:\n");
        assertThat(spec.tuning().toString()).isEqualTo(JobSpec.TuningSpec.defaults().toString());
    }

    @Test
    void userDefaultsToPgUser() {
        JobSpec spec = JobSpecParser.parse(MINIMAL, FILE, Map.of("PGUSER", "bob"));
        assertThat(spec.database().user()).isEqualTo("bob");

        JobSpec explicit =
                JobSpecParser.parse(
                        MINIMAL.replace("  url: embedded\n", "  url: embedded\n  user: carol\n"),
                        FILE,
                        Map.of("PGUSER", "bob"));
        assertThat(explicit.database().user()).isEqualTo("carol");
    }

    @Test
    void unqualifiedTableHasNoSchema() {
        JobSpec spec = parse(MINIMAL.replace("table: demo.orders", "table: orders"));
        assertThat(spec.schema()).isNull();
        assertThat(spec.table()).isEqualTo("orders");
        assertThat(spec.reorgId()).isEqualTo("orders-add-index-orders_email");
    }

    @Test
    void acceptsQuotedIdentifiers() {
        String yaml =
                MINIMAL.replace(
                                "table: demo.orders",
                                "table: '\"My Schema\".\"Order \"\"Lines\"\"\"'")
                        .replace("columns: [email]", "columns: ['\"E-Mail\"', on, '\"a.b\"']");
        JobSpec spec = parse(yaml);
        assertThat(spec.schema()).isEqualTo("My Schema");
        assertThat(spec.table()).isEqualTo("Order \"Lines\"");
        // YAML 1.1 reads a bare "on" as a boolean; as a column name it is taken as written.
        assertThat(addIndex(spec).columns()).containsExactly("E-Mail", "on", "a.b");
        assertThat(spec.reorgId()).isEqualTo("My_Schema.Order__Lines_-add-index-orders_email");
    }

    @Test
    void acceptsQuotedNumbersAndYamlIntegerForms() {
        JobSpec spec = parse(MINIMAL + "tuning:\n  split-rows: 1_000_000\n  batch-size: '500'\n");
        assertThat(spec.tuning().splitRows()).isEqualTo(1_000_000);
        assertThat(spec.tuning().batchSize()).isEqualTo(500);
    }

    @Test
    void resolvesPasswordEnvAndNeverShowsIt() {
        String yaml =
                MINIMAL.replace(
                        "  url: embedded\n", "  url: embedded\n  password-env: PGPASSWORD\n");

        JobSpec spec = JobSpecParser.parse(yaml, FILE, Map.of("PGPASSWORD", "s3cr3t-value"));

        assertThat(spec.database().password()).isEqualTo("s3cr3t-value");
        assertThat(spec.toString()).doesNotContain("s3cr3t-value").contains("password=***");
        assertThat(spec.database().toString()).doesNotContain("s3cr3t-value");
        assertThat(spec.rawSpec()).contains("PGPASSWORD").doesNotContain("s3cr3t-value");
    }

    @Test
    void readsPasswordFileAndStripsOneTrailingNewline(@TempDir Path dir) throws Exception {
        Path pw = dir.resolve("pw.txt");
        Files.writeString(pw, "pa ss\n\n", StandardCharsets.UTF_8);
        String yaml =
                MINIMAL.replace(
                        "  url: embedded\n", "  url: embedded\n  password-file: " + pw + "\n");

        JobSpec spec = parse(yaml);

        assertThat(spec.database().password()).isEqualTo("pa ss\n");
        assertThat(spec.toString()).doesNotContain("pa ss");

        Files.writeString(pw, "crlf\r\n", StandardCharsets.UTF_8);
        assertThat(parse(yaml).database().password()).isEqualTo("crlf");
    }

    @Test
    void resolvesRelativePasswordFileAgainstTheSpecDirectory(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("pw.txt"), "from-file\n", StandardCharsets.UTF_8);
        Path specFile = dir.resolve("job.yaml");
        Files.writeString(
                specFile,
                MINIMAL.replace("  url: embedded\n", "  url: embedded\n  password-file: pw.txt\n"),
                StandardCharsets.UTF_8);

        JobSpec spec = JobSpecParser.parse(specFile);

        assertThat(spec.database().password()).isEqualTo("from-file");
        assertThat(spec.sourceFile()).isEqualTo(specFile.toString());
    }

    @Test
    void parsesTheDemoSpec() {
        JobSpec spec = JobSpecParser.parse(Path.of("conf/jobs/demo.yaml"));

        assertThat(spec.sourceFile()).isEqualTo("conf/jobs/demo.yaml");
        assertThat(spec.reorgId()).isEqualTo("demo-orders-email");
        assertThat(spec.database().isEmbedded()).isTrue();
        assertThat(spec.database().user()).isEqualTo("postgres");
        assertThat(spec.database().password()).isNull();
        assertThat(spec.database().demoRows()).isEqualTo(1_000_000);
        assertThat(spec.schema()).isEqualTo("demo");
        assertThat(spec.table()).isEqualTo("orders");
        assertThat(addIndex(spec).name()).isEqualTo("orders_email");
        assertThat(addIndex(spec).columns()).containsExactly("email");
        assertThat(addIndex(spec).unique()).isTrue();
        assertThat(spec.tuning().parallelism()).isEqualTo(2);
        assertThat(spec.tuning().batchSize()).isEqualTo(1000);
        assertThat(spec.tuning().splitRows()).isEqualTo(100_000);
        assertThat(spec.tuning().checkpointInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(spec.tuning().lockTimeout()).isEqualTo(Duration.ofMillis(500));
    }

    // ---------------------------------------------------------------------------------------
    // modify-column: good specs
    // ---------------------------------------------------------------------------------------

    @Test
    void parsesAFullModifyColumnSpec() {
        String yaml =
                "reorg: orders-amount-cents\n"
                        + "database:\n"
                        + "  url: jdbc:postgresql://db.example:5432/shop\n"
                        + "  user: alice\n"
                        + "table: shop.orders\n"
                        + "modify-column:\n"
                        + "  column: amount\n"
                        + "  type: numeric(12,2)\n"
                        + "  using: \"amount::numeric / 100\"\n"
                        + "  converter: null\n"
                        + "  cutover: manual\n"
                        + "tuning:\n"
                        + "  parallelism: 4\n"
                        + "  lock-timeout: 2s\n";

        JobSpec spec = JobSpecParser.parse(yaml, "shop.yaml", Map.of());

        assertThat(spec.reorgId()).isEqualTo("orders-amount-cents");
        assertThat(spec.rawSpec()).isEqualTo(yaml);
        assertThat(spec.database().user()).isEqualTo("alice");
        assertThat(spec.tableName()).isEqualTo("shop.orders");
        assertThat(spec.operation()).isEqualTo(JobSpec.Operation.MODIFY_COLUMN);
        assertThat(addIndex(spec)).isNull();
        ModifyColumnSpec m = modifyColumn(spec);
        assertThat(m.column()).isEqualTo("amount");
        assertThat(m.type()).isEqualTo("numeric(12,2)");
        assertThat(m.using()).isEqualTo("amount::numeric / 100");
        assertThat(m.converter()).isNull();
        assertThat(m.converterOptions()).isEmpty();
        assertThat(m.cutover()).isEqualTo(Cutover.MANUAL);
        assertThat(spec.tuning().parallelism()).isEqualTo(4);
        assertThat(spec.tuning().lockTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(spec.toString()).contains("operation=modify-column");
        assertThat(m.toString())
                .isEqualTo(
                        "{column=amount, type=numeric(12,2), using=amount::numeric / 100,"
                                + " cutover=manual}");
    }

    @Test
    void appliesModifyColumnDefaults() {
        JobSpec spec = parse(MODIFY);

        assertThat(spec.reorgId()).isEqualTo("shop.orders-modify-column-amount");
        assertThat(spec.operation()).isEqualTo(JobSpec.Operation.MODIFY_COLUMN);
        assertThat(addIndex(spec)).isNull();
        ModifyColumnSpec m = modifyColumn(spec);
        assertThat(m.using()).isNull();
        assertThat(m.converter()).isNull();
        assertThat(m.converterOptions()).isNotNull().isEmpty();
        assertThat(m.cutover()).isEqualTo(Cutover.AUTO);
        assertThat(spec.tuning().toString()).isEqualTo(JobSpec.TuningSpec.defaults().toString());

        // Empty optional keys count as absent, as `converter: null` in the example.
        JobSpec empty =
                parse(MODIFY + "  using:\n  converter: null\n  converter-options:\n  cutover: ~\n");
        assertThat(modifyColumn(empty)).isEqualTo(m);
    }

    @Test
    void modifyColumnDefaultReorgIdUsesTheTableAsWrittenAndTheColumn() {
        JobSpec spec =
                parse(
                        MODIFY.replace("table: shop.orders", "table: orders")
                                .replace("column: amount", "column: '\"Total Amount\"'"));
        assertThat(modifyColumn(spec).column()).isEqualTo("Total Amount");
        assertThat(spec.reorgId()).isEqualTo("orders-modify-column-Total_Amount");

        assertError(
                MODIFY.replace("column: amount", "column: " + "c".repeat(40)),
                1,
                "reorg",
                "over the limit of 63");
    }

    @Test
    void parsesAConverterWithOptions() {
        JobSpec spec =
                parse(
                        MODIFY.replace("numeric(12,2)", "timestamptz")
                                + "  converter: timestamptz\n"
                                + "  converter-options:\n"
                                + "    format: yyyy-MM-dd\n"
                                + "    zone: Europe/Berlin\n"
                                + "    lenient: false\n");

        ModifyColumnSpec m = modifyColumn(spec);
        assertThat(m.type()).isEqualTo("timestamptz");
        assertThat(m.using()).isNull();
        assertThat(m.converter()).isEqualTo("timestamptz");
        // In spec order; scalars other than strings are taken as written.
        assertThat(m.converterOptions())
                .containsExactly(
                        Map.entry("format", "yyyy-MM-dd"),
                        Map.entry("zone", "Europe/Berlin"),
                        Map.entry("lenient", "false"));
        assertThatThrownBy(() -> m.converterOptions().put("x", "y"))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(m.cutover()).isEqualTo(Cutover.AUTO);

        for (String converter : JobSpecParser.CONVERTERS) {
            assertThat(modifyColumn(parse(MODIFY + "  converter: " + converter + "\n")).converter())
                    .isEqualTo(converter);
        }
    }

    @Test
    void modifyColumnSpecSurvivesSerializationAndWithDatabase() throws Exception {
        JobSpec spec =
                parse(
                        MODIFY
                                + "  converter: numeric\n"
                                + "  converter-options: {scale: 2}\n"
                                + "  cutover: manual\n");

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(spec);
        }
        JobSpec copy;
        try (ObjectInputStream in =
                new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (JobSpec) in.readObject();
        }
        assertThat(modifyColumn(copy)).isEqualTo(modifyColumn(spec));
        assertThat(modifyColumn(copy).converterOptions()).containsExactly(Map.entry("scale", "2"));

        JobSpec moved =
                spec.withDatabase(spec.database().withUrl("jdbc:postgresql://localhost:5432/x"));
        assertThat(modifyColumn(moved)).isSameAs(modifyColumn(spec));
        assertThat(moved.operation()).isEqualTo(JobSpec.Operation.MODIFY_COLUMN);
    }

    @Test
    void jobSpecKeepsOperationAndPartsConsistent() {
        JobSpec spec = parse(MODIFY);
        // The add-index constructor cannot carry a modify-column part.
        assertThatThrownBy(
                        () ->
                                new JobSpec(
                                        spec.sourceFile(),
                                        spec.reorgId(),
                                        spec.rawSpec(),
                                        spec.database(),
                                        spec.schema(),
                                        spec.table(),
                                        JobSpec.Operation.MODIFY_COLUMN,
                                        null,
                                        spec.tuning()))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("modifyColumn");
        assertThatThrownBy(
                        () ->
                                new JobSpec(
                                        spec.sourceFile(),
                                        spec.reorgId(),
                                        spec.rawSpec(),
                                        spec.database(),
                                        spec.schema(),
                                        spec.table(),
                                        JobSpec.Operation.ADD_INDEX,
                                        null,
                                        modifyColumn(spec),
                                        spec.tuning()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(modifyColumn(parse(MINIMAL))).isNull();
    }

    @Test
    void parsesTheDemoModifyColumnSpec() {
        JobSpec spec = JobSpecParser.parse(Path.of("conf/jobs/demo-modify-column.yaml"));

        assertThat(spec.reorgId()).isEqualTo("demo-orders-amount-bigint");
        assertThat(spec.database().isEmbedded()).isTrue();
        assertThat(spec.database().user()).isEqualTo("postgres");
        assertThat(spec.database().password()).isNull();
        assertThat(spec.database().demoRows()).isEqualTo(1_000_000);
        assertThat(spec.schema()).isEqualTo("demo");
        assertThat(spec.table()).isEqualTo("orders");
        assertThat(spec.operation()).isEqualTo(JobSpec.Operation.MODIFY_COLUMN);
        assertThat(addIndex(spec)).isNull();
        ModifyColumnSpec m = modifyColumn(spec);
        assertThat(m.column()).isEqualTo("amount");
        assertThat(m.type()).isEqualTo("bigint");
        assertThat(m.using()).isNull();
        assertThat(m.converter()).isNull();
        assertThat(m.converterOptions()).isEmpty();
        assertThat(m.cutover()).isEqualTo(Cutover.AUTO);
        // Tuned like conf/jobs/demo.yaml.
        JobSpec demo = JobSpecParser.parse(Path.of("conf/jobs/demo.yaml"));
        assertThat(spec.tuning().toString()).isEqualTo(demo.tuning().toString());
    }

    // ---------------------------------------------------------------------------------------
    // modify-column: bad specs
    // ---------------------------------------------------------------------------------------

    @Test
    void rejectsUsingAndConverterTogether() {
        assertError(
                MODIFY + "  using: amount::numeric\n  converter: numeric\n",
                8,
                "modify-column.converter",
                "either using (line 7) or converter (line 8), not both");
        // Reported at the converter's line whichever comes first.
        assertError(
                MODIFY + "  converter: numeric\n  using: amount::numeric\n",
                7,
                "modify-column.converter",
                "either using (line 8) or converter (line 7), not both");
    }

    @Test
    void rejectsConverterOptionsWithoutConverter() {
        assertError(
                MODIFY + "  converter-options:\n    format: yyyy-MM-dd\n",
                7,
                "modify-column.converter-options",
                "only applies with converter",
                "integer, numeric, timestamptz, jsonb");
        assertError(
                MODIFY + "  using: amount::numeric\n  converter-options: {scale: 2}\n",
                8,
                "modify-column.converter-options",
                "only applies with converter",
                "using expression at line 7 takes none");
    }

    @Test
    void rejectsBadConverterOptions() {
        assertError(
                MODIFY + "  converter: timestamptz\n  converter-options: yyyy-MM-dd\n",
                8,
                "modify-column.converter-options",
                "expected a map of option names to values",
                "got \"yyyy-MM-dd\"");
        assertError(
                MODIFY + "  converter: timestamptz\n  converter-options:\n    format: [a, b]\n",
                9,
                "modify-column.converter-options.format",
                "expected a value for converter option format, got a list");
        assertError(
                MODIFY + "  converter: timestamptz\n  converter-options:\n    zone:\n",
                9,
                "modify-column.converter-options.zone",
                "got nothing");
    }

    @Test
    void rejectsUnknownConverter() {
        assertError(
                MODIFY + "  converter: money\n",
                7,
                "modify-column.converter",
                "unknown converter \"money\"",
                "integer, numeric, timestamptz, jsonb");
        assertError(
                MODIFY + "  converter: [numeric]\n",
                7,
                "modify-column.converter",
                "expected a converter: integer, numeric, timestamptz, jsonb",
                "got a list");
    }

    @Test
    void rejectsBadCutover() {
        assertError(
                MODIFY + "  cutover: later\n",
                7,
                "modify-column.cutover",
                "must be auto",
                "or manual",
                "got \"later\"");
        assertError(MODIFY + "  cutover: AUTO\n", 7, "modify-column.cutover", "got \"AUTO\"");
    }

    @Test
    void rejectsMissingOrBadColumn() {
        assertError(
                MODIFY.replace("  column: amount\n", ""),
                4,
                "modify-column.column",
                "missing",
                "a column name");
        assertError(
                MODIFY.replace("column: amount", "column:"), 5, "modify-column.column", "is empty");
        assertError(
                MODIFY.replace("column: amount", "column: orders.amount"),
                5,
                "modify-column.column",
                "expected a column name",
                "2 dot-separated parts");
        assertError(
                MODIFY.replace("column: amount", "column: [amount]"),
                5,
                "modify-column.column",
                "got a list");
        assertError(
                MODIFY.replace("column: amount", "column: " + "a".repeat(64)),
                5,
                "modify-column.column",
                "longer than PostgreSQL's limit of 63 bytes");
    }

    @Test
    void rejectsMissingOrBadType() {
        assertError(
                MODIFY.replace("  type: numeric(12,2)\n", ""),
                4,
                "modify-column.type",
                "missing",
                "a PostgreSQL type");
        assertError(
                MODIFY.replace("type: numeric(12,2)", "type: ''"),
                6,
                "modify-column.type",
                "is empty");
        assertError(
                MODIFY.replace("type: numeric(12,2)", "type: \"bigint; DROP TABLE x\""),
                6,
                "modify-column.type",
                "must not contain ';'");
    }

    @Test
    void rejectsEmptyUsing() {
        assertError(MODIFY + "  using: '  '\n", 7, "modify-column.using", "is empty");
    }

    @Test
    void rejectsUnknownKeyInModifyColumn() {
        assertError(
                MODIFY + "  converter_options: {}\n",
                7,
                "modify-column.converter_options",
                "unknown key",
                "in modify-column are column, type, using, converter, converter-options, cutover",
                "did you mean converter-options?");
        assertError(
                MODIFY + "  default: 0\n",
                7,
                "modify-column.default",
                "unknown key",
                "column, type, using, converter, converter-options, cutover");
    }

    @Test
    void rejectsModifyColumnThatIsNotAMap() {
        assertError(
                MODIFY.replace(
                        "modify-column:\n  column: amount\n  type: numeric(12,2)\n",
                        "modify-column:\n"),
                4,
                "modify-column",
                "expected a map with the keys column, type",
                "got nothing");
        assertError(
                MODIFY.replace(
                        "modify-column:\n  column: amount\n  type: numeric(12,2)\n",
                        "modify-column: amount\n"),
                4,
                "modify-column",
                "got \"amount\"");
    }

    // ---------------------------------------------------------------------------------------
    // Bad specs: each names the file, the line and the field
    // ---------------------------------------------------------------------------------------

    @Test
    void rejectsUnknownTopLevelKey() {
        assertError(
                MINIMAL + "colour: red\n",
                7,
                "colour",
                "unknown key",
                "reorg, database, table, add-index, modify-column, tuning, verify");
    }

    @Test
    void verifyIsRepairUnlessTheSpecSaysStrict() {
        assertThat(parse(MINIMAL).verify()).isEqualTo(JobSpec.Verify.REPAIR);
        assertThat(parse(MINIMAL + "verify: repair\n").verify()).isEqualTo(JobSpec.Verify.REPAIR);
        assertThat(parse(MINIMAL + "verify: strict\n").verify()).isEqualTo(JobSpec.Verify.STRICT);
        assertThat(parse(MODIFY + "verify: strict\n").verify()).isEqualTo(JobSpec.Verify.STRICT);
        assertThat(parse(MINIMAL + "verify:\n").verify()).isEqualTo(JobSpec.Verify.REPAIR);
        // The mode survives resolving the embedded database.
        JobSpec strict = parse(MINIMAL + "verify: strict\n");
        assertThat(
                        strict.withDatabase(strict.database().withUrl("jdbc:postgresql://h/db"))
                                .verify())
                .isEqualTo(JobSpec.Verify.STRICT);
    }

    @Test
    void rejectsBadVerify() {
        assertError(
                MINIMAL + "verify: paranoid\n",
                7,
                "verify",
                "must be repair",
                "or strict",
                "got \"paranoid\"");
        assertError(MINIMAL + "verify: STRICT\n", 7, "verify", "got \"STRICT\"");
        assertError(MINIMAL + "verify: [strict]\n", 7, "verify", "expected strict or repair");
    }

    @Test
    void rejectsUnknownKeyInTuning() {
        assertError(
                MINIMAL + "tuning:\n  parallelism: 2\n  batch_size: 10\n",
                9,
                "tuning.batch_size",
                "unknown key",
                "parallelism, batch-size, split-rows, checkpoint-interval, lock-timeout,"
                        + " max-rows-per-second, throttle, synchronous-commit",
                "did you mean batch-size?");
    }

    @Test
    void rejectsPasswordInTheSpecWithoutEchoingIt() {
        JobSpecException e =
                assertError(
                        MINIMAL.replace(
                                "  url: embedded\n", "  url: embedded\n  password: topsecret\n"),
                        3,
                        "database.password",
                        "unknown key",
                        "password-env");
        assertThat(e.getMessage()).doesNotContain("topsecret");
    }

    @Test
    void rejectsMissingTable() {
        assertError(
                MINIMAL.replace("table: demo.orders\n", ""), 1, "table", "missing", "schema.table");
    }

    @Test
    void rejectsMissingColumns() {
        assertError(
                MINIMAL.replace("  columns: [email]\n", ""),
                4,
                "add-index.columns",
                "missing",
                "[email]");
    }

    @Test
    void rejectsMissingUrlAtTheLineOfDatabase() {
        assertError(
                "reorg: x\n" + MINIMAL.replace("  url: embedded\n", "  user: u\n"),
                2,
                "database.url",
                "missing");
    }

    @Test
    void rejectsBadDuration() {
        assertError(
                MINIMAL + "tuning:\n  checkpoint-interval: 5 sec\n",
                8,
                "tuning.checkpoint-interval",
                "\"5 sec\"",
                "500ms, 5s, 2m or 1h");
        assertError(
                MINIMAL + "tuning:\n  lock-timeout: 30\n",
                8,
                "tuning.lock-timeout",
                "got 30",
                "500ms, 5s, 2m or 1h");
        assertError(
                MINIMAL + "tuning:\n  lock-timeout: 0ms\n",
                8,
                "tuning.lock-timeout",
                "at least 1ms");
    }

    @Test
    void rejectsBatchSizeZero() {
        assertError(
                MINIMAL + "tuning:\n  batch-size: 0\n",
                8,
                "tuning.batch-size",
                "must be a whole number from 1 to 100000, got 0");
    }

    @Test
    void rejectsOutOfRangeNumbers() {
        assertError(
                MINIMAL + "tuning:\n  parallelism: 2000\n",
                8,
                "tuning.parallelism",
                "from 1 to 1024, got 2000");
        assertError(
                MINIMAL + "tuning:\n  max-rows-per-second: -1\n",
                8,
                "tuning.max-rows-per-second",
                "at least 0, got -1");
        assertError(
                MINIMAL + "tuning:\n  split-rows: 99999999999999999999999\n",
                8,
                "tuning.split-rows",
                "at least 1, got 99999999999999999999999");
    }

    @Test
    void rejectsWrongTypes() {
        assertError(
                MINIMAL + "tuning:\n  parallelism: abc\n",
                8,
                "tuning.parallelism",
                "expected a whole number from 1 to 1024, got \"abc\"");
        assertError(MINIMAL + "tuning:\n  batch-size: 1.5\n", 8, "tuning.batch-size", "got 1.5");
        assertError(
                MINIMAL.replace("columns: [email]", "columns: email"),
                6,
                "add-index.columns",
                "expected a list of column names",
                "got \"email\"");
        assertError(
                MINIMAL.replace("table: demo.orders", "table: [demo, orders]"),
                3,
                "table",
                "got a list");
        assertError(
                MINIMAL.replace("add-index:\n", "add-index:\n  unique: maybe\n"),
                5,
                "add-index.unique",
                "expected true or false, got \"maybe\"");
        assertError(
                MINIMAL + "tuning: fast\n",
                7,
                "tuning",
                "expected a map with the keys parallelism",
                "got \"fast\"");
    }

    @Test
    void rejectsTwoPasswords() {
        assertError(
                MINIMAL.replace(
                        "  url: embedded\n",
                        "  url: embedded\n  password-env: PGPASSWORD\n  password-file: /pw\n"),
                Map.of("PGPASSWORD", "x"),
                4,
                "database.password-file",
                "either password-env or password-file, not both",
                "line 3");
    }

    @Test
    void rejectsUnsetPasswordEnvNamingTheVariable() {
        assertError(
                MINIMAL.replace("  url: embedded\n", "  url: embedded\n  password-env: SHOP_PW\n"),
                3,
                "database.password-env",
                "environment variable SHOP_PW is not set");
    }

    @Test
    void rejectsUnreadablePasswordFileNamingThePath(@TempDir Path dir) {
        Path missing = dir.resolve("nope.txt");
        assertError(
                MINIMAL.replace(
                        "  url: embedded\n", "  url: embedded\n  password-file: " + missing + "\n"),
                3,
                "database.password-file",
                "cannot read password file " + missing,
                "NoSuchFileException");
    }

    @Test
    void rejectsBadUrls() {
        assertError(
                MINIMAL.replace("url: embedded", "url: postgres://h/db"),
                2,
                "database.url",
                "must be embedded or a URL starting with jdbc:postgresql://");
        JobSpecException e =
                assertError(
                        MINIMAL.replace("url: embedded", "url: jdbc:postgresql://bob:hunter2@h/db"),
                        2,
                        "database.url",
                        "holds a user:password@ part",
                        "password-env");
        assertThat(e.getMessage()).doesNotContain("hunter2");
    }

    @Test
    void rejectsDemoRowsWithAJdbcUrl() {
        assertError(
                MINIMAL.replace(
                        "  url: embedded\n",
                        "  url: jdbc:postgresql://localhost/db\n  demo-rows: 10\n"),
                3,
                "database.demo-rows",
                "only applies to url: embedded");
    }

    @Test
    void rejectsBothOperations() {
        assertError(
                MINIMAL + "modify-column:\n  column: x\n",
                7,
                "modify-column",
                "exactly one operation",
                "add-index is also given at line 4");
    }

    @Test
    void rejectsBothOperationsModifyColumnFirst() {
        assertError(
                MODIFY + "add-index:\n  name: orders_amount\n  columns: [amount]\n",
                7,
                "add-index",
                "exactly one operation",
                "modify-column is also given at line 4");
    }

    @Test
    void rejectsNoOperation() {
        assertError(
                "database:\n  url: embedded\ntable: demo.orders\n",
                1,
                JobSpecParser.TOP_LEVEL,
                "no operation",
                "exactly one operation",
                "add-index (",
                "modify-column (");
    }

    @Test
    void rejectsMalformedYaml() {
        JobSpecException e =
                assertError(
                        "database:\n  url: embedded\n table: demo.orders\n",
                        3,
                        JobSpecParser.YAML,
                        "not valid YAML");
        assertThat(e.getCause()).isNotNull();

        assertError(
                MINIMAL.replace("columns: [email]", "columns: [email"),
                7,
                JobSpecParser.YAML,
                "not valid YAML",
                "expected ',' or ']'");
    }

    @Test
    void rejectsBadReorgId() {
        assertError(
                "# header\nreorg: my reorg!\n" + MINIMAL,
                2,
                "reorg",
                "1 to 63 characters from A-Z, a-z, 0-9",
                "got \"my reorg!\"");
        assertError("reorg: " + "x".repeat(64) + "\n" + MINIMAL, 1, "reorg", "1 to 63 characters");
    }

    @Test
    void rejectsTooLongDefaultReorgId() {
        assertError(
                MINIMAL.replace("name: orders_email", "name: " + "n".repeat(50)),
                1,
                "reorg",
                "over the limit of 63",
                "set reorg:");
    }

    @Test
    void rejectsDuplicateKeys() {
        assertError(
                MINIMAL + "tuning:\n  batch-size: 10\n  batch-size: 20\n",
                9,
                "tuning.batch-size",
                "duplicate key",
                "line 8");
        assertError(MINIMAL + "table: other\n", 7, "table", "duplicate key", "line 3");
    }

    @Test
    void rejectsEmptyFileAndNonMaps() {
        assertError("", 1, JobSpecParser.TOP_LEVEL, "the spec is empty");
        assertError("# just a comment\n", 1, JobSpecParser.TOP_LEVEL, "the spec is empty");
        assertError(
                "- database\n- table\n",
                1,
                JobSpecParser.TOP_LEVEL,
                "expected a YAML map",
                "got a list");
        assertError("hello\n", 1, JobSpecParser.TOP_LEVEL, "got \"hello\"");
        assertError(
                MINIMAL + "---\nreorg: again\n",
                8,
                JobSpecParser.TOP_LEVEL,
                "second YAML document");
    }

    @Test
    void rejectsBadTableNames() {
        assertError(
                MINIMAL.replace("table: demo.orders", "table: db.demo.orders"),
                3,
                "table",
                "schema.table or table",
                "3 dot-separated parts");
        assertError(
                MINIMAL.replace("table: demo.orders", "table: demo."),
                3,
                "table",
                "ends with a dot");
        assertError(
                MINIMAL.replace("table: demo.orders", "table: .orders"),
                3,
                "table",
                "empty name part");
        assertError(
                MINIMAL.replace("table: demo.orders", "table: '\"demo.orders'"),
                3,
                "table",
                "is not closed");
        assertError(
                MINIMAL.replace("table: demo.orders", "table: '\"\"'"),
                3,
                "table",
                "empty quoted name");
        assertError(
                MINIMAL.replace("table: demo.orders", "table: demo." + "t".repeat(64)),
                3,
                "table",
                "longer than PostgreSQL's limit of 63 bytes");
    }

    @Test
    void rejectsBadIndexNamesAndColumns() {
        assertError(
                MINIMAL.replace("name: orders_email", "name: demo.orders_email"),
                5,
                "add-index.name",
                "a name without a dot");
        assertError(
                MINIMAL.replace("columns: [email]", "columns: []"),
                6,
                "add-index.columns",
                "is empty");
        assertError(
                MINIMAL.replace(
                        "  columns: [email]\n",
                        "  columns:\n    - email\n    - Email\n    - email\n"),
                9,
                "add-index.columns",
                "item 3: column \"email\" is already listed as item 1");
        assertError(
                MINIMAL.replace("  columns: [email]\n", "  columns:\n    - email\n    - [a, b]\n"),
                8,
                "add-index.columns",
                "item 2: expected a column name, got a list");
    }

    @Test
    void rejectsAliases() {
        assertError(
                MINIMAL + "tuning:\n  batch-size: &n 10\n  split-rows: *n\n",
                9,
                "tuning.split-rows",
                "aliases");
    }

    @Test
    void reportsUnreadableSpecFileWithoutALine(@TempDir Path dir) {
        Path missing = dir.resolve("missing.yaml");
        JobSpecException e =
                catchThrowableOfType(JobSpecException.class, () -> JobSpecParser.parse(missing));
        assertThat(e.file()).isEqualTo(missing.toString());
        assertThat(e.line()).isZero();
        assertThat(e.getMessage())
                .startsWith(
                        missing + ": " + JobSpecParser.TOP_LEVEL + ": cannot read the spec file");
    }
}
