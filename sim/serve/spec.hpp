#pragma once
// A serving job: which model, in which precision, on what prompts, under which latency limits, and
// how its prefill and decode instances are split over chips. Value types; the scenario layer
// decodes them from YAML (docs/scenario-format.md, "Serving"), the serving model reads them.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "catalog/workload.hpp"
#include "chip/chip_model.hpp"

namespace clustersim::serve {

/// How one serving instance (a prefill or a decode instance) is split. An instance has
/// ranks() = chips x ranks_per_chip ranks. Attention and the dense MLPs are split over tp ranks
/// and replicated over the ranks() / tp attention data-parallel groups ("DP attention");
/// mixture-of-experts layers spread the routed experts over ep ranks, each expert split over
/// ranks() / ep ranks (expert tensor parallelism); each rank holds ceil(experts / ep) expert slots,
/// the slots beyond the experts redundant copies (EPLB) that share the load. The shared experts run on
/// every rank over its own tokens, or (shared_expert_ranks > 0) on ranks of their own: of the ep
/// ranks, shared_expert_ranks hold the shared experts and receive every token as one more dispatch
/// destination, the other ep - shared_expert_ranks hold the routed slots (CloudMatrix-Infer's decode:
/// 32 of EP320 for the shared expert, 288 for the 256 routed experts and 32 redundant copies).
/// Invariants (plan_problems): every degree >= 1; tp and ep divide ranks(); shared_expert_ranks
/// only with ep = ranks() and shared experts, fewer than ep.
struct ServingPlan {
    std::int64_t chips = 1;
    /// Processes per chip: 2 on Ascend 910C, whose two dies CloudMatrix-Infer runs as separate
    /// ranks, each with half the chip's compute, HBM and bandwidth.
    std::int64_t ranks_per_chip = 1;
    std::int64_t tp = 1;
    std::int64_t ep = 1;
    /// Sequences of one attention data-parallel group (its tp ranks share them; per rank when
    /// tp = 1) in one step (decode: in flight; prefill: prompts per batch); 0: search the best batch
    /// under the latency limits and HBM.
    std::int64_t batch = 0;
    /// Of the ep ranks, those that hold the shared experts instead of routed slots (0: every rank
    /// runs the shared experts on its own tokens).
    std::int64_t shared_expert_ranks = 0;

    [[nodiscard]] std::int64_t ranks() const { return chips * ranks_per_chip; }
    friend bool operator==(const ServingPlan&, const ServingPlan&) = default;
};

/// "16 chips x2 ranks tp1 ep32 batch 4": the plan in one short line.
std::string describe(const ServingPlan& p);

/// Speculative decoding or multi-token prediction (DeepSeek-V3 MTP): each decode step verifies
/// draft_tokens drafted tokens per sequence; draft i is kept when it and every draft before it
/// are accepted, each with probability `acceptance` (Leviathan et al., ICML 2023): a step yields
/// 1 + a + a^2 + ... + a^d tokens per sequence.
struct Speculation {
    std::int64_t draft_tokens = 0;
    double acceptance = 0;  ///< in (0, 1] when draft_tokens > 0
    /// Tokens per sequence per decode step.
    [[nodiscard]] double tokens_per_step() const;
};

/// How the serving job runs, beyond the plans (each a documented switch, not a tuning knob).
struct ServingExecution {
    /// HBM kept free for the framework, fragmentation and communication buffers (fraction).
    double memory_reserve = 0.1;
    /// Two micro-batches in flight so that one's expert and tensor-parallel communication hides
    /// behind the other's computation (CloudMatrix-Infer's microbatch pipelining, SGLang's two-batch
    /// overlap): a layer takes max(compute, communication) instead of their sum, with the kernels
    /// run per micro-batch (weights read twice); the faster of that and one whole batch is kept.
    bool overlap_comm = false;
    /// Tokens of the most loaded expert rank over the mean (1: perfectly balanced, as EPLB's ideal): that
    /// rank's routed rows, and its dispatch and combine, pace the layer.
    double expert_imbalance = 1.0;
    /// Bytes per element of the expert dispatch (1: tokens quantised to INT8/FP8 before the
    /// all-to-all, as DeepEP and CloudMatrix-Infer do; 2: BF16). The combine is always BF16.
    double dispatch_bytes = 2;
    /// Prefill and decode run on separate instances (disaggregated, DistServe/Splitwise): the KV
    /// cache of each prompt moves from the prefill instance to the decode instance.
    bool disaggregated = true;
    /// Per phase, whether the 8-bit inputs of W8A8 / FP8 matrix products are made by quantisation kernels
    /// of their own (BF16 in, 8-bit values and FP32 scales out), as eager runtimes run them: Huawei's CANN
    /// recipes (npu_dynamic_quant), SGLang (per_token_group_quant_fp8), DeepSeek's H800 trace. False:
    /// fused into the neighbouring kernels (CloudMatrix-Infer's decode MLAProlog and FusedDispatch, graph
    /// compilers).
    struct SeparateQuant {
        bool prefill = false;
        bool decode = false;
        friend bool operator==(const SeparateQuant&, const SeparateQuant&) = default;
    };
    SeparateQuant separate_activation_quant;
    /// FP8 weights with fine-grained block scales, run by block-scaled kernels (DeepSeek-V3's FP8
    /// checkpoints on DeepGEMM): the chip's fp8_block figures (chip::Matmul::block_scaled). False:
    /// per-tensor or per-channel scales.
    bool fp8_block_scaled = false;
};

struct ServingSpec {
    std::shared_ptr<const catalog::WorkloadSpec> workload;
    chip::DType weights = chip::DType::bf16;   ///< linear-layer weights and their matrix products (bf16, fp8, int8)
    chip::DType kv_cache = chip::DType::bf16;  ///< KV cache elements
    /// The attention core's matrix products (bf16; fp8 as FlashMLA-FP8 and FlashAttention-3 FP8 run them).
    chip::DType attention = chip::DType::bf16;
    std::int64_t prompt_tokens = 0;  ///< input tokens per request
    std::int64_t output_tokens = 0;  ///< generated tokens per request
    std::optional<double> tpot_limit_s;  ///< time per output token limit (decode)
    std::optional<double> ttft_limit_s;  ///< time to first token limit (prefill)
    Speculation speculation;
    ServingPlan prefill;
    ServingPlan decode;
    ServingExecution execution;
};

}  // namespace clustersim::serve
