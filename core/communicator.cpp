// Communicator helpers, the one-rank communicator and the in-process group
// (core/communicator.h, docs/parallel.md §3).
#include "almkit/core/communicator.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>

namespace almkit {

// A binomial tree to rank 0 with a fixed shape for a given P: at stride s =
// 1, 2, 4, …, rank r (a multiple of 2s) receives the partial of ranks
// [r + s, r + 2s) and combines it on the right of its own, of ranks [r, r + s);
// rank 0 then broadcasts. ⌈log₂P⌉ messages of n values on the way in, one
// broadcast on the way out (docs/parallel.md §4).
void Communicator::tree(double* data, int n, bool take_max) {
  const int P = size(), r = rank();
  if (P == 1) return;
  gather_.resize(static_cast<size_t>(n));
  for (int s = 1; s < P; s *= 2) {
    if (r % (2 * s) == s) {
      send(data, n, r - s);
      break;
    }
    if (r % (2 * s) == 0 && r + s < P) {
      receive(gather_.data(), n, r + s);
      for (int i = 0; i < n; ++i) {
        const double v = gather_[static_cast<size_t>(i)];
        if (!take_max) data[i] += v;
        else if (!std::isnan(data[i]) && (std::isnan(v) || v > data[i])) data[i] = v;
      }
    }
  }
  broadcast(data, n, 0);
}

void Communicator::sum(double* data, int n) { tree(data, n, false); }

void Communicator::max(double* data, int n) { tree(data, n, true); }

// ---- one rank -----------------------------------------------------------

void SerialCommunicator::all_gather(const double* data, int n, double* out) { std::copy(data, data + n, out); }

void SerialCommunicator::send(const double*, int, int to) {
  throw std::logic_error("SerialCommunicator: no rank " + std::to_string(to) + " to send to");
}

void SerialCommunicator::receive(double*, int, int from) {
  throw std::logic_error("SerialCommunicator: no rank " + std::to_string(from) + " to receive from");
}

void SerialCommunicator::shift_right(const double*, bool to_next, double*, bool from_previous, int) {
  if (to_next || from_previous) throw std::logic_error("SerialCommunicator: one rank has no neighbours");
}

void SerialCommunicator::shift_left(const double*, bool to_previous, double*, bool from_next, int) {
  if (to_previous || from_next) throw std::logic_error("SerialCommunicator: one rank has no neighbours");
}

// ---- ranks as threads ---------------------------------------------------

namespace {
struct GroupAborted : std::runtime_error {
  GroupAborted() : std::runtime_error("in-process group aborted: another rank failed") {}
};
}  // namespace

class InProcessGroup::Rank final : public Communicator {
 public:
  Rank(InProcessGroup& g, int r) : g_(g), r_(r) {}
  int rank() const override { return r_; }
  int size() const override { return g_.size_; }
  void all_gather(const double* data, int n, double* out) override {
    std::vector<std::vector<double>> all;
    g_.exchange(r_, std::vector<double>(data, data + n), &all);
    for (int r = 0; r < size(); ++r) {
      if (static_cast<int>(all[static_cast<size_t>(r)].size()) != n)
        throw std::logic_error("all_gather: ranks passed different sizes");
      std::copy(all[static_cast<size_t>(r)].begin(), all[static_cast<size_t>(r)].end(), out + static_cast<size_t>(r) * n);
    }
    if (size() > 1) count(8L * n);
  }
  void broadcast(double* data, int n, int root) override {
    std::vector<std::vector<double>> all;
    g_.exchange(r_, r_ == root ? std::vector<double>(data, data + n) : std::vector<double>(), &all);
    const auto& src = all[static_cast<size_t>(root)];
    if (static_cast<int>(src.size()) != n) throw std::logic_error("broadcast: size mismatch");
    std::copy(src.begin(), src.end(), data);
    if (r_ == root && size() > 1) count(8L * n);
  }
  void send(const double* data, int n, int to) override {
    g_.post(r_, to, std::vector<double>(data, data + n));
    count(8L * n);
  }
  void receive(double* data, int n, int from) override {
    const std::vector<double> m = g_.take(from, r_);
    if (static_cast<int>(m.size()) != n) throw std::logic_error("receive: message of an unexpected size");
    std::copy(m.begin(), m.end(), data);
  }
  // Messages are buffered, so send-then-receive cannot deadlock.
  void shift_right(const double* out, bool to_next, double* in, bool from_previous, int n) override {
    if (to_next) send(out, n, r_ + 1);
    if (from_previous) receive(in, n, r_ - 1);
  }
  void shift_left(const double* out, bool to_previous, double* in, bool from_next, int n) override {
    if (to_previous) send(out, n, r_ - 1);
    if (from_next) receive(in, n, r_ + 1);
  }

 private:
  InProcessGroup& g_;
  int r_;
};

InProcessGroup::InProcessGroup(int ranks) : size_(ranks) {
  if (ranks < 1) throw std::invalid_argument("InProcessGroup: ranks must be >= 1");
}

void InProcessGroup::run(const std::function<void(Communicator&)>& fn) {
  slots_.assign(static_cast<size_t>(size_), {});
  arrived_ = departed_ = 0;
  aborted_ = false;
  mail_.clear();
  std::vector<std::exception_ptr> errors(static_cast<size_t>(size_));
  std::vector<std::thread> threads;
  for (int r = 0; r < size_; ++r)
    threads.emplace_back([&, r] {
      Rank comm(*this, r);
      try {
        fn(comm);
      } catch (...) {
        errors[static_cast<size_t>(r)] = std::current_exception();
        abort();
      }
    });
  for (auto& t : threads) t.join();
  // The first failure that is not a consequence of another rank's.
  for (auto& e : errors) {
    if (!e) continue;
    try {
      std::rethrow_exception(e);
    } catch (const GroupAborted&) {
      continue;
    } catch (...) {
      throw;
    }
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

void InProcessGroup::abort() {
  std::lock_guard<std::mutex> lk(mutex_);
  aborted_ = true;
  cv_.notify_all();
}

// Two phases with one counter each: a rank enters only after the previous
// collective's readers have all left (departed_ == 0 ... reset), deposits its
// slot, waits for all P deposits, copies the slots, and leaves.
void InProcessGroup::exchange(int rank, std::vector<double> mine, std::vector<std::vector<double>>* all) {
  std::unique_lock<std::mutex> lk(mutex_);
  cv_.wait(lk, [&] { return aborted_ || arrived_ < size_; });
  if (aborted_) throw GroupAborted();
  slots_[static_cast<size_t>(rank)] = std::move(mine);
  const long gen = generation_;
  if (++arrived_ == size_) {
    ++generation_;
    cv_.notify_all();
  } else {
    cv_.wait(lk, [&] { return aborted_ || generation_ != gen; });
    if (generation_ == gen) throw GroupAborted();  // aborted before every rank arrived
  }
  *all = slots_;
  if (++departed_ == size_) {
    arrived_ = departed_ = 0;
    cv_.notify_all();
  }
}

void InProcessGroup::post(int from, int to, std::vector<double> message) {
  if (to < 0 || to >= size_) throw std::logic_error("send: no rank " + std::to_string(to));
  std::lock_guard<std::mutex> lk(mutex_);
  mail_[{from, to}].push_back(std::move(message));
  cv_.notify_all();
}

std::vector<double> InProcessGroup::take(int from, int to) {
  if (from < 0 || from >= size_) throw std::logic_error("receive: no rank " + std::to_string(from));
  std::unique_lock<std::mutex> lk(mutex_);
  auto& box = mail_[{from, to}];
  cv_.wait(lk, [&] { return aborted_ || !box.empty(); });
  if (box.empty()) throw GroupAborted();
  std::vector<double> m = std::move(box.front());
  box.pop_front();
  return m;
}

}  // namespace almkit
