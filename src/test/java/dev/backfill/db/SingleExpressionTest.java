package dev.backfill.db;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** What {@link SingleExpression} accepts as one expression, and what it refuses. */
class SingleExpressionTest {
    @ParameterizedTest
    @ValueSource(
            strings = {
                "amount::numeric / 100",
                "NULLIF(code, '')::integer",
                "CASE WHEN a > 0 THEN (a) ELSE -(a) END",
                "'a;b' || \"we;ird\" || $$x;)$$ || $t$ ) ; $t$",
                "E'it\\'s;' || 'x'",
                "'it''s;'",
                "a -- a comment with ; and )",
                "a /* a ; /* nested ) */ comment */ + 1",
                "col$1 + 1",
                "regexp_replace(s, '\\d+', '')",
                "doc::text || '?' || $$?$$ -- ?",
                "integer",
                "numeric(12,2)",
                "timestamp(3) with time zone",
                "character varying(20)[]",
            })
    void acceptsOneExpression(String sql) {
        assertThat(SingleExpression.problem(sql)).isNull();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "1); DROP TABLE x; SELECT (1",
                "1; DROP TABLE x",
                "1) --",
                "1) FROM t WHERE (1",
                "(1",
                "'unclosed",
                "\"unclosed",
                "$tag$ unclosed",
                "1 /* unclosed",
                "E'\\\\'; DROP TABLE x",
                // With standard_conforming_strings off, \' escapes the quote and ; is outside.
                "'\\'' ; DROP TABLE x; --'",
                "int); drop table x; --",
                "doc ? 'key'",
            })
    void refusesAnythingElse(String sql) {
        assertThat(SingleExpression.problem(sql)).isNotNull();
    }

    @org.junit.jupiter.api.Test
    void saysWhatIsWrong() {
        assertThat(SingleExpression.problem("1); DROP TABLE x; SELECT (1"))
                .isEqualTo("closes a parenthesis it did not open");
        assertThat(SingleExpression.problem("1; DROP TABLE x"))
                .startsWith("holds ';' outside quotes and comments");
        assertThat(SingleExpression.problem("f((1)")).isEqualTo("leaves 1 parenthesis(es) open");
        assertThat(SingleExpression.problem("'\\'' ; DROP TABLE x; --'"))
                .contains("standard_conforming_strings off");
    }
}
