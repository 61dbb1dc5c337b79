#pragma once
// A training job: which workload, how much per step, and how it is split over the cluster.
// Value types; the scenario layer decodes them from YAML, the training model reads them.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/workload.hpp"
#include "chip/chip_model.hpp"
#include "comm/collective.hpp"

namespace clustersim::train {

enum class Recompute : std::uint8_t {
    none,       ///< every activation is stored
    selective,  ///< Korthikanti et al.: the attention core is recomputed (free with flash attention)
    full,       ///< only each layer's input is stored; the forward pass runs twice
    /// PyTorch op-level selective activation checkpointing as torchtitan applies it (apply_ac, mode
    /// "selective", selective_ac_option "op"): per layer, the outputs of the 1st, 3rd, 5th ... aten.mm
    /// and of the attention core are saved; every other matmul and every memory-bound kernel is recomputed.
    selective_op,
};

/// The parts of a layer that selective recomputation re-runs in the backward pass: Megatron-Core's
/// recompute_modules (TransformerConfig; --recompute-granularity selective --recompute-modules), the
/// ones the model has. Default: the attention core alone (Megatron-Core's default, Korthikanti et al.).
enum class RecomputeModule : std::uint8_t {
    core_attn,    ///< the attention core (normal checkpointing: its output is rebuilt)
    layernorm,    ///< the two pre-norms (input_layernorm, pre_mlp_layernorm): their outputs are not stored
    mla_up_proj,  ///< multi-head latent attention's latent norms and up-projections (and RoPE): Q, K, V not stored
    moe_act,      ///< the routed experts' activation function: its output (the down projection's input) not stored
};
inline constexpr std::array<RecomputeModule, 4> all_recompute_modules{
    RecomputeModule::core_attn, RecomputeModule::layernorm, RecomputeModule::mla_up_proj, RecomputeModule::moe_act};

/// A set of RecomputeModule.
class RecomputeModules {
public:
    constexpr RecomputeModules() = default;  // {core_attn}
    constexpr RecomputeModules(std::initializer_list<RecomputeModule> modules) : bits_(0) {
        for (const auto m : modules) bits_ = static_cast<std::uint8_t>(bits_ | bit(m));
    }
    [[nodiscard]] constexpr bool has(RecomputeModule m) const { return (bits_ & bit(m)) != 0; }
    [[nodiscard]] constexpr RecomputeModules with(RecomputeModule m) const {
        RecomputeModules out = *this;
        out.bits_ = static_cast<std::uint8_t>(out.bits_ | bit(m));
        return out;
    }
    friend constexpr bool operator==(RecomputeModules, RecomputeModules) = default;

private:
    static constexpr std::uint8_t bit(RecomputeModule m) { return static_cast<std::uint8_t>(1U << static_cast<unsigned>(m)); }
    std::uint8_t bits_ = 1;
};

/// What the backward pass of a layer recomputes: the granularity and, for a selective one, its modules.
/// Converts from a granularity alone (selective: the attention core).
struct Recomputation {
    Recompute granularity = Recompute::none;
    RecomputeModules modules{};
    constexpr Recomputation(Recompute g = Recompute::none, RecomputeModules m = {})  // NOLINT: implicit on purpose
        : granularity(g), modules(m) {}
    friend constexpr bool operator==(const Recomputation&, const Recomputation&) = default;
};

/// How a pipeline (pp > 1) orders its micro-batches.
enum class PipelineSchedule : std::uint8_t {
    /// 1F1B (Narayanan et al., SC21): every micro-batch enters at rank 0; with virtual_stages > 1 its
    /// interleaved form. Rank r holds stage r.
    one_f_one_b,
    /// DeepSeek-V3's DualPipe (arXiv 2412.19437 section 3.2.1, Table 2): half the micro-batches enter at
    /// rank 0 and half at rank pp - 1, so rank r holds stages r and pp - 1 - r (two copies of a stage's
    /// parameters) and, of each, 1F1B's micro-batches in flight (pp + 1 in all); bubble
    /// (pp/2 - 1)(F&B + B - 3W) against 1F1B's (pp - 1)(F + B). Needs an even pp, an even number of
    /// micro-batches of at least 2 pp (deepseek-ai/DualPipe), and one model chunk per stage (virtual_stages 1).
    dualpipe,
};

/// How gradients and optimizer states are held across the data-parallel group (ZeRO, SC20).
enum class Optimizer : std::uint8_t {
    plain,  ///< replicated; gradients all-reduced
    zero1,  ///< optimizer states sharded (Megatron's distributed optimizer): reduce-scatter + all-gather
    zero2,  ///< and gradients
    zero3,  ///< and parameters (FSDP): parameters all-gathered per layer forward and backward
};

/// How zero3 holds the parameters it gathers and the gradients it reduces, which decides the memory-bound kernels
/// around each gather and reduction (docs/models/training.md, "FSDP copies").
enum class FsdpBuffers : std::uint8_t {
    /// One buffer per unit that the gathers fill and the reductions read, the parameters and gradients living in
    /// it (Megatron's distributed-optimizer buffers and Megatron-FSDP): no kernel charged.
    flat,
    /// PyTorch FSDP1's FlatParameter: the gather fills it directly, but autograd assembles the flat gradient from
    /// the parameters' views (a copy), the whole gradient is divided before the reduce-scatter, and the shards are
    /// cast, divided and accumulated; all on FSDP's own streams, in the chain of its collectives.
    flat_parameter,
    /// PyTorch FSDP2 (fully_shard): every parameter copied out of each all-gather and every gradient into each
    /// reduce-scatter, on the compute stream (Shard::fsdp_copies).
    per_parameter,
};

/// How each micro-batch's weight gradients are added into the step's gradient, when a step has several micro-batches
/// (docs/models/training.md, "Gradient accumulation"; docs/research/gradient-accumulation-kernels.md).
enum class GradAccumulation : std::uint8_t {
    /// In the weight-gradient products themselves (Megatron-Core's gradient-accumulation fusion: the GEMM adds into
    /// the fp32 main gradient): no kernel charged.
    fused,
    /// PyTorch autograd's AccumulateGrad into the 16-bit .grad (PyTorch DDP, Megatron-LM of 2021, DeepSpeed's pipeline
    /// engine with ZeRO-1 of 2021): read both, write one, 6 bytes per parameter from a step's second micro-batch on.
    autograd,
    /// A hook adding each micro-batch's 16-bit gradient into an fp32 buffer (Megatron without the fusion): 10 bytes per
    /// parameter, every micro-batch.
    fp32,
    /// The same hook into a 16-bit buffer (Megatron's local DDP in fp16 without the fusion): 6 bytes per parameter, every
    /// micro-batch.
    fp16,
    /// DeepSpeed's BF16_Optimizer: each micro-batch's gradient cast to fp32, then added to the fp32 one: 18 bytes per
    /// parameter, every micro-batch.
    fp32_cast,
};

/// Every value of each enum, in declaration order (the scenario format's words are their to_string names).
inline constexpr std::array<Recompute, 4> all_recompute{Recompute::none, Recompute::selective, Recompute::full,
                                                        Recompute::selective_op};
inline constexpr std::array<Optimizer, 4> all_optimizers{Optimizer::plain, Optimizer::zero1, Optimizer::zero2,
                                                         Optimizer::zero3};
inline constexpr std::array<PipelineSchedule, 2> all_schedules{PipelineSchedule::one_f_one_b, PipelineSchedule::dualpipe};
inline constexpr std::array<FsdpBuffers, 3> all_fsdp_buffers{FsdpBuffers::flat, FsdpBuffers::flat_parameter,
                                                             FsdpBuffers::per_parameter};
inline constexpr std::array<GradAccumulation, 5> all_grad_accumulations{GradAccumulation::fused, GradAccumulation::autograd,
                                                                        GradAccumulation::fp32, GradAccumulation::fp16,
                                                                        GradAccumulation::fp32_cast};

std::string_view to_string(Recompute r);
std::string_view to_string(Optimizer o);
std::string_view to_string(PipelineSchedule s);
std::optional<PipelineSchedule> schedule_from_string(std::string_view s);
std::string_view to_string(FsdpBuffers b);
std::string_view to_string(GradAccumulation a);
/// Bytes per parameter a step's gradient accumulation moves per micro-batch, averaged over its `micro_batches`.
double grad_accumulation_bytes(GradAccumulation a, std::int64_t micro_batches);
/// Whether the optimizer keeps whole gradients across a step's micro-batches, which GradAccumulation then adds up
/// (plain, zero1); zero2 and zero3 reduce every micro-batch's.
bool accumulates_gradients(Optimizer o);
std::optional<Recompute> recompute_from_string(std::string_view s);
std::string_view to_string(RecomputeModule m);
std::optional<RecomputeModule> recompute_module_from_string(std::string_view s);
/// "layernorm+mla_up_proj+moe_act": the modules in declaration order, joined by '+'.
std::string to_string(RecomputeModules m);
std::optional<Optimizer> optimizer_from_string(std::string_view s);

/// One parallel plan. Invariants (checked by plan_problems in search.hpp): every degree >= 1;
/// tp * pp * dp * cp = chips; ep divides dp * cp and the expert count; pp * virtual_stages divides
/// the layers; micro_batch * dp divides the global batch.
struct Plan {
    std::int64_t tp = 1;
    std::int64_t pp = 1;
    std::int64_t dp = 1;
    std::int64_t cp = 1;  ///< context parallel: the sequence split over cp ranks (ring attention)
    std::int64_t ep = 1;  ///< expert parallel, carved out of dp * cp (Megatron-Core)
    std::int64_t virtual_stages = 1;  ///< interleaved 1F1B: model chunks per pipeline rank
    PipelineSchedule schedule = PipelineSchedule::one_f_one_b;
    std::int64_t micro_batch = 1;     ///< sequences per micro-batch
    bool sequence_parallel = false;   ///< Megatron sequence parallelism (tp > 1): norms and dropout split
    Recompute recompute = Recompute::none;
    /// With selective recomputation: which modules (the attention core by default).
    RecomputeModules recompute_modules{};
    /// With full recomputation: the layers of each model chunk (each pipeline stage, or each of its
    /// virtual stages) that recompute, the first ones; the others store their activations
    /// (Megatron-LM --recompute-method block --recompute-num-layers N; torchtitan's layer-level
    /// checkpointing of every second block is half the layers). 0: every layer.
    std::int64_t recompute_layers = 0;
    Optimizer optimizer = Optimizer::plain;
    /// The layers of each pipeline stage, first to last, where the job split them unevenly
    /// (Megatron-LM's and MindSpeed-LLM's --num-layer-list; Megatron-Core's
    /// decoder_first/last_pipeline_num_layers): pp entries of at least 1 summing to the layers, with
    /// virtual_stages 1. Empty: the even split (stage_layers in accounting.hpp).
    std::vector<std::int64_t> layers_per_stage;
    /// Activation offloading to host memory (Megatron-Core's cpu_offloading_num_layers, Transformer Engine's
    /// offload context): every tensor the first N layers save for the backward pass is copied to the host in
    /// the forward pass and back before the layer's backward (docs/models/training.md, "Activation offloading").
    /// 0: none. Needs pp 1, recompute none, N below the layers, a chip with a host link and known host memory.
    std::int64_t offload_layers = 0;

    [[nodiscard]] Recomputation recomputation() const { return {recompute, recompute_modules}; }
    [[nodiscard]] std::int64_t chips() const { return tp * pp * dp * cp; }
    /// Micro-batches per step on each pipeline: global_batch / (micro_batch * dp).
    [[nodiscard]] std::int64_t micro_batches(std::int64_t global_batch) const { return global_batch / (micro_batch * dp); }
    friend bool operator==(const Plan&, const Plan&) = default;
};

/// Whether the plan's layers_per_stage fits it and a workload of `layers` layers: pp entries of at least
/// 1 summing to `layers`. (virtual_stages 1 is checked on its own: plan_problems names it apart.)
bool layers_per_stage_fit(const Plan& p, std::int64_t layers);

/// "tp8 pp8 dp16 v2 mb1 sp full zero1": the plan in one short line (degrees of 1 left out, but dp;
/// "full:4": 4 recomputed layers per model chunk; "selective:layernorm+moe_act": selective
/// recomputation of other modules than the attention core alone; "offload:40": 40 layers' activations
/// offloaded to host memory).
std::string describe(const Plan& p);

/// The parallel dimensions whose collectives a step runs, and the collectives each runs (step.cpp):
/// tp and dp reduce (all-reduce, or reduce-scatter + all-gather), cp gathers keys and values and
/// reduce-scatters their gradients, ep exchanges all-to-all, pp sends.
const std::vector<std::string>& parallel_dimensions();
std::vector<comm::Collective> dimension_collectives(std::string_view dimension);

/// How the job runs, beyond the plan (each a documented switch, not a tuning knob).
struct Execution {
    /// Gradient reduction overlaps the backward pass (Megatron --overlap-grad-reduce, PyTorch DDP
    /// buckets, FSDP). False: it runs after the backward pass (SC21-era Megatron); with zero3, each
    /// micro-batch's parameter gathers and gradient reduce-scatters run between the layers' kernels, exposed.
    bool overlap_grad_reduce = true;
    /// Tensor-parallel collectives overlap the matrix products (Transformer Engine userbuffers).
    bool overlap_tp_comm = false;
    /// The column-parallel products' backward exchanges run asynchronously under their own products (Megatron-LM's
    /// linear layers since 2022, ColumnParallelLinearWithAsyncAllreduce and LinearWithGradAccumulationAndAsyncCommunication;
    /// Transformer Engine's Linear): without sequence parallelism the input gradient's all-reduce under the weight
    /// gradient; with it the input re-gathered for the weight gradient under the input gradient, and the input
    /// gradient's reduce-scatter under the weight gradient. Implied by overlap_tp_comm.
    bool overlap_tp_backward = false;
    /// Expert-parallel all-to-alls (dispatch and combine) overlap another micro-batch's kernels
    /// (DeepSeek-V3's DualPipe, Megatron-Core's --overlap-moe-expert-parallel-comm): false, they
    /// run exposed between the layer's kernels.
    bool overlap_ep_comm = false;
    /// Bytes per gradient element in the data-parallel reduction (4: fp32 main gradients, Megatron's
    /// default for bf16; 2: bf16 reduction).
    double grad_bytes = 4;
    /// Rank order, fastest first: which parallel dimension is adjacent on the topology.
    /// Megatron-Core's default "tp-cp-ep-dp-pp" (tensor parallel inside the scale-up domain first).
    std::vector<std::string> order{"tp", "cp", "ep", "dp", "pp"};
    /// HBM kept free for the framework, fragmentation and communication buffers (fraction of capacity).
    double memory_reserve = 0.1;
    /// FlashAttention-style fused attention (false: Megatron-LM's 2021–22 unfused attention: explicit
    /// s x s scores, softmax and dropout; docs/models/training.md).
    bool flash_attention = true;
    /// The fused attention kernel (with flash_attention): the chip's own (standard), or FlashAttention's
    /// 2022-23 Triton kernel (flash_triton: llm-foundry's attn_impl: triton; the chip's flash_triton figures).
    chip::AttentionKernel attention_kernel = chip::AttentionKernel::standard;
    /// Element-wise work as eager PyTorch runs the Llama reference code (Shard::eager_elementwise; torchtitan
    /// without torch.compile); false: fused kernels (Megatron-LM, Transformer Engine, compiled code).
    bool eager_elementwise = false;
    /// The rotary embedding of queries and keys (rotary workloads; elementwise: eager has torchtitan's own): one fused
    /// kernel each (Megatron's --use-fused-rotary-pos-emb or apply_rope_fusion, Transformer Engine's, torch_npu's
    /// npu_rotary_mul); false: Megatron-LM's unfused apply_rotary_pos_emb_bshd, eager PyTorch kernels
    /// (Shard::fused_rope; docs/models/training.md, "Rotary embedding").
    bool fused_rope = true;
    /// Pipeline sends without sequence parallelism: each tensor-parallel rank sends its 1/t of the activation (or
    /// its gradient) and the receiving stage all-gathers it over its tensor-parallel group (Megatron-LM's
    /// scatter/gather optimisation, SC21 section 4.1, on by default until Megatron-Core; DeepSpeed's pipeline engine
    /// under tensor parallelism); false: the whole tensor from every rank (Megatron-Core). With sequence
    /// parallelism the tensor is already split by t either way.
    bool split_pipeline_sends = false;
    /// How zero3's gathered parameters and gradients are held (FsdpBuffers): their kernels around each gather and
    /// reduction. Other optimizers gather nothing: it does not apply.
    FsdpBuffers fsdp = FsdpBuffers::flat;
    /// How micro-batches' weight gradients are accumulated (plain and zero1; zero2 and zero3 reduce every micro-batch).
    GradAccumulation grad_accumulation = GradAccumulation::fused;
    /// Bytes per element of the expert dispatches, forward and the gradients' in the backward pass (2: bf16;
    /// 1: quantised to FP8 before sending, DeepSeek-V3 §3.3.3). Both combines stay 16-bit.
    double dispatch_bytes = 2;
    /// FP8 matrix products with DeepSeek-V3's block scales (Shard::fp8_block_scaled; needs precision fp8).
    bool fp8_block_scaled = false;
    /// DeepSeek-V3's low-precision activation cache (Shard::fp8_activation_cache; needs precision fp8).
    bool fp8_activation_cache = false;
    /// Per-tensor FP8 with current scaling (Shard::fp8_current_scaling; needs precision fp8, not block scales).
    bool fp8_current_scaling = false;
    /// Collective algorithm per parallel dimension ("tp", "cp", "ep", "pp", "dp" → a registered
    /// algorithm, as NCCL_ALGO forces one): used where it applies, the tuner's choice elsewhere and
    /// for the dimensions not listed.
    std::map<std::string, std::string, std::less<>> algorithms;
};

/// Why `e` cannot run workload `w` (empty: it can): elementwise: eager describes the Llama reference
/// code (RMSNorm, rotary embedding, SwiGLU, grouped-query attention).
std::string elementwise_problem(const catalog::WorkloadSpec& w, const Execution& e);
/// Why `e`'s rotary-embedding kernels cannot apply to `w` (empty: they can): rope: unfused needs rotary positions.
std::string rope_problem(const catalog::WorkloadSpec& w, const Execution& e);
/// Why `plan` cannot offload its `offload_layers` layers of `w` (empty: it can, or offloads none): Megatron-Core's
/// limits (no pipeline parallelism, no recomputation, fewer layers than the model's).
std::string offload_plan_problem(const catalog::WorkloadSpec& w, const Plan& plan);
/// Why chip `c` cannot offload `plan`'s layers (empty: it can, or the plan offloads nothing): it has no host link figure.
std::string host_link_problem(const chip::ChipModel& c, const Plan& plan);
/// Why `plan` cannot offload for want of host memory (empty: it can, or offloads nothing): `holder` ("the system",
/// "system gb200_nvl72") states none.
std::string host_memory_problem(const Plan& plan, bool host_memory_known, std::string_view holder);
/// offload_plan_problem, then host_link_problem.
std::string offload_problem(const chip::ChipModel& c, const catalog::WorkloadSpec& w, const Plan& plan);
/// Why chip `c` cannot run `e`'s attention kernel (empty: it can): flash_triton needs the chip's figures.
std::string attention_kernel_problem(const chip::ChipModel& c, const Execution& e);

struct TrainingSpec {
    std::shared_ptr<const catalog::WorkloadSpec> workload;
    std::int64_t global_batch = 0;  ///< sequences per optimizer step
    std::int64_t seq_len = 0;       ///< tokens per sequence (the workload's unless the scenario says)
    chip::DType precision = chip::DType::bf16;  ///< of the matrix products (bf16 or fp8)
    std::optional<Plan> plan;       ///< empty: search for the best plan
    Execution execution;
};

}  // namespace clustersim::train
