# drover_add_plugin(<target> KIND <agent|storage|vcs> NAME <name> SOURCES <src>...)
#
# Builds a Drover plugin as a loadable module named libdrover-<kind>-<name>.so
# that exports only drover_plugin_entry_v1 (hidden visibility plus a version
# script) and links with -z defs so a missing symbol fails the build instead of
# the load. Used for Drover's own plugins and by third parties through
# find_package(DroverPluginSDK).


if(CMAKE_VERSION VERSION_LESS 3.17)
  message(FATAL_ERROR "DroverPluginSDK needs CMake 3.17 or newer")
endif()

function(drover_add_plugin target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "KIND;NAME" "SOURCES")
  if(NOT ARG_KIND OR NOT ARG_NAME OR NOT ARG_SOURCES)
    message(FATAL_ERROR "drover_add_plugin(${target}): KIND, NAME and SOURCES are required")
  endif()
  if(NOT ARG_KIND MATCHES "^(agent|storage|vcs)$")
    message(FATAL_ERROR "drover_add_plugin(${target}): KIND must be agent, storage or vcs, not '${ARG_KIND}'")
  endif()
  if(NOT ARG_NAME MATCHES "^[a-z0-9][a-z0-9_-]*$")
    message(FATAL_ERROR "drover_add_plugin(${target}): NAME '${ARG_NAME}' must be lower-case letters, digits, '-' or '_'")
  endif()

  add_library(${target} MODULE ${ARG_SOURCES})
  if(TARGET Drover::PluginSDK)
    target_link_libraries(${target} PRIVATE Drover::PluginSDK)
  else()
    target_link_libraries(${target} PRIVATE drover_plugin_sdk)
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME "drover-${ARG_KIND}-${ARG_NAME}"
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON)
  target_compile_features(${target} PRIVATE cxx_std_17)
  set(_script "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/drover-plugin.map")
  target_link_options(${target} PRIVATE "LINKER:--version-script=${_script}" "LINKER:-z,defs")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${_script}")
  # Set DROVER_PLUGIN_INSTALL_DIR to have `cmake --install` put the plugin there
  # (Drover's own build uses lib/drover/plugins, next to bin/drover).
  if(DROVER_PLUGIN_INSTALL_DIR)
    install(TARGETS ${target} LIBRARY DESTINATION ${DROVER_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
