#pragma once
// A model architecture to train or serve: a decoder-only transformer, dense or mixture-of-experts,
// as published by its authors. One file per workload in models/workloads/ (docs/catalog-format.md).
// A value type: the training and serving models read it, never the YAML.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace clustersim::catalog {

enum class MlpKind : std::uint8_t {
    gelu,    ///< two matrices h x f and f x h (GPT-2/3, Megatron GPT, BLOOM, OPT, MPT, PaLM uses swiglu)
    swiglu,  ///< three matrices: gate and up h x f, down f x h (Llama, Mixtral, DeepSeek, Qwen)
};

enum class PositionKind : std::uint8_t {
    learned,  ///< a learned seq_len x h position table (GPT-2/3, OPT)
    rotary,   ///< rotary embedding (RoPE) of queries and keys in every layer: no parameters, a kernel each (Llama, Qwen, DeepSeek)
    alibi,    ///< ALiBi: a bias on the attention scores, applied inside the attention kernel: no parameters, no kernel (BLOOM)
    none,     ///< no position encoding (NoPE)
};

/// Mixture-of-experts layers (DeepSeek-V3, Mixtral, Qwen3 MoE, Pangu Ultra MoE).
struct MoeSpec {
    std::int64_t experts = 0;         ///< routed experts per MoE layer
    std::int64_t top_k = 0;           ///< routed experts per token
    std::int64_t shared_experts = 0;  ///< always-active experts, each of expert_ffn
    std::int64_t expert_ffn = 0;      ///< FFN size of one expert (per gate/up projection)
    std::int64_t dense_layers = 0;    ///< the first dense_layers layers use a dense MLP of size `ffn`
    /// Group-limited routing (DeepSeek-V3's n_group / topk_group): the experts form expert_groups equal
    /// groups and a token's top_k experts come from groups_per_token of them. 1 and 1: no limit.
    std::int64_t expert_groups = 1;
    std::int64_t groups_per_token = 1;
    // Loader invariants: experts >= 1, 1 <= top_k <= experts, shared_experts >= 0, expert_ffn >= 1,
    // 0 <= dense_layers < WorkloadSpec::layers (at least one MoE layer); expert_groups divides experts,
    // 1 <= groups_per_token <= expert_groups, top_k <= groups_per_token * experts / expert_groups.
};

/// Multi-head latent attention (DeepSeek-V2/V3): low-rank compressed queries and key-values.
struct MlaSpec {
    std::int64_t q_lora_rank = 0;  ///< 0: queries are not compressed
    std::int64_t kv_lora_rank = 0;
    std::int64_t qk_nope_head_dim = 0;
    std::int64_t qk_rope_head_dim = 0;
    std::int64_t v_head_dim = 0;
    // Loader invariants: kv_lora_rank >= 1, v_head_dim >= 1, qk_nope_head_dim + qk_rope_head_dim >= 1;
    // with MLA, WorkloadSpec::head_dim == qk_nope_head_dim + qk_rope_head_dim (the query-key size)
    // and kv_heads == heads (every head gets its own keys and values from the latent).
};

/// Every count is a plain number (no units), decoded by scenario/workload_loader.cpp, which
/// guarantees: every count from 1 (0 only where MoeSpec/MlaSpec allow it) to 1e8, heads a multiple
/// of kv_heads, and the MoeSpec/MlaSpec invariants. All but moe, mla and published_params are
/// required in the file.
struct WorkloadSpec {
    std::string id;    ///< file name without .yaml
    std::string name;  ///< as its authors call it
    std::string family;  ///< e.g. "GPT", "Llama 3", "DeepSeek"
    std::map<std::string, std::string, std::less<>> sources;  ///< source id -> citation
    std::string source;  ///< the source id the architecture figures come from
    std::string notes;

    std::int64_t layers = 0;
    std::int64_t hidden = 0;
    std::int64_t ffn = 0;       ///< dense MLP size (per gate/up projection for swiglu); unused when moe->dense_layers == 0
    std::int64_t heads = 0;     ///< query heads
    std::int64_t kv_heads = 0;  ///< key-value heads (= heads: multi-head; fewer: grouped-query)
    std::int64_t head_dim = 0;  ///< per head (usually hidden / heads, not always: PaLM, Qwen3); with mla the query-key size
    std::int64_t vocab = 0;     ///< embedding rows as the model has them (padded), not the tokenizer's count
    std::int64_t seq_len = 0;   ///< the training sequence length its authors used (scenarios may override)
    MlpKind mlp = MlpKind::swiglu;
    PositionKind positions = PositionKind::none;
    bool tied_embeddings = false;  ///< the output projection reuses the input embedding
    bool biases = false;           ///< linear layers carry biases (GPT-2/3, BLOOM, OPT): counted in parameters
    /// Multi-token-prediction modules trained with the model (DeepSeek-V3 section 2.2: depth D), each a
    /// 2h -> h projection, one transformer layer of the last kind and the shared output head; not in the
    /// parameter count (published counts leave them out). Training only: serving's draft module is its
    /// speculation section's.
    std::int64_t mtp_depth = 0;
    std::optional<MoeSpec> moe;
    std::optional<MlaSpec> mla;

    /// Total parameters as published (e.g. 70.6e9), and what the publication counts; the parameter
    /// count of the model (train/accounting.hpp) is checked against it in tests.
    std::optional<double> published_params;
    std::string published_params_note;  ///< "NOTE (source ID)": what the count includes, and the source id
};

}  // namespace clustersim::catalog
