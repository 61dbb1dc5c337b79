#pragma once
// Shared by the benchmarks that measure each configuration in a process of its own, so that
// the peak memory getrusage reports belongs to that configuration alone.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace clustersim::bench {

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// Peak resident memory of this process, MiB (Linux reports KiB).
inline double peak_rss_mib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0;
}

/// Runs `run(config)` for every configuration (or only those named on the command line) in a
/// forked child; a child that fails or exits non-zero prints "<name> <failure>". Returns 0 when
/// all succeeded, else 1.
template <class Config, class Run>
int run_isolated(const std::vector<Config>& configs, int argc, char** argv, Run run, int name_width,
                 const char* failure) {
    int failures = 0;
    for (const auto& c : configs) {
        if (argc > 1 && std::none_of(argv + 1, argv + argc, [&](const char* a) { return c.name == a; })) continue;
        std::fflush(stdout);  // or the child would print the parent's buffered lines again
        const pid_t pid = fork();
        if (pid == 0) {
            const int rc = run(c);
            std::fflush(stdout);  // _exit does not flush stdio
            _exit(rc);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::printf("%-*s %s\n", name_width, c.name.c_str(), failure);
            ++failures;
        }
    }
    return failures == 0 ? 0 : 1;
}

}  // namespace clustersim::bench
