// Measures the scenario pipeline on generated sweeps: decode + validate, evaluate, CSV.
// Prints rows per second for growing sweep sizes. Build with the release preset:
//   cmake --build --preset release && ./build/release/bench/sweep_bench
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "output/csv.hpp"
#include "run/runner.hpp"
#include "scenario/catalog_loader.hpp"
#include "scenario/scenario_loader.hpp"

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

double seconds_since(clock_type::time_point t0) {
    return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// A scenario with 4 cases x `counts` x 5 bandwidth overrides sweep points.
fs::path write_sweep(std::size_t counts) {
    const fs::path file = fs::temp_directory_path() / ("clustersim_sweep_bench_" + std::to_string(counts) + ".yaml");
    std::ofstream out(file);
    out << "format: 1\nscenario: bench\nbaseline: h100\ncases:\n"
           "  - {name: h100, chip: nvidia_h100_sxm, count: 8}\n"
           "  - {name: h20, chip: nvidia_h20, count: 8}\n"
           "  - {name: a910c, chip: ascend_910c, count: 8}\n"
           "  - {name: cm384, system: cloudmatrix_384}\n"
           "sweep:\n  count: [";
    for (std::size_t i = 0; i < counts; ++i) out << (i ? ", " : "") << 8 * (i + 1);
    out << "]\n  overrides.hbm_bandwidth: [\"2 TB/s\", \"3 TB/s\", \"4 TB/s\", \"5 TB/s\", \"6 TB/s\"]\n";
    return file;
}

// The same size of sweep through field axes: 4 training cases x `counts` x 5 values of
// training.global_batch (a field axis: each case is decoded once per value, 20 decodes in all),
// loaded only (evaluating 100,000 training jobs is train_bench's business).
fs::path write_field_sweep(std::size_t counts) {
    const fs::path file = fs::temp_directory_path() / ("clustersim_field_sweep_bench_" + std::to_string(counts) + ".yaml");
    std::ofstream out(file);
    out << "format: 1\nscenario: bench-field\nbaseline: colossus\ncases:\n";
    for (const char* name : {"colossus", "colossus_fp8", "meta", "meta_fp8"}) {
        const std::string n = name;
        out << "  - name: " << n << "\n    system: "
            << (n.rfind("colossus", 0) == 0 ? "xai_colossus_hopper_200k" : "meta_h100_roce_24k")
            << "\n    training: {workload: llama3_70b, global_batch: 512, precision: "
            << (n.find("fp8") != std::string::npos ? "fp8" : "bf16") << "}\n";
    }
    out << "sweep:\n  count: [";
    for (std::size_t i = 0; i < counts; ++i) out << (i ? ", " : "") << 4 * (i + 1);
    out << "]\n  training.global_batch: [256, 512, 1024, 2048, 4096]\n";
    return file;
}

}  // namespace

int main() {
#if !defined(__OPTIMIZE__)
    std::printf("WARNING: built without optimisation; use the release preset for figures worth reporting\n");
#endif
    const auto t_cat = clock_type::now();
    const auto cat = clustersim::scenario::load_catalog(fs::path(CLUSTERSIM_SOURCE_DIR) / "models");
    std::printf("catalog: %zu chips, %zu systems loaded in %.3f s\n", cat.chips.size(), cat.systems.size(),
                seconds_since(t_cat));
    std::printf("%10s %12s %12s %12s %14s\n", "rows", "load_s", "run_s", "csv_s", "rows_per_s");
    for (const std::size_t counts : {std::size_t{50}, std::size_t{500}, std::size_t{5000}}) {
        const fs::path file = write_sweep(counts);
        const auto t0 = clock_type::now();
        const auto sc = clustersim::scenario::load_scenario(file, cat);
        const double load_s = seconds_since(t0);
        const auto t1 = clock_type::now();
        const auto result = clustersim::run::run_scenario(sc);
        const double run_s = seconds_since(t1);
        const auto t2 = clock_type::now();
        const std::string csv = clustersim::output::results_csv({result});
        const double csv_s = seconds_since(t2);
        const double rows = static_cast<double>(result.cases.size());
        std::printf("%10zu %12.3f %12.3f %12.3f %14.0f\n", result.cases.size(), load_s, run_s, csv_s,
                    rows / (load_s + run_s + csv_s));
        fs::remove(file);
    }
    std::printf("\nfield axis (count x training.global_batch, training cases), load only:\n%10s %12s %14s\n", "rows",
                "load_s", "rows_per_s");
    for (const std::size_t counts : {std::size_t{50}, std::size_t{500}, std::size_t{5000}}) {
        const fs::path file = write_field_sweep(counts);
        const auto t0 = clock_type::now();
        const auto sc = clustersim::scenario::load_scenario(file, cat);
        const double load_s = seconds_since(t0);
        std::printf("%10zu %12.3f %14.0f\n", sc.cases.size(), load_s, static_cast<double>(sc.cases.size()) / load_s);
        fs::remove(file);
    }
    return 0;
}
