# Shared by the scripts: build the jar when it is stale, find or fetch a redis-server binary,
# and ask a Redis whether it answers. Source it; it defines functions only.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/target/chat-worker.jar"
EMBEDDED_REDIS_VERSION=1.4.3

# The JVM flags Hazelcast wants on Java 17+ (the jar's manifest carries the opens for `java -jar`;
# these cover -cp launches and silence the module warnings).
HAZELCAST_JVM_FLAGS=(--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.management/sun.management=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED)

log() { printf '%s\n' "$*" >&2; }

# Builds target/chat-worker.jar when it is missing or older than the sources.
ensure_jar() {
  if [[ ! -f "$JAR" ]] || [[ -n "$(find "$ROOT/src/main" "$ROOT/pom.xml" -newer "$JAR" -print -quit)" ]]; then
    log "building $JAR ..."
    (cd "$ROOT" && mvn -q -B -Dstyle.color=never package -Dmaven.test.skip=true >&2)
  fi
}

# Prints the path of a redis-server: the system's, else the one inside the embedded-redis artifact
# (downloaded from Maven Central into ~/.m2 and unpacked under target/redis).
redis_server_binary() {
  if command -v redis-server >/dev/null 2>&1; then
    command -v redis-server
    return
  fi
  local name
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) name=redis-server-6.2.6-v5-linux-amd64 ;;
    Linux-aarch64 | Linux-arm64) name=redis-server-6.2.7-linux-arm64 ;;
    Linux-i?86) name=redis-server-6.2.7-linux-386 ;;
    Darwin-x86_64) name=redis-server-6.2.6-v5-darwin-amd64 ;;
    Darwin-arm64) name=redis-server-6.2.6-v5-darwin-arm64 ;;
    *) log "no redis-server for $(uname -s)-$(uname -m): install one"; return 1 ;;
  esac
  local dir="$ROOT/target/redis"
  if [[ ! -x "$dir/$name" ]]; then
    local artifact="com.github.codemonstur:embedded-redis:$EMBEDDED_REDIS_VERSION"
    log "no redis-server installed: taking the one in $artifact"
    mkdir -p "$dir"
    (cd "$ROOT" && mvn -q -B -Dstyle.color=never dependency:copy -Dartifact="$artifact" -DoutputDirectory="$dir" >&2)
    (cd "$dir" && jar xf "embedded-redis-$EMBEDDED_REDIS_VERSION.jar" "$name" && chmod +x "$name")
  fi
  printf '%s\n' "$dir/$name"
}

# True when something at host:port answers a RESP PING (+PONG, or an error such as NOAUTH: it is Redis).
redis_answers() {
  local host=$1 port=$2
  # In a subshell, so that a refused connection says nothing and closes everything.
  (
    exec 3<>"/dev/tcp/$host/$port" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 reply <&3 || exit 1
    [[ "$reply" == +PONG* || "$reply" == -NOAUTH* || "$reply" == -WRONGPASS* ]]
  ) 2>/dev/null
}

# Starts a throwaway redis-server on 127.0.0.1:port with its data under target/redis; prints its pid.
start_local_redis() {
  local port=$1 binary dir
  binary="$(redis_server_binary)"
  dir="$ROOT/target/redis/data-$port"
  mkdir -p "$dir"
  "$binary" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
    --logfile "$dir/redis.log" --daemonize no >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do
    if redis_answers 127.0.0.1 "$port"; then
      printf '%s\n' "$pid"
      return
    fi
    sleep 0.1
  done
  log "redis-server did not answer on port $port; its log:"
  tail -n 20 "$dir/redis.log" >&2 || true
  return 1
}

# The redis.url of a JSON config file (first "url" key), without needing jq or python.
config_redis_url() {
  sed -n 's/.*"url"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$1" | head -n 1
}

# Prints the class path to run the test-scope class $1 (fully qualified, e.g. chatworker.testing.TopologyMain):
# target/classes, test-classes and the dependencies, compiling the test classes first when the class or
# the dependency list is missing, or a source or the pom is newer than them.
test_classpath() {
  local class=$1
  local classpath_file="$ROOT/target/classpath-$class.txt"
  local class_file="$ROOT/target/test-classes/${class//.//}.class"
  if [[ ! -f "$class_file" || ! -f "$classpath_file" ]] \
    || [[ -n "$(find "$ROOT/src" "$ROOT/pom.xml" -newer "$class_file" -type f -print -quit)" ]] \
    || [[ "$ROOT/pom.xml" -nt "$classpath_file" ]]; then
    log "building test classes ..."
    (cd "$ROOT" && mvn -q -B -Dstyle.color=never test-compile dependency:build-classpath \
      -Dmdep.outputFile="$classpath_file" >&2)
  fi
  printf '%s\n' "$ROOT/target/classes:$ROOT/target/test-classes:$(cat "$classpath_file")"
}

# The class path to run the benchmark chatworker.bench.$1 (see test_classpath).
bench_classpath() {
  test_classpath "chatworker.bench.$1"
}
