// Measures the collective layer at scale: every group of a placement running a collective at
// once, on a million-accelerator 3-tier fat-tree (data-parallel all-reduce) and on a
// SuperCluster-size UB-Mesh + UBoE graph (expert-parallel all-to-all of group size 256). Each
// configuration runs in its own child process (its own peak RSS, from getrusage) and is timed end
// to end: building the graph, reading it into the collective layer, and the tuner evaluating
// every applicable algorithm. Build with the release preset:
//   cmake --build --preset release && ./build/release/bench/comm_bench [name ...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "comm/model.hpp"
#include "topo/examples.hpp"
#include "topo/topology.hpp"

#include "isolated_runs.hpp"

using namespace clustersim;
using clustersim::bench::clock_type;
using clustersim::bench::peak_rss_mib;
using clustersim::bench::seconds_since;

namespace {

/// 1,048,576 accelerators on a 3-tier fat-tree of 128/128/256-port switches, 400 Gb/s links.
topo::FatTreeParams fat_tree_1m() {
    const auto l = topo::optical(units::BytesPerSecond(50e9));
    return {1'048'576,
            topo::ClosNetwork{{{"edge", 128, 1.0, l}, {"aggregation", 128, 1.0, l}, {"core", 256, 1.0, l}}, 1, 1, 1}};
}

comm::CostModel scale_out_cost(std::size_t levels) {
    comm::CostModel c;
    for (std::size_t i = 0; i < levels; ++i) c.levels.push_back(comm::presets::ndr400_nccl());
    c.launch_latency = comm::presets::nccl_launch_latency();
    return c;
}

/// UB levels (UB-Mesh pod, HRS) at the CloudMatrix UB figures, UBoE at the 400G NIC figures.
comm::CostModel supercluster_cost() {
    comm::CostModel c;
    c.levels = {comm::presets::cloudmatrix_ub(), comm::presets::cloudmatrix_ub(), comm::presets::ndr400_nccl()};
    return c;
}

struct Config {
    std::string name;
    std::function<topo::TopologyParams()> params;
    std::function<comm::CostModel(const topo::Topology&)> cost;
    std::function<comm::Placement(const topo::Topology&)> placement;
    comm::CollectiveSpec spec;
};

int run(const Config& c) {
    const auto t0 = clock_type::now();
    const topo::Topology t = topo::build(c.params());
    const double build_s = seconds_since(t0);
    const auto t1 = clock_type::now();
    const comm::CommModel model(t, c.cost(t));
    const double fabric_s = seconds_since(t1);
    const comm::Placement pl = c.placement(t);
    const auto t2 = clock_type::now();
    const comm::CollectiveResult r = model.run(pl, c.spec);
    const double run_s = seconds_since(t2);
    const double total_s = seconds_since(t0);
    std::printf("%-34s %9lld %7lld %6lld %9.3f %9.3f %8.3f %8.3f %8.0f  %-27s %10.4g %9.2f  %s (%.2f)\n",
                c.name.c_str(), static_cast<long long>(t.accelerator_count()), static_cast<long long>(r.groups),
                static_cast<long long>(r.ranks), build_s, fabric_s, run_s, total_s, peak_rss_mib(),
                r.algorithm.c_str(), r.time.si(), r.busbw.si() / 1e9, r.bottleneck.c_str(), r.bottleneck_utilisation);
    for (const auto& [name, time] : r.candidates) std::printf("%36s candidate %-27s %10.4g s\n", "", name.c_str(), time.si());
    std::fflush(stdout);
    return total_s <= 2.0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
#if !defined(__OPTIMIZE__)
    std::printf("WARNING: built without optimisation; use the release preset for figures worth reporting\n");
#endif
    const double gib = double(std::int64_t{1} << 30);
    const std::vector<Config> configs{
        {"fat_tree_1M_dp8x131072_allreduce", fat_tree_1m, [](const auto& t) { return scale_out_cost(t.levels().size()); },
         [](const auto& t) { return comm::Placement::tiled(static_cast<std::int64_t>(t.accelerator_count()), 131'072, 8); },
         {comm::Collective::all_reduce, units::Bytes(gib), 0, {}}},
        {"fat_tree_1M_dp1x1048576_allreduce", fat_tree_1m, [](const auto& t) { return scale_out_cost(t.levels().size()); },
         [](const auto& t) { return comm::Placement::tiled(static_cast<std::int64_t>(t.accelerator_count()), 1'048'576, 1); },
         {comm::Collective::all_reduce, units::Bytes(gib), 0, {}}},
        {"supercluster64_ep256_alltoall", [] { return topo::atlas950_supercluster(64); },
         [](const auto&) { return supercluster_cost(); },
         [](const auto& t) { return comm::Placement::tiled(static_cast<std::int64_t>(t.accelerator_count()), 256, 1); },
         {comm::Collective::all_to_all, units::Bytes(256.0 * 7168 * 2 * 8), 0, {}}},
        {"supercluster64_ep256_spread_alltoall", [] { return topo::atlas950_supercluster(64); },
         [](const auto&) { return supercluster_cost(); },
         [](const auto& t) { return comm::Placement::tiled(static_cast<std::int64_t>(t.accelerator_count()), 256, 2048); },
         {comm::Collective::all_to_all, units::Bytes(256.0 * 7168 * 2 * 8), 0, {}}},
    };
    std::printf("%-34s %9s %7s %6s %9s %9s %8s %8s %8s  %-27s %10s %9s  %s\n", "config", "accel", "groups", "ranks",
                "build_s", "fabric_s", "run_s", "total_s", "peak_MiB", "algorithm", "time_s", "busbw_GBps",
                "bottleneck (utilisation)");
    return clustersim::bench::run_isolated(configs, argc, argv, run, 34, "FAILED or over 2 s");
}
