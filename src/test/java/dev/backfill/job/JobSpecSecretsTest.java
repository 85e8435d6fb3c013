package dev.backfill.job;

import dev.backfill.model.JobSpec;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Issue #9, hardening: the secrets of a JDBC URL never reach the stored spec text or an error of
 * the parser, while the URL the job connects with stays as given; a {@code using} that is not one
 * expression is refused with its line.
 */
class JobSpecSecretsTest {
    private static final String URL =
            "jdbc:postgresql://db.example:5432/shop?password=s3cret&ssl=true&sslpassword=s3cret2";

    private static String spec(String url) {
        return "database:\n" // 1
                + "  url: "
                + url
                + "\n" // 2
                + "  user: app\n" // 3
                + "table: shop.orders\n" // 4
                + "add-index:\n" // 5
                + "  name: orders_email\n" // 6
                + "  columns: [email]\n"; // 7
    }

    @Test
    void theStoredSpecHoldsNoSecretButTheJobConnectsWithThem() {
        for (String url : new String[] {URL, "\"" + URL + "\"", "'" + URL + "'"}) {
            JobSpec s = JobSpecParser.parse(spec(url), "orders.yaml", Map.of());
            assertThat(s.rawSpec())
                    .doesNotContain("s3cret")
                    .contains("password=***&ssl=true&sslpassword=***");
            assertThat(s.toString()).doesNotContain("s3cret");
            assertThat(s.database().toString()).doesNotContain("s3cret");
            assertThat(s.database().url()).isEqualTo(URL);
        }
    }

    @Test
    void aSecretThatCannotBeMaskedInTheTextIsRefused() {
        // A YAML escape hides the parameter's name from the redaction; a space cuts the value.
        for (String url :
                new String[] {
                    "\"jdbc:postgresql://h/db?pass\\x77ord=s3cret\"",
                    "\"jdbc:postgresql://h/db?sslpassword=s3 cret\""
                }) {
            JobSpecException e =
                    catchThrowableOfType(
                            JobSpecException.class,
                            () -> JobSpecParser.parse(spec(url), "orders.yaml", Map.of()));
            assertThat(e).as(url).isNotNull();
            assertThat(e.getMessage())
                    .startsWith("orders.yaml:2: database.url: holds a secret")
                    .doesNotContain("s3cret")
                    .doesNotContain("s3 cret");
        }
    }

    @Test
    void aYamlErrorOnTheUrlsLineDoesNotEchoTheSecret() {
        JobSpecException e =
                catchThrowableOfType(
                        JobSpecException.class,
                        () ->
                                JobSpecParser.parse(
                                        spec("\"" + URL) + "  bad: [\n", "orders.yaml", Map.of()));
        assertThat(e).isNotNull();
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain("s3cret");
        }
    }

    @Test
    void aUsingThatIsNotOneExpressionIsRefusedWithItsLine() {
        String yaml =
                "database:\n" // 1
                        + "  url: embedded\n" // 2
                        + "table: shop.orders\n" // 3
                        + "modify-column:\n" // 4
                        + "  column: amount\n" // 5
                        + "  type: numeric(12,2)\n" // 6
                        + "  using: \"1); DROP TABLE x; SELECT (1\"\n"; // 7
        JobSpecException e =
                catchThrowableOfType(
                        JobSpecException.class,
                        () -> JobSpecParser.parse(yaml, "orders.yaml", Map.of()));
        assertThat(e).isNotNull();
        assertThat(e.getMessage())
                .isEqualTo(
                        "orders.yaml:7: modify-column.using: closes a parenthesis it did not"
                                + " open, got \"1); DROP TABLE x; SELECT (1\"; expected an SQL"
                                + " expression over the row's columns, like amount::numeric /"
                                + " 100");
    }
}
