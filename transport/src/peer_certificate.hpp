// The peer's certificate read into a peer_identity: the one place the
// transport parses X.509 fields. It reads a certificate GnuTLS already
// verified, but treats every field as hostile input all the same (see the
// bounds on peer_identity).
#pragma once

#include <gnutls/gnutls.h>

#include <optional>

#include <rpcnet/transport/peer_identity.hpp>

namespace rpcnet {

/// The identity one X.509 certificate (DER) names; nullopt if it does not
/// parse as a certificate. Says nothing about whether anyone vouches for
/// it: that is the caller's to know.
std::optional<peer_identity> certificate_identity(const gnutls_datum_t& der);

/// The identity of the leaf certificate the peer of `session` presented;
/// nullopt if it presented none (a client without a certificate, to a server
/// that asked for none). Call it only once the handshake completed on a
/// session that verifies its peer (gnutls_session_set_verify_cert): only
/// then does the chain lead to a trusted CA.
std::optional<peer_identity> verified_peer_identity(gnutls_session_t session);

} // namespace rpcnet
