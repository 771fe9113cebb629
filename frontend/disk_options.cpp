#include "frontend/disk_options.h"

#include "frontend/machine.h"
#include "frontend/options.h"

namespace po = boost::program_options;

namespace xlat {

namespace {

constexpr const char* kHdNames[] = {"hda", "hdb", "hdc", "hdd"};

bool on_off(const std::string& key, const std::string& value) {
    if (value == "on" || value == "yes" || value == "true") return true;
    if (value == "off" || value == "no" || value == "false") return false;
    throw UsageError("-drive " + key + "=" + quote(value) + ": use on or off");
}

// "file=a.img,format=raw,if=ide": QEMU's syntax, where ",," is a comma inside a value.
DriveSpec parse_drive(const std::string& text, bool& has_index) {
    std::vector<std::string> items(1);
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == ',' && i + 1 < text.size() && text[i + 1] == ',') { items.back() += ','; ++i; }
        else if (text[i] == ',') items.emplace_back();
        else items.back() += text[i];
    }
    DriveSpec d;
    has_index = false;
    bool has_file = false;
    bool explicit_rw = false;
    for (const std::string& item : items) {
        if (item.empty()) continue;
        const size_t eq = item.find('=');
        const std::string key = item.substr(0, eq);
        const std::string value = eq == std::string::npos ? std::string() : item.substr(eq + 1);
        if (key == "file") {
            d.file = value;
            has_file = true;
        } else if (key == "format") {
            if (value != "raw") throw UsageError("-drive format=" + quote(value) + ": only raw images are supported");
        } else if (key == "if") {
            if (value != "ide") throw UsageError("-drive if=" + quote(value) + ": only ide is supported");
        } else if (key == "media") {
            if (value != "disk" && value != "cdrom") throw UsageError("-drive media=" + quote(value) + ": use disk or cdrom");
            d.cdrom = value == "cdrom";
        } else if (key == "readonly") {
            d.read_only = on_off(key, value);
            explicit_rw = !d.read_only;
        } else if (key == "snapshot") {
            d.snapshot = on_off(key, value);
        } else if (key == "index") {
            if (value.size() != 1 || value[0] < '0' || value[0] > '3')
                throw UsageError("-drive index=" + quote(value) + ": use 0 to 3");
            d.index = unsigned(value[0] - '0');
            has_index = true;
        } else {
            throw UsageError("unknown -drive key " + quote(key) +
                             " (known: file, format, if, index, media, readonly, snapshot)");
        }
    }
    if (!has_file || d.file.empty()) throw UsageError("-drive " + quote(text) + " has no file=NAME");
    // A CD-ROM is read-only (QEMU opens it so too); readonly=off is refused rather than ignored.
    if (d.cdrom && explicit_rw) throw UsageError("-drive media=cdrom: a CD-ROM is read-only, not readonly=off");
    if (d.cdrom) d.read_only = true;
    return d;
}

} // namespace

void add_disk_options(po::options_description& d) {
    d.add_options()
        ("hda", po::value<std::string>()->value_name("FILE"), "raw disk image as the primary IDE master")
        ("hdb", po::value<std::string>()->value_name("FILE"), "raw disk image as the primary IDE slave")
        ("hdc", po::value<std::string>()->value_name("FILE"), "raw disk image as the secondary IDE master")
        ("hdd", po::value<std::string>()->value_name("FILE"), "raw disk image as the secondary IDE slave")
        ("cdrom", po::value<std::string>()->value_name("FILE"),
         "ISO 9660 image on an ATAPI CD-ROM drive as the secondary IDE master (as -hdc)")
        ("drive", po::value<std::vector<std::string>>()->composing()->value_name("SPEC"),
         "a disk: file=FILE[,format=raw][,if=ide][,index=0-3][,media=disk|cdrom][,readonly=on][,snapshot=on]; "
         "without index, the first free IDE position")
        ("boot", po::value<std::string>()->value_name("SETTINGS"),
         "[order=DRIVES][,once=DRIVES][,menu=on|off][,splash-time=MS][,reboot-timeout=MS][,strict=on|off]: "
         "the firmware's boot order, most preferred first, up to three of c (hard disk), d (CD-ROM), "
         "a (floppy), n (network); default cad; once= for the first boot only")
        ("snapshot", po::bool_switch(),
         "write to temporary copies of the disk images in memory: the files are left unchanged");
}

std::vector<DriveSpec> parse_disk_options(const po::variables_map& vm) {
    std::vector<DriveSpec> out;
    bool taken[4] = {};
    auto take = [&](DriveSpec d) {
        if (taken[d.index])
            throw UsageError("two drives at IDE index " + std::to_string(d.index) + " (" + kHdNames[d.index] +
                             (d.index == 2 ? ", where -cdrom goes" : "") + ")");
        taken[d.index] = true;
        out.push_back(std::move(d));
    };
    if (vm.count("cdrom")) {
        DriveSpec d;
        d.file = vm["cdrom"].as<std::string>();
        if (d.file.empty()) throw UsageError("-cdrom needs a file name, not an empty string");
        d.index = 2;
        d.cdrom = d.read_only = true;
        take(d);
    }
    for (unsigned i = 0; i < 4; ++i)
        if (vm.count(kHdNames[i])) {
            DriveSpec d;
            d.file = vm[kHdNames[i]].as<std::string>();
            if (d.file.empty()) throw UsageError(std::string("-") + kHdNames[i] + " needs a file name, not an empty string");
            d.index = i;
            take(d);
        }
    std::vector<DriveSpec> unplaced;
    if (vm.count("drive"))
        for (const std::string& text : vm["drive"].as<std::vector<std::string>>()) {
            bool has_index;
            DriveSpec d = parse_drive(text, has_index);
            if (has_index) take(d);
            else unplaced.push_back(d);
        }
    for (DriveSpec& d : unplaced) {
        unsigned i = 0;
        while (i < 4 && taken[i]) ++i;
        if (i == 4) throw UsageError("more than four IDE drives");
        d.index = i;
        take(d);
    }
    if (vm.count("snapshot") && vm["snapshot"].as<bool>())
        for (DriveSpec& d : out) d.snapshot = true;
    return out;
}

std::array<std::shared_ptr<BlockDevice>, 4> open_drives(const std::vector<DriveSpec>& drives) {
    std::array<std::shared_ptr<BlockDevice>, 4> disks;
    for (const DriveSpec& d : drives) {
        std::string error;
        std::unique_ptr<RawImage> img = RawImage::open(d.file, {d.read_only, d.snapshot, d.cdrom}, error);
        if (!img) throw UsageError(one_line(error));
        disks[d.index] = std::move(img);
    }
    return disks;
}

BootOrder parse_boot_options(const po::variables_map& vm) {
    return vm.count("boot") ? parse_boot(vm["boot"].as<std::string>()) : BootOrder{};
}

void configure_drives(MachineConfig& cfg, const std::vector<DriveSpec>& drives, const BootOrder& boot) {
    cfg.ide_disks = open_drives(drives);
    cfg.ide_media = {};
    for (const DriveSpec& d : drives) cfg.ide_media[d.index] = d.cdrom ? IdeMedia::Cdrom : IdeMedia::Disk;
    cfg.boot = boot;
}

} // namespace xlat
