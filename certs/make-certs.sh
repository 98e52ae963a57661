#!/usr/bin/env bash
# Makes the development PKI used by the examples and tests: a CA, a server
# certificate for localhost/127.0.0.1 signed by it, and a client certificate
# for mutual-TLS tests whose subjectAltName holds one entry of each kind the
# transport reports (peer_identity): a DNS name, a SPIFFE URI, an IP address
# and an e-mail address. Existing files are kept unless --force is given or
# this script is newer than them (what it makes changed).
# Usage: certs/make-certs.sh [--force] [output-dir]
set -euo pipefail

force=0
if [[ "${1:-}" == "--force" ]]; then force=1; shift; fi
script="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
out="${1:-$(dirname "$script")}"
mkdir -p "$out"
cd "$out"

fresh() { [[ -s "$1" && "$1" -nt "$script" ]]; }
if [[ $force -eq 0 ]] && fresh ca.pem && fresh test_cert.pem && fresh test_key.pem \
     && fresh client_cert.pem && fresh client_key.pem; then
  exit 0
fi
command -v certtool >/dev/null || {
  echo "make-certs: certtool not found (Debian package gnutls-bin)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/ca.tmpl" <<T
cn = "rpcnet development CA"
organization = "rpcnet"
serial = 1
expiration_days = 3650
ca
cert_signing_key
crl_signing_key
T
cat > "$tmp/server.tmpl" <<T
cn = "localhost"
organization = "rpcnet"
serial = 2
expiration_days = 3650
dns_name = "localhost"
ip_address = "127.0.0.1"
ip_address = "::1"
tls_www_server
signing_key
encryption_key
T
cat > "$tmp/client.tmpl" <<T
cn = "rpcnet-client"
organization = "rpcnet"
serial = 3
expiration_days = 3650
dns_name = "client.rpcnet.test"
uri = "spiffe://rpcnet.test/client"
ip_address = "127.0.0.1"
email = "client@rpcnet.test"
tls_www_client
signing_key
T

certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile ca_key.pem 2>/dev/null
certtool --generate-self-signed --load-privkey ca_key.pem --template "$tmp/ca.tmpl" \
  --outfile ca.pem 2>/dev/null
certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile test_key.pem 2>/dev/null
certtool --generate-certificate --load-privkey test_key.pem --load-ca-certificate ca.pem \
  --load-ca-privkey ca_key.pem --template "$tmp/server.tmpl" --outfile test_cert.pem 2>/dev/null
certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile client_key.pem 2>/dev/null
certtool --generate-certificate --load-privkey client_key.pem --load-ca-certificate ca.pem \
  --load-ca-privkey ca_key.pem --template "$tmp/client.tmpl" --outfile client_cert.pem 2>/dev/null
chmod 600 ca_key.pem test_key.pem client_key.pem
echo "make-certs: wrote CA, server and client certificates to $out"
