#!/usr/bin/env bash
# Makes the certificates the peer-certificate parser is tested on, each
# self-signed and built to go past a bound of peer_identity:
#  - many_sans_cert.pem: a subject longer than max_field_bytes, more dNSName
#    entries than max_entries (the first of them longer than
#    max_field_bytes), and entries of every other kind, one URI too long;
#  - hostile_text_cert.pem: a subject with a terminal escape and a byte
#    that is not UTF-8, and a subjectAltName written byte by byte (certtool
#    refuses such names in its own fields): a dNSName with a BEL, a URI
#    with a terminal escape, an iPAddress of 5 bytes, one of 127.0.0.1, and
#    an rfc822Name with a byte that is not UTF-8.
# Usage: make-identity-certs.sh <output-dir>
set -euo pipefail

out="$1"
mkdir -p "$out"
cd "$out"
command -v certtool >/dev/null || {
  echo "make-identity-certs: certtool not found (Debian package gnutls-bin)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

repeat() { printf "%${2}s" "" | tr ' ' "$1"; }
# The bytes printf makes of $1, in hex.
hex() { printf "$1" | od -An -v -tx1 | tr -d ' \n'; }
# A DER element: tag $1 (hex), content $2 (hex, under 128 bytes).
tlv() { printf '%s%02x%s' "$1" $(( ${#2} / 2 )) "$2"; }

{
  echo "cn = \"$(repeat n 1500)\""
  echo 'organization = "rpcnet"'
  echo 'serial = 10'
  echo 'expiration_days = 3650'
  echo "dns_name = \"$(repeat d 2000).rpcnet.test\""
  for i in $(seq 1 99); do echo "dns_name = \"host$i.rpcnet.test\""; done
  echo 'uri = "spiffe://rpcnet.test/client"'
  echo "uri = \"spiffe://rpcnet.test/$(repeat u 2000)\""
  echo 'ip_address = "127.0.0.1"'
  echo 'ip_address = "2001:db8::1"'
  echo 'email = "client@rpcnet.test"'
  echo 'tls_www_client'
  echo 'signing_key'
} > "$tmp/many.tmpl"

{
  printf 'cn = "evil\033[31m\377"\n'
  echo 'organization = "rpcnet"'
  echo 'serial = 11'
  echo 'expiration_days = 3650'
  # GeneralNames: [2] dNSName, [6] URI, [7] iPAddress, [1] rfc822Name.
  sans="$(tlv 82 "$(hex 'bell\007.rpcnet.test')")"
  sans+="$(tlv 86 "$(hex 'spiffe://rpcnet.test/\033[31mred')")"
  sans+="$(tlv 87 0102030405)$(tlv 87 7f000001)"
  sans+="$(tlv 81 "$(hex 'evil\377@rpcnet.test')")"
  echo "add_extension = \"2.5.29.17 0x$(tlv 30 "$sans")\""
  echo 'tls_www_client'
  echo 'signing_key'
} > "$tmp/hostile.tmpl"

certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile "$tmp/key.pem" 2>/dev/null
sign() {
  certtool --generate-self-signed --load-privkey "$tmp/key.pem" --template "$tmp/$1" \
    --outfile "$2" 2>/dev/null
}
sign many.tmpl many_sans_cert.pem
sign hostile.tmpl hostile_text_cert.pem
