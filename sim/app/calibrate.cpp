#include "app/calibrate.hpp"

#include <fmt/format.h>

#include "output/table.hpp"
#include "units/format.hpp"

namespace clustersim::app {
namespace {

std::string value_text(chip::Parameter p, double v) {
    if (chip::is_count(p)) return v > 0 ? fmt::format("{:.0f}", v) : "none";
    return chip::is_time(p) ? units::format_si(v, units::Dimension::time) : fmt::format("{:.4f}", v);
}

// The catalog's value, or "unknown" for an FP8 figure the chip does not have.
std::string catalog_text(const chip::ChipModel& start, chip::Parameter p) {
    const bool fp8_pair = p == chip::Parameter::fp8_block_matmul_efficiency || p == chip::Parameter::fp8_block_matmul_tile_overhead;
    if (fp8_pair && start.fp8_block_matmul_efficiency <= 0) return "unknown";
    if (p == chip::Parameter::fp8_matmul_efficiency && start.fp8_matmul_efficiency <= 0) return "unknown";
    return value_text(p, chip::get(start, p));
}

std::string percent(double modelled, double measured) { return fmt::format("{:+.1f}%", 100.0 * (modelled / measured - 1.0)); }

}  // namespace

std::string calibration_report(const chip::ChipModel& start, const chip::CalibrationResult& r) {
    output::Table params;
    params.header = {"parameter", "catalog", "fitted"};
    params.right_aligned = {false, true, true};
    for (const auto p : r.fitted_parameters) {
        params.rows.push_back({std::string(chip::to_string(p)), catalog_text(start, p),
                               value_text(p, chip::get(r.fitted, p))});
    }
    output::Table rows;
    rows.header = {"row", "measured", "catalog model", "error", "fitted model", "error", "bound"};
    rows.right_aligned = {false, true, true, true, true, true, false};
    for (const auto& row : r.rows) {
        rows.rows.push_back({row.label, units::format_si(row.measured_s, units::Dimension::time),
                             units::format_si(row.before_s, units::Dimension::time), percent(row.before_s, row.measured_s),
                             units::format_si(row.after_s, units::Dimension::time), percent(row.after_s, row.measured_s),
                             std::string(chip::to_string(row.bound))});
    }
    return "Fitted parameters of " + r.fitted.id + " (least squares on relative error):\n\n" + params.render() +
           "\nPer-row residuals:\n\n" + rows.render() +
           fmt::format("\nRMS relative error: {:.2f}% with the catalog parameters, {:.2f}% fitted ({} row{})\n",
                       100.0 * r.rms_relative_error_before, 100.0 * r.rms_relative_error_after, r.rows.size(),
                       r.rows.size() == 1 ? "" : "s");
}

std::string calibration_overrides_yaml(const chip::CalibrationResult& r, const std::string& chip_id,
                                       const std::string& measurements_file) {
    std::string out = fmt::format(
        "# Written by: clustersim calibrate chip {} {}\n"
        "# {} row{}; RMS relative error {:.2f}% after the fit.\n"
        "# Paste under a scenario case (`overrides:`) or into models/chips/{}.yaml (`performance:`).\n"
        "overrides:\n",
        chip_id, measurements_file, r.rows.size(), r.rows.size() == 1 ? "" : "s", 100.0 * r.rms_relative_error_after,
        chip_id);
    for (const auto p : r.fitted_parameters) {
        const double v = chip::get(r.fitted, p);
        // A count of 0 is the catalog's null (none); counts are otherwise whole numbers of at least 1.
        const std::string value = chip::is_count(p) ? (v > 0 ? fmt::format("{:.0f}", v) : std::string("null"))
                                  : chip::is_time(p) ? fmt::format("\"{} us\"", units::round_trip(v * 1e6))
                                                     : units::round_trip(v);
        out += fmt::format("  {}: {{value: {}, note: \"fitted by clustersim calibrate to {}\"}}\n", chip::to_string(p),
                           value, measurements_file);
    }
    return out;
}

}  // namespace clustersim::app
