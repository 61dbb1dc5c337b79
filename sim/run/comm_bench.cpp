#include "run/comm_bench.hpp"


#include "comm/cost.hpp"
#include "comm/error.hpp"
#include "diag/diagnostic.hpp"
#include "topo/topology.hpp"

namespace clustersim::run {
namespace {

double scale_up_Bps(const catalog::ChipSpec& chip) {
    return chip.scale_up_bandwidth.known() ? chip.scale_up_bandwidth.value->si() : 0.0;
}

}  // namespace

comm::CostModel job_cost_model(const catalog::ChipSpec& chip, const topo::Topology& network) {
    return comm::preset_cost_model(network, scale_up_Bps(chip));
}

CommBenchmark run_comm_benchmark(const catalog::ChipSpec& chip, const topo::Topology& network, std::int64_t chips,
                                 const comm::BenchmarkSpec& spec) {
    CommBenchmark b;
    b.chips = chips;
    b.spec = spec;
    b.group_size = spec.group_size > 0 ? spec.group_size : chips;
    for (const auto& level : network.levels()) {
        b.levels.push_back({level.name, std::string(topo::to_string(level.plane_kind)),
                            comm::preset_for_level(level, scale_up_Bps(chip)).label, level.group_size});
    }
    const comm::CommModel model(network, job_cost_model(chip, network));
    const auto placement = comm::Placement::tiled(chips, b.group_size, spec.stride);
    b.groups = placement.group_count();
    comm::RunOptions options;
    options.algorithm = spec.algorithm;
    b.rows = model.benchmark(placement, comm::CollectiveSpec{spec.kind, units::Bytes(0.0), 0, {}}, spec.sizes, options);
    return b;
}

std::vector<CommBenchmark> run_comm_benchmarks(const scenario::Scenario& sc) {
    // One network at a time: the cases of a network follow each other (sweep points, in order).
    const catalog::TopologySpec* built_for = nullptr;
    std::unique_ptr<const topo::Topology> graph;
    std::vector<CommBenchmark> out;
    for (const auto& c : sc.cases) {
        if (!c.comm) continue;
        if (c.job_network.get() != built_for) {
            graph.reset();  // before the next one is built
            graph = std::make_unique<const topo::Topology>(topo::build(c.job_network->params));
            built_for = c.job_network.get();
        }
        try {
            auto b = run_comm_benchmark(*c.cluster.chip, *graph, c.cluster.chip_count, *c.comm);
            b.case_name = c.name;
            b.system_id = c.cluster.system_id;
            out.push_back(std::move(b));
        } catch (const comm::CommError& e) {
            // Where the case is: the problem depends on its network, found only when the groups are routed.
            throw comm::CommError(diag::format(diag::Diagnostic{c.where, "comm", "case '" + c.name + "': " + e.what()}));
        }
    }
    return out;
}

}  // namespace clustersim::run
