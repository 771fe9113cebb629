#include "frontend/bootfile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace xlat {

namespace {

const char* file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

} // namespace

int BootFile::open_checked(uint64_t* size) const {
    const std::string prefix = "cannot read " + what_ + " '" + name_ + "': ";
    // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting, so fstat can
    // refuse it. It changes nothing for a regular file.
    int fd = ::open(name_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw BootError(prefix + std::strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        ::close(fd);
        throw BootError(prefix + std::strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        const char* kind = file_kind(st.st_mode);
        throw BootError(prefix + "not a regular file" +
                        (std::strcmp(kind, "not a regular file") ? std::string(" (") + kind + ")" : ""));
    }
    *size = uint64_t(st.st_size);
    return fd;
}

BootFile BootFile::open(const std::string& path, const std::string& what) {
    BootFile f;
    f.name_ = path;
    f.what_ = what;
    if (path.empty()) throw BootError("cannot read " + what + ": the file name is empty");
    ::close(f.open_checked(&f.size_));
    return f;
}

BootFile BootFile::from_bytes(const std::string& name, std::vector<uint8_t> bytes) {
    BootFile f;
    f.name_ = name;
    f.what_ = "file";
    f.in_memory_ = true;
    f.size_ = bytes.size();
    f.bytes_ = std::move(bytes);
    return f;
}

BootFile::BootFile(BootFile&& o) noexcept
    : name_(std::move(o.name_)), what_(std::move(o.what_)), in_memory_(o.in_memory_), fd_(o.fd_), size_(o.size_),
      bytes_(std::move(o.bytes_)) {
    o.fd_ = -1;
}

BootFile& BootFile::operator=(BootFile&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        name_ = std::move(o.name_);
        what_ = std::move(o.what_);
        in_memory_ = o.in_memory_;
        fd_ = o.fd_;
        size_ = o.size_;
        bytes_ = std::move(o.bytes_);
        o.fd_ = -1;
    }
    return *this;
}

BootFile::~BootFile() {
    if (fd_ >= 0) ::close(fd_);
}

void BootFile::read(uint64_t off, void* dst, size_t n) const {
    if (off > size_ || n > size_ - off)
        throw BootError(what_ + " '" + name_ + "' is shorter than its headers say");
    if (n == 0) return;  // dst may be null for an empty piece (memcpy must not see it)
    if (in_memory_) {
        std::memcpy(dst, bytes_.data() + off, n);
        return;
    }
    if (fd_ < 0) {
        uint64_t now = 0;
        fd_ = open_checked(&now);
        if (now < size_) {
            release();
            throw BootError(what_ + " '" + name_ + "' became shorter while it was read");
        }
    }
    uint8_t* p = static_cast<uint8_t*>(dst);
    while (n > 0) {
        // pread moves at most about 2 GiB at once on Linux; a smaller step keeps each call short.
        size_t step = n < (size_t(1) << 30) ? n : (size_t(1) << 30);
        ssize_t got = ::pread(fd_, p, step, off_t(off));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw BootError("cannot read " + what_ + " '" + name_ + "': " + std::strerror(errno));
        if (got == 0) throw BootError(what_ + " '" + name_ + "' became shorter while it was read");
        p += got;
        off += uint64_t(got);
        n -= size_t(got);
    }
}

void BootFile::release() const {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

std::vector<uint8_t> BootFile::head(size_t n) const {
    std::vector<uint8_t> out(size_ < n ? size_t(size_) : n);
    read(0, out.data(), out.size());
    return out;
}

long find_multiboot_header(const std::vector<uint8_t>& head) {
    const size_t limit = std::min<size_t>(head.size(), kMultibootSearchBytes);  // the 12 bytes lie within it
    for (size_t off = 0; off + 12 <= limit; off += 4) {
        uint32_t magic, flags, sum;
        std::memcpy(&magic, &head[off], 4);
        std::memcpy(&flags, &head[off + 4], 4);
        std::memcpy(&sum, &head[off + 8], 4);
        if (magic == 0x1BADB002u && uint32_t(magic + flags + sum) == 0) return long(off);
    }
    return -1;
}

KernelFormat kernel_format(const BootFile& f) {
    const std::vector<uint8_t> head = f.head(kMultibootSearchBytes);
    if (find_multiboot_header(head) >= 0) return KernelFormat::Multiboot;
    if (head.size() >= 0x206 && head[0x1FE] == 0x55 && head[0x1FF] == 0xAA && std::memcmp(&head[0x202], "HdrS", 4) == 0)
        return KernelFormat::Linux;
    throw BootError("neither a Multiboot kernel (no Multiboot header in its first 8 KiB) nor a Linux kernel (no bzImage setup header)");
}

} // namespace xlat
