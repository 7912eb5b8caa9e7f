# The layer table of docs/architecture.md "Include graph", one place for both
# users: CMakeLists.txt links each layer library (almkit_<layer>) to the
# library layers its row allows, and cmake/check_layering.cmake checks every
# include of the source tree against the same pairs.
#
# ALMKIT_LAYER_INCLUDES: the allowed (from, to) pairs, written from>to. A
# folder's own headers are listed too (core>core), so that the table alone
# says what a file may include. Lowest layer first.
set(ALMKIT_LAYER_INCLUDES
  core>core
  solvers>solvers  solvers>core
  # problems/ needs no solver: the registry, the verification problems and
  # the RNN problem only implement core's interfaces (grep: no
  # almkit/solvers/ include under problems/).
  problems>problems  problems>core
  study>study  study>problems  study>solvers  study>core
  apps>apps  apps>study  apps>problems  apps>solvers  apps>core)
# The folders of the table that are libraries (apps/ is the executable).
set(ALMKIT_LAYERS core solvers problems study)
# Top-level source folders above every layer: they may include every layer
# and no layer may include them. Their files are not checked.
set(ALMKIT_LAYER_CONSUMERS bench tests python examples fuzz)

# almkit_layer_deps(<from> <out-var>): the folders <from> may include, itself excluded.
function(almkit_layer_deps from out)
  set(deps "")
  foreach(pair IN LISTS ALMKIT_LAYER_INCLUDES)
    string(REPLACE ">" ";" pair "${pair}")
    list(GET pair 0 a)
    list(GET pair 1 b)
    if(a STREQUAL from AND NOT b STREQUAL from)
      list(APPEND deps ${b})
    endif()
  endforeach()
  set(${out} "${deps}" PARENT_SCOPE)
endfunction()
