// The default guest: what `xlat` boots when no -bios and no -kernel is given. It is the Linux
// guest roms/build-linux-guest builds (Debian 12's i386 kernel and a busybox initramfs) in its
// cache directory, booted directly with its console on COM1, and COM1 on the terminal unless
// -serial says otherwise (as -nographic).
#pragma once
#include <string>

namespace xlat {

struct Options;

// The kernel command line of the default guest. console=ttyS0: COM1 is the console.
// cryptomgr.notests=1: the kernel's boot-time self-tests of its crypto algorithms are half the
// instructions to the shell. quiet: the shell's banner and prompt without the boot log. (The
// loader's MADT gives Linux the local and I/O APICs: no nolapic.)
constexpr const char* kDefaultGuestAppend = "console=ttyS0 cryptomgr.notests=1 quiet";

// Where roms/build-linux-guest puts the guest: $XLAT_GUEST_DIR, else $XDG_CACHE_HOME/xlat/guest,
// else ~/.cache/xlat/guest (the script's own rule; empty when none of them is set).
std::string default_guest_dir();

// When opt names neither -bios nor -kernel: points it at the default guest (kernel, initrd,
// command line, COM1 on stdio unless -serial is given). When the guest is not there it leaves
// opt alone and returns the one line saying how to build it, for the caller to raise once every
// other option has been checked (a bad option is the error to fix first, and the one the user
// typed); otherwise it returns "".
std::string use_default_guest(Options& opt);

} // namespace xlat
