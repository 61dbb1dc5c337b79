#pragma once
// Fits a chip's performance-model parameters to measured operation times by linear least
// squares (Eigen). Each modelled time is linear in the unknowns
//   u1 = 1/matmul_efficiency, u2 = matmul_tile_overhead, u3 = 1/attention_efficiency,
//   u4 = 1/memory_efficiency, u5 = kernel_overhead
// once every row is known to be compute- or memory-bound (op_cost.cpp), so the fit alternates:
// classify rows with the current parameters, solve, repeat until the classification is stable.
// Rows are weighted by 1/measured time: the fit minimises relative errors.
#include <string>
#include <variant>
#include <vector>

#include "chip/chip_model.hpp"
#include "chip/op_cost.hpp"

namespace clustersim::chip {

struct Measurement {
    Operation op;
    double time_s = 0;
    std::string label;  ///< where it came from, e.g. "file.csv:3"
};

enum class Parameter { matmul_efficiency, matmul_tile_overhead, attention_efficiency, memory_efficiency, kernel_overhead };
inline constexpr std::array<Parameter, 5> all_parameters{Parameter::matmul_efficiency, Parameter::matmul_tile_overhead,
                                                         Parameter::attention_efficiency, Parameter::memory_efficiency,
                                                         Parameter::kernel_overhead};
/// The catalog figure name of a parameter ("matmul_efficiency", ...).
std::string_view to_string(Parameter p);
double get(const ChipModel& m, Parameter p);
void set(ChipModel& m, Parameter p, double value);

struct RowFit {
    std::string label;
    double measured_s = 0;
    double before_s = 0;  ///< modelled with the starting parameters
    double after_s = 0;   ///< modelled with the fitted parameters
    Bound bound = Bound::compute;
};

struct CalibrationResult {
    ChipModel fitted;
    std::vector<Parameter> fitted_parameters;
    std::vector<RowFit> rows;
    double rms_relative_error_before = 0;
    double rms_relative_error_after = 0;
};

/// Fits `parameters` (the others stay at their values in `start`). Returns the result, or a
/// message when the data cannot determine them (too few rows, rows that do not exercise a
/// parameter, or a fit outside the physical range: an efficiency above 1, a negative overhead).
std::variant<CalibrationResult, std::string> calibrate(const ChipModel& start, const std::vector<Measurement>& rows,
                                                       const std::vector<Parameter>& parameters);

/// The parameters the rows can inform: efficiencies of the operation kinds present, the tile
/// overhead when there are matrix products, and the kernel overhead.
std::vector<Parameter> parameters_for(const std::vector<Measurement>& rows);

}  // namespace clustersim::chip
