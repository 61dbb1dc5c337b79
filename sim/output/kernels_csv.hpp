#pragma once
// kernels.csv (docs/results-schema.md, "kernels.csv"): one row per kernel of a training case's slowest pipeline
// rank (train::kernel_breakdown) or of a serving phase's rank (serve::phase_kernels), snake_case columns with the
// unit in the name, round-trip exact numbers.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "train/step.hpp"

namespace clustersim::output {

/// The kernels of one job of a case: a training step's, or a serving phase's.
struct KernelTable {
    std::string job;                  ///< training, prefill or decode
    std::string plan;                 ///< as the validation tables print it
    std::optional<std::int64_t> rank;  ///< the slowest pipeline rank (training)
    std::int64_t micro_batches = 1;   ///< per step
    double kernels_s = 0;             ///< the step's kernel time, which the rows' step_s sum to
    const std::vector<train::KernelRow>* rows = nullptr;
};

/// The header line.
std::string kernels_header();
/// One line per kernel of `t`, for case `case_name` of `scenario`.
std::string kernels_rows(const std::string& scenario, const std::string& case_name, const KernelTable& t);

}  // namespace clustersim::output
