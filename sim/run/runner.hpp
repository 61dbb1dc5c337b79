#pragma once
// Evaluates a validated scenario: one result per case, as values, in case order.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "aggregate/aggregates.hpp"
#include "scenario/scenario.hpp"

namespace clustersim::run {

struct CaseResult {
    std::string scenario;
    std::string name;
    std::string baseline;  ///< empty when the case has none
    std::optional<std::size_t> baseline_index;  ///< into the same RunResult's cases
    std::string system_id;
    std::string chip_id;
    std::string topology;  ///< the topology builder, or empty
    aggregate::Aggregates aggregates;
};

struct RunResult {
    std::string scenario;
    std::vector<CaseResult> cases;
};

/// Cases are evaluated in parallel (TBB); the result order is the scenario's case order,
/// so output is the same whatever the thread count.
RunResult run_scenario(const scenario::Scenario& scenario);

}  // namespace clustersim::run
