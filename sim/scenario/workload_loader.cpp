#include "scenario/workload_loader.hpp"

#include <vector>

#include "diag/suggest.hpp"
#include "scenario/yaml_reader.hpp"

namespace clustersim::scenario {
namespace {

using SourceMap = std::map<std::string, std::string, std::less<>>;

const std::vector<std::string> workload_keys{
    "id",  "name",     "family",   "sources", "source",  "notes",     "layers",          "hidden", "ffn", "heads",
    "kv_heads", "head_dim", "vocab", "seq_len", "mlp", "positions", "tied_embeddings", "biases", "moe", "mla",
    "mtp_depth", "published_params"};
const std::vector<std::string> moe_keys{"experts",      "top_k",        "shared_experts", "expert_ffn",
                                        "dense_layers", "expert_groups", "groups_per_token"};
const std::vector<std::string> mla_keys{"q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim",
                                        "v_head_dim"};
const std::vector<std::string> published_keys{"value", "source", "note"};

// No published model has a dimension, count or context anywhere near this; a larger value is a
// typo, and keeping counts below it keeps products like hidden x ffn far from int64 overflow.
constexpr std::int64_t max_count = 100'000'000;

// A required plain count (no unit) between `min_value` and max_count.
std::optional<std::int64_t> count(const Source& src, const MapReader& m, std::string_view key, std::string_view what,
                                  std::int64_t min_value) {
    const auto node = m.require(key, what);
    if (!node) return std::nullopt;
    const std::string path = join_path(m.path(), key);
    const auto v = as_integer(src, *node, path, min_value);
    if (v && *v > max_count) {
        src.error(*node, path, std::to_string(*v) + " is not a plausible " + std::string(key) + " (at most " +
                                   std::to_string(max_count) + ")");
        return std::nullopt;
    }
    return v;
}

std::optional<bool> boolean(const Source& src, const MapReader& m, std::string_view key, std::string_view what) {
    const auto node = m.require(key, what);
    if (!node) return std::nullopt;
    const auto word = as_choice(src, *node, join_path(m.path(), key), {"true", "false"});
    if (!word) return std::nullopt;
    return *word == "true";
}

// A key of this file's `sources`.
std::optional<std::string> source_id(const Source& src, const YAML::Node& node, const std::string& path,
                                     const SourceMap& sources) {
    auto id = as_string(src, node, path);
    if (!id) return std::nullopt;
    if (sources.find(*id) == sources.end()) {
        std::vector<std::string> ids;
        for (const auto& [k, v] : sources) ids.push_back(k);
        src.error(node, path,
                  "unknown source '" + *id + "'" + diag::did_you_mean(*id, ids) +
                      "; this file's sources: " + (ids.empty() ? std::string("none") : diag::join_names(ids)));
        return std::nullopt;
    }
    return id;
}

// A parameter count as a plain number: 70.6e9 or 176247271424 (no unit, no "B" suffix).
std::optional<double> parameter_count(const Source& src, const YAML::Node& node, const std::string& path) {
    if (!node.IsScalar()) {
        src.error(node, path, "expected a number of parameters like 70.6e9, got " + std::string(node_kind(node)));
        return std::nullopt;
    }
    const std::string& s = node.Scalar();
    const auto v = plain_number(node);
    if (!v) {
        src.error(node, path, "expected a plain number of parameters like 70.6e9 (no unit or suffix), got '" + s + "'");
        return std::nullopt;
    }
    if (*v < 1.0) {
        src.error(node, path, "a parameter count must be at least 1, got " + s);
        return std::nullopt;
    }
    return v;
}

std::optional<catalog::MoeSpec> decode_moe(const Source& src, const YAML::Node& node,
                                           std::optional<std::int64_t> layers) {
    const MapReader m(src, node, "moe", moe_keys);
    if (!m.ok()) return std::nullopt;
    const auto experts = count(src, m, "experts", "routed experts per MoE layer", 1);
    const auto top_k = count(src, m, "top_k", "routed experts per token", 1);
    const auto shared = count(src, m, "shared_experts", "always-active experts per MoE layer; 0 for none", 0);
    const auto expert_ffn = count(src, m, "expert_ffn", "FFN size of one expert", 1);
    const auto dense = count(src, m, "dense_layers", "leading layers with a dense MLP; 0 for none", 0);
    bool ok = experts && top_k && shared && expert_ffn && dense;
    if (experts && top_k && *top_k > *experts) {
        src.error(m.get("top_k"), "moe.top_k",
                  "top_k " + std::to_string(*top_k) + " exceeds the " + std::to_string(*experts) + " routed experts");
        ok = false;
    }
    if (layers && dense && *dense >= *layers) {
        src.error(m.get("dense_layers"), "moe.dense_layers",
                  "dense_layers " + std::to_string(*dense) + " must be fewer than the " + std::to_string(*layers) +
                      " layers (a mixture-of-experts workload needs at least one MoE layer; leave out 'moe' for a dense one)");
        ok = false;
    }
    // Group-limited routing: both keys or neither.
    std::optional<std::int64_t> groups = 1, per_token = 1;
    if (m.has("expert_groups") || m.has("groups_per_token")) {
        groups = count(src, m, "expert_groups", "equal groups the routed experts form (DeepSeek-V3's n_group)", 1);
        per_token = count(src, m, "groups_per_token", "groups a token's experts come from (DeepSeek-V3's topk_group)", 1);
        ok = ok && groups && per_token;
        if (experts && groups && *experts % *groups != 0) {
            src.error(m.get("expert_groups"), "moe.expert_groups",
                      "expert_groups " + std::to_string(*groups) + " does not divide the " + std::to_string(*experts) +
                          " routed experts (the groups are equal)");
            ok = false;
        } else if (groups && per_token && *per_token > *groups) {
            src.error(m.get("groups_per_token"), "moe.groups_per_token",
                      "groups_per_token " + std::to_string(*per_token) + " exceeds the " + std::to_string(*groups) + " expert_groups");
            ok = false;
        } else if (experts && top_k && groups && per_token && *top_k > *per_token * (*experts / *groups)) {
            src.error(m.get("groups_per_token"), "moe.groups_per_token",
                      std::to_string(*per_token) + " groups of " + std::to_string(*experts / *groups) +
                          " experts hold fewer than top_k " + std::to_string(*top_k));
            ok = false;
        }
    }
    if (!ok) return std::nullopt;
    return catalog::MoeSpec{*experts, *top_k, *shared, *expert_ffn, *dense, *groups, *per_token};
}

std::optional<catalog::MlaSpec> decode_mla(const Source& src, const YAML::Node& node) {
    const MapReader m(src, node, "mla", mla_keys);
    if (!m.ok()) return std::nullopt;
    const auto q = count(src, m, "q_lora_rank", "rank of the compressed queries; 0 when queries are not compressed", 0);
    const auto kv = count(src, m, "kv_lora_rank", "rank of the compressed keys and values", 1);
    const auto nope = count(src, m, "qk_nope_head_dim", "per-head query-key size without rotary embedding", 0);
    const auto rope = count(src, m, "qk_rope_head_dim", "per-head query-key size with rotary embedding", 0);
    const auto v = count(src, m, "v_head_dim", "per-head value size", 1);
    if (!q || !kv || !nope || !rope || !v) return std::nullopt;
    if (*nope + *rope == 0) {
        src.error(node, "mla", "qk_nope_head_dim + qk_rope_head_dim must be at least 1");
        return std::nullopt;
    }
    return catalog::MlaSpec{*q, *kv, *nope, *rope, *v};
}

std::optional<catalog::WorkloadSpec> decode(const Source& src, const YAML::Node& root, const std::string& file_id) {
    const std::size_t problems_before = src.diags.size();
    const MapReader m(src, root, "", workload_keys);
    if (!m.ok()) return std::nullopt;
    catalog::WorkloadSpec w;
    if (auto id = m.string("id", true)) {
        w.id = *id;
        if (w.id != file_id) src.error(m.get("id"), "id", "id '" + w.id + "' must equal the file name '" + file_id + "'");
    }
    w.name = m.string("name", true).value_or("");
    w.family = m.string("family", true).value_or("");
    if (m.has("notes")) w.notes = m.string("notes", false).value_or("");
    if (auto s = m.require("sources", "a mapping of source id to full citation")) {
        w.sources = as_string_map(src, *s, "sources");
        if (s->IsMap() && w.sources.empty()) src.error(*s, "sources", "at least one source is needed");
    }
    if (auto s = m.require("source", "the key of 'sources' the architecture comes from")) {
        w.source = source_id(src, *s, "source", w.sources).value_or("");
    }

    const auto layers = count(src, m, "layers", "transformer layers", 1);
    const auto hidden = count(src, m, "hidden", "model (embedding) dimension", 1);
    const auto ffn = count(src, m, "ffn", "dense MLP size, per gate/up projection for swiglu", 1);
    const auto heads = count(src, m, "heads", "query heads", 1);
    const auto kv_heads = count(src, m, "kv_heads", "key-value heads: heads for multi-head attention, fewer for grouped-query", 1);
    const auto head_dim = count(src, m, "head_dim", "size of one head, usually hidden / heads", 1);
    const auto vocab = count(src, m, "vocab", "vocabulary size (embedding rows)", 1);
    const auto seq_len = count(src, m, "seq_len", "training sequence length in tokens", 1);
    w.layers = layers.value_or(0);
    w.hidden = hidden.value_or(0);
    w.ffn = ffn.value_or(0);
    w.heads = heads.value_or(0);
    w.kv_heads = kv_heads.value_or(0);
    w.head_dim = head_dim.value_or(0);
    w.vocab = vocab.value_or(0);
    w.seq_len = seq_len.value_or(0);
    if (heads && kv_heads) {
        if (*kv_heads > *heads) {
            src.error(m.get("kv_heads"), "kv_heads",
                      "kv_heads " + std::to_string(*kv_heads) + " exceeds heads " + std::to_string(*heads));
        } else if (*heads % *kv_heads != 0) {
            src.error(m.get("kv_heads"), "kv_heads",
                      "heads " + std::to_string(*heads) + " is not a multiple of kv_heads " + std::to_string(*kv_heads) +
                          " (each key-value head serves the same number of query heads)");
        }
    }
    if (auto n = m.require("mlp", "gelu or swiglu")) {
        if (auto word = as_choice(src, *n, "mlp", {"gelu", "swiglu"})) {
            w.mlp = *word == "gelu" ? catalog::MlpKind::gelu : catalog::MlpKind::swiglu;
        }
    }
    if (auto n = m.require("positions", "learned, rotary, alibi or none")) {
        if (auto word = as_choice(src, *n, "positions", {"learned", "rotary", "alibi", "none"})) {
            w.positions = *word == "learned"  ? catalog::PositionKind::learned
                          : *word == "rotary" ? catalog::PositionKind::rotary
                          : *word == "alibi"  ? catalog::PositionKind::alibi
                                              : catalog::PositionKind::none;
        }
    }
    w.tied_embeddings = boolean(src, m, "tied_embeddings", "true when the output layer reuses the input embedding").value_or(false);
    w.biases = boolean(src, m, "biases", "true when linear layers carry biases").value_or(false);
    if (m.has("mtp_depth")) w.mtp_depth = count(src, m, "mtp_depth", "multi-token-prediction modules trained with the model", 0).value_or(0);

    if (m.has("moe")) w.moe = decode_moe(src, m.get("moe"), layers);
    if (m.has("mla")) {
        w.mla = decode_mla(src, m.get("mla"));
        if (w.mla && head_dim && *head_dim != w.mla->qk_nope_head_dim + w.mla->qk_rope_head_dim) {
            src.error(m.get("head_dim"), "head_dim",
                      "with mla, head_dim is the query-key size qk_nope_head_dim + qk_rope_head_dim = " +
                          std::to_string(w.mla->qk_nope_head_dim + w.mla->qk_rope_head_dim) + ", got " +
                          std::to_string(*head_dim));
        }
        if (w.mla && heads && kv_heads && *kv_heads != *heads) {
            src.error(m.get("kv_heads"), "kv_heads",
                      "with mla, kv_heads must equal heads (" + std::to_string(*heads) +
                          "): every head gets its own keys and values from the compressed latent, got " +
                          std::to_string(*kv_heads));
        }
    }
    if (m.has("published_params")) {
        const MapReader p(src, m.get("published_params"), "published_params", published_keys);
        if (p.ok()) {
            if (auto v = p.require("value", "total parameters as published, a plain number like 70.6e9")) {
                w.published_params = parameter_count(src, *v, "published_params.value");
            }
            std::string id;
            if (auto s = p.require("source", "a key of this file's 'sources'")) {
                id = source_id(src, *s, "published_params.source", w.sources).value_or("");
            }
            const std::string note = p.has("note") ? p.string("note", false).value_or("") : "";
            // WorkloadSpec keeps one note: what the count includes, then where it was published.
            w.published_params_note = note.empty() ? "source " + id : note + " (source " + id + ")";
        }
    }
    if (src.diags.size() != problems_before) return std::nullopt;
    return w;
}

}  // namespace

std::optional<catalog::WorkloadSpec> decode_workload_text(const std::string& content, const std::string& name,
                                                          diag::Diagnostics& diags) {
    const auto root = parse_yaml_text(content, name, diags);
    if (!root) return std::nullopt;
    const Source src{name, diags};
    return decode(src, *root, std::filesystem::path(name).stem().string());
}

std::optional<catalog::WorkloadSpec> decode_workload(const std::filesystem::path& file, diag::Diagnostics& diags) {
    const auto root = load_yaml_file(file, diags);
    if (!root) return std::nullopt;
    const Source src{file.string(), diags};
    return decode(src, *root, file.stem().string());
}

catalog::WorkloadSpec load_workload(const std::filesystem::path& file) {
    diag::Diagnostics diags;
    auto w = decode_workload(file, diags);
    diags.throw_if_any();
    return std::move(*w);
}

std::shared_ptr<const catalog::WorkloadSpec> workload_of(const Source& src, const MapReader& m, const catalog::Catalog& cat) {
    const auto id = m.string("workload", true);
    if (!id) return nullptr;
    const auto it = cat.workloads.find(*id);
    if (it != cat.workloads.end()) return it->second;
    const auto ids = cat.workload_ids();
    src.error(m.get("workload"), join_path(m.path(), "workload"),
              "unknown workload '" + *id + "'" + diag::did_you_mean(*id, ids) + "; valid: " + diag::join_names(ids) +
                  " (see 'clustersim list workloads')");
    return nullptr;
}

}  // namespace clustersim::scenario
