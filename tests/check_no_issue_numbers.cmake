# Comments, test names and scripts cite docs/ sections, never issue numbers
# (CONTRIBUTING.md): an issue number means nothing to a reader of the tree.
# cmake -DALMKIT_SOURCE_DIR=<tree> -P check_no_issue_numbers.cmake fails naming
# FILE:LINE for every "issue" followed by a number (or "#" and a number), and
# every "(#" with a number and ")", in the source folders;
# tests/data (fixtures, fuzz inputs) is not scanned.
set(folders core solvers problems study apps tests bench python .ci fuzz examples cmake)
set(found "")
foreach(folder ${folders})
  if(NOT IS_DIRECTORY "${ALMKIT_SOURCE_DIR}/${folder}")
    continue()
  endif()
  file(GLOB_RECURSE files LIST_DIRECTORIES false RELATIVE "${ALMKIT_SOURCE_DIR}" "${ALMKIT_SOURCE_DIR}/${folder}/*")
  foreach(file ${files})
    if(file MATCHES "^tests/data/" OR NOT file MATCHES "(\\.(h|hpp|cpp|cc|py|sh|cmake|txt|md)|/run|CMakeLists\\.txt)$")
      continue()
    endif()
    file(STRINGS "${ALMKIT_SOURCE_DIR}/${file}" lines)
    set(n 0)
    foreach(line IN LISTS lines)
      math(EXPR n "${n} + 1")
      if(line MATCHES "[Ii]ssues? #?[0-9]" OR line MATCHES "\\(#[0-9]+\\)")
        string(APPEND found "${file}:${n}: ${line}\n")
      endif()
    endforeach()
  endforeach()
endforeach()
if(found)
  message(FATAL_ERROR "issue numbers instead of docs/ sections:\n${found}")
endif()
