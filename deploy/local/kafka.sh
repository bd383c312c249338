#!/usr/bin/env bash
# Apache Kafka 4.x in KRaft mode (one node, broker and controller combined), for development,
# tests and CI. Jars come from Maven Central through Maven into a cache outside the repo.
#
#   deploy/local/kafka.sh start|stop|kill|status|logs
#
# Environment (all optional):
#   SPORTELLO_KAFKA_PORT        broker port                    (9092)
#   SPORTELLO_KAFKA_CONTROLLER_PORT  controller port           (9093)
#   SPORTELLO_KAFKA_DIR         storage, config and logs       (<repo>/var/kafka)
#   SPORTELLO_KAFKA_CACHE       where the jars are kept        (~/.cache/sportello)
#   SPORTELLO_KAFKA_HEAP        JVM heap                       (-Xms512m -Xmx1g)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/kafka/pom.xml")"
port="${SPORTELLO_KAFKA_PORT:-9092}"
cport="${SPORTELLO_KAFKA_CONTROLLER_PORT:-9093}"
dir="${SPORTELLO_KAFKA_DIR:-$repo/var/kafka}"
cache="${SPORTELLO_KAFKA_CACHE:-$HOME/.cache/sportello}"
libs="$cache/kafka-$version/libs"
heap="${SPORTELLO_KAFKA_HEAP:--Xms512m -Xmx1g}"
pidfile="$dir/kafka.pid"
log="$dir/logs/server.log"

say() { echo "kafka: $*" >&2; }

answers() {  # true when something accepts TCP connections on the broker port
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid; pid="$(cat "$pidfile")"
  kill -0 "$pid" 2>/dev/null && grep -q kafka.Kafka "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

fetch_jars() {
  if [ -f "$libs/.complete" ]; then return; fi
  command -v mvn >/dev/null || { say "Maven (mvn) is needed to fetch Kafka's jars"; exit 1; }
  say "fetching Apache Kafka $version jars from Maven Central into $libs"
  rm -rf "$libs"
  mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$libs" >&2
  touch "$libs/.complete"
}

java_cmd() {  # java <jvm options> <main class> <args>
  java $heap -XX:+UseG1GC -Djava.awt.headless=true \
    -Dkafka.logs.dir="$dir/logs" -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" \
    -cp "$libs/*" "$@"
}

write_config() {
  mkdir -p "$dir/data" "$dir/logs"
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=6
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
PROPS
}

format_once() {
  if [ -f "$dir/data/meta.properties" ]; then return; fi
  local cluster_id
  cluster_id="$(java_cmd kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
  say "formatting storage in $dir/data (cluster $cluster_id)"
  java_cmd kafka.tools.StorageTool format --standalone -t "$cluster_id" \
    -c "$dir/server.properties" >/dev/null
}

start() {
  if pid="$(running_pid)"; then say "already running (pid $pid) on 127.0.0.1:$port"; return; fi
  if answers; then say "port $port is taken by another process; set SPORTELLO_KAFKA_PORT"; exit 1; fi
  command -v java >/dev/null || { say "Java 17 is needed"; exit 1; }
  fetch_jars
  write_config
  format_once
  : > "$dir/logs/stdout.log"
  nohup java $heap -XX:+UseG1GC -Djava.awt.headless=true \
    -Dkafka.logs.dir="$dir/logs" -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" \
    -cp "$libs/*" kafka.Kafka "$dir/server.properties" \
    >"$dir/logs/stdout.log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  for _ in $(seq 1 120); do
    if ! running_pid >/dev/null; then
      say "the broker exited during start-up; its log follows"; tail -n 60 "$log" "$dir/logs/stdout.log" >&2 || true
      exit 1
    fi
    if answers && grep -q "Kafka Server started" "$log" 2>/dev/null; then
      say "Apache Kafka $version answering on 127.0.0.1:$port (pid $(cat "$pidfile"))"; return
    fi
    sleep 0.5
  done
  say "the broker did not answer on 127.0.0.1:$port within 60 s; its log follows"
  tail -n 60 "$log" >&2 || true
  exit 1
}

stop() {  # stop [signal]
  local sig="${1:-TERM}" pid
  if ! pid="$(running_pid)"; then say "not running"; rm -f "$pidfile"; return; fi
  kill "-$sig" "$pid"
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; say "stopped"; return; }
    sleep 0.5
  done
  say "still running after 60 s; killing"; kill -KILL "$pid"; rm -f "$pidfile"
}

case "${1:-}" in
  start) start ;;
  stop) stop TERM ;;
  kill) stop KILL ;;
  status)
    if pid="$(running_pid)" && answers; then echo "kafka: running (pid $pid) on 127.0.0.1:$port"
    else echo "kafka: not running"; exit 3; fi ;;
  logs) tail -n "${2:-100}" "$log" ;;
  *) echo "usage: $0 start|stop|kill|status|logs [lines]" >&2; exit 2 ;;
esac
