#include "run/runner.hpp"

#include <tbb/parallel_for.h>

#include <map>

namespace clustersim::run {

RunResult run_scenario(const scenario::Scenario& scenario) {
    RunResult r;
    r.scenario = scenario.name;
    const std::size_t n = scenario.cases.size();
    r.cases.resize(n);
    // Every distinct topology is analysed once, however many rows share it.
    std::map<const catalog::TopologySpec*, topo::Metrics> networks;
    std::map<const catalog::TopologySpec*, topo::NetworkCost> costs;  // network power and price, likewise
    for (const auto& c : scenario.cases) {
        if (c.cluster.topology && networks.count(c.cluster.topology.get()) == 0) {
            const auto& m = networks.emplace(c.cluster.topology.get(), topo::analyze(c.cluster.topology->params)).first->second;
            costs.emplace(c.cluster.topology.get(), aggregate::network_cost_of(*c.cluster.topology, m));
        }
    }
    tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
        const auto& c = scenario.cases[i];
        CaseResult& out = r.cases[i];
        out.scenario = scenario.name;
        out.name = c.name;
        out.baseline = c.baseline;
        out.system_id = c.cluster.system_id;
        out.chip_id = c.cluster.chip->id;
        out.topology = c.cluster.topology ? c.cluster.topology->builder : std::string();
        out.aggregates = aggregate::compute_aggregates(
            c.cluster, c.cluster.topology ? &networks.at(c.cluster.topology.get()) : nullptr,
            c.cluster.topology ? &costs.at(c.cluster.topology.get()) : nullptr);
    });
    std::map<std::string, std::size_t, std::less<>> index;
    for (std::size_t i = 0; i < n; ++i) index.emplace(r.cases[i].name, i);
    for (auto& c : r.cases) {
        if (const auto it = index.find(c.baseline); !c.baseline.empty() && it != index.end()) {
            c.baseline_index = it->second;
        }
    }
    return r;
}

}  // namespace clustersim::run
