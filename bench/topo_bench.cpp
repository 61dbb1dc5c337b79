// Measures the topology layer per builder configuration: build (CSR graph), analyze (closed
// forms), count_graph, and one breadth-first search from accelerator 0, with wall time and peak
// resident memory (getrusage). Each configuration runs in its own child process, so each peak
// RSS is that configuration's alone. One core. Build with the release preset:
//   cmake --build --preset release && ./build/release/bench/topo_bench [name ...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "topo/examples.hpp"
#include "topo/metrics.hpp"
#include "topo/topology.hpp"

#include "isolated_runs.hpp"

using namespace clustersim::topo;
using clustersim::bench::clock_type;
using clustersim::bench::peak_rss_mib;
using clustersim::bench::seconds_since;

namespace {

LinkSpec link(double bytes_per_s) { return electrical(clustersim::units::BytesPerSecond(bytes_per_s)); }

FatTreeParams fat_tree(std::int64_t accelerators, std::int64_t k1, std::int64_t k2, std::int64_t k3) {
    const LinkSpec l = optical(clustersim::units::BytesPerSecond(50e9));
    return {accelerators,
            ClosNetwork{{{"edge", k1, 1.0, l}, {"aggregation", k2, 1.0, l}, {"core", k3, 1.0, l}}, 1, 1, 1}};
}

struct Config {
    std::string name;
    std::function<TopologyParams()> params;
};

int run(const Config& c) {
    const TopologyParams p = c.params();
    const auto t0 = clock_type::now();
    const Topology t = build(p);
    const double build_s = seconds_since(t0);
    const auto t1 = clock_type::now();
    const Metrics m = analyze(t);
    const double analyze_s = seconds_since(t1);
    const auto t2 = clock_type::now();
    const GraphCounts g = count_graph(t);
    const double count_s = seconds_since(t2);
    const auto t3 = clock_type::now();
    const auto dist = hop_distances(t, 0);
    const double bfs_s = seconds_since(t3);
    const auto n = static_cast<std::ptrdiff_t>(t.accelerator_count());
    const std::int32_t ecc = *std::max_element(dist.begin(), dist.begin() + n);
    const bool counts_ok = g.links == m.links && g.switches == m.switches && g.accelerators == m.accelerators;
    std::printf("%-28s %10lld %10llu %11llu %8.3f %8.3f %8.3f %7.3f %8.3f %8.0f %9.0f  %s ecc0=%d diam=%lld\n",
                c.name.c_str(), static_cast<long long>(m.accelerators), static_cast<unsigned long long>(t.node_count()),
                static_cast<unsigned long long>(t.link_count()), build_s, analyze_s, count_s, bfs_s,
                build_s + analyze_s, static_cast<double>(t.memory_bytes()) / 1048576.0, peak_rss_mib(),
                counts_ok ? "counts=ok" : "counts=MISMATCH", ecc, static_cast<long long>(m.diameter));
    std::fflush(stdout);
    return counts_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
#if !defined(__OPTIMIZE__)
    std::printf("WARNING: built without optimisation; use the release preset for figures worth reporting\n");
#endif
    const std::vector<Config> configs{
        {"torus_32x32x32",
         [] {
             return TorusParams{{32, 32, 32}, link(50e9)};
         }},
        {"atlas950_superpod", [] { return atlas950_superpod(); }},
        {"gb300_nvl72_xdr_x144", [] { return gb300_nvl72_xdr(144); }},
        {"cloudmatrix384_x16", [] { return cloudmatrix384(16); }},
        {"dragonfly_p16_a32_h16_g513",
         [] {
             return DragonflyParams{{16, 32, 16, 513, link(50e9), link(50e9), link(50e9), "router"}};
         }},
        {"fat_tree_k160_1024000", [] { return fat_tree(1'024'000, 160, 160, 160); }},
        {"fat_tree_k162_1048576", [] { return fat_tree(1'048'576, 162, 162, 162); }},
        {"fat_tree_128_128_256_1048576", [] { return fat_tree(1'048'576, 128, 128, 256); }},
        {"supercluster_123x8192", [] { return atlas950_supercluster(123); }},
    };
    std::printf("%-28s %10s %10s %11s %8s %8s %8s %7s %8s %8s %9s\n", "config", "accel", "nodes", "links", "build_s",
                "analyze_s", "count_s", "bfs_s", "total_s", "graph_MiB", "peak_MiB");
    return clustersim::bench::run_isolated(configs, argc, argv, run, 28, "FAILED");
}
