#pragma once
// Exact accounting of a training step: parameters, FLOPs by operation, and memory per accelerator.
// Pure functions of a workload and a plan. Equations and sources: docs/models/training.md.
//
// One place for each idea: the kernels of a layer (layer_ops) are the truth for FLOPs and bytes;
// the closed forms below (the sources' FLOP conventions, the ZeRO and Korthikanti memory formulas)
// are what the published measurements were reported in, and the tests check that the kernels add
// up to them.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/workload.hpp"
#include "chip/op_cost.hpp"
#include "train/plan.hpp"

namespace clustersim::train {

/// Parameters of the whole model (not per rank).
struct ParamCounts {
    double total = 0;          ///< every parameter (embedding, output, every expert)
    double embedding = 0;      ///< input embedding (+ learned positions)
    double output = 0;         ///< output projection (0 when tied)
    double per_dense_layer = 0;  ///< attention + dense MLP + norms (+ biases) of one dense layer
    double per_moe_layer = 0;    ///< attention + router + all experts + shared experts + norms
    double active_per_token = 0; ///< parameters one token multiplies with (top-k experts only)
    /// Non-embedding parameters (total - embedding - output): the N of PaLM's 6N and Kaplan's 6N.
    [[nodiscard]] double non_embedding() const { return total - embedding - output; }
    /// Active non-embedding parameters (= non_embedding() for dense models): PaLM's N for MoE.
    [[nodiscard]] double active_non_embedding() const { return active_per_token - embedding - output; }
};
ParamCounts count_params(const catalog::WorkloadSpec& w);

/// What a published throughput figure counts as "FLOPs" (mind each source's convention).
enum class FlopConvention : std::uint8_t {
    megatron_hardware,  ///< SC21 eq. 3: 96 B s l h^2 (1 + s/6h + V/16lh), full recomputation counted
    megatron_model,     ///< the same without recomputation: 72 B s l h^2 (1 + s/6h + V/12lh) (Korthikanti MFU)
    palm,               ///< PaLM App. B: (6 N + 12 L H Q T) per token, N non-embedding parameters
    six_n,              ///< 6 x parameters x tokens (Kaplan), all parameters (active ones for MoE)
    exact_model,        ///< clustersim's kernel count: forward + backward, causal attention, no recomputation
    exact_hardware,     ///< the same with the plan's recomputation
};
std::string_view to_string(FlopConvention c);
std::optional<FlopConvention> flop_convention_from_string(std::string_view s);

/// FLOPs of one optimizer step (global_batch sequences of seq_len tokens) under a convention.
/// `recompute` matters only for exact_hardware.
double step_flops(FlopConvention c, const catalog::WorkloadSpec& w, std::int64_t global_batch, std::int64_t seq_len,
                  Recomputation recompute = Recompute::none);


/// What one rank computes for one micro-batch: its share of a layer under tensor, context,
/// sequence and expert parallelism.
struct Shard {
    std::int64_t micro_batch = 1;  ///< sequences
    std::int64_t seq_len = 0;      ///< full sequence (the rank holds seq_len / cp of it)
    std::int64_t tp = 1;
    std::int64_t cp = 1;
    std::int64_t ep = 1;
    bool sequence_parallel = false;
    chip::DType dtype = chip::DType::bf16;  ///< matrix products; memory-bound kernels stay 16-bit
    /// FlashAttention-style fused attention (one chip::Attention kernel each way). False: Megatron-LM's
    /// 2021-22 unfused attention (MHA and GQA; MLA stays fused): batched products Q K^T and P V over
    /// the full s x s scores, a fused scale-mask-softmax and a dropout (p = 0.1) on the probabilities,
    /// and their backward kernels (docs/models/training.md, "Unfused attention").
    bool flash_attention = true;
    /// Which fused kernel runs it (flash_attention only): the chip's own, or FlashAttention's Triton kernel.
    chip::AttentionKernel attention_kernel = chip::AttentionKernel::standard;
    /// The element-wise work as eager PyTorch runs the Llama reference code (torchtitan 2024, Meta's llama):
    /// one aten kernel per op, RMSNorm through fp32, rotary embedding through complex64, SwiGLU as silu then
    /// mul, grouped-query K and V copied to every query head (repeat_kv). False: fused kernels, one per
    /// norm, activation or residual add (docs/models/training.md, "Eager element-wise work").
    bool eager_elementwise = false;
    /// FP8 matrix products of the layers with DeepSeek-V3's fine-grained block scales (1 x 128 activation,
    /// 128 x 128 weight tiles; DeepGEMM's kernels: the chip's fp8_block figures where it has them). False:
    /// per-tensor scales (Transformer Engine). What stays 16-bit (sixteen_bit) is not affected.
    bool fp8_block_scaled = false;
    /// The precision of what FP8 training keeps in 16-bit (the attention core, the MoE router, the output
    /// head): BF16, or `dtype` on a chip whose BF16 peak is not public (step.cpp; docs/models/training.md).
    chip::DType sixteen_bit = chip::DType::bf16;
    /// Bytes per element of the rows the expert dispatch delivers (ExecutionPlan::dispatch_bytes).
    double dispatch_bytes = 2;
    /// DeepSeek-V3's low-precision activation cache (arXiv 2412.19437 section 3.3.3), with FP8 products: the
    /// routed experts' SwiGLU inputs stored in FP8, and the attention output, which the output projection and
    /// the attention's backward both read, stored once in E5M6 (12 bits) instead of 16 bits and an FP8 cast.
    /// False: Transformer Engine's, FP8 casts of the products' inputs and 16 bits elsewhere.
    bool fp8_activation_cache = false;
    /// Per-tensor FP8 with current scaling (Transformer Engine's Float8CurrentScaling, Megatron's --fp8-recipe
    /// tensorwise): an amax pass over each tensor before its cast. False: delayed scaling (the amax history),
    /// one pass. Sets the bytes of the FP8 cast kernels (per-tensor FP8 only).
    bool fp8_current_scaling = false;
    /// FP8 copies a quantised tensor needs on the chip (ChipModel::fp8_operand_copies: 2 on Hopper, 1 on Blackwell).
    int fp8_operand_copies = 1;
    /// PyTorch FSDP2's copies (FsdpBuffers::per_parameter, with zero3): per micro-batch, every parameter the
    /// rank gathers is copied out of the all-gather buffer (16-bit, read and written) in the forward pass and
    /// again in the backward pass, and its gradient into the reduce-scatter buffer (16-bit read, written in
    /// grad_reduce_bytes): torch.split_with_sizes_copy and torch._chunk_cat, on the compute stream.
    bool fsdp_copies = false;
    double grad_reduce_bytes = 4;  ///< bytes per gradient element in the data-parallel reduction (Execution::grad_bytes)
    /// Bytes per parameter the backward pass moves to add the micro-batch's weight gradients into the step's
    /// (Execution::grad_accumulation, averaged over the step's micro-batches; plain and zero1 only); 0: none.
    double grad_accumulation_bytes = 0;
    /// The rotary embedding of q and k (workloads with rotary positions, without eager_elementwise, which runs
    /// torchtitan's complex64 form): one fused kernel per tensor each way; false: Megatron-LM's unfused
    /// apply_rotary_pos_emb_bshd as eager PyTorch runs it (kernels and bytes: fused_rotary / unfused_rotary in
    /// accounting.cpp; docs/models/training.md, "Rotary embedding").
    bool fused_rope = true;
};

enum class LayerKind : std::uint8_t { dense, moe };

/// The kernel names of an MLP (chip::named), one set for training and serving: a dense layer's, the shared
/// experts', the routed experts'. gate and up: torchtitan's separate products that one gate_up kernel stands for.
struct MlpNames {
    std::string_view gate, up, gate_up, swiglu, gelu, down;
};
inline constexpr MlpNames dense_mlp{"gate", "up", "gate_up", "swiglu", "gelu", "down"};
inline constexpr MlpNames shared_mlp{"shared_gate", "shared_up", "shared_gate_up", "shared_swiglu", "shared_gelu", "shared_down"};
inline constexpr MlpNames routed_mlp{"experts_gate", "experts_up", "experts_gate_up", "experts_swiglu", "experts_gelu",
                                     "experts_down"};

/// The kernels of one layer on one rank, forward and backward (with perfectly balanced routing for
/// MoE: every rank's experts receive micro_batch * seq_len / cp * top_k tokens in total).
/// `recompute` holds what the backward pass re-runs first (empty for Recompute::none).
struct LayerOps {
    std::vector<chip::Operation> forward;
    std::vector<chip::Operation> backward;
    std::vector<chip::Operation> recompute;
    /// Of `backward`: the weight-gradient products (dW of each product with weights), DualPipe's W.
    std::vector<chip::Operation> weight_gradients;
    /// Of `backward`: the input- and weight-gradient products of the products that read the layer's norm output
    /// (QKV, a dense MLP's first product: Megatron's column-parallel LayerNormLinear), under which Megatron-LM's
    /// asynchronous column-parallel exchanges run (Execution::overlap_tp_backward).
    std::vector<chip::Operation> column_input_gradients, column_weight_gradients;
};
LayerOps layer_ops(const catalog::WorkloadSpec& w, LayerKind kind, const Shard& s, Recomputation recompute);
/// Input embedding (first pipeline stage) and final norm, output projection and loss (last stage).
LayerOps embedding_ops(const catalog::WorkloadSpec& w, const Shard& s);
LayerOps head_ops(const catalog::WorkloadSpec& w, const Shard& s);
/// One multi-token-prediction module's own kernels (DeepSeek-V3 section 2.2), on the last stage: the shared
/// embedding's lookup of the shifted tokens, RMSNorm of it and of the hidden states, the projection of
/// their concatenation (2h -> h, split by tp). Its transformer layer (of the last kind) and its pass
/// through the shared output head are layer_ops and head_ops.
LayerOps mtp_ops(const catalog::WorkloadSpec& w, const Shard& s);
/// The optimizer step's kernels over `parameters` that a rank updates, as Megatron-LM's mixed-precision optimizer
/// runs them (megatron/optimizer/optimizer.py, MixedPrecisionOptimizer.step): with 16-bit gradients
/// (`grad_bytes` 2) their copy into fp32 main gradients; under fp16 `precision` the loss scale's unscale and
/// overflow check; the gradient norm for clipping; the fused Adam update; the copy of the fp32 master weights
/// back into the 16-bit model weights.
std::vector<chip::Operation> optimizer_ops(double parameters, double grad_bytes, chip::DType precision);
/// PyTorch FSDP1's memory-bound kernels for one wrapped unit of `parameters` per micro-batch (FsdpBuffers::flat_parameter;
/// docs/research/fsdp1-flat-param-kernels.md), over a data-parallel group of `group` ranks with gradients reduced in
/// `grad_bytes`: the fp32 shard cast to 16 bits before each of the two gathers; autograd's cat of the parameters'
/// gradients into the flat gradient; its cast to the reduction's precision (when not 16-bit); the division of the whole
/// gradient before the reduce-scatter; then on the shard the division after it, the cast to fp32 (16-bit reductions)
/// and, a share `accumulated` of the micro-batches (all but a step's first), the accumulation into the fp32 gradient.
std::vector<chip::Operation> fsdp_flat_parameter_ops(double parameters, double group, double grad_bytes, double accumulated);
/// The kind of the workload's last layer (an MTP module's layer is of this kind).
LayerKind last_layer_kind(const catalog::WorkloadSpec& w);

/// Useful FLOPs of kernels as chip::cost counts them: FlashAttention's backward is 2.5x its forward
/// (five products, the scores recomputed); the unfused attention's batched products count the full
/// s x s scores (no causal discount), as they run. What exact_hardware sums (over fused kernels:
/// step_flops always counts the fused, causal attention).
double hardware_flops(const chip::Operation& op);
double hardware_flops(const std::vector<chip::Operation>& ops);
/// Model FLOPs: the same, but an attention backward counts 2x its forward (the gradients of its two
/// products, without FlashAttention's recomputation), as the MFU conventions count it. What
/// exact_model sums.
double model_flops(const chip::Operation& op);
double model_flops(const std::vector<chip::Operation>& ops);

/// Bytes of activations one layer stores on one rank for one micro-batch until its backward pass:
/// the tensors the backward kernels of layer_ops read (each matmul's input, each norm's and
/// activation function's input, FlashAttention's Q, K, V and O; MoE: router probabilities, routed
/// inputs and their FP32 routing weights). 16-bit, except inputs read only by matmuls, kept in the matmul dtype
/// (and, with Shard::fp8_activation_cache, the MoE's SwiGLU inputs in FP8 and the attention output in 12 bits)
/// (Transformer Engine keeps the FP8 cast); with eager element-wise kernels, what autograd saves (the
/// norms' fp32 inputs among them). Full recomputation: the layer input only. `dropout` adds
/// two 1-byte masks of the residual stream (Korthikanti et al. count them; memory_per_chip does
/// not: current recipes train without dropout). GPT shape, bf16, with dropout: Korthikanti Table 2
/// without the 5 a s / h term, s b h (10 + 24 / t), or s b h / t x 34 with sequence parallelism.
/// Unfused attention (!s.flash_attention) adds the softmax output, the attention dropout's mask and
/// output, 5 a s / h in s b h units split by t (Table 2 in full), unless recompute is selective with
/// core_attn.
/// Selective recomputation's other modules (Megatron-Core's output-discarding checkpoints) do not
/// store: layernorm, the pre-norms' outputs (their products' 16-bit or FP8 inputs); mla_up_proj, the
/// up-projections' inputs and Q, K, V (O stays, the output projection's input); moe_act, the routed
/// experts' activation output (the down projection's input).
double layer_activation_bytes(const catalog::WorkloadSpec& w, LayerKind kind, const Shard& s, Recomputation recompute,
                              bool dropout = false);
/// Layer kinds in order (dense_layers dense layers first for MoE workloads).
std::vector<LayerKind> layer_kinds(const catalog::WorkloadSpec& w);

/// The layers pipeline rank `rank` holds, by kind: pp x virtual_stages model chunks, chunk c holding
/// layers [c L / C, (c + 1) L / C), rank r chunks r, r + pp, ... (stages may differ by a layer); with
/// the plan's layers_per_stage, stage r holds its entry r.
struct StageLayers {
    std::int64_t dense = 0;
    std::int64_t moe = 0;
};
StageLayers stage_layers(const catalog::WorkloadSpec& w, const Plan& plan, std::int64_t rank);
/// The pipeline stages (1F1B ranks' shares, stage_layers) pipeline rank `rank` runs: its own; with
/// DualPipe also stage pp - 1 - rank, each micro-batch passing through one of the two.
std::vector<std::int64_t> rank_stages(const Plan& plan, std::int64_t rank);
/// Of those, the layers that run the plan's recomputation: all of them, or with recompute_layers N
/// the first N of each model chunk (at most its layers); the others store their activations.
StageLayers recomputed_layers(const catalog::WorkloadSpec& w, const Plan& plan, std::int64_t rank);
/// step_flops for a plan: exact_hardware counts the recomputation of the layers that recompute
/// (recompute_layers: the first ones of each model chunk, by kind) and none for the others.
double step_flops(FlopConvention c, const catalog::WorkloadSpec& w, std::int64_t global_batch, std::int64_t seq_len,
                  const Plan& plan);
/// The most layers one model chunk holds (pp x virtual_stages chunks; they differ by at most one, or
/// as the plan's layers_per_stage lists).
std::int64_t max_chunk_layers(const catalog::WorkloadSpec& w, const Plan& plan);

/// Bytes one rank holds at the peak of a step: the pipeline rank with the largest total (usually
/// the first, which keeps the most micro-batches in flight). Formulas: ZeRO (SC20) for states,
/// Korthikanti et al. Table 2 for activations (with flash attention: no s^2 term; `flash_attention`
/// false: its 5 a s / h term unless recomputation is selective or full), the 1F1B in-flight count
/// for pipelines (at least pp micro-batches per step assumed).
struct Memory {
    double weights = 0;
    double gradients = 0;
    double optimizer = 0;    ///< fp32 master weights and Adam moments (12 bytes per parameter, sharded as the plan says)
    double activations = 0;  ///< stored for the backward pass, every micro-batch in flight
    double transient = 0;    ///< the largest single-layer working set (recomputed layer, ZeRO-3 gathered layer, logits)
    double offloaded = 0;    ///< activations held in host memory instead (Plan::offload_layers); not in total()
    [[nodiscard]] double total() const { return weights + gradients + optimizer + activations + transient; }
};
/// `eager_elementwise`: eager PyTorch's kernels save more per layer (Shard::eager_elementwise);
/// `fp8_activation_cache`: DeepSeek-V3's cache saves less (Shard::fp8_activation_cache). The plan's offloaded
/// layers' activations (Plan::offload_layers; pp 1, no recomputation) are in `offloaded`, not in HBM.
Memory memory_per_chip(const catalog::WorkloadSpec& w, const Plan& plan, std::int64_t seq_len, chip::DType precision,
                       bool flash_attention = true, bool eager_elementwise = false, bool fp8_activation_cache = false);

/// Parameters one rank holds (before ZeRO sharding): the largest pipeline stage's share under
/// tensor and expert parallelism (embedding on the first stage, output on the last).
double params_per_chip(const catalog::WorkloadSpec& w, const Plan& plan);

/// params_per_chip split by the group that replicates them (same stage): dense parameters (ZeRO
/// and gradient reduction over dp x cp) and routed-expert parameters (over dp x cp / ep). Experts
/// are split by tp (Megatron-Core's default expert tensor parallelism = tp).
struct ChipParams {
    double dense = 0;
    double expert = 0;
    [[nodiscard]] double total() const { return dense + expert; }
};
ChipParams chip_params(const catalog::WorkloadSpec& w, const Plan& plan);

}  // namespace clustersim::train
