// Every input that ever crashed, hung or leaked under the fuzzer (tests/data/fuzz/) is replayed:
// it must load or be rejected with diagnostics, never crash, hang or throw anything else.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include "diag/diagnostic.hpp"
#include "output/atomic_file.hpp"
#include "output/csv.hpp"
#include "run/runner.hpp"
#include "scenario/scenario_loader.hpp"
#include "test_support.hpp"

using namespace clustersim;

TEST_CASE("scenario: fuzzer regression inputs are handled") {
    const auto dir = test::source_dir() / "tests" / "data" / "fuzz";
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        ++files;
        INFO(entry.path().string());
        const std::string text = output::read_file(entry.path());
        try {
            const auto sc = scenario::load_scenario_text(text, entry.path().filename().string(), test::source_catalog());
            const auto result = run::run_scenario(sc);
            for (const auto& c : result.cases) {
                aggregate::for_each_metric(c.aggregates, [](const auto&, std::optional<double> v) {
                    if (v) CHECK(std::isfinite(*v));
                });
            }
            (void)output::results_csv({result});
        } catch (const diag::InputError& e) {
            CHECK_FALSE(e.diagnostics().empty());
        }
    }
    CHECK(files > 0);
}
