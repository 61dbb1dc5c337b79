#pragma once
// Text for `clustersim calibrate`: the fitted parameters, the per-row residuals, and the
// fitted values as a scenario `overrides:` block.
#include <string>

#include "chip/calibration.hpp"

namespace clustersim::app {

std::string calibration_report(const chip::ChipModel& start, const chip::CalibrationResult& r);

/// A YAML block to paste under a scenario case (or a chip file's `performance:` section).
std::string calibration_overrides_yaml(const chip::CalibrationResult& r, const std::string& chip_id,
                                       const std::string& measurements_file);

}  // namespace clustersim::app
