package dev.backfill.model;

import org.junit.jupiter.api.Test;

import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;

/** The one redaction of a JDBC URL's secrets. */
class SecretsTest {
    @Test
    void redactsEverySecretParameterAndKeepsTheRest() {
        assertThat(
                        Secrets.redact(
                                "jdbc:postgresql://h:5432/db?password=s3cret&ssl=true"
                                        + "&sslpassword=s3cret2&sslkey=/k.pk8&PASSWORD=x"
                                        + "&sslfactoryarg=s3cret3"))
                .isEqualTo(
                        "jdbc:postgresql://h:5432/db?password=***&ssl=true"
                                + "&sslpassword=***&sslkey=/k.pk8&PASSWORD=***"
                                + "&sslfactoryarg=***");
    }

    @Test
    void redactsAUrlInsideOtherText() {
        String yaml =
                "database:\n  url: \"jdbc:postgresql://h/db?sslpassword=s3cret\"\n"
                        + "  user: app\n  password-env: PGPASSWORD\n";
        assertThat(Secrets.redact(yaml))
                .isEqualTo(
                        "database:\n  url: \"jdbc:postgresql://h/db?sslpassword=***\"\n"
                                + "  user: app\n  password-env: PGPASSWORD\n");
        assertThat(Secrets.redact("cannot reach jdbc:postgresql://bob:s3cret@h/db: refused"))
                .isEqualTo("cannot reach jdbc:postgresql://bob:***@h/db: refused");
    }

    @Test
    void leavesTextWithoutSecretsAlone() {
        String url = "jdbc:postgresql://localhost:5432/db?ssl=true&ApplicationName=x";
        assertThat(Secrets.redact(url)).isEqualTo(url);
        assertThat(Secrets.redact("using: a_password = 'x'")).isEqualTo("using: a_password = 'x'");
        assertThat(Secrets.holdsSecret(url)).isFalse();
    }

    @Test
    void holdsSecretJudgesTheWholeValueAsTheDriverReadsIt() {
        assertThat(Secrets.holdsSecret("jdbc:postgresql://h/db?password=s3cret")).isTrue();
        assertThat(Secrets.holdsSecret("jdbc:postgresql://h/db?a=1&sslPassword=x")).isTrue();
        assertThat(Secrets.holdsSecret("jdbc:postgresql://h/db?password=***")).isFalse();
        // Redaction stops at a space; what is left of the value is still a secret.
        assertThat(Secrets.holdsSecret("jdbc:postgresql://h/db?password=*** tail")).isTrue();
        assertThat(Secrets.holdsSecret("jdbc:postgresql://bob:pw@h/db")).isTrue();
        assertThat(Secrets.holdsSecret("jdbc:postgresql://bob:***@h/db")).isFalse();
    }

    @Test
    void scrubReplacesAnExceptionWhoseChainLeaksASecret() {
        SQLException leaking =
                new SQLException(
                        "The connection attempt failed.",
                        "08001",
                        new RuntimeException("unknown host jdbc:postgresql://bob:s3cret@h/db"));
        SQLException scrubbed = Secrets.scrub(leaking);
        assertThat(scrubbed.getMessage())
                .isEqualTo(
                        "The connection attempt failed.: unknown host"
                                + " jdbc:postgresql://bob:***@h/db");
        assertThat(scrubbed.getSQLState()).isEqualTo("08001");
        assertThat(scrubbed.getCause()).isNull();

        SQLException clean = new SQLException("Connection refused", "08001");
        assertThat((Object) Secrets.scrub(clean)).isSameAs(clean);
    }
}
