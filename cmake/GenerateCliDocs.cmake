# Writes the man pages and shell completions from the drover just built, so
# they come from the same command definitions as the parser and --help.
#   cmake -DDROVER=<bin/drover> -DOUT=<share dir> -P GenerateCliDocs.cmake
foreach(var DROVER OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "GenerateCliDocs.cmake: pass -D${var}=...")
  endif()
endforeach()

file(REMOVE_RECURSE ${OUT}/man/man1)
execute_process(COMMAND ${DROVER} __man ${OUT}/man/man1 RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "`${DROVER} __man` failed (${rc})")
endif()

set(bash_file ${OUT}/bash-completion/completions/drover)
set(zsh_file ${OUT}/zsh/vendor-completions/_drover)
set(fish_file ${OUT}/fish/vendor_completions.d/drover.fish)
foreach(shell bash zsh fish)
  get_filename_component(dir ${${shell}_file} DIRECTORY)
  file(MAKE_DIRECTORY ${dir})
  execute_process(COMMAND ${DROVER} completion ${shell} OUTPUT_FILE ${${shell}_file} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "`${DROVER} completion ${shell}` failed (${rc})")
  endif()
endforeach()
