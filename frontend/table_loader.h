// The BIOS linker/loader script that QEMU hands SeaBIOS in the fw_cfg file "etc/table-loader"
// (SeaBIOS src/fw/romfile_loader.c runs it): tables travel as fw_cfg files whose pointers hold
// offsets into other files, and the script tells the firmware where to put each file and how
// to finish it there. Each command is 128 bytes, little-endian: a u32 command number, then
//   1 ALLOCATE      char file[56], u32 align (a power of two), u8 zone (1 high memory, 2 F-segment)
//                   copy the file to memory so allocated; before any command names it
//   2 ADD_POINTER   char dest[56], char src[56], u32 offset, u8 size (1, 2, 4 or 8)
//                   add src's address to the size-byte integer at dest + offset
//   3 ADD_CHECKSUM  char file[56], u32 offset, u32 start, u32 length
//                   subtract the byte sum of [start, start + length) from the byte at offset
// with the rest of the 128 bytes zero. Commands run in order, so a table's pointers come before
// its checksum. The same script links the tables at fixed addresses for a direct kernel boot
// (link()), so the firmware's and the loader's copies come from one description.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace xlat {

class TableLoader {
public:
    enum class Zone : uint8_t { High = 1, FSeg = 2 };
    enum Kind : uint32_t { kAllocate = 1, kAddPointer = 2, kAddChecksum = 3 };
    static constexpr size_t kEntrySize = 128, kFileNameSize = 56;
    struct Command {
        Kind kind;
        std::string file;        // ALLOCATE, ADD_CHECKSUM: the file; ADD_POINTER: the destination
        std::string src;         // ADD_POINTER: the file whose address is added
        uint32_t align = 0;      // ALLOCATE
        Zone zone = Zone::High;  // ALLOCATE
        uint32_t offset = 0;     // ADD_POINTER: the pointer; ADD_CHECKSUM: the checksum byte
        uint8_t size = 0;        // ADD_POINTER
        uint32_t start = 0, length = 0;  // ADD_CHECKSUM
    };

    void allocate(const std::string& file, uint32_t align, Zone zone);
    void add_pointer(const std::string& dest, uint32_t offset, uint8_t size, const std::string& src);
    void add_checksum(const std::string& file, uint32_t offset, uint32_t start, uint32_t length);
    const std::vector<Command>& commands() const { return commands_; }

    // The script as the fw_cfg file holds it.
    std::vector<uint8_t> script() const;
    // What the firmware does: with every allocated file at its address in `at`, applies the
    // pointers and checksums to `files`. Throws std::logic_error on a command that names a file
    // not allocated before it or reaches past a file's end (a bug in whoever built the script).
    void link(std::map<std::string, std::vector<uint8_t>>& files, const std::map<std::string, uint64_t>& at) const;

private:
    std::vector<Command> commands_;
};

} // namespace xlat
