# The layering of docs/architecture.md, checked over a source tree. The
# allowed (from, to) folder pairs are the table ALMKIT_LAYER_INCLUDES of
# cmake/almkit_layers.cmake (the same table links the layer libraries in
# CMakeLists.txt). Run as
#   cmake -DALMKIT_SOURCE_DIR=<tree> -P cmake/check_layering.cmake
# It fails, naming file and include, when
#  * a file of a layer folder includes almkit/<folder>/... and (layer, folder)
#    is not in the table (a backward include, or an include of a consumer
#    folder such as tests/);
#  * a quoted include that does not start with almkit/ ("../study/x.h",
#    "mpi/comm.h") resolves, relative to the including file as the compiler
#    resolves it first, into a folder the table does not allow; or does not
#    resolve next to the including file at all (it would then be found through
#    an include path: another folder's header must be named <almkit/folder/...>);
#  * a top-level folder of the tree holds C++ sources (.h .hpp .cpp .cc) but is
#    neither a layer of the table nor a consumer folder (ALMKIT_LAYER_CONSUMERS):
#    a new folder must be placed in the table first.
# Skipped: hidden folders (.git, .ci) and build trees (a folder holding
# CMakeCache.txt). Consumer folders (tests/, bench/, ...) may include every
# layer and are not read.
# The ctest tests (tests/CMakeLists.txt) run it on the source tree (must pass)
# and on the fixture trees under tests/data/layering_* (each must fail with
# its message), so the check cannot silently stop checking.
if(NOT ALMKIT_SOURCE_DIR)
  message(FATAL_ERROR "check_layering: set -DALMKIT_SOURCE_DIR=<source tree>")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/almkit_layers.cmake)
get_filename_component(root "${ALMKIT_SOURCE_DIR}" ABSOLUTE)

# The folders of the table, in table order.
set(table_folders "")
foreach(pair IN LISTS ALMKIT_LAYER_INCLUDES)
  string(REPLACE ">" ";" pair "${pair}")
  list(GET pair 0 from)
  list(APPEND table_folders ${from})
endforeach()
list(REMOVE_DUPLICATES table_folders)
set(known_folders ${table_folders} ${ALMKIT_LAYER_CONSUMERS})

# The top-level folder of an absolute path inside the tree, or "" outside it.
function(top_folder path out)
  file(RELATIVE_PATH rel "${root}" "${path}")
  if(rel MATCHES "^\\.\\./" OR IS_ABSOLUTE "${rel}" OR NOT rel MATCHES "/")
    set(${out} "" PARENT_SCOPE)
    return()
  endif()
  string(REGEX REPLACE "/.*" "" top "${rel}")
  set(${out} "${top}" PARENT_SCOPE)
endfunction()

set(violations "")
set(checked 0)
file(GLOB tops LIST_DIRECTORIES true RELATIVE "${root}" "${root}/*")
foreach(top IN LISTS tops)
  if(NOT IS_DIRECTORY "${root}/${top}" OR top MATCHES "^\\." OR EXISTS "${root}/${top}/CMakeCache.txt")
    continue()
  endif()
  list(FIND ALMKIT_LAYER_CONSUMERS "${top}" consumer)
  if(consumer GREATER -1)
    continue()
  endif()
  file(GLOB_RECURSE files LIST_DIRECTORIES false
    "${root}/${top}/*.h" "${root}/${top}/*.hpp" "${root}/${top}/*.cpp" "${root}/${top}/*.cc")
  list(FIND table_folders "${top}" known)
  if(known EQUAL -1)
    if(files)
      list(GET files 0 example)
      file(RELATIVE_PATH example "${root}" "${example}")
      list(JOIN known_folders ", " names)
      list(APPEND violations "unknown folder '${top}' holds C++ sources (${example}): add it to the layer table "
                             "ALMKIT_LAYER_INCLUDES in cmake/almkit_layers.cmake (known: ${names})")
    endif()
    continue()
  endif()
  set(allowed "")
  foreach(pair IN LISTS ALMKIT_LAYER_INCLUDES)
    if(pair MATCHES "^${top}>(.*)$")
      list(APPEND allowed ${CMAKE_MATCH_1})
    endif()
  endforeach()
  list(JOIN allowed ", " allowed_text)
  foreach(file IN LISTS files)
    math(EXPR checked "${checked} + 1")
    file(RELATIVE_PATH rel "${root}" "${file}")
    get_filename_component(dir "${file}" DIRECTORY)
    file(STRINGS "${file}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
    foreach(line IN LISTS lines)
      if(NOT line MATCHES "^[ \t]*#[ \t]*include[ \t]*([<\"])([^\">]+)[\">]")
        continue()
      endif()
      set(quote "${CMAKE_MATCH_1}")
      set(path "${CMAKE_MATCH_2}")
      set(target "")
      if(path MATCHES "^almkit/([^/]+)/")
        set(target "${CMAKE_MATCH_1}")
        set(shown "${path}")
      elseif(quote STREQUAL "\"")
        get_filename_component(resolved "${dir}/${path}" ABSOLUTE)
        if(NOT EXISTS "${resolved}")
          list(APPEND violations "${rel}: includes \"${path}\", which is not next to the including file "
                                 "(a header of another folder is included as <almkit/<folder>/...>)")
          continue()
        endif()
        top_folder("${resolved}" target)
        if(target STREQUAL "")
          list(APPEND violations "${rel}: includes \"${path}\", outside the layer folders of the tree")
          continue()
        endif()
        file(RELATIVE_PATH resolved_rel "${root}" "${resolved}")
        set(shown "\"${path}\" = ${resolved_rel}")
      else()
        continue()  # a system or third-party header
      endif()
      list(FIND ALMKIT_LAYER_INCLUDES "${top}>${target}" ok)
      if(ok EQUAL -1)
        list(APPEND violations "${rel}: includes ${shown} (layer '${top}' may include only: ${allowed_text})")
      endif()
    endforeach()
  endforeach()
endforeach()

list(LENGTH violations n)
if(n GREATER 0)
  list(JOIN violations "\n  " text)
  message(FATAL_ERROR "layering (docs/architecture.md, table in cmake/almkit_layers.cmake): ${n} violation(s):\n  ${text}")
endif()
message(STATUS "layering ok: ${checked} files in ${table_folders}, every include allowed by cmake/almkit_layers.cmake")
