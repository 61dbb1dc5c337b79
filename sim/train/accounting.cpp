#include "train/accounting.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <numeric>
#include <optional>
#include <tuple>
#include <utility>

namespace clustersim::train {
namespace {

using catalog::MlpKind;
using catalog::WorkloadSpec;
using chip::Attention;
using chip::DType;
using chip::Matmul;
using chip::MemoryOp;
using chip::Operation;
using chip::named;

double d(std::int64_t x) { return static_cast<double>(x); }
std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return b <= 1 ? a : (a + b - 1) / b; }

// Norms, activations, residuals and stored activations stay 16-bit whatever the matmul precision.
constexpr DType act = DType::bf16;
constexpr double act_bytes = 2.0;

std::int64_t head_dim(const WorkloadSpec& w) {
    if (w.head_dim > 0) return w.head_dim;
    return w.heads > 0 ? w.hidden / w.heads : 0;
}
std::int64_t kv_heads(const WorkloadSpec& w) { return w.kv_heads > 0 ? w.kv_heads : w.heads; }

/// Key-value heads one tensor-parallel rank holds: kv_heads / tp, and one replicated head when
/// there are fewer key-value heads than ranks (Megatron-LM, grouped-query attention).
std::int64_t kv_heads_per_rank(const WorkloadSpec& w, std::int64_t tp) { return std::max<std::int64_t>(1, ceil_div(kv_heads(w), tp)); }

/// Parameters of a normalisation of `n` values: a scale, and a shift for a layer norm (the
/// workloads with biases, GPT-style, use LayerNorm; the others RMSNorm).
double norm_params(const WorkloadSpec& w, std::int64_t n) { return (w.biases ? 2.0 : 1.0) * d(n); }

/// Parameters one rank holds, split by the data-parallel group that replicates them.
struct RankParams {
    double dense = 0;   ///< replicated over dp x cp
    double expert = 0;  ///< routed experts: replicated over dp x cp / ep
    [[nodiscard]] double total() const { return dense + expert; }
};

/// Attention of one layer on one tensor-parallel rank (tp = 1: the whole layer). Column-parallel
/// weights and biases are split by tp, the output projection's bias and the norms are replicated,
/// and so are MLA's down projections and latent norms (Megatron-Core builds them "duplicated").
double attention_params(const WorkloadSpec& w, std::int64_t tp) {
    const double h = d(w.hidden);
    const std::int64_t heads = ceil_div(w.heads, tp);
    const double bias = w.biases ? 1.0 : 0.0;
    if (w.mla) {
        const auto& m = *w.mla;
        const double qk = d(m.qk_nope_head_dim + m.qk_rope_head_dim);
        const double q_out = d(heads) * qk;
        const double kv_out = d(heads) * d(m.qk_nope_head_dim + m.v_head_dim);
        double p = 0;
        if (m.q_lora_rank > 0) {
            const double r = d(m.q_lora_rank);
            p += h * r + bias * r + norm_params(w, m.q_lora_rank) + r * q_out + bias * q_out;
        } else {
            p += h * q_out + bias * q_out;
        }
        const double kv_down = d(m.kv_lora_rank + m.qk_rope_head_dim);
        p += h * kv_down + bias * kv_down + norm_params(w, m.kv_lora_rank);
        p += d(m.kv_lora_rank) * kv_out + bias * kv_out;
        p += d(heads) * d(m.v_head_dim) * h + bias * h;
        return p;
    }
    const double q = d(heads * head_dim(w));
    const double kv = d(kv_heads_per_rank(w, tp) * head_dim(w));
    return h * (q + 2 * kv) + q * h + bias * (q + 2 * kv + h);
}

/// A dense MLP of `ffn` (per gate/up projection) on one tensor-parallel rank.
double mlp_params(const WorkloadSpec& w, std::int64_t ffn, std::int64_t tp) {
    const double h = d(w.hidden);
    const double f = d(ceil_div(ffn, tp));
    const double up = w.mlp == MlpKind::swiglu ? 2.0 : 1.0;  // gate and up, or up
    return (up + 1.0) * h * f + (w.biases ? up * f + h : 0.0);
}

/// One layer on one rank. Routed experts: experts / ep of them, each split by tp (Megatron-Core's
/// default expert tensor parallelism, --expert-tensor-parallel-size = tp). The router is replicated.
RankParams layer_params(const WorkloadSpec& w, LayerKind kind, std::int64_t tp, std::int64_t ep) {
    RankParams p;
    p.dense = attention_params(w, tp) + 2 * norm_params(w, w.hidden);
    if (kind == LayerKind::dense || !w.moe) {
        p.dense += mlp_params(w, w.ffn, tp);
        return p;
    }
    const auto& moe = *w.moe;
    p.dense += d(w.hidden) * d(moe.experts) + (w.biases ? d(moe.experts) : 0.0);
    if (moe.shared_experts > 0) p.dense += mlp_params(w, moe.shared_experts * moe.expert_ffn, tp);
    p.expert = d(ceil_div(moe.experts, ep)) * mlp_params(w, moe.expert_ffn, tp);
    return p;
}

double embedding_params(const WorkloadSpec& w, std::int64_t tp) {
    // Vocabulary-parallel table (Megatron-LM); the learned position table is replicated.
    const double positions = w.positions == catalog::PositionKind::learned ? d(w.seq_len) * d(w.hidden) : 0.0;
    return d(ceil_div(w.vocab, tp)) * d(w.hidden) + positions;
}
double output_params(const WorkloadSpec& w, std::int64_t tp) { return d(ceil_div(w.vocab, tp)) * d(w.hidden); }

// --- Kernels -------------------------------------------------------------------------------------

/// Softmax of `elements` 16-bit logits into FP32 probabilities kept for the backward pass (the
/// router, and the vocabulary-parallel cross-entropy of Megatron-LM): max, subtract, exp, sum, divide.
MemoryOp softmax(std::int64_t elements) {
    const double n = d(elements);
    return {n * (act_bytes + 4.0), 5.0 * n, {}};
}

/// Eager PyTorch's element-wise kernels (Shard::eager_elementwise), per element in bytes read + written,
/// from the aten ops of torchtitan's Llama code (pytorch/torchtitan torchtitan/models/norms.py and
/// models/llama/model.py, 2024; docs/research/eager-elementwise.md section 2), bf16 activations, fp32 casts.
/// Each entry is one kernel; `grad` lists the kernels of its backward (autograd's formulas).
struct EagerKernel {
    double bytes;                  ///< per element (or per row, for `per_row`)
    std::vector<double> grad;      ///< per element, one entry per backward kernel
    bool per_row = false;          ///< a (tokens x 1) row statistic: bytes per row
};
/// RMSNorm: x.float(), pow(2), mean(-1), + eps, rsqrt, x * r, type_as(x), * weight: 36 B per element
/// forward (+ eps and rsqrt on a row each); backward 92 B per element in 9 kernels (MulBackward 12,
/// ToCopy 6, MulBackward 24, MeanBackward 4, PowBackward 12 + 8 + 8, the accumulation of the two paths
/// into x.float() 12, ToCopy 6) and rsqrt's row kernel (the + eps passes its gradient through). Saves
/// the fp32 input and the bf16 normalised output: 6 B per element.
const std::vector<EagerKernel>& eager_rmsnorm() {
    static const std::vector<EagerKernel> k{{6, {12, 6}}, {8, {12, 8, 8}}, {4, {4}},     {8, {}, true},
                                            {8, {8}, true}, {8, {24}},       {6, {6}}, {4, {12}}};
    return k;
}
constexpr double eager_rmsnorm_stored = 6.0;
/// SwiGLU: silu(g) (read 2, write 2), s * u (read 4, write 2); backward grad * u and grad * s (6 each),
/// silu_backward (6). Saves g, s and u: 6 B per element.
const std::vector<EagerKernel>& eager_swiglu() {
    static const std::vector<EagerKernel> k{{4, {6}}, {6, {6, 6}}};
    return k;
}
constexpr double eager_swiglu_stored = 6.0;
/// Rotary embedding of q or k through complex64: .float() (6), the complex multiply (8), type_as (6);
/// the backward mirrors it. Saves nothing per element (freqs_cis only).
const std::vector<EagerKernel>& eager_rotary() {
    static const std::vector<EagerKernel> k{{6, {6}}, {8, {8}}, {6, {6}}};
    return k;
}

/// Rotary embedding of q or k in 16 bits (Shard::fused_rope). Fused (Transformer Engine's or Apex's kernel under
/// Megatron's apply_rope_fusion or --use-fused-rotary-pos-emb, torch_npu's npu_rotary_mul): read and write each
/// element once, and the same on its gradient. Unfused: Megatron-LM's apply_rotary_pos_emb_bshd
/// (megatron/core/models/common/embeddings/rotary_pos_embedding.py, 2024) in eager PyTorch, cos and sin cast to
/// the tensor's 16 bits first: t * cos (4), rotate_half's -x2 on half the elements (2) and cat((-x2, x1)) (4),
/// * sin (4), the sum (6), cat((t, t_pass)) with an empty t_pass (4): 24 B forward in 6 kernels; autograd's
/// backward: grad * sin (4), its negation on half (2), chunk's backward cat (4), grad * cos (4), the two paths'
/// sum (6), the empty t_pass slice's zero gradient (2) and its sum into t's (6): 28 B in 7 kernels (the full
/// t[..., :rot_dim] slice is t itself: no kernel). Neither saves anything per element (cos and sin only).
const std::vector<EagerKernel>& fused_rotary() {
    static const std::vector<EagerKernel> k{{4, {4}}};
    return k;
}
const std::vector<EagerKernel>& unfused_rotary() {
    static const std::vector<EagerKernel> k{{4, {4}}, {2, {2}}, {4, {4}}, {4, {4}}, {6, {6}}, {4, {2, 6}}};
    return k;
}

/// Backward of the embedding lookup: scatter-add of the rows' gradients into the table's gradient
/// (read the gradient, read and write the table rows).
MemoryOp scatter_add(std::int64_t tokens, std::int64_t hidden) {
    const double n = d(tokens) * d(hidden);
    return {3.0 * n * act_bytes, n, "embedding"};
}

/// The backward pass of a memory-bound kernel: read the output gradient and the stored input(s),
/// write the input gradient(s): about twice the forward traffic and arithmetic.
MemoryOp backward_of(const MemoryOp& op) { return {2.0 * op.bytes, 2.0 * op.flops, op.name}; }

/// Kernels in order, with the bytes each stores for its own backward pass (a tensor read by
/// several kernels, such as a norm output feeding two projections, is stored once, by the first).
struct Builder {
    std::vector<Operation> ops;
    /// Per kernel: its backward kernels when they are not the generic ones of `backward` (nullopt:
    /// generic; an empty list: none, as a view's or a broadcast scalar's).
    std::vector<std::optional<std::vector<Operation>>> grads;
    std::vector<std::size_t> attention;  ///< indices of the attention core's kernels (selective recomputation)
    /// Products whose input quantisation Transformer Engine fuses with the norm before them (its
    /// LayerNormLinear: QKV and a dense MLP's first product), and row-parallel products (the output projection,
    /// an MLP's last product: their output gradient arrives split by tp under sequence parallelism); for
    /// per-tensor FP8's cast kernels (add_fp8_casts).
    std::vector<std::size_t> norm_fused;
    std::vector<std::size_t> row_parallel;
    double stored = 0;
    double core_stored = 0;  ///< of `stored`: the unfused core's s x s tensors, not kept under selective recomputation
    /// Per kernel: the aten.mm calls it stands for, in forward order (op-level selective
    /// recomputation counts them): a non-batched Matmul is one, a fused projection (Q K V, SwiGLU's
    /// gate and up) the separate ones of torchtitan's model; empty: none (memory-bound kernels, the
    /// attention core, batched or grouped products).
    std::vector<std::vector<Matmul>> mms;
    /// Per selective-recomputation module (RecomputeModule order; core_attn is `attention` and
    /// `core_stored`): the kernels it re-runs and the stored bytes it frees.
    struct Module {
        std::vector<std::size_t> ops;
        double freed = 0;
    };
    std::array<Module, all_recompute_modules.size()> modules;
    /// The kernels added since index `from` belong to module `m`.
    void tag(RecomputeModule m, std::size_t from) {
        for (std::size_t i = from; i < ops.size(); ++i) modules[static_cast<std::size_t>(m)].ops.push_back(i);
    }
    void frees(RecomputeModule m, double bytes) { modules[static_cast<std::size_t>(m)].freed += bytes; }
    /// Stored bytes selective recomputation of `set` does not keep.
    [[nodiscard]] double freed(RecomputeModules set) const {
        double out = set.has(RecomputeModule::core_attn) ? core_stored : 0.0;
        for (const auto m : all_recompute_modules)
            if (m != RecomputeModule::core_attn && set.has(m)) out += modules[static_cast<std::size_t>(m)].freed;
        return out;
    }
    /// Stored bytes under recomputation `r` by module (selective: less what its modules free; none: all).
    [[nodiscard]] double kept(Recomputation r) const {
        return r.granularity == Recompute::selective ? stored - freed(r.modules) : stored;
    }
    /// The kernels selective recomputation of `set` re-runs, in forward order.
    [[nodiscard]] std::vector<Operation> recomputed(RecomputeModules set) const {
        std::vector<std::size_t> at;
        if (set.has(RecomputeModule::core_attn)) at = attention;
        for (const auto m : all_recompute_modules)
            if (m != RecomputeModule::core_attn && set.has(m)) {
                const auto& more = modules[static_cast<std::size_t>(m)].ops;
                at.insert(at.end(), more.begin(), more.end());
            }
        std::sort(at.begin(), at.end());
        at.erase(std::unique(at.begin(), at.end()), at.end());
        std::vector<Operation> out;
        out.reserve(at.size());
        for (const std::size_t i : at) out.push_back(ops[i]);
        return out;
    }
    void reserve(std::size_t kernels) {
        ops.reserve(kernels);
        grads.reserve(kernels);
        mms.reserve(kernels);
    }
    void mark_norm_fused() { norm_fused.push_back(ops.size() - 1); }
    void mark_row_parallel() { row_parallel.push_back(ops.size() - 1); }
    void add(Operation op, double stored_bytes) {
        std::vector<Matmul> parts;
        if (const auto* mm = std::get_if<Matmul>(&op); mm && mm->batch == 1) parts.push_back(*mm);
        add_split(std::move(op), stored_bytes, std::move(parts));
    }
    /// A kernel standing for the aten.mm calls `parts` (empty: none, as a grouped product).
    void add_split(Operation op, double stored_bytes, std::vector<Matmul> parts) {
        if (std::holds_alternative<Attention>(op)) attention.push_back(ops.size());
        ops.push_back(std::move(op));
        grads.emplace_back();
        mms.push_back(std::move(parts));
        stored += stored_bytes;
    }
    /// A kernel of the unfused attention core: `score_bytes` of s x s tensors stored (recomputed
    /// under selective recomputation), and its own backward kernels (empty: the generic ones).
    void add_core(Operation op, double stored_bytes, double score_bytes, std::vector<Operation> grad = {}) {
        attention.push_back(ops.size());
        ops.push_back(std::move(op));
        if (grad.empty()) {
            grads.emplace_back();
        } else {
            grads.emplace_back(std::move(grad));
        }
        mms.emplace_back();  // batched products (aten.bmm), not aten.mm
        stored += stored_bytes + score_bytes;
        core_stored += score_bytes;
    }
};

/// Adds eager kernels over `elements` (and `rows` for the row statistics), each named `name`; `stored` is what
/// they keep.
void add_eager(Builder& b, const std::vector<EagerKernel>& kernels, double elements, double rows, double stored,
               std::string_view name) {
    for (std::size_t i = 0; i < kernels.size(); ++i) {
        const auto& k = kernels[i];
        const double n = k.per_row ? rows : elements;
        std::vector<Operation> grad;
        for (const double g : k.grad) grad.emplace_back(MemoryOp{g * n, n, name});
        b.add(MemoryOp{k.bytes * n, n, name}, i == 0 ? stored : 0.0);
        b.grads.back() = std::move(grad);
    }
}

/// What one rank sees of a layer.
struct Dims {
    std::int64_t tokens = 0;       ///< micro_batch * seq_len / cp: the rows of every matmul
    std::int64_t norm_tokens = 0;  ///< tokens / tp with sequence parallelism: norms, residuals, dropout
    std::int64_t heads = 0;        ///< query heads on this rank
    double in_bytes = 2;           ///< bytes per stored matmul input (the matmul dtype: Transformer Engine keeps the FP8 cast)
    DType dtype = DType::bf16;
};

Dims dims(const WorkloadSpec& w, const Shard& s) {
    Dims x;
    x.tokens = s.micro_batch * (s.seq_len / std::max<std::int64_t>(1, s.cp));
    x.norm_tokens = s.sequence_parallel ? ceil_div(x.tokens, s.tp) : x.tokens;
    x.heads = ceil_div(w.heads, s.tp);
    x.in_bytes = std::min(act_bytes, chip::bytes_per_element(s.dtype));
    x.dtype = s.dtype;
    return x;
}

/// The attention core with context parallelism: the rank holds seq_len / cp queries. Megatron-Core
/// splits the sequence into 2 cp chunks and gives rank r chunks r and 2cp-1-r, so every rank does
/// the same causal work, s (s + 1) / (2 cp) query-key pairs per head; a causal Attention of
/// c = s / cp queries against s (cp + 1) / (2 cp) keys has exactly that many pairs
/// (c * kv - c (c - 1) / 2). cp = 1: a plain causal prefill.
Attention attention_core(const Shard& s, std::int64_t heads_q, std::int64_t heads_kv, std::int64_t hd, std::int64_t hd_v = 0) {
    const std::int64_t cp = std::max<std::int64_t>(1, s.cp);
    Attention a;
    a.batch = s.micro_batch;
    a.heads_q = heads_q;
    a.heads_kv = heads_kv;
    a.head_dim = hd;
    a.head_dim_v = hd_v;
    a.seq_q = s.seq_len / cp;
    a.seq_kv = cp == 1 ? s.seq_len : ceil_div(s.seq_len * (cp + 1), 2 * cp);
    // Transformer Engine's load-balanced ring runs one kernel per step, forward and backward: the diagonal
    // step (causal), then cp - 1 unmasked ones, which on the rank that sets the pace take all its queries
    // against half the visiting keys (ranks below the step take half the queries against all of them).
    a.query_passes = cp;
    a.causal = true;
    a.pass = chip::Pass::forward;
    // 16-bit under FP8 training too: Transformer Engine's FP8 recipe keeps dot-product attention in BF16
    // (FP8 attention is opt-in), as DeepSeek-V3 keeps its attention operators (arXiv 2412.19437 §3.3).
    a.dtype = s.sixteen_bit;
    a.kernel = s.attention_kernel;
    return a;
}

/// Megatron-LM's unfused attention core (2021-22, before FlashAttention; ParallelAttention /
/// CoreAttention): B = micro_batch x local query heads batched products over the full s x s scores
/// (no causal skipping; grouped-query attention broadcasts each group's K and V to its query heads),
/// in 16-bit whatever the matmul precision (Transformer Engine's FP8 covers the linear layers only):
///   Q K^T: Matmul s_q x s_kv x d (writes the 16-bit scores);
///   fused scale + causal mask + softmax: read and write s^2 in 16-bit (4 bytes per score), 6 FLOPs
///     (scale, max, subtract, exp, sum, divide); stores its output y for the backward;
///   dropout (p = 0.1): read s^2, write s^2 and a 1-byte mask (5 bytes), 2 FLOPs (compare, scale);
///     stores the mask and its output (P V's input);
///   P V: Matmul s_q x d x s_kv.
/// Backward (reverse order): P V's two gradient products (generic), the dropout backward (read dy
/// and the mask, write dx: 5 bytes, 2 FLOPs), the softmax backward (read y and dy, write dx: 6 bytes,
/// 5 FLOPs: dx = scale y (dy - sum y dy)), Q K^T's two gradient products. Stored s x s tensors:
/// 2 + 1 + 2 = 5 bytes per score, Korthikanti et al.'s 5 a s^2 b. Q, K, V (and O, stored for the
/// output projection) are `qkvo`, as with FlashAttention. With context parallelism (no such runs)
/// the rank's s / cp queries meet all s keys, so the cp ranks together do the s^2 pairs once.
void unfused_attention(const Shard& s, std::int64_t heads_q, std::int64_t hd, double qkvo, Builder& b) {
    const std::int64_t sq = s.seq_len / std::max<std::int64_t>(1, s.cp);
    const std::int64_t skv = s.seq_len;
    const std::int64_t batch = s.micro_batch * heads_q;
    const double n = d(batch) * d(sq) * d(skv);  // scores
    b.add_core(named(Matmul{sq, skv, hd, batch, act}, "attention_scores"), qkvo, 0.0);
    b.add_core(MemoryOp{4.0 * n, 6.0 * n, "attention_softmax"}, 0.0, 2.0 * n, {MemoryOp{6.0 * n, 5.0 * n, "attention_softmax"}});
    b.add_core(MemoryOp{5.0 * n, 2.0 * n, "attention_dropout"}, 0.0, 3.0 * n, {MemoryOp{5.0 * n, 2.0 * n, "attention_dropout"}});
    b.add_core(named(Matmul{sq, hd, skv, batch, act}, "attention_context"), 0.0, 0.0);
}

/// A pre-norm (RMSNorm, or LayerNorm with biases) of `tokens` rows of h: one fused kernel, or eager
/// PyTorch's eight (RMSNorm; PyTorch's LayerNorm is one aten kernel either way). Returns what it stores
/// beyond its 16-bit input (eager autograd's intermediates), which an output-discarding checkpoint of
/// it does not keep.
double add_norm(const WorkloadSpec& w, const Shard& s, std::int64_t tokens, std::int64_t h, Builder& b, std::string_view name) {
    const double elements = d(tokens) * d(h);
    if (s.eager_elementwise && !w.biases) {
        add_eager(b, eager_rmsnorm(), elements, d(tokens), elements * eager_rmsnorm_stored, name);
        return elements * (eager_rmsnorm_stored - act_bytes);
    }
    b.add(named(chip::normalization(tokens * h, act), name), elements * act_bytes);
    return 0.0;
}

/// The SwiGLU activation over `elements` (tokens x FFN width): one fused kernel, or eager silu and mul.
/// Its two inputs are stored in `cached_bytes` per value. Returns what it stores beyond them, as add_norm.
double add_swiglu(const Shard& s, double elements, Builder& b, std::string_view name, double cached_bytes = act_bytes) {
    if (s.eager_elementwise) {
        add_eager(b, eager_swiglu(), elements, 0.0, elements * eager_swiglu_stored, name);
        return elements * (eager_swiglu_stored - 2.0 * act_bytes);
    }
    b.add(named(chip::swiglu(static_cast<std::int64_t>(elements), act), name), 2.0 * elements * cached_bytes);
    return 0.0;
}

/// The rotary embedding of `elements` query or key values (tokens x heads x rotated dimensions), fused or
/// unfused (Shard::fused_rope); it stores nothing per element.
void add_rotary(const Shard& s, double elements, Builder& b, std::string_view name) {
    add_eager(b, s.fused_rope ? fused_rotary() : unfused_rotary(), elements, 0.0, 0.0, name);
}

/// Bytes per value of the attention output kept for FlashAttention's backward pass, and of its copy
/// for the output projection (0: none). Fused attention: 16-bit and, under FP8 products, a 1-byte
/// cast; with DeepSeek-V3's activation cache one 12-bit (E5M6) copy both read. The unfused core's
/// backward does not read its output: only the projection's input is kept, in its element size.
std::pair<double, double> attention_output_bytes(const Shard& s, double in_bytes) {
    if (!s.flash_attention) return {0.0, in_bytes};
    if (s.fp8_activation_cache && in_bytes < act_bytes) return {1.5, 0.0};
    return {act_bytes, in_bytes < act_bytes ? in_bytes : 0.0};
}

/// A dense MLP (or the shared experts) of `ffn` on `x.tokens` rows, split by tp. `input_stored`:
/// whether its input (the norm output) is already stored by another kernel.
void mlp(const WorkloadSpec& w, const Shard& s, const Dims& x, std::int64_t ffn, bool input_stored, Builder& b,
         const MlpNames& names, double cached_bytes = act_bytes) {
    const std::int64_t f = ceil_div(ffn, s.tp);
    const std::int64_t h = w.hidden;
    const double in = input_stored ? 0.0 : d(x.norm_tokens) * d(h) * x.in_bytes;
    if (w.mlp == MlpKind::swiglu) {
        // One kernel for the gate and up projections; torchtitan's w1 then w3.
        const Matmul gate = named(Matmul{x.tokens, f, h, 1, x.dtype}, names.gate);
        b.add_split(named(Matmul{x.tokens, 2 * f, h, 1, x.dtype}, names.gate_up), in, {gate, named(gate, names.up)});
        if (!input_stored) b.mark_norm_fused();
        add_swiglu(s, d(x.tokens) * d(f), b, names.swiglu, cached_bytes);
    } else {
        b.add(named(Matmul{x.tokens, f, h, 1, x.dtype}, names.up), in);
        if (!input_stored) b.mark_norm_fused();
        b.add(named(chip::gelu(x.tokens * f, act), names.gelu), d(x.tokens) * d(f) * act_bytes);
    }
    b.add(named(Matmul{x.tokens, h, f, 1, x.dtype}, names.down), d(x.tokens) * d(f) * x.in_bytes);
    b.mark_row_parallel();
}

/// The forward kernels of one layer (pre-norm decoder), with what each stores for the backward.
/// `dropout`: two dropout masks (1 byte per element) after attention and MLP, as Korthikanti et al. count.
Builder forward_layer(const WorkloadSpec& w, LayerKind kind, const Shard& s, bool dropout) {
    const Dims x = dims(w, s);
    const std::int64_t h = w.hidden;
    const std::int64_t T = x.tokens;
    const double residual_elems = d(x.norm_tokens) * d(h);
    const double norm_out = residual_elems * x.in_bytes;  // the norm output, stored by the matmul it feeds
    Builder b;
    b.reserve(48);  // a layer's kernels (eager element-wise work: about 40): one allocation each

    // Attention block. Recomputing the pre-norms (layernorm) frees the norm output its first product stores
    // (and eager autograd's intermediates: the checkpointed norm runs without autograd).
    const double attn_norm_extra = add_norm(w, s, x.norm_tokens, h, b, "attention_norm");
    b.tag(RecomputeModule::layernorm, 0);
    b.frees(RecomputeModule::layernorm, norm_out + attn_norm_extra);
    if (w.mla) {
        // DeepSeek-V3 (arXiv 2412.19437, section 2.1.1): q = W_uq norm(W_dq x), [c_kv, k_rope] = W_dkv x,
        // [k_nope, v] = W_ukv norm(c_kv). Down projections replicated over tp, up projections split.
        // Recomputing the up-projections (mla_up_proj: the latent norms, the up-projections and RoPE, from
        // the stored latents) frees the up-projections' inputs and the core's Q, K and V.
        const auto& m = *w.mla;
        const std::int64_t qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
        const auto up = RecomputeModule::mla_up_proj;
        if (m.q_lora_rank > 0) {
            b.add(named(Matmul{T, m.q_lora_rank, h, 1, x.dtype}, "q_down"), norm_out);
            const std::size_t q_up = b.ops.size();
            b.add(named(chip::normalization(T * m.q_lora_rank, act), "q_norm"), d(T) * d(m.q_lora_rank) * act_bytes);
            b.add(named(Matmul{T, x.heads * qk, m.q_lora_rank, 1, x.dtype}, "q_up"), d(T) * d(m.q_lora_rank) * x.in_bytes);
            b.tag(up, q_up);
            b.frees(up, d(T) * d(m.q_lora_rank) * x.in_bytes);
            b.add(named(Matmul{T, m.kv_lora_rank + m.qk_rope_head_dim, h, 1, x.dtype}, "kv_down"), 0.0);
        } else {
            b.add(named(Matmul{T, x.heads * qk, h, 1, x.dtype}, "q"), norm_out);
            b.tag(up, b.ops.size() - 1);
            b.add(named(Matmul{T, m.kv_lora_rank + m.qk_rope_head_dim, h, 1, x.dtype}, "kv_down"), 0.0);
        }
        const std::size_t kv_up = b.ops.size();
        b.add(named(chip::normalization(T * m.kv_lora_rank, act), "kv_norm"), d(T) * d(m.kv_lora_rank) * act_bytes);
        b.add(named(Matmul{T, x.heads * (m.qk_nope_head_dim + m.v_head_dim), m.kv_lora_rank, 1, x.dtype}, "kv_up"),
              d(T) * d(m.kv_lora_rank) * x.in_bytes);
        // RoPE on the decoupled parts: every head's query part and the one key part all heads share.
        if (w.positions == catalog::PositionKind::rotary && m.qk_rope_head_dim > 0) {
            add_rotary(s, d(T) * d(x.heads) * d(m.qk_rope_head_dim), b, "rotary_q");
            add_rotary(s, d(T) * d(m.qk_rope_head_dim), b, "rotary_k");
        }
        b.tag(up, kv_up);
        b.frees(up, d(T) * d(m.kv_lora_rank) * x.in_bytes + d(T) * d(x.heads) * d(2 * qk + m.v_head_dim) * act_bytes);
        // The core with query/key head size qk and value head size v: 2 qk + 2 v FLOPs per pair.
        const auto [o_bytes, cast_bytes] = attention_output_bytes(s, x.in_bytes);
        const double o = d(T) * d(x.heads * m.v_head_dim);
        const double qkv_o = d(T) * d(x.heads) * d(2 * qk + m.v_head_dim) * act_bytes + o * o_bytes;  // Q, K, V, O
        b.add(named(attention_core(s, x.heads, x.heads, qk, m.v_head_dim), "attention"), qkv_o);
        b.add(named(Matmul{T, h, x.heads * m.v_head_dim, 1, x.dtype}, "out_proj"), o * cast_bytes);
        b.mark_row_parallel();
    } else {
        const std::int64_t hd = head_dim(w);
        const std::int64_t kvh = kv_heads_per_rank(w, s.tp);
        // One kernel for Q, K and V; torchtitan's wq, wk, wv.
        const Matmul k = named(Matmul{T, kvh * hd, h, 1, x.dtype}, "k");
        b.add_split(named(Matmul{T, (x.heads + 2 * kvh) * hd, h, 1, x.dtype}, "qkv"), norm_out,
                    {named(Matmul{T, x.heads * hd, h, 1, x.dtype}, "q"), k, named(k, "v")});
        b.mark_norm_fused();
        // FlashAttention keeps Q, K, V and O (the output projection's input, stored once) and no
        // score matrix: Korthikanti's 5 a s / h term is gone. The unfused core keeps the same and
        // its s x s tensors.
        const auto [o_bytes, cast_bytes] = attention_output_bytes(s, x.in_bytes);
        const double o = d(T) * d(x.heads * hd);
        double qkvo = d(T) * d(x.heads + 2 * kvh) * d(hd) * act_bytes + o * o_bytes;
        if (s.eager_elementwise) {
            // Rotary embedding of q and k through complex64, then repeat_kv: K and V copied to every
            // query head (read kv, write the full width), which the attention then saves at full width.
            add_eager(b, eager_rotary(), d(T) * d(x.heads) * d(hd), 0.0, 0.0, "rotary_q");
            add_eager(b, eager_rotary(), d(T) * d(kvh) * d(hd), 0.0, 0.0, "rotary_k");
            if (kvh < x.heads) {
                const double copy = d(T) * d(kvh + x.heads) * d(hd) * act_bytes;
                for (int copies = 0; copies < 2; ++copies) {
                    b.add(MemoryOp{copy, 0.0, "repeat_kv"}, 0.0);
                    b.grads.back() = {MemoryOp{copy, 0.0, "repeat_kv"}};  // expand's backward: a sum over the copies
                }
                qkvo += 2.0 * d(T) * d(x.heads - kvh) * d(hd) * act_bytes;
            }
        } else if (w.positions == catalog::PositionKind::rotary) {
            add_rotary(s, d(T) * d(x.heads) * d(hd), b, "rotary_q");
            add_rotary(s, d(T) * d(kvh) * d(hd), b, "rotary_k");
        }
        if (s.flash_attention) {
            // Eager repeat_kv hands the kernel K and V copied to every query head: it reads them at that width.
            const bool copied = s.eager_elementwise && kvh < x.heads;
            b.add(named(attention_core(s, x.heads, copied ? x.heads : kvh, hd), "attention"), qkvo);
        } else {
            unfused_attention(s, x.heads, hd, qkvo, b);
        }
        b.add(named(Matmul{T, h, x.heads * hd, 1, x.dtype}, "out_proj"), o * cast_bytes);
        b.mark_row_parallel();
    }
    const double mask = dropout ? residual_elems : 0.0;
    b.add(named(chip::elementwise(x.norm_tokens * h, act), "attention_residual"), mask);

    // MLP block: its first products (the router and the shared experts, or the dense MLP) store the norm output.
    const std::size_t mlp_norm = b.ops.size();
    const double mlp_norm_extra = add_norm(w, s, x.norm_tokens, h, b, "mlp_norm");
    b.tag(RecomputeModule::layernorm, mlp_norm);
    b.frees(RecomputeModule::layernorm, norm_out + mlp_norm_extra);
    if (kind == LayerKind::moe && w.moe) {
        const auto& moe = *w.moe;
        // Router on this rank's tokens (split by tp with sequence parallelism), replicated weights; 16-bit
        // under FP8 training (DeepSeek-V3 §3.3: the gating modules keep their precision).
        b.add(named(Matmul{x.norm_tokens, moe.experts, h, 1, s.sixteen_bit}, "router"), norm_out);
        b.add(named(softmax(x.norm_tokens * moe.experts), "router_softmax"), d(x.norm_tokens) * d(moe.experts) * 4.0);
        const std::int64_t routed_here = x.norm_tokens * moe.top_k;
        b.add(named(chip::embedding(routed_here, h, act), "permute"), 0.0);  // gather each token once per expert
        // Balanced routing: the rank's experts / ep experts receive tokens * top_k rows in all,
        // one batched (grouped) product per projection, the expert FFN split by tp.
        const std::int64_t local = ceil_div(moe.experts, std::max<std::int64_t>(1, s.ep));
        const std::int64_t rows = ceil_div(T * moe.top_k, local);
        const std::int64_t f = ceil_div(moe.expert_ffn, s.tp);
        const double routed = d(local) * d(rows);
        // Rows received from other ranks arrive in source order: a rank with several experts regroups
        // them by expert before its products and restores their order after (Megatron-Core's
        // sort_chunks_by_idxs in its all-to-all dispatcher, whose permute before the exchange is the one
        // above), the first copy in the dispatch's element size; each backward is the inverse
        // permutation of the 16-bit gradients.
        const bool relayout = s.ep > 1 && local > 1;
        const double relayout_elems = routed * d(h);
        auto regroup = [&](double element_bytes, std::string_view name) {
            b.add(MemoryOp{2.0 * relayout_elems * element_bytes, 0.0, name}, 0.0);
            b.grads.back() = std::vector<Operation>{MemoryOp{2.0 * relayout_elems * act_bytes, 0.0, name}};
        };
        if (relayout) regroup(s.dispatch_bytes, "regroup");
        // Grouped products (torch._grouped_mm in torchtitan): not aten.mm. Recomputing the activation
        // function (moe_act) frees its output, the down projection's stored input.
        // DeepSeek-V3's cache keeps the MoE's SwiGLU inputs (routed and shared experts) in FP8.
        const double cached = s.fp8_activation_cache ? x.in_bytes : act_bytes;
        if (w.mlp == MlpKind::swiglu) {
            b.add_split(named(Matmul{rows, 2 * f, h, local, x.dtype}, routed_mlp.gate_up), routed * d(h) * x.in_bytes, {});
            const std::size_t act_fn = b.ops.size();
            b.frees(RecomputeModule::moe_act, add_swiglu(s, routed * d(f), b, routed_mlp.swiglu, cached));
            b.tag(RecomputeModule::moe_act, act_fn);
        } else {
            b.add_split(named(Matmul{rows, f, h, local, x.dtype}, routed_mlp.up), routed * d(h) * x.in_bytes, {});
            b.add(named(chip::gelu(local * rows * f, act), routed_mlp.gelu), routed * d(f) * act_bytes);
            b.tag(RecomputeModule::moe_act, b.ops.size() - 1);
        }
        b.frees(RecomputeModule::moe_act, routed * d(f) * x.in_bytes);
        b.add_split(named(Matmul{rows, h, f, local, x.dtype}, routed_mlp.down), routed * d(f) * x.in_bytes, {});
        if (relayout) regroup(act_bytes, "unregroup");
        // Combine. The routing weights multiply the experts' activation output, not their outputs
        // (Megatron-Core's grouped MLP since 0.13, activation_func_with_probs: "memory efficient token
        // permutation"), so no expert output is kept for their gradient: only the FP32 weights of the rows
        // received, the activation's input being stored already.
        b.add(named(chip::combine(routed_here, x.norm_tokens, h, act), "combine"), routed * 4.0);
        if (moe.shared_experts > 0) mlp(w, s, x, moe.shared_experts * moe.expert_ffn, true, b, shared_mlp, cached);
    } else {
        mlp(w, s, x, w.ffn, false, b, dense_mlp);
    }
    b.add(named(chip::elementwise(x.norm_tokens * h, act), "mlp_residual"), mask);
    return b;
}

/// Op-level selective activation checkpointing as torchtitan applies it to each transformer block
/// (torchtitan apply_ac / _apply_ac_to_transformer_block, selective_ac_option "op"; PyTorch's
/// create_selective_checkpoint_contexts). Its policy, with a counter per block (a fresh one each
/// time the checkpointed block runs): every aten.mm increments the counter and its output is saved
/// unless the count is even; the outputs of the flash / memory-efficient attention (and of
/// reduce_scatter and max) are saved; everything else is recomputed in the backward pass.
/// So, in forward order, the 1st, 3rd, 5th ... aten.mm of the layer are saved and the 2nd, 4th ...
/// recomputed (a Llama layer, wq wk wv wo w1 w3 w2: wk, wo and w3 recomputed), with every
/// memory-bound kernel (norms, rotary embedding, SwiGLU, residual adds) and the unfused core (its
/// products are aten.bmm); FlashAttention's core is saved. Stored: the layer's input (the
/// checkpoint's input) and the saved outputs (16-bit; the attention's with its FP32 log-sum-exp),
/// from which the backward pass rebuilds everything else; dropout masks are not kept (rebuilt).
struct SelectiveOp {
    std::vector<Operation> recompute;
    double stored = 0;
};
SelectiveOp selective_op(const Builder& b, double layer_input_bytes) {
    SelectiveOp out;
    out.stored = layer_input_bytes;
    int count = 0;
    for (std::size_t i = 0; i < b.ops.size(); ++i) {
        const Operation& op = b.ops[i];
        if (const auto* a = std::get_if<Attention>(&op)) {
            const double rows = d(a->batch) * d(a->heads_q) * d(a->seq_q);
            const double dv = a->head_dim_v > 0 ? d(a->head_dim_v) : d(a->head_dim);
            out.stored += rows * (dv * act_bytes + 4.0);  // output (of the value head size) and log-sum-exp
        } else if (!b.mms[i].empty()) {
            for (const Matmul& mm : b.mms[i]) {
                if (++count % 2 == 0) {
                    out.recompute.emplace_back(mm);
                } else {
                    out.stored += d(mm.m) * d(mm.n) * d(mm.batch) * act_bytes;
                }
            }
        } else {
            out.recompute.push_back(op);
        }
    }
    return out;
}

/// Backward kernels of a forward list, in reverse order: dX = dY W^T (m x k from m x n times n x k)
/// and dW = X^T dY (k x n from k x m times m x n) per product; the attention backward; twice the
/// traffic of each memory-bound kernel; or the kernel's own backward kernels where `grads` has them.
/// The generic backward kernels of a product: the input gradient dX = dY W^T (m x k from m x n times n x k)
/// and the weight gradient dW = X^T dY (k x n).
std::array<Operation, 2> matmul_backward(const Matmul& mm) {
    return {Matmul{mm.m, mm.k, mm.n, mm.batch, mm.dtype, mm.block_scaled, mm.name, chip::Gradient::input},
            Matmul{mm.k, mm.n, mm.m, mm.batch, mm.dtype, mm.block_scaled, mm.name, chip::Gradient::weight}};
}

std::vector<Operation> backward(const std::vector<Operation>& forward,
                                const std::vector<std::optional<std::vector<Operation>>>& grads = {}) {
    std::vector<Operation> out;
    out.reserve(forward.size() * 2);
    for (auto it = forward.rbegin(); it != forward.rend(); ++it) {
        const auto i = static_cast<std::size_t>(std::distance(forward.begin(), it.base()) - 1);
        if (i < grads.size() && grads[i]) {
            out.insert(out.end(), grads[i]->begin(), grads[i]->end());
        } else if (const auto* mm = std::get_if<Matmul>(&*it)) {
            for (auto& g : matmul_backward(*mm)) out.push_back(std::move(g));
        } else if (const auto* at = std::get_if<Attention>(&*it)) {
            Attention a = *at;
            a.pass = chip::Pass::backward;
            out.emplace_back(a);
        } else {
            out.emplace_back(backward_of(std::get<MemoryOp>(*it)));
        }
    }
    return out;
}

/// The weight-gradient products of a layer's backward pass: dW = X^T dY (k x n from k x m times m x n)
/// of each product with weights, that is every Matmul but the unfused attention core's.
std::vector<Operation> weight_gradients(const Builder& b) {
    std::vector<Operation> out;
    for (std::size_t i = 0; i < b.ops.size(); ++i) {
        const auto* mm = std::get_if<Matmul>(&b.ops[i]);
        if (!mm || std::find(b.attention.begin(), b.attention.end(), i) != b.attention.end()) continue;
        out.push_back(matmul_backward(*mm)[1]);
    }
    return out;
}

double attention_pairs(const Attention& a) {
    const double sq = d(a.seq_q);
    const double skv = d(a.seq_kv);
    return a.causal ? sq * skv - sq * (sq - 1.0) / 2.0 : sq * skv;
}

/// FLOPs of one kernel; `attention_backward`: the backward attention's multiple of its forward.
double op_flops(const Operation& op, double attention_backward) {
    if (const auto* mm = std::get_if<Matmul>(&op)) return 2.0 * d(mm->m) * d(mm->n) * d(mm->k) * d(mm->batch);
    if (const auto* a = std::get_if<Attention>(&op)) {
        const double dv = a->head_dim_v > 0 ? d(a->head_dim_v) : d(a->head_dim);
        const double fwd = 2.0 * d(a->batch) * d(a->heads_q) * (d(a->head_dim) + dv) * attention_pairs(*a);
        return a->pass == chip::Pass::forward ? fwd : attention_backward * fwd;
    }
    return std::get<MemoryOp>(op).flops;
}

/// The whole model's kernels for `global_batch` sequences on one rank (no parallelism), always with
/// the fused, causal attention (flash_attention = true): exact_model and exact_hardware count the
/// model's attention once whatever kernels a run used.
// `recomputing`: how many layers of each kind run recomputation `r` (the others run none); all by default.
double whole_model_flops(const WorkloadSpec& w, std::int64_t global_batch, std::int64_t seq_len, Recomputation r,
                         bool hardware, std::optional<StageLayers> recomputing = std::nullopt) {
    const Shard s{global_batch, seq_len, 1, 1, 1, false, DType::bf16, true};
    auto sum = [hardware](const LayerOps& ops, bool with_recompute) {
        double f = hardware ? hardware_flops(ops.forward) + hardware_flops(ops.backward)
                            : model_flops(ops.forward) + model_flops(ops.backward);
        if (with_recompute) f += hardware ? hardware_flops(ops.recompute) : model_flops(ops.recompute);
        return f;
    };
    double total = sum(embedding_ops(w, s), hardware) + sum(head_ops(w, s), hardware);
    // Multi-token prediction: per module its own kernels, a layer of the last kind and the head again.
    if (w.mtp_depth > 0)
        total += d(w.mtp_depth) * (sum(mtp_ops(w, s), hardware) + sum(layer_ops(w, last_layer_kind(w), s, r), hardware) +
                                   sum(head_ops(w, s), hardware));
    std::array<std::int64_t, 2> count{0, 0};
    for (const LayerKind k : layer_kinds(w)) ++count[static_cast<std::size_t>(k)];
    const StageLayers rc = recomputing.value_or(StageLayers{count[0], count[1]});
    for (const auto& [k, recomputed] : {std::pair{LayerKind::dense, rc.dense}, std::pair{LayerKind::moe, rc.moe}}) {
        const std::int64_t n = count[static_cast<std::size_t>(k)];
        if (n == 0) continue;
        const double with = sum(layer_ops(w, k, s, r), hardware);
        const double without = r.granularity == Recompute::none ? with : sum(layer_ops(w, k, s, Recompute::none), hardware);
        total += d(recomputed) * with + d(n - recomputed) * without;
    }
    return total;
}

}  // namespace

// --- Parameters ----------------------------------------------------------------------------------

ParamCounts count_params(const WorkloadSpec& w) {
    ParamCounts c;
    c.embedding = embedding_params(w, 1);
    c.output = w.tied_embeddings ? 0.0 : output_params(w, 1);
    c.per_dense_layer = layer_params(w, LayerKind::dense, 1, 1).total();
    double layers = 0;
    double inactive = 0;
    if (w.moe) {
        c.per_moe_layer = layer_params(w, LayerKind::moe, 1, 1).total();
        const double per_expert = mlp_params(w, w.moe->expert_ffn, 1);
        for (const LayerKind k : layer_kinds(w)) {
            if (k == LayerKind::moe) inactive += d(w.moe->experts - w.moe->top_k) * per_expert;
        }
    }
    for (const LayerKind k : layer_kinds(w)) layers += k == LayerKind::moe ? c.per_moe_layer : c.per_dense_layer;
    c.total = c.embedding + c.output + layers + norm_params(w, w.hidden);  // + the final norm
    c.active_per_token = c.total - inactive;
    return c;
}

std::vector<LayerKind> layer_kinds(const WorkloadSpec& w) {
    std::vector<LayerKind> kinds(static_cast<std::size_t>(std::max<std::int64_t>(0, w.layers)), LayerKind::dense);
    if (w.moe) {
        for (std::size_t i = static_cast<std::size_t>(std::max<std::int64_t>(0, w.moe->dense_layers)); i < kinds.size(); ++i)
            kinds[i] = LayerKind::moe;
    }
    return kinds;
}

namespace {
/// Whether the plan's own split applies: what plan_problems accepts (any other list falls back to the
/// even split, so no path indexes a list a plan check has not passed).
bool uses_listed_split(const WorkloadSpec& w, const Plan& p) {
    return !p.layers_per_stage.empty() && p.virtual_stages == 1 && layers_per_stage_fit(p, w.layers);
}

// The layers of rank `rank`'s chunks, by kind, counting at most `per_chunk` (from each chunk's first).
StageLayers chunk_layers(const WorkloadSpec& w, const Plan& p, std::int64_t rank, std::int64_t per_chunk) {
    // The first dense_layers layers are dense (layer_kinds), the rest MoE; dense for every layer of a dense model.
    const std::int64_t dense_layers = w.moe ? w.moe->dense_layers : w.layers;
    const std::int64_t chunks = std::max<std::int64_t>(1, p.pp * p.virtual_stages);
    const bool listed = uses_listed_split(w, p);
    const auto& list = p.layers_per_stage;
    StageLayers out;
    for (std::int64_t c = rank; c < chunks; c += std::max<std::int64_t>(1, p.pp)) {
        std::int64_t begin = c * w.layers / chunks;
        std::int64_t last = (c + 1) * w.layers / chunks;
        if (listed) {
            begin = std::accumulate(list.begin(), list.begin() + c, std::int64_t{0});
            last = begin + list[static_cast<std::size_t>(c)];
        }
        const std::int64_t end = std::min(last, begin + std::max<std::int64_t>(0, per_chunk));
        const std::int64_t dense = std::max<std::int64_t>(0, std::min(end, dense_layers) - begin);
        out.dense += dense;
        out.moe += end - begin - dense;
    }
    return out;
}
}  // namespace

StageLayers stage_layers(const WorkloadSpec& w, const Plan& p, std::int64_t rank) {
    return chunk_layers(w, p, rank, w.layers);
}

std::vector<std::int64_t> rank_stages(const Plan& p, std::int64_t rank) {
    if (p.schedule == PipelineSchedule::dualpipe && p.pp - 1 - rank != rank) return {rank, p.pp - 1 - rank};
    return {rank};
}

StageLayers recomputed_layers(const WorkloadSpec& w, const Plan& p, std::int64_t rank) {
    return chunk_layers(w, p, rank, p.recompute_layers > 0 ? p.recompute_layers : w.layers);
}

std::int64_t max_chunk_layers(const WorkloadSpec& w, const Plan& p) {
    if (uses_listed_split(w, p)) return *std::max_element(p.layers_per_stage.begin(), p.layers_per_stage.end());
    const std::int64_t chunks = std::max<std::int64_t>(1, p.pp * p.virtual_stages);
    return (w.layers + chunks - 1) / chunks;
}

// --- FLOPs ---------------------------------------------------------------------------------------

std::string_view to_string(FlopConvention c) {
    switch (c) {
        case FlopConvention::megatron_hardware: return "megatron_hardware";
        case FlopConvention::megatron_model: return "megatron_model";
        case FlopConvention::palm: return "palm";
        case FlopConvention::six_n: return "six_n";
        case FlopConvention::exact_model: return "exact_model";
        case FlopConvention::exact_hardware: return "exact_hardware";
    }
    return "?";
}

std::optional<FlopConvention> flop_convention_from_string(std::string_view s) {
    for (const auto c : {FlopConvention::megatron_hardware, FlopConvention::megatron_model, FlopConvention::palm,
                         FlopConvention::six_n, FlopConvention::exact_model, FlopConvention::exact_hardware}) {
        if (to_string(c) == s) return c;
    }
    return std::nullopt;
}

double hardware_flops(const Operation& op) { return op_flops(op, 2.5); }
double model_flops(const Operation& op) { return op_flops(op, 2.0); }
double hardware_flops(const std::vector<Operation>& ops) {
    double f = 0;
    for (const auto& op : ops) f += hardware_flops(op);
    return f;
}
double model_flops(const std::vector<Operation>& ops) {
    double f = 0;
    for (const auto& op : ops) f += model_flops(op);
    return f;
}

double step_flops(FlopConvention c, const WorkloadSpec& w, std::int64_t global_batch, std::int64_t seq_len,
                  Recomputation recompute) {
    const double B = d(global_batch);
    const double s = d(seq_len);
    const double l = d(w.layers);
    const double h = d(w.hidden);
    const double V = d(w.vocab);
    const double tokens = B * s;
    switch (c) {
        case FlopConvention::megatron_hardware:
            // Narayanan et al. (SC21), eq. 3.
            return 96.0 * B * s * l * h * h * (1.0 + s / (6.0 * h) + V / (16.0 * l * h));
        case FlopConvention::megatron_model:
            // The same without the recomputed forward pass (Korthikanti et al., MLSys 2023: their model FLOPs for MFU).
            return 72.0 * B * s * l * h * h * (1.0 + s / (6.0 * h) + V / (12.0 * l * h));
        case FlopConvention::palm: {
            // Chowdhery et al. (PaLM), Appendix B: 6 N + 12 L H Q T per token, N the non-embedding
            // (for MoE: active non-embedding) parameters. MLA: Q = (qk + v) / 2 (see layer_ops).
            const ParamCounts p = count_params(w);
            const double q = w.mla ? d(w.mla->qk_nope_head_dim + w.mla->qk_rope_head_dim + w.mla->v_head_dim) / 2.0
                                   : d(head_dim(w));
            return tokens * (6.0 * p.active_non_embedding() + 12.0 * l * d(w.heads) * q * s);
        }
        case FlopConvention::six_n: return 6.0 * count_params(w).active_per_token * tokens;
        case FlopConvention::exact_model: return whole_model_flops(w, global_batch, seq_len, Recompute::none, false);
        case FlopConvention::exact_hardware: return whole_model_flops(w, global_batch, seq_len, recompute, true);
    }
    return 0;
}

double step_flops(FlopConvention c, const WorkloadSpec& w, std::int64_t global_batch, std::int64_t seq_len, const Plan& plan) {
    if (c != FlopConvention::exact_hardware || plan.recompute_layers <= 0)
        return step_flops(c, w, global_batch, seq_len, plan.recomputation());
    StageLayers recomputing;
    for (std::int64_t r = 0; r < std::max<std::int64_t>(1, plan.pp); ++r) {
        const StageLayers n = recomputed_layers(w, plan, r);
        recomputing.dense += n.dense;
        recomputing.moe += n.moe;
    }
    return whole_model_flops(w, global_batch, seq_len, plan.recomputation(), true, recomputing);
}

// --- Kernels -------------------------------------------------------------------------------------

namespace {
/// With the shard's block-scaled FP8 (DeepGEMM's kernels), marks the FP8 products of `b` so.
void mark_block_scaled(const Shard& s, Builder& b) {
    if (!s.fp8_block_scaled) return;
    for (auto& op : b.ops)
        if (auto* mm = std::get_if<Matmul>(&op); mm && mm->dtype == DType::fp8) mm->block_scaled = true;
    for (auto& parts : b.mms)  // the aten.mm calls selective_op recomputes
        for (auto& mm : parts) mm.block_scaled = mm.dtype == DType::fp8;
}

/// Per-tensor FP8 (Transformer Engine's recipes): the memory-bound kernels of the FP8 machinery, a kernel before
/// each FP8 product of `b` that quantises its input, and the quantisation of its output gradient in the backward
/// pass (docs/research/fp8-cast-kernels.md, Summary items 5-8 and section 4; docs/models/training.md, "FP8
/// casts"). Bytes per element beyond the BF16 run's kernels, c the chip's FP8 copies per tensor (2 on Hopper,
/// whose FP8 products are TN-only: a transposed copy too; 1 on data-centre Blackwell):
/// - a product's 16-bit input: read it, write c FP8 copies, 2 + c; current scaling first reads it once more for
///   its amax, 4 + c. Where Transformer Engine fuses the quantisation with the norm before the product
///   (`norm_fused`): delayed scaling's norm writes FP8 itself (no kernel; Hopper a transpose, 2), current
///   scaling's reports its amax (Transformer Engine PR #2013): 2 + c.
/// - its output gradient: 2 + c, current 4 + c.
/// - with sequence parallelism a fused norm's output and a row-parallel product's output gradient are quantised on
///   the rank's 1/tp of the rows (one copy) and gathered in FP8; Hopper then transposes the gathered tensor (2),
///   the norm's output in the backward pass, where it is gathered again.
/// The 1-byte gathers themselves are not modelled (the exchanges stay 16-bit). A cast is re-run by the modules
/// that re-run its product or the kernel that produces its input.
void add_fp8_casts(const Shard& s, Builder& b) {
    if (s.dtype != DType::fp8 || s.fp8_block_scaled) return;
    const std::int64_t T = s.micro_batch * (s.seq_len / std::max<std::int64_t>(1, s.cp));
    const bool gathered = s.sequence_parallel && s.tp > 1;
    const double shard_rows = d(gathered ? ceil_div(T, s.tp) : T);
    const double c = s.fp8_operand_copies;
    const double amax = s.fp8_current_scaling ? 2.0 : 0.0;  // current scaling's extra read
    const double transpose = c > 1 ? 2.0 : 0.0;              // Hopper's transpose of a gathered FP8 tensor
    auto listed = [](const std::vector<std::size_t>& v, std::size_t i) { return std::find(v.begin(), v.end(), i) != v.end(); };
    Builder out;
    out.reserve(b.ops.size() * 2);
    out.stored = b.stored;
    out.core_stored = b.core_stored;
    const std::size_t none = b.ops.size() * 2 + 1;
    std::vector<std::size_t> at(b.ops.size());
    std::vector<std::size_t> cast_of(b.ops.size(), none);  // the kernel quantising product i's input
    for (std::size_t i = 0; i < b.ops.size(); ++i) {
        const auto* mm = std::get_if<Matmul>(&b.ops[i]);
        if (!mm || mm->dtype != DType::fp8 || listed(b.attention, i)) {
            at[i] = out.ops.size();
            out.ops.push_back(b.ops[i]);
            out.grads.push_back(b.grads[i]);
            out.mms.push_back(b.mms[i]);
            continue;
        }
        const double k = d(mm->k) * d(mm->batch);
        const double n = d(mm->n) * d(mm->batch);
        double forward = 0;        // the input's quantisation
        double regathered = 0;     // Hopper: the re-gathered input's transpose, in the backward pass
        if (listed(b.norm_fused, i) && gathered) {
            forward = (s.fp8_current_scaling ? 3.0 : 0.0) * shard_rows * k;
            regathered = transpose * d(mm->m) * k;
        } else if (listed(b.norm_fused, i)) {
            forward = (s.fp8_current_scaling ? 2.0 + c : transpose) * d(mm->m) * k;
        } else {
            forward = (2.0 + amax + c) * d(mm->m) * k;
        }
        const double grad = listed(b.row_parallel, i) && gathered ? (3.0 + amax) * shard_rows * n + transpose * d(mm->m) * n
                                                                   : (2.0 + amax + c) * d(mm->m) * n;
        const MemoryOp grad_cast{grad + regathered, (grad + regathered) / 3.0, "fp8_cast"};
        if (forward > 0) {
            cast_of[i] = out.ops.size();
            out.ops.emplace_back(MemoryOp{forward, forward / 3.0, "fp8_cast"});
            out.grads.emplace_back(std::vector<Operation>{grad_cast});
            out.mms.emplace_back();
        }
        at[i] = out.ops.size();
        out.ops.push_back(b.ops[i]);
        out.mms.push_back(b.mms[i]);
        if (forward > 0) {
            out.grads.push_back(b.grads[i]);
        } else {  // no kernel before the product: its backward quantises the gradient, then the generic products
            std::vector<Operation> grads{grad_cast};
            if (b.grads[i]) {
                grads.insert(grads.end(), b.grads[i]->begin(), b.grads[i]->end());
            } else {
                for (auto& g : matmul_backward(*mm)) grads.push_back(std::move(g));
            }
            out.grads.emplace_back(std::move(grads));
        }
    }
    for (const std::size_t i : b.attention) out.attention.push_back(at[i]);
    for (const std::size_t i : b.norm_fused) out.norm_fused.push_back(at[i]);
    for (const std::size_t i : b.row_parallel) out.row_parallel.push_back(at[i]);
    for (std::size_t m = 0; m < b.modules.size(); ++m) {
        const auto& in = b.modules[m].ops;
        out.modules[m].freed = b.modules[m].freed;
        for (const std::size_t i : in) out.modules[m].ops.push_back(at[i]);
        for (std::size_t i = 0; i < b.ops.size(); ++i)
            if (cast_of[i] != none && (listed(in, i) || (i > 0 && listed(in, i - 1)))) out.modules[m].ops.push_back(cast_of[i]);
        std::sort(out.modules[m].ops.begin(), out.modules[m].ops.end());
    }
    b = std::move(out);
}

/// One multi-token-prediction module's own kernels (mtp_ops), with what each stores.
Builder mtp_builder(const WorkloadSpec& w, const Shard& s) {
    const Dims x = dims(w, s);
    const std::int64_t h = w.hidden;
    Builder b;
    b.add(named(chip::embedding(x.tokens, h, act), "mtp_embedding"), 0.0);
    b.grads.back() = std::vector<Operation>{named(scatter_add(x.tokens, h), "mtp_embedding")};
    // Its two RMSNorms are recomputed with the layernorm module (DeepSeek-V3 recomputes every RMSNorm),
    // freeing the projection's stored input, their outputs.
    const std::size_t norms = b.ops.size();
    double extra = add_norm(w, s, x.norm_tokens, h, b, "mtp_embedding_norm");
    extra += add_norm(w, s, x.norm_tokens, h, b, "mtp_hidden_norm");
    b.tag(RecomputeModule::layernorm, norms);
    const double concatenated = 2.0 * d(x.norm_tokens) * d(h) * x.in_bytes;
    b.frees(RecomputeModule::layernorm, concatenated + extra);
    b.add(named(Matmul{x.tokens, ceil_div(h, s.tp), 2 * h, 1, x.dtype}, "mtp_projection"), concatenated);
    mark_block_scaled(s, b);
    add_fp8_casts(s, b);
    return b;
}
}  // namespace

namespace {
/// The kernels over a part's `params` parameters per micro-batch. PyTorch FSDP2's copies (Shard::fsdp_copies; torch
/// _composable/fsdp/_fsdp_collectives.py: foreach_all_gather_copy_out, foreach_reduce_scatter_copy_in): out of
/// the all-gather buffer into each parameter, in the forward pass and again in the backward pass (the layer is
/// resharded after its forward), and each gradient into the reduce-scatter buffer in the reduction's precision.
/// The copy into the all-gather input (the rank's 1/dp shard) is left out. Then the accumulation of the weight
/// gradients into the step's (Shard::grad_accumulation_bytes), at the end of the backward pass.
void add_parameter_kernels(const Shard& s, double params, LayerOps& out) {
    if (params <= 0) return;
    if (s.fsdp_copies) {
        const MemoryOp gather_out{params * 2.0 * act_bytes, 0.0, "fsdp_gather_copy"};
        out.forward.emplace_back(gather_out);
        out.backward.emplace_back(gather_out);
        out.backward.emplace_back(MemoryOp{params * (act_bytes + s.grad_reduce_bytes), 0.0, "fsdp_reduce_copy"});
    }
    if (s.grad_accumulation_bytes > 0)
        out.backward.emplace_back(MemoryOp{params * s.grad_accumulation_bytes, params, "grad_accumulate"});
}
}  // namespace

LayerOps layer_ops(const WorkloadSpec& w, LayerKind kind, const Shard& s, Recomputation recompute) {
    Builder b = forward_layer(w, kind, s, false);
    mark_block_scaled(s, b);
    add_fp8_casts(s, b);
    LayerOps out;
    out.backward = backward(b.ops, b.grads);
    out.weight_gradients = weight_gradients(b);
    for (const std::size_t i : b.norm_fused) {
        const auto [dx, dw] = matmul_backward(std::get<Matmul>(b.ops[i]));
        out.column_input_gradients.push_back(dx);
        out.column_weight_gradients.push_back(dw);
    }
    switch (recompute.granularity) {
        case Recompute::none: break;
        case Recompute::selective: out.recompute = b.recomputed(recompute.modules); break;
        case Recompute::full: out.recompute = b.ops; break;
        case Recompute::selective_op:
            out.recompute = selective_op(b, d(dims(w, s).norm_tokens) * d(w.hidden) * act_bytes).recompute;
            break;
    }
    out.forward = std::move(b.ops);
    add_parameter_kernels(s, layer_params(w, kind, s.tp, s.ep).total(), out);
    return out;
}

LayerOps embedding_ops(const WorkloadSpec& w, const Shard& s) {
    const Dims x = dims(w, s);
    LayerOps out;
    // Vocabulary-parallel lookup: every rank writes all rows (zeros outside its slice) before the
    // reduction over tp.
    out.forward.emplace_back(named(chip::embedding(x.tokens, w.hidden, act), "embedding"));
    if (w.positions == catalog::PositionKind::learned) {
        const MemoryOp add_positions = named(chip::elementwise(x.norm_tokens * w.hidden, act), "positions");
        out.forward.emplace_back(add_positions);
        out.backward.emplace_back(backward_of(add_positions));
    }
    out.backward.emplace_back(scatter_add(x.tokens, w.hidden));
    add_parameter_kernels(s, embedding_params(w, s.tp), out);
    return out;
}

LayerOps head_ops(const WorkloadSpec& w, const Shard& s) {
    const Dims x = dims(w, s);
    const std::int64_t vocab = ceil_div(w.vocab, s.tp);
    Builder b;
    add_norm(w, s, x.norm_tokens, w.hidden, b, "final_norm");
    // Logits, vocabulary-parallel; 16-bit under FP8 training: Megatron-Core's output layer is not a Transformer
    // Engine module, and DeepSeek-V3 keeps its output head in BF16 (§3.3).
    b.add(named(Matmul{x.tokens, vocab, w.hidden, 1, s.sixteen_bit}, "logits"), 0.0);
    b.add(named(softmax(x.tokens * vocab), "cross_entropy"), 0.0);                      // cross-entropy: FP32 probabilities for the backward
    LayerOps out;
    out.forward = b.ops;
    out.backward = backward(b.ops, b.grads);
    out.weight_gradients = weight_gradients(b);
    add_parameter_kernels(s, norm_params(w, w.hidden) + (w.tied_embeddings ? 0.0 : output_params(w, s.tp)), out);
    return out;
}

namespace {
/// Parameters of one MTP module but its layer's: two norms and the projection (split by tp).
double mtp_own_params(const WorkloadSpec& w, std::int64_t tp) {
    return 2.0 * norm_params(w, w.hidden) + d(ceil_div(w.hidden, tp)) * 2.0 * d(w.hidden);
}
}  // namespace

LayerOps mtp_ops(const WorkloadSpec& w, const Shard& s) {
    const Builder b = mtp_builder(w, s);
    LayerOps out;
    out.forward = b.ops;
    out.backward = backward(b.ops, b.grads);
    out.weight_gradients = weight_gradients(b);
    add_parameter_kernels(s, mtp_own_params(w, s.tp), out);
    return out;
}

std::vector<Operation> optimizer_ops(double parameters, double grad_bytes, DType precision) {
    const double n = parameters;
    std::vector<Operation> out;
    // model_param.main_grad / .grad -> main_param.grad: read 16 bits, write fp32 (an fp32 gradient is used as is).
    if (grad_bytes < 4) out.emplace_back(MemoryOp{n * (grad_bytes + 4.0), 0.0, "grad_to_fp32"});
    // torch._amp_foreach_non_finite_check_and_unscale_: read and write every fp32 gradient (the dynamic loss scale).
    if (precision == DType::fp16) out.emplace_back(MemoryOp{8.0 * n, 2.0 * n, "unscale"});
    // clip_grad_norm_fp32: multi_tensor_l2norm reads every gradient (the rescale runs only when the norm is too large).
    out.emplace_back(MemoryOp{4.0 * n, 2.0 * n, "grad_norm"});
    out.emplace_back(named(chip::adam_update(static_cast<std::int64_t>(std::ceil(n))), "adam"));
    // _copy_main_params_to_model_params: read the fp32 master weights, write the 16-bit model weights.
    out.emplace_back(MemoryOp{6.0 * n, 0.0, "param_copy"});
    return out;
}

std::vector<Operation> fsdp_flat_parameter_ops(double parameters, double group, double grad_bytes, double accumulated) {
    const double n = parameters, shard = parameters / group;
    std::vector<Operation> out;
    // _use_low_precision_shard: the fp32 shard copied into its 16-bit copy, before the forward and the backward gather.
    const MemoryOp shard_cast{shard * (4.0 + act_bytes), 0.0, "fsdp_shard_cast"};
    out.emplace_back(shard_cast);
    out.emplace_back(shard_cast);
    // SplitWithSizesBackward: at::cat of every parameter's 16-bit gradient into the new flat gradient.
    out.emplace_back(MemoryOp{n * 2.0 * act_bytes, 0.0, "fsdp_grad_cat"});
    if (grad_bytes != act_bytes) out.emplace_back(MemoryOp{n * (act_bytes + grad_bytes), 0.0, "fsdp_grad_cast"});
    // _div_if_needed(padded_unsharded_grad, predivide) and, after the reduce-scatter, (new_sharded_grad, postdivide):
    // both factors exceed 1 for every group of 4 ranks or more.
    out.emplace_back(MemoryOp{n * 2.0 * grad_bytes, n, "fsdp_predivide"});
    out.emplace_back(MemoryOp{shard * 2.0 * grad_bytes, shard, "fsdp_postdivide"});
    if (grad_bytes < 4) out.emplace_back(MemoryOp{shard * (grad_bytes + 4.0), 0.0, "fsdp_shard_grad_cast"});
    // _accumulate_sharded_grad: the fp32 shard added into the one saved from the step's earlier micro-batches.
    if (accumulated > 0) out.emplace_back(MemoryOp{accumulated * shard * 12.0, accumulated * shard, "fsdp_grad_accumulate"});
    return out;
}

LayerKind last_layer_kind(const WorkloadSpec& w) {
    return w.moe && w.layers > w.moe->dense_layers ? LayerKind::moe : LayerKind::dense;
}

// --- Memory --------------------------------------------------------------------------------------

double layer_activation_bytes(const WorkloadSpec& w, LayerKind kind, const Shard& s, Recomputation recompute, bool dropout) {
    if (recompute.granularity == Recompute::full) {
        // Only the layer's input (Korthikanti et al., 2 s b h; split by tp with sequence parallelism).
        return d(dims(w, s).norm_tokens) * d(w.hidden) * act_bytes;
    }
    // Selective recomputation of the attention core: FlashAttention's core stores nothing it does not
    // need anyway; the unfused core's s x s tensors are rebuilt instead of stored (Korthikanti et al.).
    // Its other modules free what forward_layer records for them.
    const Builder b = forward_layer(w, kind, s, dropout);
    if (recompute.granularity == Recompute::selective_op)
        return selective_op(b, d(dims(w, s).norm_tokens) * d(w.hidden) * act_bytes).stored;
    return b.kept(recompute);
}

namespace {

RankParams rank_params(const WorkloadSpec& w, const Plan& p, std::int64_t rank) {
    RankParams r;
    const std::vector<std::int64_t> stages = rank_stages(p, rank);
    const bool first = std::find(stages.begin(), stages.end(), 0) != stages.end();
    for (const std::int64_t stage : stages) {
        const StageLayers n = stage_layers(w, p, stage);
        for (const auto& [kind, count] : {std::pair{LayerKind::dense, n.dense}, std::pair{LayerKind::moe, n.moe}}) {
            if (count == 0) continue;
            const RankParams l = layer_params(w, kind, p.tp, p.ep);
            r.dense += d(count) * l.dense;
            r.expert += d(count) * l.expert;
        }
        if (stage == 0) r.dense += embedding_params(w, p.tp);
        if (stage == p.pp - 1) {
            r.dense += norm_params(w, w.hidden);
            // Multi-token-prediction modules, after the last layer (DeepSeek-V3 section 2.2).
            if (w.mtp_depth > 0) {
                const RankParams l = layer_params(w, last_layer_kind(w), p.tp, p.ep);
                r.dense += d(w.mtp_depth) * (l.dense + mtp_own_params(w, p.tp));
                r.expert += d(w.mtp_depth) * l.expert;
            }
            if (!w.tied_embeddings) r.dense += output_params(w, p.tp);
            // A copy of the input table where the rank does not hold the first stage: a tied output layer's
            // (Megatron-LM), or the multi-token-prediction modules' lookup (Megatron-Core builds an embedding
            // on the MTP stage); its gradient all-reduced with the first stage's. DualPipe puts both ends on
            // one rank (DeepSeek-V3 section 3.2.3: shared physically).
            if (!first && (w.tied_embeddings || w.mtp_depth > 0)) r.dense += output_params(w, p.tp);
        }
    }
    return r;
}

/// Micro-batches whose activations a pipeline rank holds at its peak, in units of its whole share
/// of layers. 1F1B (Narayanan et al., SC21): rank r runs pp - r forward passes before its first
/// backward. Interleaved (Megatron-LM's schedule): (pp - r - 1) * 2 + (v - 1) * pp + 1 model-chunk
/// micro-batches, each 1/v of the rank's layers; rank 0 then holds (1 + (pp - 1) / (pp v)) times
/// pp micro-batches of l / pp layers, Korthikanti et al.'s factor. Assumes at least pp micro-batches.
double in_flight(const Plan& p, std::int64_t rank) {
    if (p.virtual_stages <= 1) return d(p.pp - rank);
    const std::int64_t chunk_mbs = (p.pp - rank - 1) * 2 + (p.virtual_stages - 1) * p.pp + 1;
    return d(chunk_mbs) / d(p.virtual_stages);
}

struct RankMemory {
    Memory memory;
    RankParams params;
};

RankMemory rank_memory(const WorkloadSpec& w, const Plan& p, std::int64_t rank, std::int64_t seq_len, DType precision,
                       bool flash_attention, bool eager_elementwise, bool fp8_activation_cache) {
    RankMemory out;
    Memory& m = out.memory;
    const RankParams ps = rank_params(w, p, rank);
    out.params = ps;

    // ZeRO (Rajbhandari et al., SC20): 2 + 2 + 12 bytes per parameter, sharded over the ranks that
    // hold the same parameters: dp x cp for dense ones (Megatron-Core's distributed optimizer uses
    // the data-parallel group with context parallelism), dp x cp / ep for routed experts.
    const double n_dense = d(std::max<std::int64_t>(1, p.dp * p.cp));
    const double n_expert = std::max(1.0, n_dense / d(std::max<std::int64_t>(1, p.ep)));
    const bool z1 = p.optimizer != Optimizer::plain;
    const bool z2 = p.optimizer == Optimizer::zero2 || p.optimizer == Optimizer::zero3;
    const bool z3 = p.optimizer == Optimizer::zero3;
    auto sharded = [&](bool on) { return on ? ps.dense / n_dense + ps.expert / n_expert : ps.total(); };
    m.weights = 2.0 * sharded(z3);
    m.gradients = 2.0 * sharded(z2);
    m.optimizer = 12.0 * sharded(z1);

    // Activations (Korthikanti et al. Table 2, from the stored tensors of the kernels: with flash
    // attention no 5 a s / h term), for the micro-batches in flight.
    Shard s{p.micro_batch, seq_len,         p.tp,           p.cp, p.ep, p.sequence_parallel, precision,
            flash_attention, chip::AttentionKernel::standard, eager_elementwise};
    s.fp8_activation_cache = fp8_activation_cache;
    // Every layer of a kind stores the same: each kind is costed once and counted. Each of the rank's
    // stages holds its micro-batches in flight: in_flight's; with DualPipe, 1F1B's count for that stage,
    // pp - r of stage r and r + 1 of stage pp - 1 - r (pp + 1 in all, DeepSeek-V3 Table 2).
    const std::vector<std::int64_t> stages = rank_stages(p, rank);
    // One layer's backward working set: what it rebuilds (recomputation) and, under ZeRO-3, its gathered
    // weights and unsharded gradients (4 bytes per parameter), which are live at the same time.
    double largest_layer_set = 0;
    for (const std::int64_t stage : stages) {
        double per_mb = 0;
        const StageLayers n = stage_layers(w, p, stage);
        const StageLayers r = recomputed_layers(w, p, stage);  // the others store every activation
        for (const auto& [k, count, recomputed] :
             {std::tuple{LayerKind::dense, n.dense, r.dense}, std::tuple{LayerKind::moe, n.moe, r.moe}}) {
            if (count == 0) continue;
            const double stored = layer_activation_bytes(w, k, s, p.recomputation());
            const double all = layer_activation_bytes(w, k, s, Recompute::none);
            per_mb += d(recomputed) * stored + d(count - recomputed) * all;
            double rebuilt = 0;
            if (p.recompute == Recompute::full && recomputed > 0) rebuilt = all;
            // Selective (by module, or op-level): the recomputed tensors of one layer, beside its stored ones
            // (an unfused core's s x s tensors among them).
            if (p.recompute == Recompute::selective || p.recompute == Recompute::selective_op) rebuilt = all - stored;
            const double gathered = z3 ? 4.0 * layer_params(w, k, p.tp, p.ep).total() : 0.0;
            largest_layer_set = std::max(largest_layer_set, rebuilt + gathered);
        }
        // The last stage's multi-token-prediction modules: their layers store as its others (recomputing).
        if (stage == p.pp - 1 && w.mtp_depth > 0) {
            // Its own kernels: all stored; their inputs (the hidden states and the shifted tokens' embedding)
            // under full recomputation; less what selective modules free.
            const double own = p.recompute == Recompute::full ? 2.0 * d(dims(w, s).norm_tokens) * d(w.hidden) * act_bytes
                                                              : mtp_builder(w, s).kept(p.recomputation());
            per_mb += d(w.mtp_depth) * (layer_activation_bytes(w, last_layer_kind(w), s, p.recomputation()) + own);
        }
        m.activations += per_mb * (p.schedule == PipelineSchedule::dualpipe ? d(p.pp - stage) : in_flight(p, rank));
    }
    // Activation offloading (one stage, nothing recomputed: offload_plan_problem): the first N layers' stored
    // tensors move to host memory; at most the other layers' stay in HBM (Transformer Engine's offload context).
    if (const std::int64_t n = p.offload_layers; n > 0 && n < w.layers && p.pp == 1 && p.recompute == Recompute::none) {
        const std::int64_t dense = w.moe ? std::min(w.moe->dense_layers, n) : n;
        double per_mb = d(dense) * layer_activation_bytes(w, LayerKind::dense, s, Recompute::none);
        if (n > dense) per_mb += d(n - dense) * layer_activation_bytes(w, LayerKind::moe, s, Recompute::none);
        m.offloaded = per_mb * in_flight(p, rank);
        m.activations -= m.offloaded;
    }

    // Transient: the largest single working set beyond the stored activations.
    const Dims x = dims(w, s);
    if (std::find(stages.begin(), stages.end(), p.pp - 1) != stages.end()) {
        // The last stage runs each micro-batch's head forward and backward back to back: the final
        // norm's and the logits product's inputs, and the FP32 logits of the loss, beside the output
        // layer's gathered weights and unsharded gradients under ZeRO-3.
        // With multi-token prediction the head runs once more per module.
        m.activations += d(1 + w.mtp_depth) * d(x.norm_tokens) * d(w.hidden) * (act_bytes + x.in_bytes);
        m.transient = std::max(m.transient, d(x.tokens) * d(ceil_div(w.vocab, p.tp)) * 4.0 + (z3 ? 4.0 * output_params(w, p.tp) : 0.0));
    }
    // Under ZeRO-3 the first stage gathers its embedding table for the lookup's backward pass, its gradient beside it.
    if (z3 && std::find(stages.begin(), stages.end(), 0) != stages.end())
        m.transient = std::max(m.transient, 4.0 * embedding_params(w, p.tp));
    m.transient = std::max(m.transient, largest_layer_set);  // a layer in the backward pass
    return out;
}

}  // namespace

Memory memory_per_chip(const WorkloadSpec& w, const Plan& plan, std::int64_t seq_len, DType precision,
                       bool flash_attention, bool eager_elementwise, bool fp8_activation_cache) {
    Memory worst;
    for (std::int64_t r = 0; r < std::max<std::int64_t>(1, plan.pp); ++r) {
        const Memory m = rank_memory(w, plan, r, seq_len, precision, flash_attention, eager_elementwise, fp8_activation_cache).memory;
        if (r == 0 || m.total() > worst.total()) worst = m;
    }
    return worst;
}

ChipParams chip_params(const WorkloadSpec& w, const Plan& plan) {
    ChipParams worst;
    for (std::int64_t r = 0; r < std::max<std::int64_t>(1, plan.pp); ++r) {
        const RankParams p = rank_params(w, plan, r);
        if (r == 0 || p.total() > worst.total()) worst = {p.dense, p.expert};
    }
    return worst;
}

double params_per_chip(const WorkloadSpec& w, const Plan& plan) { return chip_params(w, plan).total(); }

}  // namespace clustersim::train
