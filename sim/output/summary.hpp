#pragma once
// The readable summary printed by `clustersim run`: peak aggregates per case, then each
// case against its baseline, then the training and serving jobs.
#include <string>
#include <vector>

#include "run/crossover.hpp"

#include "run/runner.hpp"

namespace clustersim::output {

std::string summary_text(const run::RunResult& run);

/// The crossover table (run::crossovers), or "" when there is none.
std::string crossover_text(const std::vector<run::CrossoverRow>& rows);

/// One metric for people: "2.5 PFLOP/s", "48 TiB" (memory in binary units), "384", or "unknown".
std::string format_metric(const aggregate::MetricInfo& m, const std::optional<double>& v);

}  // namespace clustersim::output
