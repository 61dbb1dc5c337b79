// libFuzzer target: any bytes given to the scenario loader either load, run and export without
// NaN or infinity, or are rejected with diag::InputError. Anything else (a crash, another
// exception, a sanitizer report, a hang) is a bug; its input goes into tests/data/fuzz/ as a
// regression case (tests/fuzz_regression_test.cpp replays them). Build and run: `make fuzz`.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "diag/diagnostic.hpp"
#include "output/csv.hpp"
#include "run/runner.hpp"
#include "scenario/catalog_loader.hpp"
#include "scenario/scenario_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto catalog = clustersim::scenario::load_catalog(CLUSTERSIM_SOURCE_DIR "/models");
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const auto sc = clustersim::scenario::load_scenario_text(text, "fuzz.yaml", catalog);
        const auto result = clustersim::run::run_scenario(sc);
        for (const auto& c : result.cases) {
            clustersim::aggregate::for_each_metric(c.aggregates, [](const auto&, std::optional<double> v) {
                if (v && !std::isfinite(*v)) std::abort();  // a NaN or infinity in a result
            });
        }
        (void)clustersim::output::results_csv({result});
    } catch (const clustersim::diag::InputError&) {
        // Rejected with diagnostics: the expected outcome for bad input.
    }
    return 0;
}
