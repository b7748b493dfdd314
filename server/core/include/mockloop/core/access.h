// Who is calling: the client's address behind an optional reverse proxy,
// and whether a browser's Origin may open a WebSocket here. Pure functions
// of the request's headers, so the rules are tested without sockets.
#pragma once

#include <string>
#include <string_view>

namespace mockloop {

// True when a WebSocket upgrade with this Origin header is accepted:
// no Origin (native clients send none), the server's own origin (the
// Origin's host[:port] equals the Host header), an entry of the
// comma-separated `allowed` list, or `allowed` == "*". Case-insensitive.
bool origin_allowed(std::string_view origin, std::string_view host, std::string_view allowed);

// The client's address: the TCP peer, or, when the peer is a proxy on
// loopback and `forwarded` (that proxy's X-Forwarded-For or similar) is not
// empty, its last entry, which is the address the proxy itself saw.
std::string client_address(std::string_view peer, bool peer_is_loopback, std::string_view forwarded);

}  // namespace mockloop
