#pragma once
// Collective benchmarks, like nccl-tests: a case's `comm:` section (or `clustersim comm SYSTEM`)
// timed on its network with the published cost presets of its levels (docs/models/comm.md).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "catalog/chip.hpp"
#include "comm/model.hpp"
#include "scenario/scenario.hpp"
#include "topo/topology.hpp"

namespace clustersim::run {

/// The published collective cost presets for `network`'s levels (comm::preset_cost_model): NVLink's
/// generation follows the chip's scale-up bandwidth (unknown: the newest).
comm::CostModel job_cost_model(const catalog::ChipSpec& chip, const topo::Topology& network);

/// One benchmark: what ran where, and a row per message size.
struct CommBenchmark {
    std::string case_name;  ///< the case (a sweep point's full name), or the system for `clustersim comm SYSTEM`
    std::string system_id;  ///< empty for a chip with a count
    std::int64_t chips = 0;  ///< accelerators the groups tile (the network's first `chips`)
    comm::BenchmarkSpec spec;
    std::int64_t group_size = 0;  ///< spec.group_size, or every chip
    std::int64_t groups = 0;
    struct Level {
        std::string name, plane, preset;  ///< preset: comm::PresetChoice::label
        std::int64_t group_size = 0;
    };
    std::vector<Level> levels;  ///< the network's levels, bottom first, with the preset each gets
    std::vector<comm::BenchmarkRow> rows;
};

/// `spec` on the first `chips` accelerators of `network`. Throws comm::CommError when the groups do
/// not tile `chips` or the algorithm does not apply.
CommBenchmark run_comm_benchmark(const catalog::ChipSpec& chip, const topo::Topology& network, std::int64_t chips,
                                 const comm::BenchmarkSpec& spec);

/// Every case of `sc` with a comm section, in case order; each network is built once for the cases
/// that follow each other on it, and dropped before the next. Throws as run_comm_benchmark, the
/// message a formatted diagnostic at the case ("FILE:LINE:COL: error: comm: case 'x': ...").
std::vector<CommBenchmark> run_comm_benchmarks(const scenario::Scenario& sc);

}  // namespace clustersim::run
