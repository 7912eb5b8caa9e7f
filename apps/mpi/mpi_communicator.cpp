// MPI implementation of core/communicator.h (apps/mpi/mpi_communicator.h).
#include "mpi_communicator.h"

#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <string>

namespace almkit::mpi {

namespace {

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void all_gather(const double* data, int n, double* out) override {
    MPI_Allgather(data, n, MPI_DOUBLE, out, n, MPI_DOUBLE, MPI_COMM_WORLD);
    if (size_ > 1) count(8L * n);
  }
  void broadcast(double* data, int n, int root) override {
    MPI_Bcast(data, n, MPI_DOUBLE, root, MPI_COMM_WORLD);
    if (rank_ == root && size_ > 1) count(8L * n);
  }
  void send(const double* data, int n, int to) override {
    MPI_Send(data, n, MPI_DOUBLE, to, 0, MPI_COMM_WORLD);
    count(8L * n);
  }
  void receive(double* data, int n, int from) override {
    MPI_Recv(data, n, MPI_DOUBLE, from, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
  // One MPI_Sendrecv: neighbours exchange without ordering their sends (no deadlock).
  void shift_right(const double* out, bool to_next, double* in, bool from_previous, int n) override {
    MPI_Sendrecv(out, to_next ? n : 0, MPI_DOUBLE, to_next ? rank_ + 1 : MPI_PROC_NULL, 1, in, from_previous ? n : 0,
                 MPI_DOUBLE, from_previous ? rank_ - 1 : MPI_PROC_NULL, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (to_next) count(8L * n);
  }
  void shift_left(const double* out, bool to_previous, double* in, bool from_next, int n) override {
    MPI_Sendrecv(out, to_previous ? n : 0, MPI_DOUBLE, to_previous ? rank_ - 1 : MPI_PROC_NULL, 2, in,
                 from_next ? n : 0, MPI_DOUBLE, from_next ? rank_ + 1 : MPI_PROC_NULL, 2, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
    if (to_previous) count(8L * n);
  }

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace

Session::Session(int* argc, char*** argv) {
  MPI_Init(argc, argv);
  world_ = std::make_unique<MpiCommunicator>();
}

Session::~Session() {
  world_.reset();
  MPI_Finalize();
}

Communicator& Session::world() { return *world_; }

void Session::abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace almkit::mpi
