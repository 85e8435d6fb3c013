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

# ---- The multi-process Flink cluster (scripts/cluster, scripts/flink, scripts/cluster-test) ----

# Flink's lib folder, assembled from Maven Central's jars (no Flink distribution is published to
# Maven): scripts/cluster-lib/pom.xml, copied with mvn dependency:copy-dependencies.
BACKFILL_CLUSTER_LIB="$BACKFILL_ROOT/target/cluster-lib"
BACKFILL_CONF_DIR="$BACKFILL_ROOT/conf"

# One version property of the project pom, e.g. pom_property flink.version.
pom_property() {
  sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$BACKFILL_ROOT/pom.xml" | head -n 1
}

# Copies the cluster's jars into target/cluster-lib, once: rebuilt when pom.xml or
# scripts/cluster-lib/pom.xml changes. The versions are the project pom's flink.version and
# log4j.version (the lib pom pins the same ones as its defaults).
ensure_cluster_lib() {
  local stamp="$BACKFILL_CLUSTER_LIB/.complete" lib_pom="$BACKFILL_ROOT/scripts/cluster-lib/pom.xml"
  if [ -f "$stamp" ] && [ ! "$BACKFILL_ROOT/pom.xml" -nt "$stamp" ] && [ ! "$lib_pom" -nt "$stamp" ]; then
    return 0
  fi
  local flink_version log4j_version tmp
  flink_version=$(pom_property flink.version)
  log4j_version=$(pom_property log4j.version)
  if [ -z "$flink_version" ] || [ -z "$log4j_version" ]; then
    echo "backfill: cannot read flink.version and log4j.version from $BACKFILL_ROOT/pom.xml" >&2
    return 1
  fi
  echo "backfill: copying Flink $flink_version's jars (log4j $log4j_version) into target/cluster-lib (mvn dependency:copy-dependencies)" >&2
  mkdir -p "$BACKFILL_ROOT/target"
  tmp=$(mktemp -d "$BACKFILL_ROOT/target/cluster-lib.tmp.XXXXXX")
  if ! mvn -B -q -f "$lib_pom" dependency:copy-dependencies -DincludeScope=runtime \
      -Dflink.version="$flink_version" -Dlog4j.version="$log4j_version" -DoutputDirectory="$tmp" >&2; then
    rm -rf "$tmp"
    echo "backfill: mvn dependency:copy-dependencies failed for $lib_pom" >&2
    return 1
  fi
  touch "$tmp/.complete"
  rm -rf "$BACKFILL_CLUSTER_LIB"
  mv "$tmp" "$BACKFILL_CLUSTER_LIB"
}

# The lib folder as a classpath.
cluster_classpath() {
  local jars=("$BACKFILL_CLUSTER_LIB"/*.jar)
  local IFS=:
  echo "${jars[*]}"
}

# $BACKFILL_HOME (default ~/.backfill) and the cluster's state under it: pid files, logs, the
# ports it was started with (cluster.env), checkpoints, savepoints and temporary files.
cluster_paths() {
  export BACKFILL_HOME="${BACKFILL_HOME:-$HOME/.backfill}"
  BACKFILL_CLUSTER_DIR="$BACKFILL_HOME/cluster"
  BACKFILL_CLUSTER_ENV="$BACKFILL_CLUSTER_DIR/cluster.env"
}

# The REST port: $BACKFILL_REST_PORT, else the one the running cluster of this BACKFILL_HOME was
# started with, else conf/config.yaml's (8081). Sets BACKFILL_REST_PORT_EFFECTIVE.
cluster_rest_port() {
  cluster_paths
  local stored=""
  if [ -f "$BACKFILL_CLUSTER_ENV" ]; then
    stored=$(sed -n 's/^REST_PORT=//p' "$BACKFILL_CLUSTER_ENV")
  fi
  BACKFILL_REST_PORT_EFFECTIVE="${BACKFILL_REST_PORT:-${stored:-8081}}"
  case "$BACKFILL_REST_PORT_EFFECTIVE" in
    ''|*[!0-9]*) echo "backfill: not a port number: '$BACKFILL_REST_PORT_EFFECTIVE' (BACKFILL_REST_PORT)" >&2; return 1 ;;
  esac
}
