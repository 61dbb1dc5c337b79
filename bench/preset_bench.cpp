// Builds and measures every system preset's topology from the catalog (models/systems/*.yaml),
// each in a process of its own: wall time and peak memory per preset (issue 4).
//   cmake --build --preset release && ./build/release/bench/preset_bench
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "isolated_runs.hpp"
#include "scenario/catalog_loader.hpp"
#include "topo/metrics.hpp"
#include "topo/topology.hpp"

namespace {

using namespace clustersim;

struct Preset {
    std::string name;
    std::shared_ptr<const catalog::TopologySpec> topology;
};

int measure(const Preset& p) {
    const auto t0 = bench::clock_type::now();
    const auto metrics = topo::analyze(p.topology->params);
    const double analyze_s = bench::seconds_since(t0);
    const auto t1 = bench::clock_type::now();
    const topo::Topology t = topo::build(p.topology->params);
    const double build_s = bench::seconds_since(t1);
    const auto counted = topo::count_graph(t);
    const bool same = counted.switches == metrics.switches && counted.links == metrics.links;
    std::printf("%-26s %9lld %9lld %11lld %9.3f %9.3f %9.0f %9.0f  %s\n", p.name.c_str(),
                static_cast<long long>(metrics.accelerators), static_cast<long long>(metrics.switches),
                static_cast<long long>(metrics.links), analyze_s, build_s,
                static_cast<double>(t.memory_bytes()) / 1048576.0, bench::peak_rss_mib(), same ? "counts=ok" : "COUNTS DIFFER");
    return same ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
#if !defined(__OPTIMIZE__)
    std::printf("WARNING: built without optimisation; use the release preset for figures worth reporting\n");
#endif
    const auto cat = scenario::load_catalog(std::filesystem::path(CLUSTERSIM_SOURCE_DIR) / "models");
    std::vector<Preset> presets;
    for (const auto& [id, s] : cat.systems) {
        if (s.topology) presets.push_back({id, s.topology});
    }
    std::printf("%-26s %9s %9s %11s %9s %9s %9s %9s\n", "preset", "accel", "switches", "links", "analyze_s", "build_s",
                "graph_MiB", "peak_MiB");
    return bench::run_isolated(presets, argc, argv, measure, 26, "FAILED");
}
