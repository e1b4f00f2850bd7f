// Whether the database file was closed cleanly by the last drover that used it.
//
// A clean close leaves a small file beside the database, "<db>-closed", holding
// the database's device, inode, size and modification time (nanoseconds) as
// they were after the last connection closed and SQLite checkpointed and
// removed the WAL. Opening read-write takes that mark away; closing puts it back
// only when nothing is left in a WAL (this connection was the last) and the
// store was not found damaged, and a WAL beside the file at open counts as
// unclean too. So the mark is missing after a crash, while
// another process has the store open, or after a failed checkpoint, and it no
// longer matches when anything else wrote the file (a copy, a restore, `dd`).
// In all those cases the store runs PRAGMA quick_check before it is used.
//
// Why a file beside the database and not a flag inside it: a flag inside the
// file cannot see the file changed behind drover's back, and a damaged page
// elsewhere in the file would go unnoticed until some statement read it, after
// drover had already written.
#ifndef DROVER_STORAGE_SQLITE_CLEAN_CLOSE_H
#define DROVER_STORAGE_SQLITE_CLEAN_CLOSE_H

#include <string>

namespace drover::sqlite_storage {

// The mark's path for the database at db_path.
std::string clean_close_mark_path(const std::string& db_path);

// True iff the mark exists, matches the database file as it is now, and no
// WAL file is beside it.
// Removes the mark either way: from here on the store is in use.
bool take_clean_close_mark(const std::string& db_path);

// Writes the mark (mode 0600) if db_path has no WAL file left beside it.
// Best effort: a mark that cannot be written only costs a check next time.
void leave_clean_close_mark(const std::string& db_path);

}  // namespace drover::sqlite_storage

#endif
