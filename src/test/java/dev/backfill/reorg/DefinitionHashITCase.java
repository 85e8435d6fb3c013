package dev.backfill.reorg;

import dev.backfill.db.Catalog;
import dev.backfill.db.TestingPostgres;
import dev.backfill.job.JobSpecParser;
import dev.backfill.job.TestingReorgs;
import dev.backfill.model.JobSpec;

import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

import java.sql.Connection;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The definition hash that prepare records in {@code backfill.reorgs.spec_hash} is pinned: a reorg
 * prepared by an earlier version must still be recognised as the same reorg when its spec is run
 * again, whatever the code that computes the hash has become. The expected values are SHA-256 of
 * the definition text as it was first defined (table, operation, then the operation's part).
 */
class DefinitionHashITCase {

    private static JobSpec spec(String db, String reorg, String table, String body) {
        String yaml =
                "reorg: "
                        + reorg
                        + "\ndatabase:\n  url: "
                        + TestingPostgres.get().jdbcUrl(db)
                        + "\n  user: postgres\ntable: "
                        + table
                        + "\n"
                        + body;
        return JobSpecParser.parse(yaml, reorg + ".yaml", Map.of());
    }

    private static String recordedHash(DataSource ds, String reorg) throws Exception {
        try (Connection c = ds.getConnection()) {
            return Catalog.find(c, reorg).orElseThrow().specHash;
        }
    }

    @Test
    void theRecordedDefinitionHashesAreThoseOfEarlierVersions() throws Exception {
        String db = "definition_hash";
        DataSource ds =
                TestingReorgs.database(
                        db,
                        "CREATE SCHEMA shop",
                        "CREATE TABLE shop.accounts (id bigint PRIMARY KEY, email text)",
                        "CREATE TABLE shop.ledger (id bigint PRIMARY KEY, amount integer)",
                        "CREATE TABLE shop.events (id bigint PRIMARY KEY, qty text)");

        ReorgSetup.Outcome index =
                ReorgSetup.run(
                        spec(
                                db,
                                "dh-index",
                                "shop.accounts",
                                "add-index:\n  name: accounts_email\n  columns: [email]\n"
                                        + "  unique: true\n"));
        ReorgSetup.Outcome using =
                ReorgSetup.run(
                        spec(
                                db,
                                "dh-using",
                                "shop.ledger",
                                "modify-column:\n  column: amount\n  type: bigint\n"
                                        + "  using: \"amount::bigint * 1\"\n"));
        ReorgSetup.Outcome converter =
                ReorgSetup.run(
                        spec(
                                db,
                                "dh-converter",
                                "shop.events",
                                "modify-column:\n  column: qty\n  type: integer\n"
                                        + "  converter: integer\n"));

        assertThat(index.status).isEqualTo(ReorgSetup.Status.PREPARED);
        assertThat(using.status).isEqualTo(ReorgSetup.Status.PREPARED);
        assertThat(converter.status).isEqualTo(ReorgSetup.Status.PREPARED);
        // sha256("shop.accounts\nadd-index\naccounts_email\n[email]\ntrue")
        assertThat(recordedHash(ds, "dh-index"))
                .isEqualTo("d6322f0b70703ef13ee630064d360ccddb08c59697785f83b6c2c2bd7a4b4c68");
        // sha256("shop.ledger\nmodify-column\namount\nbigint\namount::bigint * 1\nnull\n{}")
        assertThat(recordedHash(ds, "dh-using"))
                .isEqualTo("1a6de2e433fefd35332740e2ac9543935d07a3f8004794f3d36176e33a72e326");
        // sha256("shop.events\nmodify-column\nqty\ninteger\nnull\ninteger\n{}")
        assertThat(recordedHash(ds, "dh-converter"))
                .isEqualTo("13fde5a2665c3ade83c4d7332df56cd1c2acac54fd1e7b42d9b2a580da7af5a6");
    }
}
