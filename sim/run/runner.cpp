#include "run/runner.hpp"

#include <tbb/parallel_for.h>

#include <map>

namespace clustersim::run {

RunResult run_scenario(const scenario::Scenario& scenario) {
    RunResult r;
    r.scenario = scenario.name;
    const std::size_t n = scenario.cases.size();
    r.cases.resize(n);
    tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
        const auto& c = scenario.cases[i];
        CaseResult& out = r.cases[i];
        out.scenario = scenario.name;
        out.name = c.name;
        out.baseline = c.baseline;
        out.system_id = c.cluster.system_id;
        out.chip_id = c.cluster.chip->id;
        out.aggregates = aggregate::compute_aggregates(c.cluster);
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
