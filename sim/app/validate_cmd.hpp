#pragma once
// `clustersim validate [FILE...]`: runs validation cases (scenario files whose cases carry a
// published `measured:` figure) and prints predicted against measured, the error per row, and the
// median and worst absolute error (docs/validation.md).
#include <ostream>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace clustersim::app {

struct ValidateOptions {
    std::string out_dir;             ///< write DIR/validation.csv and DIR/results.csv when set
    double max_median_error = 0;     ///< > 0: exit 5 when the median absolute error exceeds it
    double max_worst_error = 0;      ///< > 0: exit 5 when any absolute error exceeds it
};

/// The project's validation cases, in file-name order.
std::vector<std::string> default_validation_files();

/// Runs every case of `scenarios` that has a measurement (cases without one are skipped and counted).
int run_validate(const std::vector<scenario::Scenario>& scenarios, const ValidateOptions& o, std::ostream& out);

}  // namespace clustersim::app
