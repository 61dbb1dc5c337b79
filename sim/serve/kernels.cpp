#include "serve/kernels.hpp"

#include <algorithm>
#include <cmath>

namespace clustersim::serve {
namespace {

using catalog::MlpKind;
using catalog::WorkloadSpec;
using chip::Attention;
using chip::DType;
using chip::Matmul;
using chip::MemoryOp;

double d(std::int64_t x) { return static_cast<double>(x); }
std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return b <= 1 ? a : (a + b - 1) / b; }

// Norms, activations and residuals stay 16-bit whatever the weights' precision
// (W8A8 quantises the linear layers; DeepSeek's FP8 recipe, CloudMatrix-Infer's INT8).
constexpr DType act = DType::bf16;

// The loader guarantees head_dim >= 1 and kv_heads >= 1 (catalog/workload.hpp).

bool eight_bit(DType t) { return t == DType::int8 || t == DType::fp8; }

/// Where a product's input comes from: a 16-bit kernel, or rows already quantised (8-bit dispatch).
enum class Input { wide, quantised };

struct Builder {
    LayerKernels out;
    bool block_scaled = false;    ///< FP8 products with block scales (StepShape::block_scaled)
    bool separate_quant = false;  ///< StepShape::separate_quant
    /// Dynamic quantisation of `rows` x `cols` 16-bit values to `to`: per 128-value group with block
    /// scales (DeepSeek-V3's fine-grained FP8), else per token.
    void quantize(std::int64_t rows, std::int64_t cols, DType to, bool block) {
        out.ops.emplace_back(
            chip::named(chip::quantization(rows, cols, to, block && block_scaled && to == DType::fp8 ? 128 : cols), "quantize"));
    }
    /// A linear layer: `tokens` rows through a weight of `in` x `out_features` (`groups` of them:
    /// grouped expert products, or per-head absorbed MLA products). `block`: the product can run on
    /// block scales (false: the absorbed MLA products, which the runtimes run per tensor after
    /// re-quantising the decompressed weights). An 8-bit product of a 16-bit input first quantises
    /// it where the runtime runs quantisation as kernels of their own.
    /// `name`: the kernel's (a string literal; chip::Matmul::name), as the training model names it.
    void linear(std::string_view name, std::int64_t tokens, std::int64_t out_features, std::int64_t in, DType dtype,
                std::int64_t groups = 1, bool block = true, Input input = Input::wide) {
        if (separate_quant && eight_bit(dtype) && input == Input::wide) quantize(groups * tokens, in, dtype, block);
        out.ops.emplace_back(Matmul{tokens, out_features, in, groups, dtype, block && block_scaled && dtype == DType::fp8, name});
        out.weight_bytes += d(groups) * d(in) * d(out_features) * chip::bytes_per_element(dtype);
    }
    void memory(std::string_view name, MemoryOp op) { out.ops.emplace_back(chip::named(op, name)); }
    void attention(Attention a) { out.ops.emplace_back(chip::named(a, "attention")); }
};

/// The attention core of `s`: `heads_q` query heads against `heads_kv` heads of the cache.
Attention core(const StepShape& s, std::int64_t heads_q, std::int64_t heads_kv, std::int64_t dim, std::int64_t dim_v) {
    Attention a;
    a.batch = s.sequences;
    a.heads_q = heads_q;
    a.heads_kv = heads_kv;
    a.head_dim = dim;
    a.head_dim_v = dim_v;
    a.seq_q = s.query_tokens;
    a.seq_kv = s.context;
    a.causal = true;
    a.pass = chip::Pass::forward;
    a.dtype = s.attention;
    if (s.kv_cache != s.attention) a.kv_dtype = s.kv_cache;
    return a;
}

/// Multi-head latent attention (DeepSeek-V3, arXiv 2412.19437, section 2.1.1) on one rank with
/// heads / tp query heads; down projections and the latent are replicated over tp.
///   prefill: keys and values decompressed per head (W_UKV), attention of head sizes 192 / 128;
///   decode: W_UK absorbed into the queries and W_UV applied after the attention (per-head
///   products), so the attention reads the cached latent [c_kv, k_rope] once, as one shared head of
///   d_c + d_rope for keys and its first d_c for values (DeepSeek-V2 section 2.1.2; FlashMLA).
void mla(const WorkloadSpec& w, const StepShape& s, std::int64_t heads, Builder& b) {
    const auto& m = *w.mla;
    const std::int64_t T = s.tokens();
    const std::int64_t h = w.hidden;
    const std::int64_t qk = m.qk_nope_head_dim + m.qk_rope_head_dim;
    if (m.q_lora_rank > 0) {
        b.linear("q_down", T, m.q_lora_rank, h, s.weights);
        b.memory("q_norm", chip::normalization(T * m.q_lora_rank, act));
        b.linear("q_up", T, heads * qk, m.q_lora_rank, s.weights);
    } else {
        b.linear("q", T, heads * qk, h, s.weights);
    }
    b.linear("kv_down", T, m.kv_lora_rank + m.qk_rope_head_dim, h, s.weights);
    b.memory("kv_norm", chip::normalization(T * m.kv_lora_rank, act));
    if (s.phase == Phase::prefill) {
        b.linear("kv_up", T, heads * (m.qk_nope_head_dim + m.v_head_dim), m.kv_lora_rank, s.weights);
        b.attention(core(s, heads, heads, qk, m.v_head_dim));
    } else {
        b.linear("q_absorb", T, m.kv_lora_rank, m.qk_nope_head_dim, s.weights, heads, false);  // q_nope W_UK
        Attention a = core(s, heads, 1, m.kv_lora_rank + m.qk_rope_head_dim, m.kv_lora_rank);
        a.shared_kv = true;
        b.attention(a);
        b.linear("v_absorb", T, m.v_head_dim, m.kv_lora_rank, s.weights, heads, false);  // W_UV
    }
    b.linear("out_proj", T, h, heads * m.v_head_dim, s.weights);
}

/// A SwiGLU or GELU MLP of `ffn` (per gate/up projection) over `rows` rows (`groups` experts); `input`:
/// whether the rows arrive quantised (an 8-bit dispatch).
void mlp(const WorkloadSpec& w, const StepShape& s, std::int64_t rows, std::int64_t ffn, std::int64_t groups, Builder& b,
         const train::MlpNames& names, Input input = Input::wide) {
    const std::int64_t h = w.hidden;
    if (w.mlp == MlpKind::swiglu) {
        b.linear(names.gate_up, rows, 2 * ffn, h, s.weights, groups, true, input);
        b.memory(names.swiglu, chip::swiglu(groups * rows * ffn, act));
    } else {
        b.linear(names.up, rows, ffn, h, s.weights, groups, true, input);
        b.memory(names.gelu, chip::gelu(groups * rows * ffn, act));
    }
    b.linear(names.down, rows, h, ffn, s.weights, groups);
}

}  // namespace

void set_dispatch_layout(StepShape& s, bool library, bool low_latency) {
    s.permute_before_dispatch = !library;
    s.expert_relayout = !(library && low_latency);
}

LayerKernels layer_kernels(const WorkloadSpec& w, train::LayerKind kind, const StepShape& s) {
    Builder b;
    b.out.ops.reserve(40);  // a layer's kernels (at most about 35 with quantisation kernels): one allocation per call
    b.block_scaled = s.block_scaled;
    b.separate_quant = s.separate_quant;
    const std::int64_t T = s.tokens();
    const std::int64_t h = w.hidden;
    const std::int64_t heads = ceil_div(w.heads, s.tp);

    b.memory("attention_norm", chip::normalization(T * h, act));
    if (w.mla) {
        mla(w, s, heads, b);
    } else {
        const std::int64_t hd = w.head_dim;
        const std::int64_t kvh = std::max<std::int64_t>(1, ceil_div(w.kv_heads, s.tp));
        b.linear("qkv", T, (heads + 2 * kvh) * hd, h, s.weights);
        b.attention(core(s, heads, kvh, hd, hd));
        b.linear("out_proj", T, h, heads * hd, s.weights);
    }
    b.memory("attention_residual", chip::elementwise(T * h, act));

    b.memory("mlp_norm", chip::normalization(T * h, act));
    if (kind == train::LayerKind::moe && w.moe) {
        const auto& moe = *w.moe;
        // Router (replicated) in 16 bits, as DeepSeek-V3 keeps its gating (arXiv 2412.19437 section 3.3.1;
        // CloudMatrix-Infer keeps norms and gating in BF16/FP32), and top-k selection over FP32 scores.
        b.linear("router", T, moe.experts, h, act);
        b.memory("router_topk", MemoryOp{d(T) * d(moe.experts) * 8.0, 6.0 * d(T) * d(moe.experts)});
        // Permute: each token copied once per destination into the dispatch buffer (its top-k
        // experts, and the shared experts' ranks when they have their own).
        const bool dedicated = s.shared_expert_ranks > 0;
        const std::int64_t copies = moe.top_k + (dedicated ? 1 : 0);
        // An 8-bit expert exchange sends rows quantised once per token, so the experts' first products
        // take them as they are: by a kernel of its own before the exchange where quantisation runs
        // separately (SGLang's before DeepEP's normal dispatch; the permute then copies 8-bit rows), inside
        // the dispatch kernels otherwise and always in the low-latency ones (DeepEP's, FusedDispatch).
        // Without an exchange (ep 1) the rows stay 16-bit up to the products.
        const Input received = s.ep > 1 && eight_bit(s.dispatch) ? Input::quantised : Input::wide;
        const DType sent = received == Input::quantised && eight_bit(s.weights) ? s.weights : s.dispatch;
        const bool quant_kernel = b.separate_quant && received == Input::quantised && !s.dispatch_quantises();
        if (quant_kernel) b.quantize(T, h, sent, true);
        if (s.permute_before_dispatch) b.memory("permute", chip::embedding(T * copies, h, quant_kernel ? sent : act));
        b.out.dispatch_at = b.out.ops.size();
        // The instance's distinct tokens are (ranks / tp) x T.
        const double tokens = d(s.ranks / s.tp) * d(T);
        if (s.holds_shared_experts) {
            // A shared-expert rank: every token of the instance passes the shared experts once,
            // spread evenly over their ranks (whole experts: ep = ranks).
            const auto rows = static_cast<std::int64_t>(std::ceil(tokens / d(s.shared_expert_ranks)));
            mlp(w, s, std::max<std::int64_t>(1, rows), moe.shared_experts * moe.expert_ffn, 1, b, train::shared_mlp, received);
        } else {
            // The routed experts of this rank. Each of the ep routed ranks (ep - shared_expert_ranks)
            // holds ceil(experts / ranks) expert slots; slots beyond the experts hold redundant
            // copies (EPLB) that share their expert's load. With balanced routing each slot receives
            // tokens x top_k / slots rows.
            const std::int64_t routed_ranks = s.ep - s.shared_expert_ranks;
            const std::int64_t local = ceil_div(moe.experts, routed_ranks);
            const double routed = tokens * d(moe.top_k) * s.expert_imbalance;
            const auto rows = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(routed / d(local * routed_ranks))));
            // Rows received in arrival order, regrouped by expert (SGLang's ep_scatter, Ascend's
            // npu_moe_re_routing) and restored after the products (ep_gather).
            const bool relayout = s.expert_relayout && local > 1;
            if (relayout) b.memory("regroup", chip::embedding(local * rows, h, s.dispatch));
            mlp(w, s, rows, ceil_div(moe.expert_ffn, s.expert_tp()), local, b, train::routed_mlp, received);
            if (relayout) b.memory("unregroup", chip::embedding(local * rows, h, act));
        }
        // Combine: the expert outputs weighted and summed per token.
        b.memory("combine", chip::combine(T * copies, T, h, act));
        if (moe.shared_experts > 0 && !dedicated) mlp(w, s, T, ceil_div(moe.shared_experts * moe.expert_ffn, s.tp), 1, b, train::shared_mlp);
    } else {
        mlp(w, s, T, ceil_div(w.ffn, s.tp), 1, b, train::dense_mlp);
    }
    b.memory("mlp_residual", chip::elementwise(T * h, act));
    return b.out;
}

LayerKernels embedding_kernels(const WorkloadSpec& w, const StepShape& s) {
    Builder b;
    b.memory("embedding", chip::embedding(s.tokens(), w.hidden, act));
    return b.out;
}

LayerKernels head_kernels(const WorkloadSpec& w, const StepShape& s) {
    Builder b;
    const std::int64_t rows = s.phase == Phase::prefill ? s.sequences : s.tokens();
    const std::int64_t vocab = ceil_div(w.vocab, s.tp);
    b.memory("final_norm", chip::normalization(rows * w.hidden, act));
    b.linear("logits", rows, vocab, w.hidden, act);
    // Sampling: softmax over the logits (FP32) and a top-p / top-k pass.
    b.memory("sampling", MemoryOp{d(rows) * d(vocab) * 8.0, 6.0 * d(rows) * d(vocab)});
    return b.out;
}

double embedding_weight_bytes(const WorkloadSpec& w, std::int64_t tp) {
    return d(ceil_div(w.vocab, tp)) * d(w.hidden) * chip::bytes_per_element(act);
}

double kv_bytes_per_token(const WorkloadSpec& w, std::int64_t tp, DType kv_cache) {
    const double e = chip::bytes_per_element(kv_cache);
    if (w.mla) return d(w.layers) * d(w.mla->kv_lora_rank + w.mla->qk_rope_head_dim) * e;
    const std::int64_t kvh = std::max<std::int64_t>(1, ceil_div(w.kv_heads, tp));
    return 2.0 * d(w.layers) * d(kvh) * d(w.head_dim) * e;
}

double activation_bytes(const std::vector<chip::Operation>& ops) {
    double largest = 0;
    for (const auto& op : ops) {
        double bytes = 0;
        if (const auto* mm = std::get_if<Matmul>(&op)) {
            bytes = d(mm->batch) * d(mm->m) * (d(mm->k) * chip::bytes_per_element(mm->dtype) + d(mm->n) * 2.0);
        } else if (const auto* a = std::get_if<Attention>(&op)) {
            const double dv = a->head_dim_v > 0 ? d(a->head_dim_v) : d(a->head_dim);
            bytes = d(a->batch) * d(a->seq_q) * d(a->heads_q) * (d(a->head_dim) + dv) * chip::bytes_per_element(a->dtype);
        } else {
            bytes = std::get<MemoryOp>(op).bytes;
        }
        largest = std::max(largest, bytes);
    }
    return largest;
}

}  // namespace clustersim::serve
