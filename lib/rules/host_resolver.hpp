// Host names of fd.cip.name / fd.sip.name / fd.lip.name / fd.rip.name
// checks, resolved in the background.
//
// Falco's semantics: `fd.sip.name = example.com` holds when the server
// address is one of the addresses example.com resolves to. Names are
// resolved off the evaluation path, periodically; a name not resolved yet
// (or that does not resolve) has no address and matches nothing.
//
// One HostResolver belongs to one compiled rule set (or Filter): there is no
// process-wide name cache, so two rule sets never see each other's names.
//
// Threads and lifetime:
//  - Add() is called by the compiler; Start() once compilation is over. Both
//    are thread-safe and never block on DNS.
//  - Snapshot(), WaitForRound() and the accessors may be called from any
//    thread. Evaluators read an immutable Table through a shared_ptr that the
//    resolver thread swaps atomically (under a mutex held for a pointer copy).
//  - The resolver thread exists only between the first Start() with names and
//    destruction. It resolves with glibc's getaddrinfo_a and polls the
//    requests (never gai_suspend, which races with glibc's helper thread) in
//    slices of at most kPollSlice, waking at once for Stop(), so that the
//    destructor returns promptly however slow DNS is: pending requests are
//    cancelled with gai_cancel. A request glibc cannot cancel any more (its
//    helper thread is inside getaddrinfo) still writes into its gaicb, so
//    those buffers are handed to a process-wide list of orphans, freed by a
//    later resolver once glibc reports the request done (still reachable, so
//    leak checkers do not flag them; bounded by the requests in flight when a
//    rule set is destroyed).
#ifndef VIGIL_LIB_RULES_HOST_RESOLVER_HPP_
#define VIGIL_LIB_RULES_HOST_RESOLVER_HPP_

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace vigil::rules {

// An address in IPv6 form: IPv4 addresses as IPv4-mapped (::ffff:a.b.c.d), so
// that an IPv4 event address and an IPv4-mapped IPv6 one both match a name's
// IPv4 addresses.
using Ip16 = std::array<uint8_t, 16>;

// `len` is 4 or 16 (as from inet_pton).
Ip16 ToIp16(const uint8_t* bytes, uint8_t len);

struct HostResolverOptions {
  std::chrono::seconds refresh{60};  // between the starts of two resolution rounds
  size_t max_names = 4096;           // Add() refuses more
  size_t max_addresses_per_name = 64;
  // A round gives up on a name after this long (keeping its previous addresses).
  std::chrono::seconds request_timeout{30};
};

class HostResolver {
 public:
  // The addresses of every name, indexed by the id Add() returned; each
  // sorted. Ids added after the table was built are out of range (no address).
  struct Table {
    std::vector<std::vector<Ip16>> addresses;
    bool Contains(uint32_t id, const Ip16& ip) const;
  };

  static constexpr std::chrono::milliseconds kPollSlice{100};

  explicit HostResolver(HostResolverOptions options = {});
  ~HostResolver();
  HostResolver(const HostResolver&) = delete;
  HostResolver& operator=(const HostResolver&) = delete;

  // The id of `name` (lowercased, without a trailing dot), adding it if new;
  // nullopt when max_names names are already known.
  std::optional<uint32_t> Add(std::string_view name);
  // Starts the resolver thread if names were added and it is not running;
  // wakes it to resolve names added since its last round. Never blocks on DNS.
  void Start();

  // The current addresses (never null).
  std::shared_ptr<const Table> Snapshot() const;
  // Waits until every name added so far was tried at least once (whatever the
  // outcome). True at once without names; false on timeout or when Start()
  // was not called (RuleCompileOptions::resolve_host_names = false).
  bool WaitForRound(std::chrono::milliseconds timeout) const;

  size_t names() const;
  uint64_t rounds() const;  // completed resolution rounds

  static std::string Normalize(std::string_view name);

 private:
  void Run();
  // Resolves `names`; fills `out` (one entry per name; nullopt: keep the
  // previous addresses). False when stopped meanwhile.
  bool Resolve(const std::vector<std::string>& names, std::vector<std::optional<std::vector<Ip16>>>* out);

  const HostResolverOptions options_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<std::string> names_;                    // by id
  absl::flat_hash_map<std::string, uint32_t> ids_;
  size_t covered_ = 0;  // names tried in the last completed round
  uint64_t rounds_ = 0;
  bool stop_ = false;
  bool wake_ = false;
  bool started_ = false;
  // The published table; its own mutex so that evaluators only contend with
  // each other for a pointer copy.
  mutable std::mutex table_mu_;
  std::shared_ptr<const Table> table_;
  std::thread thread_;
};

}  // namespace vigil::rules

#endif  // VIGIL_LIB_RULES_HOST_RESOLVER_HPP_
