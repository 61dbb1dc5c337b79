// libFuzzer target: any bytes given to the scenario loader either load, run and export without
// NaN or infinity, or are rejected with diag::InputError. Anything else (a crash, another
// exception, a sanitizer report, a hang) is a bug; its input goes into tests/data/fuzz/ as a
// regression case (tests/fuzz_regression_test.cpp replays them). Build and run: `make fuzz`.
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
        const auto csv = clustersim::output::results_csv({clustersim::run::run_scenario(sc)});
        if (csv.find("nan") != std::string::npos || csv.find("inf") != std::string::npos) std::abort();
    } catch (const clustersim::diag::InputError&) {
        // Rejected with diagnostics: the expected outcome for bad input.
    }
    return 0;
}
