# The one-way folder layering of docs/architecture.md, checked over a source
# tree:  core <- solvers <- problems <- study <- apps.
# A file in one of these folders may include almkit/<folder>/... only for a
# folder at its own level or below; anything else is a backward include and
# fails with the offending file:line. Run as
#   cmake -DALMKIT_SOURCE_DIR=<tree> -P cmake/check_layering.cmake
# (the ctest test layering.includes_point_one_way; its twin
# layering.backward_include_is_caught runs it on tests/data/layering_backward,
# a tree with one wrong include, and expects the failure).
if(NOT ALMKIT_SOURCE_DIR)
  message(FATAL_ERROR "check_layering: set -DALMKIT_SOURCE_DIR=<source tree>")
endif()

# Lowest layer first (docs/architecture.md "Folder map").
set(layers core solvers problems study apps)

set(violations "")
set(checked 0)
list(LENGTH layers num_layers)
math(EXPR last "${num_layers} - 1")
foreach(rank RANGE ${last})
  list(GET layers ${rank} layer)
  math(EXPR rank_plus_one "${rank} + 1")
  file(GLOB_RECURSE files LIST_DIRECTORIES false
    "${ALMKIT_SOURCE_DIR}/${layer}/*.h" "${ALMKIT_SOURCE_DIR}/${layer}/*.hpp"
    "${ALMKIT_SOURCE_DIR}/${layer}/*.cpp" "${ALMKIT_SOURCE_DIR}/${layer}/*.cc")
  foreach(file IN LISTS files)
    math(EXPR checked "${checked} + 1")
    file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]almkit/")
    file(RELATIVE_PATH rel "${ALMKIT_SOURCE_DIR}" "${file}")
    foreach(line IN LISTS lines)
      string(REGEX MATCH "almkit/([A-Za-z0-9_]+)/[^\">]*" target "${line}")
      set(folder "${CMAKE_MATCH_1}")
      list(FIND layers "${folder}" target_rank)
      if(target_rank GREATER rank)
        list(SUBLIST layers 0 ${rank_plus_one} allowed)
        list(JOIN allowed ", " allowed)
        list(APPEND violations "${rel}: includes ${target} (layer '${layer}' may include only: ${allowed})")
      endif()
    endforeach()
  endforeach()
endforeach()

list(LENGTH violations n)
if(n GREATER 0)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "backward include(s) against the layering core <- solvers <- problems <- study <- apps "
                      "(docs/architecture.md):\n  ${text}")
endif()
message(STATUS "layering ok: ${checked} files in ${layers}, every almkit/ include points down or sideways")
