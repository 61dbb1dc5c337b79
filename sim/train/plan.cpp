#include "train/plan.hpp"

#include <algorithm>
#include <array>
#include <numeric>

namespace clustersim::train {

std::string_view to_string(Recompute r) {
    switch (r) {
        case Recompute::none: return "none";
        case Recompute::selective: return "selective";
        case Recompute::full: return "full";
        case Recompute::selective_op: return "selective_op";
    }
    return "?";
}

std::string_view to_string(RecomputeModule m) {
    switch (m) {
        case RecomputeModule::core_attn: return "core_attn";
        case RecomputeModule::layernorm: return "layernorm";
        case RecomputeModule::mla_up_proj: return "mla_up_proj";
        case RecomputeModule::moe_act: return "moe_act";
    }
    return "?";
}

std::optional<RecomputeModule> recompute_module_from_string(std::string_view s) {
    for (const auto m : all_recompute_modules) {
        if (to_string(m) == s) return m;
    }
    return std::nullopt;
}

std::string to_string(RecomputeModules modules) {
    std::string out;
    for (const auto m : all_recompute_modules) {
        if (modules.has(m)) out += (out.empty() ? "" : "+") + std::string(to_string(m));
    }
    return out;
}

std::string_view to_string(Optimizer o) {
    switch (o) {
        case Optimizer::plain: return "plain";
        case Optimizer::zero1: return "zero1";
        case Optimizer::zero2: return "zero2";
        case Optimizer::zero3: return "zero3";
    }
    return "?";
}

std::optional<Recompute> recompute_from_string(std::string_view s) {
    for (const auto r : all_recompute) {
        if (to_string(r) == s) return r;
    }
    return std::nullopt;
}

std::string_view to_string(PipelineSchedule s) {
    switch (s) {
        case PipelineSchedule::one_f_one_b: return "1f1b";
        case PipelineSchedule::dualpipe: return "dualpipe";
    }
    return "?";
}

std::string_view to_string(FsdpBuffers b) {
    switch (b) {
        case FsdpBuffers::flat: return "flat";
        case FsdpBuffers::flat_parameter: return "flat_parameter";
        case FsdpBuffers::per_parameter: return "per_parameter";
    }
    return "?";
}

std::string_view to_string(GradAccumulation a) {
    switch (a) {
        case GradAccumulation::fused: return "fused";
        case GradAccumulation::autograd: return "autograd";
        case GradAccumulation::fp32: return "fp32";
        case GradAccumulation::fp16: return "fp16";
        case GradAccumulation::fp32_cast: return "fp32_cast";
    }
    return "?";
}

double grad_accumulation_bytes(GradAccumulation a, std::int64_t micro_batches) {
    const double m = static_cast<double>(std::max<std::int64_t>(1, micro_batches));
    switch (a) {
        case GradAccumulation::fused: return 0;
        case GradAccumulation::autograd: return 6.0 * (m - 1) / m;  // the first micro-batch's gradient is taken as is
        case GradAccumulation::fp32: return 10.0;
        case GradAccumulation::fp16: return 6.0;
        case GradAccumulation::fp32_cast: return 18.0;
    }
    return 0;
}

bool accumulates_gradients(Optimizer o) { return o == Optimizer::plain || o == Optimizer::zero1; }

std::optional<PipelineSchedule> schedule_from_string(std::string_view s) {
    for (const auto x : all_schedules) {
        if (to_string(x) == s) return x;
    }
    return std::nullopt;
}

std::optional<Optimizer> optimizer_from_string(std::string_view s) {
    for (const auto o : all_optimizers) {
        if (to_string(o) == s) return o;
    }
    return std::nullopt;
}

const std::vector<std::string>& parallel_dimensions() {
    static const std::vector<std::string> d{"tp", "cp", "ep", "pp", "dp"};
    return d;
}

std::vector<comm::Collective> dimension_collectives(std::string_view dimension) {
    using C = comm::Collective;
    if (dimension == "ep") return {C::all_to_all};
    if (dimension == "pp") return {C::send_recv};
    if (dimension == "cp") return {C::all_gather, C::reduce_scatter};
    return {C::all_reduce, C::reduce_scatter, C::all_gather};  // tp, dp
}

bool layers_per_stage_fit(const Plan& p, std::int64_t layers) {
    const auto& list = p.layers_per_stage;
    return static_cast<std::int64_t>(list.size()) == p.pp &&
           std::all_of(list.begin(), list.end(), [](std::int64_t n) { return n >= 1; }) &&
           std::accumulate(list.begin(), list.end(), std::int64_t{0}) == layers;
}

std::string describe(const Plan& p) {
    std::string out;
    auto part = [&out](const std::string& text) { out += (out.empty() ? "" : " ") + text; };
    if (p.tp > 1) part("tp" + std::to_string(p.tp));
    if (p.pp > 1) {
        std::string layers;
        for (const std::int64_t n : p.layers_per_stage) layers += (layers.empty() ? "(" : "/") + std::to_string(n);
        part("pp" + std::to_string(p.pp) + (layers.empty() ? "" : layers + ")"));
    }
    part("dp" + std::to_string(p.dp));
    if (p.cp > 1) part("cp" + std::to_string(p.cp));
    if (p.ep > 1) part("ep" + std::to_string(p.ep));
    if (p.virtual_stages > 1) part("v" + std::to_string(p.virtual_stages));
    if (p.schedule == PipelineSchedule::dualpipe) part("dualpipe");
    part("mb" + std::to_string(p.micro_batch));
    if (p.sequence_parallel) part("sp");
    if (p.recompute == Recompute::selective && p.recompute_modules != RecomputeModules{}) {
        part("selective:" + to_string(p.recompute_modules));
    } else if (p.recompute != Recompute::none) {
        part(std::string(to_string(p.recompute)) + (p.recompute_layers > 0 ? ":" + std::to_string(p.recompute_layers) : ""));
    }
    if (p.optimizer != Optimizer::plain) part(std::string(to_string(p.optimizer)));
    if (p.offload_layers > 0) part("offload:" + std::to_string(p.offload_layers));
    return out;
}

namespace {
/// What a workload's positions are, as the problems below name them (nullptr: rotary, which both accept).
const char* non_rotary_positions(catalog::PositionKind p) {
    switch (p) {
        case catalog::PositionKind::learned: return "learned positions";
        case catalog::PositionKind::alibi: return "ALiBi positions";
        case catalog::PositionKind::none: return "no position encoding";
        case catalog::PositionKind::rotary: break;
    }
    return nullptr;
}
}  // namespace

std::string elementwise_problem(const catalog::WorkloadSpec& w, const Execution& e) {
    if (!e.eager_elementwise) return {};
    const char* has = w.mla                                 ? "multi-head latent attention"
                      : w.biases                            ? "LayerNorm and biases"
                      : w.mlp != catalog::MlpKind::swiglu   ? "a GeLU MLP"
                                                            : non_rotary_positions(w.positions);
    if (!has) return {};
    return "elementwise: eager describes the Llama reference code (RMSNorm, rotary embedding, SwiGLU, grouped-query "
           "attention); " + w.id + " has " + has;
}

std::string rope_problem(const catalog::WorkloadSpec& w, const Execution& e) {
    const char* has = non_rotary_positions(w.positions);
    if (e.fused_rope || !has) return {};
    return "rope: unfused describes the rotary embedding's kernels, but " + w.id + " has " + has +
           " (valid: a workload with positions: rotary, or rope: fused)";
}

std::string offload_plan_problem(const catalog::WorkloadSpec& w, const Plan& plan) {
    if (plan.offload_layers == 0) return {};
    if (plan.offload_layers < 0) return "activation_offload_layers must be at least 0, got " + std::to_string(plan.offload_layers);
    if (plan.offload_layers >= w.layers)
        return "activation_offload_layers " + std::to_string(plan.offload_layers) + " must be below the " +
               std::to_string(w.layers) + " layers of " + w.id + " (Megatron-Core keeps at least one layer's activations)";
    if (plan.pp > 1) return "activation offloading needs pp 1 (Megatron-Core has no offloading with pipeline parallelism)";
    if (plan.recompute != Recompute::none)
        return "activation offloading needs recompute none (Megatron-Core does not offload with recomputation)";
    return {};
}

std::string host_link_problem(const chip::ChipModel& c, const Plan& plan) {
    if (plan.offload_layers == 0 || c.host_link_bytes_per_s > 0) return {};
    return c.id + " has no host_link_bandwidth figure: activation offloading needs one in its chip file "
                  "('clustersim show chip' says which chips have it)";
}

std::string host_memory_problem(const Plan& plan, bool host_memory_known, std::string_view holder) {
    if (plan.offload_layers == 0 || host_memory_known) return {};
    return std::string(holder) + " states no host_memory: activation offloading needs it to know what the host can hold";
}

std::string offload_problem(const chip::ChipModel& c, const catalog::WorkloadSpec& w, const Plan& plan) {
    if (auto why = offload_plan_problem(w, plan); !why.empty()) return why;
    return host_link_problem(c, plan);
}

std::string attention_kernel_problem(const chip::ChipModel& c, const Execution& e) {
    if (c.has(e.attention_kernel)) return {};
    return c.id + " has no figures for FlashAttention's Triton kernel (attention: flash_triton needs "
                  "flash_triton_attention_efficiency in its chip file; 'clustersim show chip' says which chips have it)";
}

}  // namespace clustersim::train
