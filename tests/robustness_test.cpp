// Robustness at scale (issue 9): byte-identical results whatever the thread count, no NaN or
// infinity in any output at a million accelerators, 64-bit counts through the whole pipeline.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "app/cli.hpp"
#include "output/atomic_file.hpp"
#include "test_support.hpp"

using namespace clustersim;
namespace fs = std::filesystem;

namespace {

std::string run_with_threads(const std::string& scenario, const std::string& threads, const fs::path& dir) {
    std::ostringstream out;
    std::ostringstream err;
    const int code = app::run_cli({"--catalog", test::models_dir().string(), "run", scenario, "-q", "--threads", threads,
                                   "-o", dir.string()},
                                  out, err);
    REQUIRE_MESSAGE(code == 0, err.str());
    return output::read_file(dir / "results.csv") + output::read_file(dir / "run.json");
}

std::string field(const std::string& csv, const std::string& case_name, const std::string& column) {
    std::istringstream lines(csv);
    std::string header;
    std::getline(lines, header);
    std::vector<std::string> cols;
    std::istringstream h(header);
    for (std::string c; std::getline(h, c, ',');) cols.push_back(c);
    for (std::string line; std::getline(lines, line);) {
        std::vector<std::string> cells;
        std::istringstream l(line);
        for (std::string c; std::getline(l, c, ',');) cells.push_back(c);
        if (cells.size() > 1 && cells[1] == case_name) {
            for (std::size_t i = 0; i < cols.size() && i < cells.size(); ++i) {
                if (cols[i] == column) return cells[i];
            }
        }
    }
    return "<missing>";
}

}  // namespace

TEST_CASE("robustness: a million-scale sweep is byte-identical on 1, 2 and 8 threads, with no NaN or infinity") {
    const fs::path dir = fs::temp_directory_path() / ("clustersim_robustness_" + std::to_string(::getpid()));
    const std::string scenario = (test::source_dir() / "tests" / "data" / "good" / "million_scale_sweep.yaml").string();
    const std::string one = run_with_threads(scenario, "1", dir / "t1");
    CHECK(run_with_threads(scenario, "2", dir / "t2") == one);
    CHECK(run_with_threads(scenario, "8", dir / "t8") == one);
    CHECK(one.find("nan") == std::string::npos);
    CHECK(one.find("inf") == std::string::npos);
    const std::string csv = output::read_file(dir / "t1" / "results.csv");
    // 64-bit counts: 100,000 x 99,999 / 2 links, above 2^32.
    CHECK(field(csv, "mesh|overrides.hbm_bandwidth=1 TB/s", "links_count") == "4999950000");
    CHECK(field(csv, "supercluster|overrides.hbm_bandwidth=4 TB/s", "chips_count") == "1006720");
    CHECK(field(csv, "supercluster|overrides.hbm_bandwidth=4 TB/s", "links_count") == "15110912");
    // One accelerator and no topology: network cells are empty, never NaN or zero.
    CHECK(field(csv, "one|overrides.hbm_bandwidth=1 TB/s", "bisection_bw_per_chip_one_way_bytes_per_s").empty());
    fs::remove_all(dir);
}
