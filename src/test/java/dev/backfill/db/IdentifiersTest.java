package dev.backfill.db;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tests for {@link Identifiers}. */
class IdentifiersTest {

    @Test
    void quotesAPlainName() {
        assertThat(Identifiers.quote("orders")).isEqualTo("\"orders\"");
    }

    @Test
    void keepsMixedCaseExactly() {
        assertThat(Identifiers.quote("OrderItems")).isEqualTo("\"OrderItems\"");
    }

    @Test
    void doublesEmbeddedDoubleQuotes() {
        assertThat(Identifiers.quote("my\"table")).isEqualTo("\"my\"\"table\"");
        assertThat(Identifiers.quote("\"")).isEqualTo("\"\"\"\"");
        assertThat(Identifiers.quote("\"\"x\"")).isEqualTo("\"\"\"\"\"x\"\"\"");
    }

    @Test
    void quotesNamesWithSpacesAndPunctuation() {
        assertThat(Identifiers.quote("order id")).isEqualTo("\"order id\"");
        assertThat(Identifiers.quote("E-mail")).isEqualTo("\"E-mail\"");
        assertThat(Identifiers.quote("a.b")).isEqualTo("\"a.b\"");
        assertThat(Identifiers.quote("it's")).isEqualTo("\"it's\"");
    }

    @Test
    void quotesKeywords() {
        assertThat(Identifiers.quote("select")).isEqualTo("\"select\"");
        assertThat(Identifiers.quote("order")).isEqualTo("\"order\"");
        assertThat(Identifiers.quote("user")).isEqualTo("\"user\"");
    }

    @Test
    void keepsUnicodeUnchanged() {
        assertThat(Identifiers.quote("Gr\u00f6\u00dfe")).isEqualTo("\"Gr\u00f6\u00dfe\"");
        assertThat(Identifiers.quote("\u6771\u4eac")).isEqualTo("\"\u6771\u4eac\"");
        assertThat(Identifiers.quote("\ud83d\ude00")).isEqualTo("\"\ud83d\ude00\"");
    }

    @Test
    void rejectsAnEmptyOrNullName() {
        assertThatThrownBy(() -> Identifiers.quote(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> Identifiers.quote(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void rejectsANulCharacter() {
        assertThatThrownBy(() -> Identifiers.quote("a\0b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NUL");
        assertThatThrownBy(() -> Identifiers.quote("\0"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NUL");
    }

    @Test
    void qualifiedQuotesEachPartSeparately() {
        assertThat(Identifiers.qualified("public", "orders")).isEqualTo("\"public\".\"orders\"");
        assertThat(Identifiers.qualified("Shop Data", "Order\"s"))
                .isEqualTo("\"Shop Data\".\"Order\"\"s\"");
        // A dot inside a part stays inside the quotes: it is not a separator.
        assertThat(Identifiers.qualified("a.b", "c")).isEqualTo("\"a.b\".\"c\"");
    }

    @Test
    void qualifiedRejectsAnEmptyPart() {
        assertThatThrownBy(() -> Identifiers.qualified("", "t"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Identifiers.qualified("s", ""))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void listJoinsQuotedNamesWithoutAlias() {
        assertThat(Identifiers.list(null, List.of("id", "Region", "E-mail")))
                .isEqualTo("\"id\", \"Region\", \"E-mail\"");
    }

    @Test
    void listPrefixesEachNameWithTheAlias() {
        assertThat(Identifiers.list("t", List.of("id", "a\"b")))
                .isEqualTo("t.\"id\", t.\"a\"\"b\"");
    }

    @Test
    void listOfOneNameHasNoSeparatorAndEmptyListIsEmpty() {
        assertThat(Identifiers.list("t", List.of("id"))).isEqualTo("t.\"id\"");
        assertThat(Identifiers.list(null, List.of())).isEmpty();
    }

    @Test
    void listRejectsAnEmptyName() {
        assertThatThrownBy(() -> Identifiers.list(null, List.of("a", "")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void literalDoublesSingleQuotes() {
        assertThat(Identifiers.literal("plain")).isEqualTo("'plain'");
        assertThat(Identifiers.literal("it's")).isEqualTo("'it''s'");
        assertThat(Identifiers.literal("''")).isEqualTo("''''''");
        assertThat(Identifiers.literal("")).isEqualTo("''");
    }

    @Test
    void literalLeavesDoubleQuotesBackslashesAndUnicodeAlone() {
        assertThat(Identifiers.literal("a\"b\\c \u00e9")).isEqualTo("'a\"b\\c \u00e9'");
    }
}
