#include "chip/calibration.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <optional>

namespace clustersim::chip {
namespace {

constexpr std::size_t n_params = all_parameters.size();

struct Row {
    std::array<double, n_params> coef{};  ///< modelled time = constant + coef . u
    double constant = 0;                  ///< time that no parameter scales (vector-bound work)
};

// The linear form of op_cost.cpp for one row, given which side of the roofline it is on.
Row linearise(const ChipModel& c, const Measurement& m, Bound bound) {
    Row r;
    r.coef[static_cast<std::size_t>(Parameter::kernel_overhead)] = 1.0;
    const OpCost base = cost(c, m.op);
    if (bound == Bound::memory) {
        r.coef[static_cast<std::size_t>(Parameter::memory_efficiency)] = base.bytes / c.hbm_bytes_per_s;
        return r;
    }
    if (const auto* mm = std::get_if<Matmul>(&m.op)) {
        const MatmulTiling t = matmul_tiling(c, *mm);
        const double per_unit = c.peak(mm->dtype) / c.compute_units;
        const bool block = c.block_fp8(mm->dtype, mm->block_scaled);
        const Parameter efficiency = block                                       ? Parameter::fp8_block_matmul_efficiency
                                     : c.tensor_fp8(mm->dtype, mm->block_scaled) ? Parameter::fp8_matmul_efficiency
                                                                                 : Parameter::matmul_efficiency;
        r.coef[static_cast<std::size_t>(efficiency)] = t.waves * 2.0 * t.tile_m * t.tile_n * t.k_per_tile / per_unit;
        r.coef[static_cast<std::size_t>(block ? Parameter::fp8_block_matmul_tile_overhead : Parameter::matmul_tile_overhead)] =
            t.waves;
    } else if (const auto* at = std::get_if<Attention>(&m.op)) {
        const auto p = at->pass == Pass::forward ? Parameter::attention_efficiency : Parameter::attention_backward_efficiency;
        // The FLOPs the kernel pays for (a causal kernel's extra keys included), at the peak.
        r.coef[static_cast<std::size_t>(p)] = base.compute_s * get(c, p);
    } else {
        // A memory op on the compute side is vector-bound: a fixed time, no fitted parameter.
        r.constant = base.compute_s;
    }
    return r;
}

// Unknowns are the reciprocals of efficiencies, the overheads themselves.
double unknown_of(const ChipModel& c, Parameter p) {
    const double v = get(c, p);
    return is_time(p) ? v : 1.0 / v;
}

void apply_unknown(ChipModel& c, Parameter p, double u) { set(c, p, is_time(p) ? u : 1.0 / u); }

double rms_relative(const std::vector<RowFit>& rows, bool after) {
    double sum = 0;
    for (const auto& r : rows) {
        const double e = ((after ? r.after_s : r.before_s) - r.measured_s) / r.measured_s;
        sum += e * e;
    }
    return rows.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(rows.size()));
}

std::string describe(Parameter p) {
    switch (p) {
        case Parameter::matmul_efficiency: return "compute-bound matrix products";
        case Parameter::matmul_tile_overhead: return "compute-bound matrix products with different numbers of waves per K";
        case Parameter::attention_efficiency: return "compute-bound forward attention rows";
        case Parameter::attention_backward_efficiency: return "compute-bound backward attention rows";
        case Parameter::fp8_block_matmul_efficiency: return "compute-bound block-scaled FP8 matrix products (dtype fp8_block)";
        case Parameter::fp8_block_matmul_tile_overhead:
            return "compute-bound block-scaled FP8 matrix products with different numbers of waves per K";
        case Parameter::fp8_matmul_efficiency: return "compute-bound per-tensor FP8 matrix products (dtype fp8)";
        case Parameter::memory_efficiency: return "memory-bound rows";
        case Parameter::kernel_overhead: return "rows of different sizes (short kernels show the overhead)";
        case Parameter::attention_query_extra_keys: return "attention rows at two or more sequence lengths";
    }
    return "";
}

}  // namespace

namespace {

// A fitted value outside its physical range means the data contradict the model: report it.
std::optional<std::string> out_of_range(const ChipModel& model, const std::vector<Parameter>& parameters) {
    for (const auto p : parameters) {
        if (is_count(p)) continue;  // scanned over whole numbers from 0
        const double v = get(model, p);
        const bool efficiency = !is_time(p);
        if (!std::isfinite(v) || (efficiency && (v <= 0.0 || v > 1.0)) || (!efficiency && v < 0.0)) {
            return "the fit puts " + std::string(to_string(p)) + " at " + std::to_string(v) + ", outside " +
                   (efficiency ? "(0, 1]: the measurements are faster than the catalog peak allows; check the dtype, "
                                 "the peak figure and the units of time"
                               : "[0, inf): a negative overhead; fix it (leave it out of --fit) or add small shapes");
        }
    }
    return std::nullopt;
}

}  // namespace

bool is_time(Parameter p) {
    return p == Parameter::matmul_tile_overhead || p == Parameter::kernel_overhead ||
           p == Parameter::fp8_block_matmul_tile_overhead;
}

bool is_count(Parameter p) { return p == Parameter::attention_query_extra_keys; }

std::string_view to_string(Parameter p) {
    switch (p) {
        case Parameter::matmul_efficiency: return "matmul_efficiency";
        case Parameter::matmul_tile_overhead: return "matmul_tile_overhead";
        case Parameter::attention_efficiency: return "attention_efficiency";
        case Parameter::memory_efficiency: return "memory_efficiency";
        case Parameter::kernel_overhead: return "kernel_overhead";
        case Parameter::attention_backward_efficiency: return "attention_backward_efficiency";
        case Parameter::fp8_block_matmul_efficiency: return "fp8_block_matmul_efficiency";
        case Parameter::fp8_block_matmul_tile_overhead: return "fp8_block_matmul_tile_overhead";
        case Parameter::fp8_matmul_efficiency: return "fp8_matmul_efficiency";
        case Parameter::attention_query_extra_keys: return "attention_query_extra_keys";
    }
    return "?";
}

double get(const ChipModel& m, Parameter p) {
    switch (p) {
        case Parameter::matmul_efficiency: return m.matmul_efficiency;
        case Parameter::matmul_tile_overhead: return m.tile_overhead_s;
        case Parameter::attention_efficiency: return m.attention_efficiency;
        case Parameter::memory_efficiency: return m.memory_efficiency;
        case Parameter::kernel_overhead: return m.kernel_overhead_s;
        case Parameter::attention_backward_efficiency: return m.attention_backward_efficiency;
        case Parameter::fp8_block_matmul_efficiency: return m.fp8_block_matmul_efficiency;
        case Parameter::fp8_block_matmul_tile_overhead: return m.fp8_block_tile_overhead_s;
        case Parameter::fp8_matmul_efficiency: return m.fp8_matmul_efficiency;
        case Parameter::attention_query_extra_keys: return m.query_extra_keys;
    }
    return 0;
}

void set(ChipModel& m, Parameter p, double value) {
    switch (p) {
        case Parameter::matmul_efficiency: m.matmul_efficiency = value; return;
        case Parameter::matmul_tile_overhead: m.tile_overhead_s = value; return;
        case Parameter::attention_efficiency: m.attention_efficiency = value; return;
        case Parameter::memory_efficiency: m.memory_efficiency = value; return;
        case Parameter::kernel_overhead: m.kernel_overhead_s = value; return;
        case Parameter::attention_backward_efficiency: m.attention_backward_efficiency = value; return;
        case Parameter::fp8_block_matmul_efficiency: m.fp8_block_matmul_efficiency = value; return;
        case Parameter::fp8_block_matmul_tile_overhead: m.fp8_block_tile_overhead_s = value; return;
        case Parameter::fp8_matmul_efficiency: m.fp8_matmul_efficiency = value; return;
        case Parameter::attention_query_extra_keys: m.query_extra_keys = value; return;
    }
}

std::vector<Parameter> parameters_for(const std::vector<Measurement>& rows) {
    bool mm = false;
    bool fp8 = false;
    bool forward = false;
    bool backward = false;
    bool mem = false;
    bool fp8_tensor = false;
    for (const auto& r : rows) {
        if (const auto* m = std::get_if<Matmul>(&r.op)) {
            (m->dtype == DType::fp8 && m->block_scaled ? fp8 : m->dtype == DType::fp8 ? fp8_tensor : mm) = true;
        } else if (const auto* a = std::get_if<Attention>(&r.op)) {
            (a->pass == Pass::forward ? forward : backward) = true;
        }
        mem = mem || std::holds_alternative<MemoryOp>(r.op);
    }
    std::vector<Parameter> out;
    if (mm) out.push_back(Parameter::matmul_efficiency);
    if (fp8_tensor) out.push_back(Parameter::fp8_matmul_efficiency);
    if (mm || fp8_tensor) out.push_back(Parameter::matmul_tile_overhead);
    if (fp8) out.push_back(Parameter::fp8_block_matmul_efficiency);
    if (fp8) out.push_back(Parameter::fp8_block_matmul_tile_overhead);
    if (forward) out.push_back(Parameter::attention_efficiency);
    if (backward) out.push_back(Parameter::attention_backward_efficiency);
    if (mem) out.push_back(Parameter::memory_efficiency);
    out.push_back(Parameter::kernel_overhead);
    return out;
}

namespace {

// The least-squares fit of the linear unknowns in `parameters` (counts held at their values in `model`):
// the fitted model, or why the rows cannot determine it.
std::variant<ChipModel, std::string> fit_linear(ChipModel model, const std::vector<Measurement>& rows,
                                                const std::vector<Parameter>& parameters) {
    const auto fitted = [&parameters](Parameter p) {
        return std::find(parameters.begin(), parameters.end(), p) != parameters.end();
    };
    if (parameters.empty()) return model;
    std::vector<Bound> bounds(rows.size(), Bound::compute);
    const auto np = static_cast<Eigen::Index>(parameters.size());
    for (int iteration = 0; iteration < 20; ++iteration) {
        std::vector<Bound> now(rows.size());
        for (std::size_t i = 0; i < rows.size(); ++i) now[i] = cost(model, rows[i].op).bound;
        if (iteration > 0 && now == bounds) break;
        bounds = now;
        Eigen::MatrixXd a(static_cast<Eigen::Index>(rows.size()), np);
        Eigen::VectorXd y(static_cast<Eigen::Index>(rows.size()));
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const Row r = linearise(model, rows[i], bounds[i]);
            const double w = 1.0 / rows[i].time_s;
            double fixed = r.constant;
            for (const auto p : all_parameters) {
                const double coef = r.coef[static_cast<std::size_t>(p)];
                if (!fitted(p) && coef != 0.0) fixed += coef * unknown_of(model, p);
            }
            for (Eigen::Index j = 0; j < np; ++j) {
                a(static_cast<Eigen::Index>(i), j) = w * r.coef[static_cast<std::size_t>(parameters[static_cast<std::size_t>(j)])];
            }
            y(static_cast<Eigen::Index>(i)) = w * (rows[i].time_s - fixed);
        }
        for (Eigen::Index j = 0; j < np; ++j) {
            if (a.col(j).cwiseAbs().maxCoeff() == 0.0) {
                const auto p = parameters[static_cast<std::size_t>(j)];
                return "the measurements do not determine " + std::string(to_string(p)) + ": add " + describe(p) +
                       ", or leave it out of --fit";
            }
        }
        const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(a);
        if (qr.rank() < np) {
            return std::string("the measurements cannot separate the parameters (rank ") + std::to_string(qr.rank()) +
                   " of " + std::to_string(np) + "): vary the shapes (K, number of tiles, bytes) or fit fewer";
        }
        const Eigen::VectorXd u = qr.solve(y);
        for (Eigen::Index j = 0; j < np; ++j) apply_unknown(model, parameters[static_cast<std::size_t>(j)], u(j));
        if (auto problem = out_of_range(model, parameters)) return *problem;
    }
    return model;
}

}  // namespace

std::variant<CalibrationResult, std::string> calibrate(const ChipModel& start, const std::vector<Measurement>& rows,
                                                       const std::vector<Parameter>& parameters) {
    if (rows.empty()) return std::string("no measurements to fit");
    if (parameters.empty()) return std::string("no parameters to fit");
    if (rows.size() < parameters.size()) {
        return "cannot fit " + std::to_string(parameters.size()) + " parameters to " + std::to_string(rows.size()) +
               " measurement" + (rows.size() == 1 ? "" : "s") + ": give at least as many rows, or fewer parameters (--fit)";
    }
    for (const auto& r : rows) {
        if (!(r.time_s > 0) || !std::isfinite(r.time_s)) return r.label + ": measured time must be positive";
        try {
            (void)cost(start, r.op);
        } catch (const UnsupportedDType& e) {
            return r.label + ": " + e.what();
        }
    }
    ChipModel model = start;
    // Fitting the FP8 pair on a chip without it: start from the chip-wide values.
    const auto fitted = [&parameters](Parameter p) {
        return std::find(parameters.begin(), parameters.end(), p) != parameters.end();
    };
    const bool fp8_efficiency = fitted(Parameter::fp8_block_matmul_efficiency);
    const bool fp8_overhead = fitted(Parameter::fp8_block_matmul_tile_overhead);
    if (model.fp8_block_matmul_efficiency <= 0 && fp8_efficiency != fp8_overhead) {
        return std::string("the chip has no block-scaled FP8 figures: fit fp8_block_matmul_efficiency and "
                           "fp8_block_matmul_tile_overhead together (a chip holds both or neither)");
    }
    if (model.fp8_block_matmul_efficiency <= 0 && fp8_efficiency) {
        model.fp8_block_matmul_efficiency = model.matmul_efficiency;
        model.fp8_block_tile_overhead_s = model.tile_overhead_s;
    }
    // Per-tensor FP8 products on a chip without their own efficiency: start from the chip-wide value.
    if (model.fp8_matmul_efficiency <= 0 && fitted(Parameter::fp8_matmul_efficiency))
        model.fp8_matmul_efficiency = model.matmul_efficiency;
    std::vector<Parameter> linear;
    std::copy_if(parameters.begin(), parameters.end(), std::back_inserter(linear), [](Parameter p) { return !is_count(p); });
    std::variant<ChipModel, std::string> fit = std::string("no fit");
    if (fitted(Parameter::attention_query_extra_keys)) {
        // The count is determined only by attention rows of different lengths (at one length any count fits
        // as well as any other, the efficiency absorbing it).
        std::vector<std::int64_t> lengths;
        for (const auto& r : rows) {
            if (const auto* a = std::get_if<Attention>(&r.op)) lengths.push_back(a->seq_q);
        }
        std::sort(lengths.begin(), lengths.end());
        if (std::unique(lengths.begin(), lengths.end()) - lengths.begin() < 2) {
            return "the measurements do not determine attention_query_extra_keys: add " +
                   describe(Parameter::attention_query_extra_keys) + ", or leave it out of --fit";
        }
        double best_rms = 0;
        for (int keys = 0; keys <= max_scanned_count; ++keys) {
            model.query_extra_keys = keys;
            auto candidate = fit_linear(model, rows, linear);
            if (const auto* m = std::get_if<ChipModel>(&candidate)) {
                double sum = 0;
                for (const auto& r : rows) {
                    const double e = cost(*m, r.op).time_s / r.time_s - 1.0;
                    sum += e * e;
                }
                if (!std::holds_alternative<ChipModel>(fit) || sum < best_rms) {
                    best_rms = sum;
                    fit = std::move(candidate);
                }
            } else if (!std::holds_alternative<ChipModel>(fit)) {
                fit = std::move(candidate);  // keep the first reason, in case no count fits
            }
        }
    } else {
        fit = fit_linear(model, rows, linear);
    }
    if (auto* msg = std::get_if<std::string>(&fit)) return *msg;
    model = std::get<ChipModel>(fit);
    CalibrationResult result;
    result.fitted = model;
    result.fitted_parameters = parameters;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const OpCost after = cost(model, rows[i].op);
        result.rows.push_back({rows[i].label, rows[i].time_s, cost(start, rows[i].op).time_s, after.time_s, after.bound});
    }
    result.rms_relative_error_before = rms_relative(result.rows, false);
    result.rms_relative_error_after = rms_relative(result.rows, true);
    return result;
}

}  // namespace clustersim::chip
