#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "devices/block/block.h"

namespace xlat {

std::unique_ptr<RawImage> RawImage::open(const std::string& path, const ImageOptions& opt, std::string& error) {
    const std::string kind = opt.cdrom ? "CD image" : "disk image";
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
        error = "cannot open " + kind + " '" + path + "': " + std::strerror(errno);
        return nullptr;
    }
    if (S_ISDIR(st.st_mode)) {
        error = kind + " '" + path + "' is a directory";
        return nullptr;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        error = kind + " '" + path + "' is not a regular file or block device";
        return nullptr;
    }
    // With a snapshot the file is only ever read.
    const bool write_file = !opt.read_only && !opt.snapshot && !opt.cdrom;
    const int fd = ::open(path.c_str(), (write_file ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) {
        error = "cannot open " + kind + " '" + path + "'" + (write_file ? " for writing" : "") + ": " + std::strerror(errno) +
                (write_file && (errno == EACCES || errno == EROFS) ? " (use readonly=on or -snapshot)" : "");
        return nullptr;
    }
    const off_t size = ::lseek(fd, 0, SEEK_END);
    uint8_t probe[1];
    if (size < 0 || (size > 0 && ::pread(fd, probe, 1, 0) != 1)) {
        error = "cannot read " + kind + " '" + path + "': " + std::strerror(errno ? errno : EIO);
        ::close(fd);
        return nullptr;
    }
    if (size < off_t(kSectorSize)) {
        error = kind + " '" + path + "' is smaller than one 512-byte sector";
        ::close(fd);
        return nullptr;
    }
    // An ISO 9660 volume ("CD001" in the descriptor at 32 KiB) belongs on a CD-ROM drive.
    char cd[5];
    if (!opt.cdrom && size >= 0x8006 && ::pread(fd, cd, 5, 0x8001) == 5 && std::memcmp(cd, "CD001", 5) == 0) {
        error = kind + " '" + path + "' is an ISO 9660 CD image; give it as a CD-ROM, not a hard disk";
        ::close(fd);
        return nullptr;
    }
    // A partial last sector is not addressable (QEMU rounds the same way for raw images).
    return std::unique_ptr<RawImage>(
        new RawImage(fd, path, uint64_t(size) / kSectorSize, opt.read_only || opt.cdrom, opt.snapshot));
}

RawImage::RawImage(int fd, std::string path, uint64_t sectors, bool read_only, bool snapshot)
    : fd_(fd), path_(std::move(path)), sectors_(sectors), read_only_(read_only), snapshot_(snapshot) {}

RawImage::~RawImage() { ::close(fd_); }

bool RawImage::read(uint64_t lba, void* buf, uint32_t count) {
    if (lba > sectors_ || count > sectors_ - lba) return false;
    uint8_t* out = static_cast<uint8_t*>(buf);
    for (uint32_t i = 0; i < count; ++i) {
        uint8_t* dst = out + size_t(i) * kSectorSize;
        if (snapshot_) {
            auto it = overlay_.find(lba + i);
            if (it != overlay_.end()) {
                std::memcpy(dst, it->second.data(), kSectorSize);
                continue;
            }
        }
        size_t done = 0;
        while (done < kSectorSize) {
            const ssize_t n = ::pread(fd_, dst + done, kSectorSize - done, off_t((lba + i) * kSectorSize + done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            done += size_t(n);
        }
    }
    return true;
}

bool RawImage::write(uint64_t lba, const void* buf, uint32_t count) {
    if (read_only_ || lba > sectors_ || count > sectors_ - lba) return false;
    const uint8_t* in = static_cast<const uint8_t*>(buf);
    if (snapshot_) {
        for (uint32_t i = 0; i < count; ++i)
            overlay_[lba + i].assign(in + size_t(i) * kSectorSize, in + size_t(i + 1) * kSectorSize);
        return true;
    }
    const size_t len = size_t(count) * kSectorSize;
    size_t done = 0;
    while (done < len) {
        const ssize_t n = ::pwrite(fd_, in + done, len - done, off_t(lba * kSectorSize + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += size_t(n);
    }
    return true;
}

bool RawImage::flush() { return snapshot_ || read_only_ || ::fdatasync(fd_) == 0; }

} // namespace xlat
