#pragma once
// The kernels one rank runs in one serving step (a prefill batch or a decode step), forward only,
// and what the rank holds: weights and KV cache. Pure functions of a workload and a shape.
// Equations and sources: docs/models/serving.md.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "catalog/workload.hpp"
#include "chip/op_cost.hpp"
#include "train/accounting.hpp"

namespace clustersim::serve {

enum class Phase : std::uint8_t {
    prefill,  ///< prompts processed whole: causal attention over the prompt; MLA decompressed (DeepSeek's prefill form)
    decode,   ///< query_tokens new tokens per sequence against the KV cache; MLA absorbed (FlashMLA)
};

/// What one rank computes in one step.
struct StepShape {
    Phase phase = Phase::decode;
    std::int64_t sequences = 1;     ///< on this rank
    std::int64_t query_tokens = 1;  ///< per sequence: the prompt (prefill) or 1 + draft tokens (decode)
    std::int64_t context = 1;       ///< keys per sequence the attention reads, the new tokens included
    std::int64_t ranks = 1;         ///< of the instance
    std::int64_t tp = 1;
    std::int64_t ep = 1;
    chip::DType weights = chip::DType::bf16;   ///< matrix products and their weights
    bool block_scaled = false;  ///< FP8 weights with block scales (chip::Matmul::block_scaled)
    chip::DType kv_cache = chip::DType::bf16;
    chip::DType attention = chip::DType::bf16;  ///< the attention core's products
    double expert_imbalance = 1.0;  ///< tokens of the most loaded expert rank over the mean
    /// Of the ep ranks, those that hold the shared experts (ServingPlan::shared_expert_ranks; 0: every
    /// rank runs them on its own tokens), and whether this rank is one of them.
    std::int64_t shared_expert_ranks = 0;
    bool holds_shared_experts = false;
    /// The expert dispatch delivers each rank's tokens in arrival order (DeepEP's normal kernels,
    /// a collective library's all-to-all, CloudMatrix's prefill "double routing"): a rank with
    /// several expert slots regroups the received rows by expert before its products and restores
    /// their order before the combine. False: none is exchanged, or the dispatch writes each row
    /// into its expert's buffer (DeepEP's low-latency kernels, CloudMatrix's decode FusedDispatch).
    bool expert_relayout = false;
    /// Each token is copied once per destination into a buffer grouped by destination before the
    /// exchange (a collective library's all-to-all needs it so; with ep 1, the grouping for the expert
    /// products). False: a dispatch library (DeepEP, CloudMatrix's FusedDispatch) reads each token in
    /// place by its expert indices.
    bool permute_before_dispatch = true;
    chip::DType dispatch = chip::DType::bf16;  ///< element type of the dispatched rows
    /// Each 8-bit product's 16-bit input is quantised by a kernel of its own
    /// (ServingExecution::separate_activation_quant); rows of an 8-bit expert exchange (ep > 1) are
    /// quantised once per token before it, unless the dispatch kernels quantise them (dispatch_quantises).
    bool separate_quant = false;

    /// The dispatch kernels write each row into its expert's buffer and quantise it themselves (a dispatch
    /// library's low-latency kernels: DeepEP's, CloudMatrix's FusedDispatch in decode; set_dispatch_layout).
    [[nodiscard]] bool dispatch_quantises() const { return !permute_before_dispatch && !expert_relayout; }
    [[nodiscard]] std::int64_t tokens() const { return sequences * query_tokens; }
    /// Expert tensor parallelism: ranks / ep ranks share each expert.
    [[nodiscard]] std::int64_t expert_tp() const { return ranks / ep; }
};

/// How an expert exchange lays the rows out around it (StepShape::permute_before_dispatch and
/// expert_relayout): `library` is a dispatch library (the one_sided algorithm: DeepEP, CloudMatrix's
/// FusedDispatch), which reads each token in place; its `low_latency` kernels write each row into
/// its expert's buffer, its normal kernels (and a collective library's all-to-all) deliver rows in
/// arrival order. The hierarchical path is the library's normal kernels.
void set_dispatch_layout(StepShape& s, bool library, bool low_latency);

/// A layer's kernels on one rank, in order, and the weight bytes they read (the layer's weights
/// on this rank: every weight is read once per step).
struct LayerKernels {
    std::vector<chip::Operation> ops;
    double weight_bytes = 0;
    /// In a MoE layer, ops[0, dispatch_at) run before the expert dispatch (attention block, router, quantisation,
    /// permute) and the rest after it (expert products, combine, shared experts): the stages a two-batch overlap
    /// pairs with the other micro-batch's exchanges. 0 in a dense layer.
    std::size_t dispatch_at = 0;
};
LayerKernels layer_kernels(const catalog::WorkloadSpec& w, train::LayerKind kind, const StepShape& s);
/// Input embedding lookup, and final norm and output projection (the logits of every query token
/// in decode, of the last token of each prompt in prefill) with sampling. Embedding and output
/// weights are 16-bit (the released FP8 and INT8 checkpoints keep them so); the embedding table is
/// not read by a matrix product but is held: embedding_weight_bytes.
LayerKernels embedding_kernels(const catalog::WorkloadSpec& w, const StepShape& s);
LayerKernels head_kernels(const catalog::WorkloadSpec& w, const StepShape& s);
double embedding_weight_bytes(const catalog::WorkloadSpec& w, std::int64_t tp);

/// KV cache bytes per token per rank over all layers (formulas.md, "Serving"):
///   multi-head and grouped-query attention: 2 L ceil(n_kv / tp) d_head bytes (a rank holds its
///   key-value heads; one replicated head when tp exceeds them);
///   multi-head latent attention: L (d_c + d_rope) bytes, the latent replicated over tp.
double kv_bytes_per_token(const catalog::WorkloadSpec& w, std::int64_t tp, chip::DType kv_cache);

/// Bytes of the largest activation working set of one kernel (inputs and outputs that are not
/// weights), the transient memory a step needs beyond weights and KV cache.
double activation_bytes(const std::vector<chip::Operation>& ops);

}  // namespace clustersim::serve
