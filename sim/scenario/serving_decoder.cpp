#include "scenario/serving_decoder.hpp"

#include "scenario/workload_loader.hpp"

namespace clustersim::scenario {
namespace {

const std::vector<std::string> serving_keys{"workload",   "weights",    "kv_cache",    "attention",     "prompt_tokens", "output_tokens",
                                            "tpot_limit", "ttft_limit", "speculation", "prefill",       "decode",
                                            "execution"};
const std::vector<std::string> instance_keys{"chips", "ranks_per_chip", "tp", "ep", "batch", "shared_expert_ranks"};
const std::vector<std::string> speculation_keys{"draft_tokens", "acceptance"};
const std::vector<std::string> phase_keys{"prefill", "decode"};
const std::vector<std::string> execution_keys{"memory_reserve", "overlap_comm", "expert_imbalance", "dispatch", "disaggregated",
                                              "fp8_scaling", "activation_quant"};

// Bounds that keep every product of the model (tokens x hidden x ...) far inside 64 bits; each is
// far beyond any real deployment.
constexpr std::int64_t max_count = std::int64_t{1} << 24;   // chips, degrees, batch, draft tokens
constexpr std::int64_t max_tokens = std::int64_t{1} << 24;  // prompt or output tokens per request
constexpr std::int64_t max_step_tokens = std::int64_t{1} << 31;  // tokens of one rank in one step

std::optional<chip::DType> dtype(const Source& src, const MapReader& m, std::string_view key) {
    auto c = as_choice(src, m.get(key), join_path(m.path(), key), {"bf16", "fp8", "int8"});
    if (!c) return std::nullopt;
    return chip::dtype_from_string(*c);
}

std::optional<serve::ServingPlan> decode_instance(const Source& src, const YAML::Node& node, const std::string& path,
                                                  bool& chips_given, bool& ep_given) {
    MapReader m(src, node, path, instance_keys);
    if (!m.ok()) return std::nullopt;
    serve::ServingPlan p;
    p.ep = 0;  // set by check_serving_instances unless given
    bool ok = true;
    auto degree = [&](std::string_view key, std::int64_t& out, std::int64_t min_value) {
        if (!m.has(key)) return false;
        auto v = m.integer(key, false, min_value, max_count);
        ok = ok && v.has_value();
        out = v.value_or(out);
        return true;
    };
    chips_given = degree("chips", p.chips, 1);
    degree("ranks_per_chip", p.ranks_per_chip, 1);
    degree("tp", p.tp, 1);
    ep_given = degree("ep", p.ep, 1);
    degree("batch", p.batch, 1);
    degree("shared_expert_ranks", p.shared_expert_ranks, 0);
    if (!ok) return std::nullopt;
    return p;
}

std::optional<serve::Speculation> decode_speculation(const Source& src, const YAML::Node& node, const std::string& path) {
    MapReader m(src, node, path, speculation_keys);
    if (!m.ok()) return std::nullopt;
    serve::Speculation s;
    auto drafts = m.integer("draft_tokens", true, 1, 64);
    const auto given = m.require("acceptance", "the probability that a draft token is accepted, e.g. 0.7");
    auto acceptance = given ? as_fraction(src, *given, join_path(path, "acceptance")) : std::nullopt;
    if (!drafts || !acceptance) return std::nullopt;
    s.draft_tokens = *drafts;
    s.acceptance = *acceptance;
    return s;
}

std::optional<serve::ServingExecution> decode_execution(const Source& src, const YAML::Node& node, const std::string& path) {
    MapReader m(src, node, path, execution_keys);
    if (!m.ok()) return std::nullopt;
    serve::ServingExecution e;
    bool ok = true;
    auto flag = [&](std::string_view key, bool& out) { ok = read_flag(src, m, key, out) && ok; };
    flag("overlap_comm", e.overlap_comm);
    flag("disaggregated", e.disaggregated);
    ok = read_number(src, m, "memory_reserve", e.memory_reserve, 0, 1, false,
                     "the fraction of HBM kept free, a number in [0, 1) such as 0.1") && ok;
    ok = read_number(src, m, "expert_imbalance", e.expert_imbalance, 1, 1000, true,
                     "the most loaded expert rank's tokens over the mean, a number from 1 (balanced) to 1000") && ok;
    std::string dispatch = e.dispatch_bytes == 2 ? "bf16" : "fp8", scaling = e.fp8_block_scaled ? "block" : "tensor";
    ok = read_choice(src, m, "dispatch", {"bf16", "fp8", "int8"}, dispatch) && ok;
    ok = read_choice(src, m, "fp8_scaling", {"tensor", "block"}, scaling) && ok;
    e.dispatch_bytes = dispatch == "bf16" ? 2 : 1;
    e.fp8_block_scaled = scaling == "block";
    // activation_quant: one word for both phases, or a mapping of prefill and decode.
    if (m.has("activation_quant") && m.get("activation_quant").IsMap()) {
        MapReader q(src, m.get("activation_quant"), join_path(path, "activation_quant"), phase_keys);
        ok = q.ok() && ok;
        for (const auto& [key, out] : {std::pair{"prefill", &e.separate_activation_quant.prefill},
                                       std::pair{"decode", &e.separate_activation_quant.decode}}) {
            std::string quant = "fused";
            ok = (!q.ok() || read_choice(src, q, key, {"fused", "separate"}, quant)) && ok;
            *out = quant == "separate";
        }
    } else {
        std::string quant = "fused";
        ok = read_choice(src, m, "activation_quant", {"fused", "separate"}, quant) && ok;
        e.separate_activation_quant = {quant == "separate", quant == "separate"};
    }
    if (!ok) return std::nullopt;
    return e;
}

}  // namespace

std::optional<ServingDraft> decode_serving(const Source& src, const YAML::Node& node, const std::string& path,
                                           const catalog::Catalog& cat) {
    MapReader m(src, node, path, serving_keys);
    if (!m.ok()) return std::nullopt;
    ServingDraft d;
    d.node = node;
    auto& s = d.spec;
    bool ok = true;
    s.workload = workload_of(src, m, cat);
    ok = s.workload != nullptr;
    for (const char* key : {"weights", "kv_cache"}) {
        if (!m.has(key)) continue;
        auto t = dtype(src, m, key);
        ok = ok && t.has_value();
        if (t) (std::string_view(key) == "weights" ? s.weights : s.kv_cache) = *t;
    }
    if (m.has("attention")) {
        auto c = as_choice(src, m.get("attention"), join_path(path, "attention"), {"bf16", "fp8"});
        ok = ok && c.has_value();
        if (c) s.attention = *chip::dtype_from_string(*c);
    }
    auto prompt = m.integer("prompt_tokens", true, 1, max_tokens);
    auto output = m.integer("output_tokens", true, 1, max_tokens);
    ok = ok && prompt && output;
    s.prompt_tokens = prompt.value_or(0);
    s.output_tokens = output.value_or(0);
    for (const char* key : {"tpot_limit", "ttft_limit"}) {
        if (!m.has(key)) continue;
        auto q = as_quantity(src, m.get(key), join_path(path, key), units::Dimension::time, false);
        ok = ok && q.has_value();
        (std::string_view(key) == "tpot_limit" ? s.tpot_limit_s : s.ttft_limit_s) = q;
    }
    if (m.has("speculation")) {
        auto sp = decode_speculation(src, m.get("speculation"), join_path(path, "speculation"));
        ok = ok && sp.has_value();
        if (sp) s.speculation = *sp;
    }
    s.prefill.ep = s.decode.ep = 0;
    for (const char* key : {"prefill", "decode"}) {
        if (!m.has(key)) continue;
        const bool pre = std::string_view(key) == "prefill";
        auto p = decode_instance(src, m.get(key), join_path(path, key), pre ? d.prefill_chips_given : d.decode_chips_given,
                                 pre ? d.prefill_ep_given : d.decode_ep_given);
        ok = ok && p.has_value();
        if (p) (pre ? s.prefill : s.decode) = *p;
    }
    if (m.has("execution")) {
        auto e = decode_execution(src, m.get("execution"), join_path(path, "execution"));
        ok = ok && e.has_value();
        if (e) s.execution = *e;
        // An execution key that describes weights the case does not have: an error at that key.
        auto weights_must_be = [&](bool applies, bool fits, const char* key, const std::string& what) {
            if (!applies || fits || !ok) return;
            src.error(m.get("execution")[key], join_path(join_path(path, "execution"), key),
                      what + ", but weights are " + std::string(chip::to_string(s.weights)));
            ok = false;
        };
        weights_must_be(e && e->fp8_block_scaled, s.weights == chip::DType::fp8, "fp8_scaling",
                        "fp8_scaling: block describes FP8 weights");
        weights_must_be(e && (e->separate_activation_quant.prefill || e->separate_activation_quant.decode),
                        s.weights == chip::DType::fp8 || s.weights == chip::DType::int8, "activation_quant",
                        "activation_quant: separate describes the inputs of 8-bit products");
    }
    if (!ok) return std::nullopt;
    return d;
}

bool check_serving_instances(const Source& src, ServingDraft& d, const std::string& path, std::int64_t chips) {
    bool ok = true;
    const bool moe = d.spec.workload && d.spec.workload->moe;
    for (const char* key : {"prefill", "decode"}) {
        const bool pre = std::string_view(key) == "prefill";
        serve::ServingPlan& p = pre ? d.spec.prefill : d.spec.decode;
        if (!(pre ? d.prefill_chips_given : d.decode_chips_given)) p.chips = chips;
        if (!(pre ? d.prefill_ep_given : d.decode_ep_given)) p.ep = moe ? p.ranks() / p.tp : 1;
        // Tokens one rank handles in a step: every kernel's rows. Bounded so that rows x any workload
        // dimension (at most 1e8) stays far inside 64 bits.
        const double query = pre ? static_cast<double>(d.spec.prompt_tokens) : 1.0 + static_cast<double>(d.spec.speculation.draft_tokens);
        if (static_cast<double>(p.batch) * query > static_cast<double>(max_step_tokens)) {
            src.error(d.node[key]["batch"], join_path(join_path(path, key), "batch"),
                      "batch " + std::to_string(p.batch) + " x " + std::to_string(static_cast<std::int64_t>(query)) +
                          " tokens per sequence exceeds " + std::to_string(max_step_tokens) + " tokens per rank in one step");
            ok = false;
        }
        if (p.chips > chips) {
            src.error(d.node[key]["chips"], join_path(join_path(path, key), "chips"),
                      "the " + std::string(key) + " instance needs " + std::to_string(p.chips) + " chips, but the case has " +
                          std::to_string(chips));
            ok = false;
        }
    }
    return ok;
}

}  // namespace clustersim::scenario
