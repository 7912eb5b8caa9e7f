// almkit command line entry point: parses, dispatches to one subcommand, and
// maps every user error to a one-line message and exit code 2 (docs/cli.md).
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

#include <fmt/core.h>

#include "almkit/core/run_control.h"
#include "commands.h"
#include "mpi/mpi_communicator.h"
#include "run_resume.h"

namespace almkit::cli {
namespace {
Communicator* g_world = nullptr;
}  // namespace
Communicator* mpi_world() { return g_world; }
ParseOnly parse_only() {
  const char* v = std::getenv("ALMKIT_PARSE_ONLY");
  if (v == nullptr || *v == '\0' || std::string_view(v) == "0") return ParseOnly::kOff;
  return std::string_view(v) == "ranks" ? ParseOnly::kRanks : ParseOnly::kOneProcess;
}
}  // namespace almkit::cli

namespace {

int run_command(int argc, char** argv);

// Large blocks from the heap, kept after free (docs/cli.md "Memory"). glibc
// serves every block above its mmap threshold (at most 32 MiB) with fresh
// pages from the kernel and returns them on free, so a training run on a
// long series, which allocates and frees vectors of 2mT doubles every outer
// iteration, spends most of its time in first-touch page faults (measured:
// 34.8 s against 6.5 s for the same 30 outer iterations at T = 87 500, m = 32).
// The user's own MALLOC_* or GLIBC_TUNABLES settings win.
void keep_large_blocks() {
  for (const char* name : {"GLIBC_TUNABLES", "MALLOC_MMAP_MAX_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"})
    if (std::getenv(name) != nullptr) return;
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace

// Under mpirun with several ranks (docs/parallel.md §3) every rank runs the
// same command; an error on any rank ends all of them (MPI_Abort), since the
// others would otherwise wait in their next collective forever.
int main(int argc, char** argv) {
  keep_large_blocks();
  if (!almkit::mpi::launched_with_ranks()) return run_command(argc, argv);
#ifdef ALMKIT_HAVE_MPI
  almkit::mpi::Session session(&argc, &argv);
  almkit::cli::g_world = &session.world();
  const int code = run_command(argc, argv);
  if (code != 0) session.abort(code);
  almkit::cli::g_world = nullptr;
  return 0;
#else
  fmt::print(stderr,
             "almkit: error: started as one of {} ranks (mpirun), but this almkit was built without MPI "
             "(install libopenmpi-dev and rebuild; docs/parallel.md §3)\n",
             almkit::mpi::announced_ranks());
  return almkit::cli::kExitBadInput;
#endif
}

namespace {

int run_command(int argc, char** argv) {
  CLI::App app{"almkit: constrained nonconvex optimization by the augmented Lagrangian method"};
  app.require_subcommand(1);
  // ALMKIT_VERSION: the CMake project version (apps/CMakeLists.txt).
  app.set_version_flag("--version", "almkit " ALMKIT_VERSION);
  almkit::cli::register_list(app);
  almkit::cli::register_solve(app);
  almkit::cli::register_verify(app);
  almkit::cli::register_train(app);
  almkit::cli::register_predict(app);
  almkit::cli::register_compare(app);
  almkit::cli::register_benchmark(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const almkit::cli::Interrupted&) {
    return almkit::kExitInterrupted;  // outputs written with status "interrupted" (docs/interruption.md)
  } catch (const almkit::cli::TrainingFailed& e) {
    fmt::print(stderr, "almkit: error: {}\n", e.what());  // outputs written (docs/interruption.md §4)
    return almkit::cli::kExitTrainingFailed;
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "almkit: error: {}\nRun with --help for usage.\n", e.what());
    return almkit::cli::kExitBadInput;
  } catch (const almkit::cli::UsageError& e) {
    fmt::print(stderr, "almkit: error: {}\n", e.what());
    return almkit::cli::kExitBadInput;
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "almkit: error: {}\n", e.what());
    return almkit::cli::kExitBadInput;
  } catch (const std::exception& e) {
    fmt::print(stderr, "almkit: error: {}\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace
