#pragma once
// kernels.csv (docs/results-schema.md, "kernels.csv"): one row per kernel of a training case's slowest pipeline
// rank (train::kernel_breakdown), snake_case columns with the unit in the name, round-trip exact numbers.
#include <string>

#include "train/step.hpp"

namespace clustersim::output {

/// The header line.
std::string kernels_header();
/// One line per kernel of `b`, for case `case_name` of `scenario`.
std::string kernels_rows(const std::string& scenario, const std::string& case_name, const train::KernelBreakdown& b);

}  // namespace clustersim::output
