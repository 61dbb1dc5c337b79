#pragma once
// `clustersim comm SYSTEM|SCENARIO`: collective benchmarks over message sizes, like nccl-tests: on a
// system's topology with the options below, or every `comm:` section of a scenario file
// (docs/cli.md#comm, model: docs/models/comm.md).
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "scenario/scenario.hpp"

namespace clustersim::app {

struct CommOptions {
    std::string target;  ///< a system id, or a scenario file (a path that exists or ends in .yaml/.yml)
    std::string collective = "all_reduce";
    std::int64_t group_size = 0;  ///< 0: every chip of the system in one group
    std::int64_t stride = 1;      ///< rank r of a group sits on accelerator offset + r * stride
    std::string min_size = "8 B";
    std::string max_size = "1 GiB";
    double factor = 2.0;
    std::string algorithm;  ///< empty: the fastest applicable
    std::string out_dir;    ///< empty: no CSV
    std::vector<std::string> given;  ///< the benchmark options given on the command line (refused with a scenario)
};

/// Whether `target` names a scenario file rather than a system.
bool is_scenario_target(const std::string& target);

/// On a system. Returns the exit code; messages go to err.
int run_comm(const catalog::Catalog& cat, const CommOptions& o, std::ostream& out, std::ostream& err);
/// Every comm section of a loaded scenario.
int run_comm(const scenario::Scenario& sc, const CommOptions& o, std::ostream& out, std::ostream& err);

}  // namespace clustersim::app
