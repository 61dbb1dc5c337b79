#pragma once
// `clustersim explain FILE...`: where a training or serving step's time goes, kernel by kernel: a training step's
// slowest pipeline rank's kernels (train::kernel_breakdown), each serving instance's rank's (serve::phase_kernels),
// with their shapes, bound, time per call and per step, the step's other terms, and DIR/kernels.csv with every
// kernel (docs/cli.md#clustersim-explain-file).
#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace clustersim::app {

struct ExplainOptions {
    std::vector<std::string> cases;  ///< case names to explain (empty: every training and serving case)
    std::size_t top = 12;            ///< kernels printed per case, the longest per step first
    std::string out_dir;             ///< write DIR/kernels.csv when set
};

/// Returns the exit code; a name that is not a training or serving case is a usage error naming the valid ones.
int run_explain(const std::vector<scenario::Scenario>& scenarios, const ExplainOptions& o, std::ostream& out,
                std::ostream& err);

}  // namespace clustersim::app
