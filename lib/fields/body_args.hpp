// The arguments of each event body, by schema field name and in schema order:
// the table behind evt.arg.<name>, evt.arg[N] and the "args" object of
// Event::ToJson. Adding a field to a body table in event.fbs means adding one
// line to the body's list in body_args.cc (a unit test checks the counts).
#ifndef VIGIL_LIB_FIELDS_BODY_ARGS_HPP_
#define VIGIL_LIB_FIELDS_BODY_ARGS_HPP_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "state/process_table.hpp"
#include "vigil/schema/event_generated.h"

namespace vigil::fields {

enum class ArgKind : uint8_t {
  kString,      // s
  kInt,         // i
  kUInt,        // u
  kHex,         // u, rendered 0x.. by evt.arg (flags, masks)
  kOctal,       // u, rendered 0.. by evt.arg (modes)
  kBool,        // b
  kStringList,  // list
  kSockAddr,    // addr
  kStdio,       // stdio (Exec.stdio)
};

struct ArgValue {
  ArgKind kind = ArgKind::kString;
  bool present = true;  // false: an optional string/vector/table is absent
  int64_t i = 0;
  uint64_t u = 0;
  bool b = false;
  std::string_view s;
  const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* list = nullptr;
  const schema::SockAddr* addr = nullptr;
  const flatbuffers::Vector<flatbuffers::Offset<schema::StdioFd>>* stdio = nullptr;
};

struct ArgDesc {
  std::string_view name;
  ArgKind kind;
  ArgValue (*get)(const void* body);
};

// The arguments of a body type (empty for NONE or unknown types).
std::span<const ArgDesc> ArgsOf(schema::Body type);
// Whether any body has an argument called `name` (validates evt.arg.<name>).
bool IsArgName(std::string_view name);

// How a socket address relates to the calling process.
enum class SockRole : uint8_t {
  kNone,
  kClient,    // connect: local is the client, remote the server
  kServer,    // accept: local is the server, remote the client
  kListener,  // bind/listen: local is the server, no peer
};
// Which end of the socket in `ev` is the server. connect/accept/bind/listen
// say so; a datagram sendto is the client's and a datagram recvfrom the
// server's (libsinsp's convention for UDP); for anything else (dup, stream
// send/recv) the capture's record of the socket's accept or connect
// (SockAddr.server_side) decides, and without one SockRoleOfEnd guesses
// (the kernel keeps no "who connected" bit).
SockRole SockRoleOf(schema::Body type, const schema::SockAddr* addr);
// The role of a socket end with a peer-or-not and, when the capture saw its
// accept or connect, `server_side`. No peer: a listener. Otherwise the
// recorded side, or without one the guess that the ephemeral (higher) port
// is the client's.
SockRole SockRoleOfEnd(uint16_t local_port, uint16_t remote_port,
                       std::optional<bool> server_side);

// evt.arg's text rendering of an argument (addresses as fd.name does).
std::string ArgToString(const ArgValue& v, SockRole role);

// Network helpers shared with the fd.* fields.
// "10.0.0.1" / "::1"; empty if `addr` is missing or not 4/16 bytes.
std::string IpToString(const flatbuffers::Vector<uint8_t>* addr);
std::string IpBytesToString(const uint8_t* addr, size_t len);
// "ip:port->ip:port" (client first) for kClient/kServer, "ip:port" of the
// local side otherwise; a missing address prints as 0.0.0.0 / ::.
std::string IpTupleName(bool v6, const uint8_t* local, size_t local_len, uint16_t lport,
                        const uint8_t* remote, size_t remote_len, uint16_t rport, SockRole role);
// The Falco fd.name of a socket: "cip:cport->sip:sport" for connected
// sockets, "ip:port" for a listener, the path for unix sockets.
std::string SockAddrName(const schema::SockAddr& addr, SockRole role);

std::string_view SocketFamilyName(schema::SocketFamily family);

// Falco's fd.type of a standard stream ("ipv4", "pipe", "file", ...; "" when
// the fd is not open) and its fd.name ("" when it has none): the values of
// proc.stdin.type / proc.stdin.name and friends.
std::string_view StdioType(const state::StdioFd& f);
std::string StdioName(const state::StdioFd& f);

}  // namespace vigil::fields

#endif  // VIGIL_LIB_FIELDS_BODY_ARGS_HPP_
