// Machines are independent: two of them, each on its own thread at the same time, run two
// different ROMs and each produces its own output and exit status (nothing is shared but the
// read-only instruction table).
#include <catch2/catch.hpp>

#include <future>
#include <thread>

#include "rom_util.h"

using namespace xlat_test;

namespace {

struct Job {
    std::string rom;
    XlatRun run;
    std::string error;
};

} // namespace

TEST_CASE("two machines run two ROMs side by side on their own threads", "[machine]") {
    Job jobs[] = {{"string", {}, {}}, {"bcd", {}, {}}, {"string", {}, {}}};
    std::promise<void> go;
    std::shared_future<void> start = go.get_future().share();
    std::vector<std::thread> threads;
    for (Job& j : jobs)
        threads.emplace_back([&j, start] {
            start.wait();  // all begin together
            try {
                j.run = run_rom_on_xlat(j.rom);
            } catch (const std::exception& e) {
                j.error = e.what();
            }
        });
    go.set_value();
    for (std::thread& t : threads) t.join();

    // Catch2 assertions are not thread-safe: check on this thread only.
    for (const Job& j : jobs) {
        INFO("ROM " << j.rom);
        INFO(j.run.diagnosis);
        REQUIRE(j.error.empty());
        const std::string want = expected_output(j.rom);
        INFO(first_difference(j.run.output, want));
        CHECK(j.run.output == want);
        CHECK(j.run.reason == xlat::StopReason::ExitPort);
        CHECK(j.run.exit_status == 1);
    }
    CHECK(jobs[0].run.output != jobs[1].run.output);
}
