#pragma once
// Fits a chip's performance-model parameters to measured operation times by linear least
// squares (Eigen). Each modelled time is linear in the unknowns
//   1/matmul_efficiency, matmul_tile_overhead (and their FP8 pair for FP8 products),
//   1/attention_efficiency (forward), 1/attention_backward_efficiency, 1/memory_efficiency, kernel_overhead
// once every row is known to be compute- or memory-bound (op_cost.cpp), so the fit alternates:
// classify rows with the current parameters, solve, repeat until the classification is stable.
// Rows are weighted by 1/measured time: the fit minimises relative errors.
// A count (attention_query_extra_keys) enters the times non-linearly: it is fitted by a scan over whole
// numbers, the linear unknowns refitted at each, keeping the one with the least RMS relative error.
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

enum class Parameter {
    matmul_efficiency,
    matmul_tile_overhead,
    attention_efficiency,
    memory_efficiency,
    kernel_overhead,
    attention_backward_efficiency,
    fp8_block_matmul_efficiency,
    fp8_block_matmul_tile_overhead,
    fp8_matmul_efficiency,
    attention_query_extra_keys,
};
inline constexpr std::array<Parameter, 10> all_parameters{
    Parameter::matmul_efficiency,     Parameter::matmul_tile_overhead,          Parameter::attention_efficiency,
    Parameter::memory_efficiency,     Parameter::kernel_overhead,               Parameter::attention_backward_efficiency,
    Parameter::fp8_block_matmul_efficiency, Parameter::fp8_block_matmul_tile_overhead, Parameter::fp8_matmul_efficiency,
    Parameter::attention_query_extra_keys};
/// A time (the overheads), not an efficiency.
bool is_time(Parameter p);
/// A whole number fitted by a scan (attention_query_extra_keys), not a linear unknown.
bool is_count(Parameter p);
/// The largest count the scan tries.
inline constexpr int max_scanned_count = 4096;
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

/// Fits `parameters` (the others stay at their values in `start`; block-scaled FP8 products use the
/// chip's fp8_block pair where it has it or the pair is fitted, both halves together, starting from
/// the chip-wide values). Returns the result, or a
/// message when the data cannot determine them (too few rows, rows that do not exercise a
/// parameter, or a fit outside the physical range: an efficiency above 1, a negative overhead).
std::variant<CalibrationResult, std::string> calibrate(const ChipModel& start, const std::vector<Measurement>& rows,
                                                       const std::vector<Parameter>& parameters);

/// The parameters the rows can inform: efficiencies of the operation kinds and passes present, the
/// tile overhead when there are matrix products (the block-scaled FP8 pair for block-scaled FP8
/// products), and the kernel overhead. Counts are fitted only when asked for.
std::vector<Parameter> parameters_for(const std::vector<Measurement>& rows);

}  // namespace clustersim::chip
