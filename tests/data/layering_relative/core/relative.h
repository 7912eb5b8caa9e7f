// Fixture of layering.relative_backward_include_is_caught: a core header that
// reaches the study layer through a relative path, which
// cmake/check_layering.cmake must resolve and reject. Never compiled.
#pragma once
#include "../study/trainer.h"
