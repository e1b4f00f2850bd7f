// Reads a file's dynamic symbol table without loading it, so the host can tell
// "not a plugin" from "a plugin" before running any of the file's code.
//
// Boost 1.74's boost::dll::library_info reads .symtab and pairs it with
// whichever string table comes last in the file, so for many libraries it
// returns wrong names (and a stripped library has no .symtab at all). The
// exported entry point lives in .dynsym, whose string table is named by its
// sh_link; that is what this reads.
#ifndef DROVER_PLUGIN_HOST_ELF_SYMBOLS_H
#define DROVER_PLUGIN_HOST_ELF_SYMBOLS_H

#include <string>

#include "drover/status.h"

namespace drover {

// True iff the 64-bit ELF shared object at path defines (exports) the symbol.
// A file that is not such an object yields an InvalidArgument Status saying why.
Result<bool> elf_exports_symbol(const std::string& path, const std::string& symbol);

}  // namespace drover

#endif
