# Shared by scripts/*: project paths, the build, the Flink classpath, JVM options.
# shellcheck shell=bash

BACKFILL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BACKFILL_JAR="$BACKFILL_ROOT/target/backfill.jar"
BACKFILL_CP_FILE="$BACKFILL_ROOT/target/flink-classpath.txt"
MVN=(mvn -B -q -f "$BACKFILL_ROOT/pom.xml")

# The JVM options Flink's own scripts pass on JDK 17.
FLINK_JVM_OPTS=(
  -XX:+IgnoreUnrecognizedVMOptions
  --add-exports=java.base/sun.net.util=ALL-UNNAMED
  --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED
  --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
)

# Builds target/backfill.jar when it is missing or older than any source file or the pom.
ensure_jar() {
  if [ ! -f "$BACKFILL_JAR" ] || [ -n "$(find "$BACKFILL_ROOT/src/main" "$BACKFILL_ROOT/pom.xml" -newer "$BACKFILL_JAR" -type f -print -quit)" ]; then
    echo "backfill: building target/backfill.jar (mvn package, tests not built)" >&2
    "${MVN[@]}" -Dmaven.test.skip=true package >&2
  fi
}

# Resolves Flink's own jars (the pom's provided scope: Flink, its web UI, RocksDB, log4j) from Maven,
# cached until the pom changes. Everything else is inside the shaded jar.
ensure_flink_classpath() {
  if [ ! -s "$BACKFILL_CP_FILE" ] || [ "$BACKFILL_ROOT/pom.xml" -nt "$BACKFILL_CP_FILE" ]; then
    echo "backfill: resolving the Flink classpath from Maven" >&2
    mkdir -p "$(dirname "$BACKFILL_CP_FILE")"
    "${MVN[@]}" dependency:build-classpath -DincludeScope=provided -Dmdep.outputFile="$BACKFILL_CP_FILE" >&2
    touch "$BACKFILL_CP_FILE" # the plugin leaves an unchanged file alone, so mark it fresh
  fi
}
