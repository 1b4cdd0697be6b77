#!/usr/bin/env bash
# Makes a throwaway CA and certificates for trying TLS locally (docs/SECURITY.md): never for production,
# never committed. Writes into DIR (default: tls-dev/, which .gitignore ignores):
#   ca.pem, ca.key            the cluster's CA (EC P-256, 10 years); it must sign this cluster's members only
#   node-<i>.pem, node-<i>.key  one per node, i = 0..N-1 (default N=3), CA-signed, 825 days
#   client.pem, client.key    for `submit` and other clients that join the cluster
# Every certificate is for IP:127.0.0.1 and DNS:localhost and allows serverAuth and clientAuth: on the
# event bus every member (submit's lite member too) is a TLS server and a client; the same node files
# serve HTTPS. An existing CA in DIR is reused and existing certificates are kept, so running it again
# with a larger N adds nodes. Prints the environment for node 0 on stdout.
#
# Usage: scripts/tls-dev-certs.sh [DIR] [N]        (needs openssl 1.1.1 or later)
set -euo pipefail

dir=${1:-tls-dev}
count=${2:-3}
if ! [[ "$count" =~ ^[1-9][0-9]*$ ]]; then
  printf 'usage: scripts/tls-dev-certs.sh [DIR] [N]\n' >&2
  exit 2
fi
command -v openssl >/dev/null || { printf 'tls-dev-certs: openssl is not installed\n' >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
umask 077 # the keys: readable by their owner only

if [[ ! -f "$dir/ca.pem" || ! -f "$dir/ca.key" ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -subj "/CN=chat-worker dev CA $(date -u +%Y%m%dT%H%M%SZ)" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  printf 'tls-dev-certs: new CA %s/ca.pem\n' "$dir" >&2
fi

cat > "$dir/member.ext" <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
EXT

# issue NAME: NAME.key and NAME.pem, signed by the CA, unless both exist.
issue() {
  local name=$1
  [[ -f "$dir/$name.pem" && -f "$dir/$name.key" ]] && return
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/$name.key" \
    -out "$dir/$name.csr" -subj "/CN=chat-worker $name" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 825 -extfile "$dir/member.ext" -out "$dir/$name.pem" 2>/dev/null
  rm -f "$dir/$name.csr"
  printf 'tls-dev-certs: %s/%s.pem\n' "$dir" "$name" >&2
}

for ((i = 0; i < count; i++)); do
  issue "node-$i"
done
issue client
chmod 644 "$dir"/*.pem

cat <<ENV
export CHATWORKER_CLUSTER_TLS_CA=$dir/ca.pem
export CHATWORKER_CLUSTER_TLS_CERT=$dir/node-0.pem
export CHATWORKER_CLUSTER_TLS_KEY=$dir/node-0.key
export CHATWORKER_HTTP_TLS_CERT=$dir/node-0.pem
export CHATWORKER_HTTP_TLS_KEY=$dir/node-0.key
# node i: node-<i>.pem / node-<i>.key; submit: client.pem / client.key; curl --cacert $dir/ca.pem https://127.0.0.1:8080/status
ENV
