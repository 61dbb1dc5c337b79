// Every committed input file is valid: the whole catalog loads, every file in scenarios/ and
// tests/validation/sweeps/ passes `clustersim check`, and every catalog figure says where it comes from.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli.hpp"
#include "catalog/catalog.hpp"
#include "scenario/catalog_loader.hpp"

namespace {

namespace fs = std::filesystem;
namespace cat = clustersim::catalog;

const fs::path source_dir = CLUSTERSIM_SOURCE_DIR;

std::vector<std::string> scenario_files() {
    std::vector<std::string> out;
    // The diagnostic sweeps of validation data (not the default validation files, which validate runs).
    for (const auto& dir : {source_dir / "scenarios", source_dir / "tests" / "validation" / "sweeps"})
        for (const auto& e : fs::directory_iterator(dir)) {
            const auto ext = e.path().extension();
            if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) out.push_back(e.path().string());
        }
    std::sort(out.begin(), out.end());
    return out;
}

// A known figure names its confidence, a source of its own file (with a citation), and a note
// unless it is official.
void check_provenance(const std::string& owner, const std::string& figure, const cat::Provenance& p,
                      const std::map<std::string, std::string, std::less<>>& sources) {
    INFO(owner, ": ", figure);
    CHECK((p.confidence == cat::Confidence::official || p.confidence == cat::Confidence::estimate ||
           p.confidence == cat::Confidence::derived));
    CHECK(!p.source_id.empty());
    CHECK(sources.count(p.source_id) == 1);
    CHECK(!p.citation.empty());
    if (p.confidence != cat::Confidence::official) CHECK(!p.note.empty());
}

}  // namespace

TEST_CASE("check all files: every scenario in scenarios/ and tests/validation/sweeps/ passes check") {
    const auto files = scenario_files();
    REQUIRE(!files.empty());
    const std::string models = (source_dir / "models").string();
    for (const auto& f : files) {
        std::ostringstream out;
        std::ostringstream err;
        const int code = clustersim::app::run_cli({"--catalog", models, "check", f}, out, err);
        INFO(f, "\n", err.str());
        CHECK(code == 0);
        CHECK(err.str().empty());
        CHECK(out.str().rfind(f + ": ok (", 0) == 0);
    }
    // Together too: scenario names must not clash across files.
    std::vector<std::string> args{"--catalog", models, "check"};
    args.insert(args.end(), files.begin(), files.end());
    std::ostringstream out;
    std::ostringstream err;
    INFO(err.str());
    CHECK(clustersim::app::run_cli(args, out, err) == 0);
}

TEST_CASE("check all files: the catalog loads and every figure cites a source") {
    const auto catalog = clustersim::scenario::load_catalog(source_dir / "models");
    REQUIRE(!catalog.chips.empty());
    REQUIRE(!catalog.systems.empty());

    for (const auto& [id, chip] : catalog.chips) {
        INFO("chip ", id);
        CHECK(!chip.sources.empty());
        for (const auto& [sid, citation] : chip.sources) CHECK(!citation.empty());
        // Unknown figures (value: null) need no source: some chips have no public datasheet at all.
        cat::for_each_figure(chip, [&](const cat::FigureInfo& info, const auto& figure) {
            if (!figure.known()) return;
            check_provenance(id, std::string(info.name), figure.provenance, chip.sources);
        });
    }

    for (const auto& [id, sys] : catalog.systems) {
        INFO("system ", id);
        CHECK(!sys.sources.empty());
        for (const auto& [sid, citation] : sys.sources) CHECK(!citation.empty());
        CHECK(catalog.chips.count(sys.chip_id) == 1);
        CHECK(sys.chip_count.known());
        if (sys.chip_count.known()) CHECK(*sys.chip_count.value > 0);
        cat::for_each_figure_of_system(sys, [&](const cat::FigureInfo& info, const auto& figure) {
            if (!figure.known()) return;
            check_provenance(id, std::string(info.name), figure.provenance, sys.sources);
        });
        for (const auto& [name, raw] : sys.chip_overrides) {
            if (!raw.value_si) continue;
            check_provenance(id, "chip_overrides." + name, raw.provenance, sys.sources);
        }
    }

    // Network parts (models/network/): every known figure cited; unknown ones are null, never 0.
    REQUIRE(!catalog.switches.empty());
    REQUIRE(!catalog.transceivers.empty());
    auto check_part = [](const auto& id, const auto& part, auto&& for_each) {
        INFO("network part ", id);
        CHECK(!part.sources.empty());
        for_each(part, [&](const cat::FigureInfo& info, const auto& figure) {
            if (!figure.known()) return;
            check_provenance(id, std::string(info.name), figure.provenance, part.sources);
        });
    };
    for (const auto& [id, part] : catalog.switches) {
        check_part(id, part, [](const auto& p, auto&& f) { cat::for_each_figure_of_switch(p, f); });
    }
    for (const auto& [id, part] : catalog.transceivers) {
        check_part(id, part, [](const auto& p, auto&& f) { cat::for_each_figure_of_transceiver(p, f); });
    }
    // Foundry processes (models/processes/): the wafer-cost model's figures, each cited.
    REQUIRE(!catalog.processes.empty());
    for (const auto& [id, process] : catalog.processes) {
        check_part(id, process, [](const auto& p, auto&& f) { cat::for_each_figure_of_process(p, f); });
    }
}
