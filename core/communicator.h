// The ranks of a distributed solve and what they exchange (docs/parallel.md §3).
//
// The time-parallel ALM-BCD (problems/rnn/rnn_slice.h, study/rnn_distributed.h)
// talks to the other ranks through this interface only, so that the same code
// runs on one process (SerialCommunicator), on threads of one process
// (InProcessGroup: tests, no MPI needed) and on MPI ranks (the command line's
// MpiCommunicator, apps/mpi_communicator.h, built when MPI is found).
//
// Determinism. A sum over ranks runs up a binomial tree whose shape depends
// on P only, and rank 0 broadcasts the result: all ranks hold the same bits,
// and a rerun with the same P gives the same bits; a library MPI_Allreduce
// may associate differently from run to run (docs/parallel.md §3).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

namespace almkit {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;

  /// out[r·n + i] = data_r[i]: every rank's n doubles, on every rank (out holds size()·n).
  virtual void all_gather(const double* data, int n, double* out) = 0;
  /// data ← root's data, on every rank.
  virtual void broadcast(double* data, int n, int root) = 0;
  /// Blocking point-to-point messages of n doubles.
  virtual void send(const double* data, int n, int to) = 0;
  virtual void receive(double* data, int n, int from) = 0;
  /// Rank r sends `out` to r + 1 (when `to_next`) and receives r − 1's message into `in`
  /// (when `from_previous`); the flags of neighbours must match. shift_left: the mirror.
  virtual void shift_right(const double* out, bool to_next, double* in, bool from_previous, int n) = 0;
  virtual void shift_left(const double* out, bool to_previous, double* in, bool from_next, int n) = 0;

  /// data[i] ← Σ_r data_r[i] on every rank: a fixed binomial tree to rank 0
  /// (⌈log₂P⌉ steps, the lower ranks' partial always on the left), then a broadcast.
  void sum(double* data, int n);
  /// data[i] ← max_r data_r[i]; NaN wins (a NaN on any rank is a NaN everywhere).
  void max(double* data, int n);
  double sum(double value) { sum(&value, 1); return value; }
  double max(double value) { max(&value, 1); return value; }

  /// Bytes and messages this rank has sent: point-to-point (the tree's
  /// messages included), n doubles per all_gather and, at the root, per broadcast.
  long bytes_sent() const { return bytes_; }
  long messages_sent() const { return messages_; }

 protected:
  void count(long bytes) { bytes_ += bytes, ++messages_; }

 private:
  void tree(double* data, int n, bool take_max);
  std::vector<double> gather_;
  long bytes_ = 0, messages_ = 0;
};

/// One rank: collectives are copies, messages have no partner.
class SerialCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void all_gather(const double* data, int n, double* out) override;
  void broadcast(double*, int, int) override {}
  void send(const double*, int, int to) override;
  void receive(double*, int, int from) override;
  void shift_right(const double*, bool to_next, double*, bool from_previous, int) override;
  void shift_left(const double*, bool to_previous, double*, bool from_next, int) override;
};

/// P ranks as P threads of this process (for tests and for machines without
/// MPI): run(fn) calls fn(comm) on P threads, comm being rank r's
/// communicator, and rethrows the first exception after all have joined. A
/// rank that throws leaves the others waiting in their next collective, so
/// the group aborts them: every blocked call then throws too.
class InProcessGroup {
 public:
  explicit InProcessGroup(int ranks);
  int size() const { return size_; }
  void run(const std::function<void(Communicator&)>& fn);

 private:
  class Rank;
  friend class Rank;
  // A collective step: every rank deposits its slot, then reads all slots.
  void exchange(int rank, std::vector<double> mine, std::vector<std::vector<double>>* all);
  void post(int from, int to, std::vector<double> message);
  std::vector<double> take(int from, int to);
  void abort();

  int size_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::vector<double>> slots_;
  int arrived_ = 0, departed_ = 0;
  long generation_ = 0;
  bool aborted_ = false;
  std::map<std::pair<int, int>, std::deque<std::vector<double>>> mail_;
};

}  // namespace almkit
