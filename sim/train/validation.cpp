#include "train/validation.hpp"

#include <stdexcept>

namespace clustersim::train {

std::string_view to_string(Metric m) {
    switch (m) {
        case Metric::flops_per_chip: return "flops_per_chip";
        case Metric::mfu: return "mfu";
        case Metric::tokens_per_s: return "tokens_per_s";
        case Metric::tokens_per_s_per_chip: return "tokens_per_s_per_chip";
        case Metric::step_time: return "step_time";
        case Metric::prefill_tokens_per_s_per_chip: return "prefill_tokens_per_s_per_chip";
        case Metric::decode_tokens_per_s_per_chip: return "decode_tokens_per_s_per_chip";
        case Metric::tpot: return "tpot";
        case Metric::ttft: return "ttft";
    }
    return "?";
}

bool is_serving(Metric m) {
    return m == Metric::prefill_tokens_per_s_per_chip || m == Metric::decode_tokens_per_s_per_chip || m == Metric::tpot ||
           m == Metric::ttft;
}

std::string_view unit_of(Metric m) {
    switch (m) {
        case Metric::flops_per_chip: return "FLOP/s";
        case Metric::mfu: return "";
        case Metric::tokens_per_s:
        case Metric::tokens_per_s_per_chip:
        case Metric::prefill_tokens_per_s_per_chip:
        case Metric::decode_tokens_per_s_per_chip: return "tokens/s";
        case Metric::step_time:
        case Metric::tpot:
        case Metric::ttft: return "s";
    }
    return "";
}

double predict(const Measurement& m, const TrainingSpec& spec, std::int64_t chips, const StepResult& step) {
    const double step_s = step.time.step_s;
    const double tokens = static_cast<double>(spec.global_batch * spec.seq_len);
    const auto n = static_cast<double>(chips);
    auto flops_per_chip = [&] {
        if (!m.convention) throw std::invalid_argument("measurement: a FLOP metric needs its convention");
        // Recomputation matters only for exact_hardware; the plan's setting (and recompute_layers) applies.
        return step_flops(*m.convention, *spec.workload, spec.global_batch, spec.seq_len, step.plan) / step_s / n;
    };
    switch (m.metric) {
        case Metric::flops_per_chip: return flops_per_chip();
        case Metric::mfu:
            if (!m.peak_flop_per_s) throw std::invalid_argument("measurement: mfu needs the source's peak");
            return flops_per_chip() / *m.peak_flop_per_s;
        case Metric::tokens_per_s: return tokens / step_s;
        case Metric::tokens_per_s_per_chip: return tokens / step_s / n;
        case Metric::step_time: return step_s;
        case Metric::prefill_tokens_per_s_per_chip:
        case Metric::decode_tokens_per_s_per_chip:
        case Metric::tpot:
        case Metric::ttft: throw std::invalid_argument("measurement: a serving metric is predicted by serve::predict");
    }
    return 0;
}

}  // namespace clustersim::train
