#include "drover/plugin_host/elf_symbols.h"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <vector>

namespace drover {

Result<bool> elf_exports_symbol(const std::string& path, const std::string& symbol) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  Elf64_Ehdr eh{};
  if (!in.read(reinterpret_cast<char*>(&eh), sizeof eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
    return Status::InvalidArgument("not an ELF file");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) return Status::InvalidArgument("not a 64-bit ELF file");
  if (eh.e_type != ET_DYN) return Status::InvalidArgument("an ELF file, but not a shared library");
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shnum > 4096)
    return Status::InvalidArgument("ELF section table is malformed");

  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  in.seekg(static_cast<std::streamoff>(eh.e_shoff));
  if (!in.read(reinterpret_cast<char*>(sections.data()), sizeof(Elf64_Shdr) * sections.size()))
    return Status::InvalidArgument("ELF section table is truncated");

  auto read_section = [&](const Elf64_Shdr& s, std::vector<char>& out) {
    if (s.sh_size > (256u << 20)) return false;
    out.resize(s.sh_size);
    in.clear();
    in.seekg(static_cast<std::streamoff>(s.sh_offset));
    return static_cast<bool>(in.read(out.data(), static_cast<std::streamsize>(out.size())));
  };

  for (const auto& s : sections) {
    if (s.sh_type != SHT_DYNSYM || s.sh_link >= sections.size()) continue;
    std::vector<char> syms, names;
    if (!read_section(s, syms) || !read_section(sections[s.sh_link], names))
      return Status::InvalidArgument("ELF symbol table is truncated");
    const size_t count = syms.size() / sizeof(Elf64_Sym);
    for (size_t i = 0; i < count; ++i) {
      Elf64_Sym sym;
      std::memcpy(&sym, syms.data() + i * sizeof(Elf64_Sym), sizeof sym);
      if (sym.st_shndx == SHN_UNDEF || sym.st_name >= names.size()) continue;
      const unsigned bind = ELF64_ST_BIND(sym.st_info);
      if (bind != STB_GLOBAL && bind != STB_WEAK) continue;
      if (ELF64_ST_VISIBILITY(sym.st_other) != STV_DEFAULT) continue;
      const char* name = names.data() + sym.st_name;
      if (strnlen(name, names.size() - sym.st_name) == symbol.size() && symbol == name) return true;
    }
  }
  return false;
}

}  // namespace drover
