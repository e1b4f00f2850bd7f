// The plugin's single exported entry point.
#include "git_vcs.h"

DROVER_VCS_PLUGIN(drover::vcs_git::GitVcs, "git", "0.1.0")
