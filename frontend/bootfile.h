// The files the loader reads (-bios, -kernel, -initrd): their size is known before anything is
// read, so an absurd file is refused by its size instead of read whole, and the loader reads the
// pieces it needs straight into guest RAM. A buffer in memory stands in for a file in tests and
// in the fuzz target.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace xlat {

// A file that cannot be used or a kernel that cannot be loaded: the message says why on one line
// (main prints it and exits with status 1).
struct BootError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class BootFile {
public:
    // Opens `path` for reading. Only a regular file is accepted: opening a FIFO waits for a
    // writer forever and a device such as /dev/zero never ends. `what` names the file's role in
    // messages ("kernel", "module", "firmware").
    static BootFile open(const std::string& path, const std::string& what);
    // A buffer that the loader reads as it would read a file called `name`.
    static BootFile from_bytes(const std::string& name, std::vector<uint8_t> bytes);

    BootFile(BootFile&& other) noexcept;
    BootFile& operator=(BootFile&& other) noexcept;
    BootFile(const BootFile&) = delete;
    BootFile& operator=(const BootFile&) = delete;
    ~BootFile();

    const std::string& name() const { return name_; }
    uint64_t size() const { return size_; }
    // Reads exactly n bytes from offset off (off + n must not pass size()). A short read (the
    // file shrank under us) or an I/O error throws BootError.
    void read(uint64_t off, void* dst, size_t n) const;
    // Reads the first min(size(), n) bytes.
    std::vector<uint8_t> head(size_t n) const;
    // Closes the file until the next read: open() keeps no descriptor, and a reader that is done
    // with a file says so, so that 65,000 modules do not need 65,000 descriptors.
    void release() const;

private:
    BootFile() = default;
    // Opens the file and checks that it is (still) a regular file; returns the descriptor.
    int open_checked(uint64_t* size) const;
    std::string name_;
    std::string what_;
    bool in_memory_ = false;
    mutable int fd_ = -1;  // open between the first read and release()
    uint64_t size_ = 0;
    std::vector<uint8_t> bytes_;  // from_bytes only
};

// What -kernel names: the loader is chosen by the file's first bytes.
enum class KernelFormat { Multiboot, Linux };
constexpr uint32_t kMultibootSearchBytes = 8192;  // the header lies in the first 8 KiB (Multiboot 0.6.96, 3.1)
// The offset of a Multiboot header (magic 0x1BADB002 and a checksum that matches) in `head`, the
// file's first bytes, or -1.
long find_multiboot_header(const std::vector<uint8_t>& head);
// A Multiboot header makes a Multiboot kernel (QEMU looks for it first too); else the boot
// sector signature and "HdrS" make a Linux kernel (Documentation/arch/x86/boot.rst, "The
// real-mode kernel header"). Anything else throws BootError saying it is neither.
KernelFormat kernel_format(const BootFile& f);

} // namespace xlat
