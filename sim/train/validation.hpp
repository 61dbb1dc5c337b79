#pragma once
// A published measurement of a training or serving run, and the model's prediction of the same figure.
// The figure is one of the metrics sources report; all are proportional to 1 / step time once the
// source's FLOP convention is applied, so the error of any of them is the error of the step time.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "train/accounting.hpp"
#include "train/plan.hpp"
#include "train/step.hpp"

namespace clustersim::train {

enum class Metric : std::uint8_t {
    flops_per_chip,         ///< FLOP/s per chip under the source's FLOP convention
    mfu,                    ///< flops_per_chip / the peak the source divides by
    tokens_per_s,           ///< whole job
    tokens_per_s_per_chip,
    step_time,              ///< seconds per optimizer step
    // Serving (predicted by serve::predict, not by train::predict):
    prefill_tokens_per_s_per_chip,  ///< prompt tokens per second per chip of the prefill instance
    decode_tokens_per_s_per_chip,   ///< output tokens per second per chip of the decode instance
    tpot,                           ///< time per output token, seconds
    ttft,                           ///< time to first token, seconds
};
/// Whether a metric measures a serving job (else a training job).
bool is_serving(Metric m);
std::string_view to_string(Metric m);
/// The CSV and display unit of a metric's value ("FLOP/s", "", "tokens/s", "s").
std::string_view unit_of(Metric m);

struct Measurement {
    Metric metric = Metric::step_time;
    double value = 0;  ///< SI (FLOP/s, fraction, tokens/s, s)
    std::optional<FlopConvention> convention;  ///< flops_per_chip and mfu
    std::optional<double> peak_flop_per_s;     ///< mfu: the source's peak per chip
    std::string reference;  ///< id in shared/reference/published-results.yaml
    std::string source;     ///< citation
    std::string note;
};

/// The model's value of `m.metric` for `step` of `spec` on `chips` chips (the step's plan sets the
/// recomputation that FlopConvention::exact_hardware counts).
double predict(const Measurement& m, const TrainingSpec& spec, std::int64_t chips, const StepResult& step);

/// Signed relative error of a prediction: (predicted - measured) / measured.
inline double relative_error(double predicted, double measured) { return (predicted - measured) / measured; }

}  // namespace clustersim::train
