// Block devices: what a disk controller reads and writes, in bytes at sector-aligned offsets.
//   BlockDevice   the interface the ATA model uses
//   RawImage      a raw image file (qemu-img's "raw" format); with `snapshot` every write goes to
//                 an in-memory overlay and the file is never written (QEMU's -snapshot)
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace xlat {

class BlockDevice {
public:
    static constexpr uint32_t kSectorSize = 512;
    virtual ~BlockDevice() = default;
    virtual uint64_t sectors() const = 0;
    virtual bool read_only() const = 0;
    // Whole sectors; false on a host I/O error or a range past the end.
    [[nodiscard]] virtual bool read(uint64_t lba, void* buf, uint32_t count) = 0;
    [[nodiscard]] virtual bool write(uint64_t lba, const void* buf, uint32_t count) = 0;
    [[nodiscard]] virtual bool flush() = 0;
    // A name for messages (the file name).
    virtual const std::string& name() const = 0;
};

struct ImageOptions {
    bool read_only = false;
    bool snapshot = false;  // writes to a temporary overlay in memory; the file stays untouched
    bool cdrom = false;     // a CD image: read-only, and an ISO 9660 volume is what it should hold
};

class RawImage : public BlockDevice {
public:
    // Opens `path`; on failure returns null and sets `error` to one line naming the problem.
    static std::unique_ptr<RawImage> open(const std::string& path, const ImageOptions& opt, std::string& error);
    ~RawImage() override;
    uint64_t sectors() const override { return sectors_; }
    bool read_only() const override { return read_only_; }
    bool read(uint64_t lba, void* buf, uint32_t count) override;
    bool write(uint64_t lba, const void* buf, uint32_t count) override;
    bool flush() override;
    const std::string& name() const override { return path_; }
    size_t overlay_sectors() const { return overlay_.size(); }

private:
    RawImage(int fd, std::string path, uint64_t sectors, bool read_only, bool snapshot);
    int fd_;
    std::string path_;
    uint64_t sectors_;
    bool read_only_;
    bool snapshot_;
    std::unordered_map<uint64_t, std::vector<uint8_t>> overlay_;  // sector -> data (snapshot mode)
};

} // namespace xlat
