// MPI ranks for the distributed trainer (docs/parallel.md §3): the
// Communicator of core/communicator.h on MPI_COMM_WORLD, and the session that
// initializes MPI when the process was started by mpirun. Built as the
// library almkit_mpi when CMake finds MPI (option ALMKIT_MPI); this header
// does not include <mpi.h>.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "almkit/core/communicator.h"

namespace almkit::mpi {

/// The number of ranks the environment announces: Open MPI's
/// OMPI_COMM_WORLD_SIZE, or PMI_SIZE (MPICH, Slurm); 1 when none. Readable
/// without MPI, so that an almkit built without it can refuse to run as one
/// of several ranks.
inline int announced_ranks() {
  auto env_int = [](const char* name) {
    const char* v = std::getenv(name);
    return v == nullptr ? 0 : std::atoi(v);
  };
  return std::max({1, env_int("OMPI_COMM_WORLD_SIZE"), env_int("PMI_SIZE")});
}
inline bool launched_with_ranks() { return announced_ranks() > 1; }

/// MPI_Init in the constructor, MPI_Finalize in the destructor; world() is
/// the communicator of MPI_COMM_WORLD. abort(code) ends every rank
/// (MPI_Abort): the way out of an error that only some ranks may have met,
/// since the others would wait in their next collective forever.
class Session {
 public:
  Session(int* argc, char*** argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  Communicator& world();
  [[noreturn]] void abort(int code);

 private:
  std::unique_ptr<Communicator> world_;
};

}  // namespace almkit::mpi
