# The Debian package: `cpack -G DEB` in the build directory makes
# drover_<version>_<arch>.deb from what `cmake --install` installs: bin/drover,
# lib/drover/plugins (found by drover relative to its own executable), the
# plugin SDK (headers and CMake package), the man pages and the bash, zsh and
# fish completions. Packaging reuses the build; it compiles nothing.
install(FILES ${CMAKE_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME copyright)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME drover)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "The Drover authors")
set(CPACK_PACKAGE_CONTACT "The Drover authors <drover@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Drives a software project to completion with parallel AI coding agents")
set(CPACK_PACKAGE_DESCRIPTION
    "Drover runs every ready task of a project with an AI coding agent in its own git worktree, commits and merges the result, and keeps going until nothing is left. Includes the agent, storage and VCS plugins, the plugin SDK, man pages and shell completions.")
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# The shared libraries the binary and plugins use become dependencies.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Agents work in git repositories; the git plugin uses libgit2, users use git.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "git")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql-client")
include(CPack)
