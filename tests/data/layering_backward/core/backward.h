// Fixture of the ctest test layering.backward_include_is_caught: a core
// header that includes the study layer, which cmake/check_layering.cmake must
// reject (docs/architecture.md). Never compiled.
#pragma once
#include "almkit/core/problem.h"
#include "almkit/study/rnn_trainer.h"
