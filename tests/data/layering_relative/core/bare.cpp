// Fixture of layering.relative_backward_include_is_caught: a bare include of
// another folder's header ("trainer.h" lives in study/), found only through an
// include path; cmake/check_layering.cmake must reject it. Never compiled.
#include "trainer.h"
#include "relative.h"
