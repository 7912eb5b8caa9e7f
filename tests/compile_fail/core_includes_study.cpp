// Must NOT build (tests/CMakeLists.txt, docs/architecture.md "Targets"): a
// translation unit of the core layer, compiled and linked against
// almkit_core alone, that includes a study header. almkit_core publishes only
// the include folder of core/ (<build>/layers/core/almkit/core), and files of
// core/ see an #error stub for every header of the layers core/ may not use
// (<build>/layers-forbidden/core/almkit/study/rnn_trainer.h: "layering: core/
// may not include almkit/study/rnn_trainer.h ..."), also when an installed
// almkit sits in /usr/local/include. With
// -DALMKIT_CORE_INCLUDES_ONLY_CORE the same file includes only core headers
// and must build and link (the control).
#include "almkit/core/io.h"
#ifndef ALMKIT_CORE_INCLUDES_ONLY_CORE
#include "almkit/study/rnn_trainer.h"  // backward: core/ may include only core/
#endif

int main(int argc, char** argv) {
  // Never run (the tests only build it); the call makes the control link
  // against almkit_core.
  if (argc > 2) almkit::write_file_atomically(argv[1], argv[2]);
  return 0;
}
