#pragma once
// comm.csv (docs/results-schema.md, "comm.csv"): one row per collective benchmark and message size,
// snake_case columns with the unit in the name, round-trip exact numbers.
#include <string>
#include <vector>

#include "run/comm_bench.hpp"

namespace clustersim::output {

/// The header line, then a row per size of every benchmark, in order; `scenario` is empty for
/// `clustersim comm SYSTEM`.
std::string comm_csv(const std::string& scenario, const std::vector<run::CommBenchmark>& benchmarks);

}  // namespace clustersim::output
