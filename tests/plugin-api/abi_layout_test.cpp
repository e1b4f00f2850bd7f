// Pins the layout of every ABI v1 struct. Plugins built against an earlier
// SDK depend on these offsets: if this test fails, the change broke the ABI.
// Fields may only be appended (then add their offsets here and bump the minor).
#include <gtest/gtest.h>

#include <cstddef>

#include "drover/plugin/abi.h"
#include "drover/plugin/agent.h"
#include "drover/plugin/storage.h"
#include "drover/plugin/vcs.h"

TEST(AbiLayout, VersionAndEntryPoint) {
  EXPECT_EQ(DROVER_PLUGIN_ABI_MAJOR, 1);
  EXPECT_GE(DROVER_PLUGIN_ABI_MINOR, 0);
  EXPECT_STREQ(DROVER_PLUGIN_ENTRY_SYMBOL, "drover_plugin_entry_v1");
  EXPECT_EQ(DROVER_OK, 0);
  EXPECT_EQ(DROVER_INVALID_CONFIG, 7);
  EXPECT_EQ(DROVER_KIND_AGENT, 1u);
  EXPECT_EQ(DROVER_KIND_STORAGE, 2u);
  EXPECT_EQ(DROVER_KIND_VCS, 3u);
}

TEST(AbiLayout, StructsOnX86_64) {
  static_assert(sizeof(void*) == 8, "the pinned values are for 64-bit targets");
  EXPECT_EQ(sizeof(drover_str), 16u);
  EXPECT_EQ(offsetof(drover_str, data), 0u);
  EXPECT_EQ(offsetof(drover_str, size), 8u);
  EXPECT_EQ(sizeof(drover_host_api), 32u);
  EXPECT_EQ(offsetof(drover_host_api, struct_size), 0u);
  EXPECT_EQ(offsetof(drover_host_api, abi_major), 4u);
  EXPECT_EQ(offsetof(drover_host_api, abi_minor), 6u);
  EXPECT_EQ(offsetof(drover_host_api, set_error), 8u);
  EXPECT_EQ(offsetof(drover_host_api, buffer_append), 16u);
  EXPECT_EQ(offsetof(drover_host_api, log), 24u);
  EXPECT_EQ(sizeof(drover_plugin_descriptor), 56u);
  EXPECT_EQ(offsetof(drover_plugin_descriptor, struct_size), 0u);
  EXPECT_EQ(offsetof(drover_plugin_descriptor, abi_major), 4u);
  EXPECT_EQ(offsetof(drover_plugin_descriptor, abi_minor), 6u);
  EXPECT_EQ(offsetof(drover_plugin_descriptor, kind), 8u);
  EXPECT_EQ(offsetof(drover_plugin_descriptor, vtable_size), 12u);
  EXPECT_EQ(offsetof(drover_plugin_descriptor, name), 16u);
  EXPECT_EQ(offsetof(drover_plugin_descriptor, version), 24u);
  EXPECT_EQ(offsetof(drover_plugin_descriptor, build_info), 32u);
  EXPECT_EQ(offsetof(drover_plugin_descriptor, config_schema), 40u);
  EXPECT_EQ(offsetof(drover_plugin_descriptor, vtable), 48u);
  EXPECT_EQ(sizeof(drover_storage_vtable_v1), 288u);
  EXPECT_EQ(DROVER_STORAGE_VTABLE_V1_0_SIZE, 200u);  // what a plugin built for ABI 1.0/1.1 provides
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, struct_size), 0u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, check_config), 8u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, open), 16u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, close), 24u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, describe), 32u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, create_epic), 40u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, list_epics), 48u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, create_task), 56u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, get_task), 64u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, list_tasks), 72u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, add_dependency), 80u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, update_task), 88u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, claim_task), 96u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, renew_leases), 104u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, release_task), 112u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, complete_task), 120u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, fail_task), 128u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, reset_task), 136u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, start_workflow), 144u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, get_workflow), 152u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, finish_workflow), 160u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, record_step), 168u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, append_event), 176u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, list_events), 184u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, summary), 192u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, edit_task), 200u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, remove_task), 208u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, remove_dependency), 216u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, set_paused), 224u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, review_task), 232u);  // ABI 1.3
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, beat_executor), 240u);  // ABI 1.4
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, list_executors), 248u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, append_log), 256u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, read_log), 264u);
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, claim_tasks), 272u);  // ABI 1.5
  EXPECT_EQ(offsetof(drover_storage_vtable_v1, apply_writes), 280u);  // ABI 1.6
  EXPECT_EQ(sizeof(drover_vcs_vtable_v1), 152u);
  EXPECT_EQ(DROVER_VCS_VTABLE_V1_0_SIZE, 88u);  // what a plugin built for ABI 1.0 provides
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, struct_size), 0u);
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, check_config), 8u);
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, open), 16u);
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, close), 24u);
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, repo_info), 32u);
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, prepare_worktree), 40u);
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, commit), 48u);
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, merge), 56u);
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, remove_worktree), 64u);
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, list_worktrees), 72u);
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, diff_summary), 80u);
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, checkout_state), 88u);  // ABI 1.1
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, target_moves), 96u);
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, reset_worktree), 104u);
  EXPECT_EQ(DROVER_VCS_VTABLE_V1_1_SIZE, 112u);  // what a plugin built for ABI 1.1 provides
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, build_landing), 112u);  // ABI 1.2
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, publish_landing), 120u);
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, sync_worktree), 128u);
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, scratch_worktree), 136u);
  EXPECT_EQ(DROVER_VCS_VTABLE_V1_2_SIZE, 144u);  // what a plugin built for ABI 1.2 provides
  EXPECT_EQ(offsetof(drover_vcs_vtable_v1, diff_patch), 144u);  // ABI 1.3
  EXPECT_EQ(DROVER_AGENT_VTABLE_V1_0_SIZE, 72u);
  EXPECT_EQ(offsetof(drover_agent_vtable_v1, struct_size), 0u);
  EXPECT_EQ(offsetof(drover_agent_vtable_v1, check_config), 8u);
  EXPECT_EQ(offsetof(drover_agent_vtable_v1, create), 16u);
  EXPECT_EQ(offsetof(drover_agent_vtable_v1, destroy), 24u);
  EXPECT_EQ(offsetof(drover_agent_vtable_v1, build_command), 32u);
  EXPECT_EQ(offsetof(drover_agent_vtable_v1, run_begin), 40u);
  EXPECT_EQ(offsetof(drover_agent_vtable_v1, run_line), 48u);
  EXPECT_EQ(offsetof(drover_agent_vtable_v1, run_finish), 56u);
  EXPECT_EQ(offsetof(drover_agent_vtable_v1, run_end), 64u);
  EXPECT_EQ(offsetof(drover_agent_vtable_v1, run_should_stop), 72u);  // ABI 1.2
  EXPECT_EQ(offsetof(drover_agent_vtable_v1, requirements), 80u);
  EXPECT_EQ(sizeof(drover_agent_vtable_v1), 88u);
}
