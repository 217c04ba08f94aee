#include "rules/host_resolver.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

namespace vigil::rules {

namespace {

// One getaddrinfo_a submission. glibc's helper threads write into `cbs`
// (ar_result) and read `names`/`hints` until each request is done, so a
// Batch must outlive its requests: see Orphans.
struct Batch {
  std::vector<std::string> names;
  addrinfo hints{};
  std::vector<gaicb> cbs;
  std::vector<gaicb*> list;
  std::vector<bool> collected;

  ~Batch() {
    for (gaicb& cb : cbs)
      if (cb.ar_result) freeaddrinfo(cb.ar_result);
  }
  bool AllDone() const {
    for (const gaicb& cb : cbs)
      if (gai_error(const_cast<gaicb*>(&cb)) == EAI_INPROGRESS) return false;
    return true;
  }
};

// Batches with requests glibc could not cancel (its helper thread is inside
// getaddrinfo and still writes into them). Process-wide on purpose: the
// resolver that submitted them may be gone. Freed by a later round or stop
// of any resolver once done; never destroyed itself (reachable at exit).
// A request whose result is published (gai_error != EAI_INPROGRESS) is not
// touched by glibc again (its helper only compares the pointer while it
// dequeues), so a finished batch is freed at once.
std::mutex& OrphansMu() {
  static auto* mu = new std::mutex;
  return *mu;
}
std::vector<std::unique_ptr<Batch>>& Orphans() {
  static auto* v = new std::vector<std::unique_ptr<Batch>>;
  return *v;
}
void ReapOrphans(std::unique_ptr<Batch> add = nullptr) {
  std::lock_guard<std::mutex> lock(OrphansMu());
  auto& v = Orphans();
  std::erase_if(v, [](const std::unique_ptr<Batch>& b) { return b->AllDone(); });
  if (add && !add->AllDone()) v.push_back(std::move(add));
}

constexpr size_t kBatchSize = 64;
constexpr size_t kMaxNameLength = 253;

}  // namespace

Ip16 ToIp16(const uint8_t* bytes, uint8_t len) {
  Ip16 ip{};
  if (len == 4) {
    ip[10] = 0xff;
    ip[11] = 0xff;
    std::memcpy(ip.data() + 12, bytes, 4);
  } else if (len == 16) {
    std::memcpy(ip.data(), bytes, 16);
  }
  return ip;
}

bool HostResolver::Table::Contains(uint32_t id, const Ip16& ip) const {
  if (id >= addresses.size()) return false;
  const std::vector<Ip16>& a = addresses[id];
  return std::binary_search(a.begin(), a.end(), ip);
}

HostResolver::HostResolver(HostResolverOptions options)
    : options_(options), table_(std::make_shared<const Table>()) {}

HostResolver::~HostResolver() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  ReapOrphans();
}

std::string HostResolver::Normalize(std::string_view name) {
  std::string s(name);
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::optional<uint32_t> HostResolver::Add(std::string_view name) {
  std::string n = Normalize(name);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = ids_.find(n); it != ids_.end()) return it->second;
  if (names_.size() >= options_.max_names) return std::nullopt;
  const auto id = static_cast<uint32_t>(names_.size());
  ids_.emplace(n, id);
  names_.push_back(std::move(n));
  return id;
}

void HostResolver::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (names_.empty() || stop_) return;
    if (started_) {
      if (covered_ < names_.size()) wake_ = true;
    } else {
      started_ = true;
      thread_ = std::thread([this] { Run(); });
    }
  }
  cv_.notify_all();
}

std::shared_ptr<const HostResolver::Table> HostResolver::Snapshot() const {
  std::lock_guard<std::mutex> lock(table_mu_);
  return table_;
}

bool HostResolver::WaitForRound(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  if (names_.empty()) return true;
  if (!started_) return false;
  return cv_.wait_for(lock, timeout, [&] { return covered_ >= names_.size() || stop_; }) &&
         covered_ >= names_.size();
}

size_t HostResolver::names() const {
  std::lock_guard<std::mutex> lock(mu_);
  return names_.size();
}

uint64_t HostResolver::rounds() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rounds_;
}

void HostResolver::Run() {
  for (;;) {
    std::vector<std::string> names;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      names = names_;
      wake_ = false;
    }
    std::vector<std::optional<std::vector<Ip16>>> found;
    if (!Resolve(names, &found)) return;
    // Publish: new addresses where the lookup gave an answer, the previous
    // ones where it did not (timeout, transient failure).
    auto table = std::make_shared<Table>();
    {
      std::shared_ptr<const Table> old = Snapshot();
      table->addresses.resize(names.size());
      for (size_t i = 0; i < names.size(); ++i) {
        if (found[i]) table->addresses[i] = std::move(*found[i]);
        else if (i < old->addresses.size()) table->addresses[i] = old->addresses[i];
      }
    }
    {
      std::lock_guard<std::mutex> lock(table_mu_);
      table_ = std::move(table);
    }
    ReapOrphans();
    std::unique_lock<std::mutex> lock(mu_);
    covered_ = names.size();
    ++rounds_;
    cv_.notify_all();
    cv_.wait_for(lock, options_.refresh, [&] { return stop_ || wake_; });
    if (stop_) return;
  }
}

bool HostResolver::Resolve(const std::vector<std::string>& names,
                           std::vector<std::optional<std::vector<Ip16>>>* out) {
  out->assign(names.size(), std::nullopt);
  for (size_t begin = 0; begin < names.size(); begin += kBatchSize) {
    const size_t end = std::min(names.size(), begin + kBatchSize);
    auto batch = std::make_unique<Batch>();
    batch->hints.ai_family = AF_UNSPEC;
    batch->hints.ai_socktype = SOCK_STREAM;  // one entry per address
    std::vector<size_t> index;               // batch position -> name id
    for (size_t i = begin; i < end; ++i) {
      const std::string& n = names[i];
      if (n.empty() || n.size() > kMaxNameLength || n.find('\0') != std::string::npos) {
        (*out)[i] = std::vector<Ip16>();  // never resolves
        continue;
      }
      batch->names.push_back(n);
      index.push_back(i);
    }
    if (index.empty()) continue;
    batch->cbs.resize(index.size());
    batch->collected.assign(index.size(), false);
    for (size_t k = 0; k < index.size(); ++k) {
      gaicb& cb = batch->cbs[k];
      std::memset(&cb, 0, sizeof cb);
      cb.ar_name = batch->names[k].c_str();
      cb.ar_request = &batch->hints;
      batch->list.push_back(&cb);
    }
    if (getaddrinfo_a(GAI_NOWAIT, batch->list.data(), static_cast<int>(batch->list.size()),
                      nullptr) != 0) {
      // EAI_AGAIN/EAI_MEMORY: the names keep their previous addresses. Some
      // requests may have been queued: cancel them, orphan what glibc owns.
      for (gaicb* cb : batch->list) gai_cancel(cb);
      ReapOrphans(std::move(batch));  // kept only if glibc still owns some
      continue;
    }
    const auto deadline = std::chrono::steady_clock::now() + options_.request_timeout;
    size_t pending = index.size();
    // Polled, never gai_suspend(): glibc's gai_suspend leaves its on-stack
    // wait entry linked to a request whose result was published but not yet
    // notified when it times out in that window, and the helper thread then
    // writes through it (a crash in __gai_notify, seen here). The poll
    // interval grows from 1 ms to kPollSlice; Stop() cuts the wait short.
    auto slice = std::chrono::milliseconds(1);
    while (pending > 0) {
      // Collect what finished.
      for (size_t k = 0; k < index.size(); ++k) {
        if (batch->collected[k]) continue;
        gaicb& cb = batch->cbs[k];
        const int err = gai_error(&cb);
        if (err == EAI_INPROGRESS) continue;
        batch->collected[k] = true;
        --pending;
        if (err == 0) {
          std::vector<Ip16> addrs;
          for (const addrinfo* ai = cb.ar_result; ai; ai = ai->ai_next) {
            if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(sockaddr_in)) {
              const auto* sa = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
              addrs.push_back(ToIp16(reinterpret_cast<const uint8_t*>(&sa->sin_addr), 4));
            } else if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof(sockaddr_in6)) {
              const auto* sa = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
              addrs.push_back(ToIp16(reinterpret_cast<const uint8_t*>(&sa->sin6_addr), 16));
            }
          }
          std::sort(addrs.begin(), addrs.end());
          addrs.erase(std::unique(addrs.begin(), addrs.end()), addrs.end());
          if (addrs.size() > options_.max_addresses_per_name)
            addrs.resize(options_.max_addresses_per_name);
          (*out)[index[k]] = std::move(addrs);
        } else if (err == EAI_NONAME || err == EAI_FAIL) {
          (*out)[index[k]] = std::vector<Ip16>();  // the name has no address (any more)
        }
        // Other errors (EAI_AGAIN, EAI_SYSTEM, ...): keep the previous addresses.
      }
      if (pending == 0) break;
      bool stop;
      {
        std::unique_lock<std::mutex> lock(mu_);
        stop = cv_.wait_for(lock, slice, [&] { return stop_; });
      }
      slice = std::min<std::chrono::milliseconds>(2 * slice, kPollSlice);
      if (stop || std::chrono::steady_clock::now() >= deadline) {
        for (gaicb* cb : batch->list) gai_cancel(cb);
        ReapOrphans(std::move(batch));  // kept only if glibc still owns some
        if (stop) return false;
        break;
      }
    }
  }
  return true;
}

}  // namespace vigil::rules
